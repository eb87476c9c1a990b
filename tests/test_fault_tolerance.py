"""Done-when of the emulator: with 20 % 503 answers plus a few connection resets and cut bodies (seeded), a
full read of the demo county through the client returns exactly the objects a read without faults returns."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connector.config import Interface
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.model import EnaioObject
from connector.enaio.query import Query

FAULTS = [
    FaultRule("reset", probability=0.05, times=5),
    FaultRule("truncate", probability=0.05, times=2),
    FaultRule("status", status=503, probability=0.2),
]


def read_everything(client: EnaioClient) -> dict[int, EnaioObject]:
    """Every object of every type, by id; an object seen twice fails the test."""
    objects: dict[int, EnaioObject] = {}
    for otype in client.object_definition().types:
        for obj in client.search(Query(type_name=otype.internal, page_size=100)):
            assert obj.id not in objects, f"object {obj.id} read twice"
            objects[obj.id] = obj
    return objects


@pytest.mark.slow
def test_full_read_under_faults_is_exact(
    interface: Interface,
    faulty_emulator_factory: Callable[[list[FaultRule]], EmulatorServer],
    client_factory: Callable[..., EnaioClient],
) -> None:
    server = faulty_emulator_factory(FAULTS)
    faults = server.state.faults
    under_faults = read_everything(client_factory(server, interface))
    stats = faults.stats()["rules"]
    faults.clear()
    clean = read_everything(client_factory(server, interface))

    assert under_faults == clean
    assert len(clean) == server.state.store.count()
    injected = {rule["rule"]["action"]: rule["injected"] for rule in stats}
    assert injected["reset"] == 5
    assert injected["truncate"] >= 1
    assert injected["status"] >= 20
