"""The two REST rooms see the demo county identically: every object of every type, field for field, against
each emulator personality (documented osrest has no object-definition endpoint: the export stands in)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.model import EnaioObject
from connector.enaio.objdef import default_objdef, default_site_path
from connector.enaio.query import Query

TYPES = [t.internal for t in default_objdef().types]


def _clients(
    server: EmulatorServer, client_factory: Callable[..., EnaioClient]
) -> tuple[EnaioClient, EnaioClient]:
    extra: dict[str, object] = {}
    if server.state.documented:
        extra["objdef_file"] = str(default_site_path())
    return client_factory(server, "dms", "demo"), client_factory(server, "osrest", "demo", **extra)


def _comparable(obj: EnaioObject, other: EnaioObject) -> dict[str, object]:
    """What both rooms can know: lock data only where both servers report it (documented DMS does not)."""
    data = obj.model_dump()
    if not (obj.lock_known and other.lock_known):
        data.pop("locked_by")
        data.pop("lock_known")
    return data


def _all(client: EnaioClient, type_name: str) -> list[EnaioObject]:
    return sorted(client.search(Query(type_name, page_size=250)), key=lambda o: o.id)


@pytest.mark.parametrize("type_name", TYPES)
def test_dms_and_osrest_list_the_same_objects(
    any_demo_emulator: EmulatorServer, client_factory: Callable[..., EnaioClient], type_name: str
) -> None:
    dms, osrest = _clients(any_demo_emulator, client_factory)
    by_dms = _all(dms, type_name)
    by_osrest = _all(osrest, type_name)
    assert by_dms, f"the demo county has no {type_name}"
    assert len(by_osrest) == len(by_dms)
    for left, right in zip(by_dms, by_osrest, strict=True):
        assert _comparable(left, right) == _comparable(right, left), (
            f"{type_name} {left.id} differs between dms and osrest"
        )


def test_get_matches_search(
    any_demo_emulator: EmulatorServer, client_factory: Callable[..., EnaioClient]
) -> None:
    dms, osrest = _clients(any_demo_emulator, client_factory)
    for type_name in TYPES:
        sample = next(iter(osrest.search(Query(type_name, page_size=5, max_hits=1))))
        by_osrest, by_dms = osrest.get(sample.id), dms.get(sample.id)
        assert by_osrest == sample
        assert _comparable(by_dms, sample) == _comparable(sample, by_dms)
