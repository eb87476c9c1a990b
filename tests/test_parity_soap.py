"""Parity: the demo county read through SOAP equals the same objects read through the DMS REST client."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.state import Variant
from connector.enaio.model import EnaioObject, ObjectKind
from connector.enaio.query import Query

ClientFactory = Callable[..., EnaioClient]


def _all(client: EnaioClient, type_name: str) -> list[EnaioObject]:
    return sorted(client.search(Query(type_name, page_size=250)), key=lambda obj: obj.id)


def _comparable(obj: EnaioObject) -> EnaioObject:
    """A lock the server did not report is unknown: compared as such, everything else exactly."""
    if obj.lock_known:
        return obj
    return obj.model_copy(update={"lock_known": True, "locked_by": None})


def test_every_object_of_every_type_equal_via_soap_and_dms(
    any_demo_emulator: EmulatorServer,
    demo_emulators: Callable[[Variant], EmulatorServer],
    client_factory: ClientFactory,
) -> None:
    """SOAP in each personality against DMS in the default one: same objects, values, locations, owners."""
    soap = client_factory(any_demo_emulator, "soap")
    dms = client_factory(demo_emulators("default"), "dms")
    objdef = soap.object_definition()
    total = 0
    unknown_locks = 0
    for otype in objdef.types:
        via_soap = _all(soap, otype.internal)
        via_dms = _all(dms, otype.internal)
        assert [o.id for o in via_soap] == [o.id for o in via_dms], otype.internal
        for left, right in zip(via_soap, via_dms, strict=True):
            assert _comparable(left) == right, (otype.internal, left.id)
            if otype.kind is not ObjectKind.FOLDER:
                assert left.folder_id is not None, (otype.internal, left.id)
            unknown_locks += not left.lock_known
        total += len(via_soap)
    assert total == any_demo_emulator.state.store.count()
    assert total > 0
    # documented: only documents carry a checkout user; folders' and registers' locks are unknown
    if any_demo_emulator.state.documented:
        assert 0 < unknown_locks < total
    else:
        assert unknown_locks == 0


def test_get_equals_search_hit_on_demo(
    any_demo_emulator: EmulatorServer, client_factory: ClientFactory
) -> None:
    soap = client_factory(any_demo_emulator, "soap")
    compared = 0
    for otype in soap.object_definition().types:
        first = next(iter(soap.search(Query(otype.internal, page_size=1, max_hits=1))), None)
        if first is not None:
            assert soap.get(first.id) == first
            compared += 1
    assert compared == len(soap.object_definition().types)


def test_no_parity_check_can_skip_itself() -> None:
    """A parity test that skips (skipif, skip, importorskip, xfail) would pass without comparing anything."""
    bypasses = {"skip", "skipif", "importorskip", "xfail"}
    for path in sorted(Path(__file__).parent.glob("test_parity_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found = [
            f"{path.name}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in bypasses
        ]
        assert found == [], f"parity checks must not be skippable: {found}"
