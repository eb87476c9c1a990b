"""The osrest client against both emulator personalities (docs/emulator-choices.md, osrest).

``documented`` caps pages at 100, refuses the emulator's search extensions (range prefixes, ``values``,
``systemfields``), ignores ``"null": false``, sends ``osid`` as a number, leaves empty fields out, has no
``SDSTA_ID``/``SDREG_ID`` on folders and registers and no object-definition endpoint the client reads.
Every test below must give the same answer against either personality.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from connector.enaio.client import EnaioClient
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import NewObject, UploadFile
from connector.enaio.objdef import default_site_path
from connector.enaio.osrest.client import OsrestClient
from connector.enaio.query import Condition, Deleted, Op, Query, Sort, all_of, any_of, eq, is_in
from connector.errors import ConflictError, LockedError, PermanentError
from tests.conftest import TEST_USERS

ClientFactory = Callable[..., EnaioClient]
STAFF = "ORG_MITARBEITENDE"
ALICE = ("alice", TEST_USERS["alice"])


def _client(
    server: EmulatorServer, client_factory: ClientFactory, user: str = "alice", **extra: Any
) -> OsrestClient:
    if server.state.documented:
        extra.setdefault("objdef_file", str(default_site_path()))
    api = client_factory(server, "osrest", user, **extra).api
    assert isinstance(api, OsrestClient)
    return api


def _staff(server: EmulatorServer, count: int, start: int = 0) -> list[int]:
    """``count`` staff records straight into the store; every third has no GUELTIG_BIS."""
    store = server.state.store
    ids = []
    for n in range(start, start + count):
        fields: dict[str, Any] = {
            "PERSONALNUMMER": f"P-{n:04d}",
            "NAME": f"Name {n:04d}",
            "VZAE": Decimal("0.5") if n % 2 else Decimal("1"),
            "GUELTIG_AB": date(2018, 1, 1) + timedelta(days=n % 40),
            "TRAEGER": "LANDRATSAMT",
        }
        if n % 3:
            fields["GUELTIG_BIS"] = date(2019, 12, 31)
        ids.append(store.insert(STAFF, None, fields, user="alice"))
    return ids


def _count_searches(server: EmulatorServer) -> None:
    # a zero delay fires on nothing but counts every search request
    server.state.faults.set_rules([FaultRule("delay", path="/documents/search$", delay=0.0)])


def _searches(server: EmulatorServer) -> int:
    matched: int = server.state.faults.stats()["rules"][0]["matched"]
    return matched


@pytest.mark.parametrize("page_size", [7, 100, 150, 500])
def test_paging_across_the_page_cap(
    any_emulator: EmulatorServer, client_factory: ClientFactory, page_size: int
) -> None:
    ids = _staff(any_emulator, 230)
    client = _client(any_emulator, client_factory)
    assert [o.id for o in client.search(Query(STAFF, page_size=page_size))] == ids


def test_a_short_page_is_probed_once_then_known(
    any_emulator: EmulatorServer, client_factory: ClientFactory
) -> None:
    _staff(any_emulator, 230)
    client = _client(any_emulator, client_factory)
    _count_searches(any_emulator)
    assert len(list(client.search(Query(STAFF, page_size=500)))) == 230
    if any_emulator.state.documented:
        assert _searches(any_emulator) == 3  # 100 (cap?) + 100 (so it is a cap) + 30 (< 100: the end)
    else:
        assert _searches(any_emulator) == 2  # 230 (< 500, but no longer page seen yet) + an empty page
    _count_searches(any_emulator)
    hits = list(client.search(Query(STAFF, where=eq("VZAE", Decimal("0.5")), page_size=500)))
    assert len(hits) == 115  # every odd n of 0..229
    # default: 115 < 230 served before -> the end at once; documented: 100 + 15 (< 100 served before)
    assert _searches(any_emulator) == (2 if any_emulator.state.documented else 1)


def test_documented_server_really_caps_the_page(any_emulator: EmulatorServer) -> None:
    _staff(any_emulator, 120)
    body = {"query": {"objectTypeId": STAFF, "result_config": {"pagesize": 500, "offset": 0}}}
    answer = requests.post(
        f"{any_emulator.url}/osrest/api/documents/search", json=body, auth=ALICE, timeout=10
    )
    assert answer.status_code == 200
    assert len(answer.json()) == (100 if any_emulator.state.documented else 120)


@pytest.mark.parametrize("strategy", ["server", "scan"])
def test_incremental_finds_exactly_the_changed_objects(
    any_emulator: EmulatorServer, client_factory: ClientFactory, strategy: str
) -> None:
    ids = _staff(any_emulator, 12)
    time.sleep(1.1)  # enaio stores whole seconds: the changes below are one second later
    bookmark = datetime.now(any_emulator.state.tz).replace(microsecond=0)
    changed = ids[::4]  # 3 of 12
    for object_id in changed:
        any_emulator.state.store.update(object_id, {"NAME": "geändert"}, user="alice")
    client = _client(any_emulator, client_factory, osrest_incremental=strategy)
    found = sorted(o.id for o in client.search(Query(STAFF, modified_since=bookmark)))
    assert found == changed
    assert list(client.search(Query(STAFF, modified_since=bookmark + timedelta(hours=1)))) == []


def test_refused_extensions_are_learned_once_and_answers_stay_exact(
    any_emulator: EmulatorServer, client_factory: ClientFactory
) -> None:
    ids = _staff(any_emulator, 30)
    client = _client(any_emulator, client_factory)
    wanted = [ids[1], ids[4], ids[5]]
    names = [f"Name {n:04d}" for n in (1, 4, 5)]
    assert [o.id for o in client.search(Query(STAFF, where=is_in("NAME", names)))] == wanted
    # documented refuses "values" (400); the client goes on with the documented form only
    assert client._extensions is not any_emulator.state.documented
    # IS NOT NULL: every n not divisible by 3 has GUELTIG_BIS (documented ignores "null": false)
    with_end = [i for n, i in enumerate(ids) if n % 3]
    assert [
        o.id for o in client.search(Query(STAFF, where=Condition("GUELTIG_BIS", Op.NOT_NULL)))
    ] == with_end
    # ranges on numbers and dates: VZAE 1 for even n, GUELTIG_AB = 1 Jan + n days for n < 30
    query = Query(
        STAFF,
        where=any_of(
            Condition("VZAE", Op.GT, (Decimal("0.5"),)), Condition("GUELTIG_AB", Op.GE, (date(2018, 1, 29),))
        ),
    )
    expected = [i for n, i in enumerate(ids) if n % 2 == 0 or n >= 28]
    assert [o.id for o in client.search(query)] == expected
    by_id = Condition("OBJECT_ID", Op.IN, (ids[7], ids[3], 999_999), system=True)
    _count_searches(any_emulator)
    assert [o.id for o in client.search(Query(STAFF, where=by_id))] == [ids[3], ids[7]]
    # documented: no systemfields, so one GET documents/search/{id} per id instead of a scan of the type
    assert _searches(any_emulator) == (0 if any_emulator.state.documented else 1)
    with_name = Query(STAFF, where=all_of(by_id, eq("NAME", "Name 0007")))
    assert [o.id for o in client.search(with_name)] == [ids[7]]
    ordered = Query(STAFF, order_by=(Sort("GUELTIG_AB", descending=True),), max_hits=2)
    assert [o.id for o in client.search(ordered)] == [ids[29], ids[28]]


def test_a_500_on_an_extended_search_falls_back_to_the_documented_form(
    any_emulator: EmulatorServer, client_factory: ClientFactory
) -> None:
    ids = _staff(any_emulator, 10)
    client = _client(any_emulator, client_factory)
    # as osrest answers bad search input ("Search by example failed", S3): once, for the first search
    any_emulator.state.faults.set_rules([FaultRule("status", path="/documents/search$", status=500, times=1)])
    names = ["Name 0002", "Name 0009"]
    assert [o.id for o in client.search(Query(STAFF, where=is_in("NAME", names)))] == [ids[2], ids[9]]
    assert client._extensions is False
    # a 500 on a body without extensions is no refusal of them: it reaches the caller
    any_emulator.state.faults.set_rules([FaultRule("status", path="/documents/search$", status=500, times=1)])
    with pytest.raises(PermanentError):
        list(client.search(Query(STAFF, where=eq("NAME", "Name 0002"))))


def _tree(client: OsrestClient) -> tuple[int, int, int]:
    folder = client.insert(
        NewObject(
            "IM_KLIENT",
            None,
            {
                "AKTENZEICHEN": "IM-OS-1",
                "FAMILIENNAME": "Muster",
                "VORNAMEN": "Erika",
                "GESCHLECHT": "WEIBLICH",
                "UNTERBRINGUNGSART": "AU",
                "WOHNKOMMUNE": "Mössingen",
            },
        )
    )
    register = client.insert(
        NewObject(
            "IM_FALL",
            folder,
            {
                "FALLBEGINN": date(2018, 4, 3),
                "FALLSTATUS": "AKTIV",
                "INTEGRATIONSMANAGER": "P-1001",
                "REGIONALTEAM": "MOESSINGEN",
            },
        )
    )
    document = client.insert(
        NewObject(
            "IM_PLAN",
            register,
            {
                "PLANART": "INTEGRATIONSPLAN",
                "PLANVERSION": 0,
                "ERSTELLT_AM": date(2018, 5, 2),
                "PLANSTATUS": "ENTWURF",
            },
            files=[UploadFile("plan.txt", "text/plain", data=b"Plan")],
        )
    )
    return folder, register, document


def test_get_writes_location_and_recycle_bin(
    any_emulator: EmulatorServer, client_factory: ClientFactory
) -> None:
    client = _client(any_emulator, client_factory)
    folder, register, document = _tree(client)
    fall = client.get(register)
    assert (fall.folder_id, fall.parent_id) == (folder, folder)  # documented: from documents/parents
    plan = client.get(document)
    assert (plan.folder_id, plan.parent_id) == (folder, register)
    assert client.parents(document) == [register, folder]  # nearest first, whatever order the server uses
    assert [o.id for o in client.search(Query("IM_PLAN"))] == [document]
    assert next(iter(client.search(Query("IM_PLAN")))) == plan
    assert "NAECHSTE_UEBERPRUEFUNG" not in plan.fields  # empty: absent, whether sent as "" or left out
    client.update(document, {"PLANSTATUS": "VEREINBART", "PLANVERSION": 2})
    changed = client.get(document)
    assert changed.fields["PLANSTATUS"] == "VEREINBART"
    assert changed.fields["PLANVERSION"] == 2
    with pytest.raises(ConflictError):
        client.update(document, {"PLANVERSION": 3}, expected_modified=plan.modified - timedelta(seconds=5))
    client.delete(document)
    assert list(client.search(Query("IM_PLAN"))) == []
    binned = list(client.search(Query("IM_PLAN", deleted=Deleted.ONLY)))
    assert [o.id for o in binned] == [document]
    assert binned[0].deleted


def test_checkout_and_lock_state(any_emulator: EmulatorServer, client_factory: ClientFactory) -> None:
    alice = _client(any_emulator, client_factory)
    bob = _client(any_emulator, client_factory, "bob")
    _, _, document = _tree(alice)
    alice.checkout(document)
    locked = bob.get(document)
    assert locked.locked_by == "alice"
    assert locked.lock_known
    with pytest.raises(LockedError):
        bob.checkout(document)
    alice.undo_checkout(document)
    assert bob.get(document).locked_by is None


def test_documented_wire_differs_from_the_default(any_emulator: EmulatorServer) -> None:
    documented = any_emulator.state.documented
    base = f"{any_emulator.url}/osrest/api"
    objdef = requests.get(f"{base}/objdef/global", auth=ALICE, timeout=10)
    assert objdef.headers["Content-Type"].startswith("application/json" if documented else "application/xml")
    _staff(any_emulator, 3)
    body = {"query": {"objectTypeId": STAFF, "fields": {"NAME": {"values": ["Name 0001"]}}}}
    refused = requests.post(f"{base}/documents/search", json=body, auth=ALICE, timeout=10)
    assert refused.status_code == (400 if documented else 200)
    hits = requests.post(
        f"{base}/documents/search", json={"query": {"objectTypeId": STAFF}}, auth=ALICE, timeout=10
    )
    first = hits.json()[0]
    assert isinstance(first["osid"], int if documented else str)
    names = {f["internalName"] for f in first["ecmSimpleFields"]}
    assert ("GUELTIG_BIS" in names) is not documented  # n = 0 has no GUELTIG_BIS: "" or left out
