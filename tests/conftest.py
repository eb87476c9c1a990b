"""Shared fixtures: emulators on 127.0.0.1 with ephemeral ports, and settings/clients pointing at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings as hypothesis_settings

from connector.config import Interface, Settings, load_settings
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer, build_state

# Property tests explore the same examples on every run, so CI cannot fail by chance.
hypothesis_settings.register_profile("deterministic", derandomize=True, print_blob=True)
hypothesis_settings.load_profile("deterministic")

# Every interface room the scenario tests run against; a room joins when its client exists.
INTERFACES: tuple[Interface, ...] = ("dms", "soap", "osrest")

TEST_USERS = {"alice": "alice-secret", "bob": "bob-secret"}


@pytest.fixture(scope="session")
def demo_emulator() -> Iterator[EmulatorServer]:
    """The demo county, shared read-only by the whole session (tests must not write to it)."""
    state = build_state(demo=True, users=dict(TEST_USERS))
    with EmulatorServer(state) as server:
        yield server


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """An empty store with the default site and users alice and bob, fresh for each test."""
    state = build_state(users=dict(TEST_USERS))
    with EmulatorServer(state) as server:
        yield server


@pytest.fixture
def faulty_emulator_factory() -> Iterator[Callable[[list[FaultRule]], EmulatorServer]]:
    servers: list[EmulatorServer] = []

    def make(rules: list[FaultRule]) -> EmulatorServer:
        state = build_state(demo=True, users=dict(TEST_USERS), faults=rules)
        server = EmulatorServer(state).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def make_settings(
    server: EmulatorServer, interface: Interface, user: str = "alice", **extra: object
) -> Settings:
    password = TEST_USERS.get(user, "demo")
    overrides: dict[str, object] = {
        "url": server.url,
        "interface": interface,
        "username": user,
        "password": password,
        "connect_timeout": 2.0,
        "read_timeout": 30.0,
        "retry": {"max_attempts": 6, "backoff_initial": 0.01, "backoff_max": 0.05, "retry_after_cap": 0.1},
    }
    overrides.update(extra)
    return load_settings(overrides=overrides)


@pytest.fixture(params=INTERFACES)
def interface(request: pytest.FixtureRequest) -> Interface:
    value: Interface = request.param
    return value


@pytest.fixture
def client_factory() -> Iterator[Callable[..., EnaioClient]]:
    clients: list[EnaioClient] = []

    def make(
        server: EmulatorServer, interface: Interface, user: str = "alice", **extra: object
    ) -> EnaioClient:
        client = EnaioClient(make_settings(server, interface, user, **extra))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
