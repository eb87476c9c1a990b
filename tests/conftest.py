"""Shared fixtures: emulators on 127.0.0.1 with ephemeral ports, and settings/clients pointing at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings as hypothesis_settings

from connector.config import Interface, Settings, load_settings
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer, build_state
from connector.enaio.emulator.state import VARIANTS, Variant
from connector.enaio.objdef import default_site_path

# Property tests explore the same examples on every run, so CI cannot fail by chance.
hypothesis_settings.register_profile("deterministic", derandomize=True, print_blob=True)
hypothesis_settings.load_profile("deterministic")

_FUZZ_SCALE = 1


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-scale",
        type=int,
        default=1,
        help="Multiply the generated cases of the fuzz tests (tests/test_fuzz_inputs.py); default 1.",
    )
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="Long variants of the proof tests (tests/test_proof_*.py): full demo county, more seeds, "
        "kill points and trials.",
    )


def pytest_configure(config: pytest.Config) -> None:
    global _FUZZ_SCALE
    _FUZZ_SCALE = max(1, int(config.getoption("--fuzz-scale")))


def fuzz_examples(base: int) -> int:
    """Generated cases of one fuzz test: ``base`` in the default run, more with ``--fuzz-scale``."""
    return base * _FUZZ_SCALE


# Every interface room the scenario tests run against; a room joins when its client exists.
INTERFACES: tuple[Interface, ...] = ("dms", "soap", "osrest")

TEST_USERS = {"alice": "alice-secret", "bob": "bob-secret"}


@pytest.fixture(scope="session")
def demo_emulators() -> Iterator[Callable[[Variant], EmulatorServer]]:
    """Demo-county emulators per personality, started on first use and shared read-only by the session."""
    servers: dict[Variant, EmulatorServer] = {}

    def get(variant: Variant) -> EmulatorServer:
        if variant not in servers:
            state = build_state(demo=True, users=dict(TEST_USERS), variant=variant)
            servers[variant] = EmulatorServer(state).start()
        return servers[variant]

    yield get
    for server in servers.values():
        server.close()


@pytest.fixture(scope="session")
def demo_emulator(demo_emulators: Callable[[Variant], EmulatorServer]) -> EmulatorServer:
    """The demo county, default personality, shared read-only by the whole session (tests must not write)."""
    return demo_emulators("default")


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> Variant:
    """Both emulator personalities: what a test proves must hold against either."""
    value: Variant = request.param
    return value


@pytest.fixture
def any_demo_emulator(
    demo_emulators: Callable[[Variant], EmulatorServer], variant: Variant
) -> EmulatorServer:
    """The demo county in each personality (read-only)."""
    return demo_emulators(variant)


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """An empty store with the default site and users alice and bob, fresh for each test."""
    state = build_state(users=dict(TEST_USERS))
    with EmulatorServer(state) as server:
        yield server


@pytest.fixture
def any_emulator(variant: Variant) -> Iterator[EmulatorServer]:
    """An empty store like ``emulator``, in each personality."""
    state = build_state(users=dict(TEST_USERS), variant=variant)
    with EmulatorServer(state) as server:
        yield server


@pytest.fixture
def connect(interface: Interface, variant: Variant) -> Iterator[Callable[..., EnaioClient]]:
    """Clients of each interface in each personality, closed after the test. A documented osrest server has
    no readable object definition, so against ``documented`` the site's export is configured."""
    clients: list[EnaioClient] = []
    extra: dict[str, object] = {}
    if variant == "documented":
        extra["objdef_file"] = str(default_site_path())

    def make(server: EmulatorServer, user: str = "alice") -> EnaioClient:
        client = EnaioClient(make_settings(server, interface, user, **extra))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def faulty_emulator_factory() -> Iterator[Callable[..., EmulatorServer]]:
    servers: list[EmulatorServer] = []

    def make(rules: list[FaultRule], variant: Variant = "default") -> EmulatorServer:
        state = build_state(demo=True, users=dict(TEST_USERS), faults=rules, variant=variant)
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
