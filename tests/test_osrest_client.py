"""The osrest room against the real emulator on 127.0.0.1: round trips, quirks, paging, sessions."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import waitress

from connector.config import Settings
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import NewObject, UploadFile
from connector.enaio.model import EnaioObject
from connector.enaio.objdef import default_objdef
from connector.enaio.osrest import codec
from connector.enaio.osrest.client import OsrestClient
from connector.enaio.osrest.convert import to_enaio_object
from connector.enaio.query import (
    AncestorCondition,
    Condition,
    Deleted,
    Op,
    Query,
    Sort,
    System,
    any_of,
    eq,
    is_in,
)
from connector.errors import (
    ConflictError,
    LockedError,
    NotFoundError,
    PermanentError,
    ResponseFormatError,
    TransientError,
    ValidationError,
)
from tests.conftest import TEST_USERS, make_settings


def _client(server: EmulatorServer, user: str = "alice", **extra: object) -> OsrestClient:
    return OsrestClient(make_settings(server, "osrest", user, **extra))


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[OsrestClient]:
    c = _client(emulator)
    yield c
    c.close()


def _klient(client: OsrestClient, number: int, **fields: Any) -> int:
    values: dict[str, Any] = {
        "AKTENZEICHEN": f"IM-{number:04d}",
        "FAMILIENNAME": f"Name{number}",
        "VORNAMEN": "Vorname",
        "GESCHLECHT": "WEIBLICH",
        "UNTERBRINGUNGSART": "AU",
        "WOHNKOMMUNE": "Tübingen",
    }
    values.update(fields)
    return client.insert(NewObject("IM_KLIENT", None, values))


def _fall(client: OsrestClient, klient: int, **fields: Any) -> int:
    values: dict[str, Any] = {
        "FALLBEGINN": date(2024, 1, 15),
        "FALLSTATUS": "AKTIV",
        "INTEGRATIONSMANAGER": "P001",
        "REGIONALTEAM": "TUEBINGEN",
    }
    values.update(fields)
    return client.insert(NewObject("IM_FALL", klient, values))


def _plan(client: OsrestClient, fall: int, files: tuple[UploadFile, ...] = ()) -> int:
    return client.insert(
        NewObject(
            "IM_PLAN",
            fall,
            {
                "PLANART": "INTEGRATIONSPLAN",
                "PLANVERSION": 0,
                "ERSTELLT_AM": date(2024, 2, 1),
                "PLANSTATUS": "ENTWURF",
            },
            tables={
                "ZIELE": [
                    {
                        "HANDLUNGSFELD": "SPRACHE",
                        "ZIEL": "B1 erreichen",
                        "ZIELSTATUS": "OFFEN",
                        "FRIST": date(2024, 12, 31),
                    },
                    {"HANDLUNGSFELD": "WOHNEN", "ZIEL": "Wohnung", "ZIELSTATUS": "ERREICHT"},
                ]
            },
            files=files,
        )
    )


def _raw(server: EmulatorServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, f"{server.url}/osrest/api/{path}", auth=("alice", TEST_USERS["alice"]), timeout=10, **kwargs
    )


# -- round trip ---------------------------------------------------------------------------------------


def test_insert_get_update_roundtrip(client: OsrestClient, tmp_path: Path) -> None:
    klient = _klient(client, 1, GEBURTSDATUM=date(1990, 5, 17), IM_UEBERTRAGEN=1)
    fall = _fall(client, klient)
    plan = _plan(client, fall, files=(UploadFile("plan.pdf", "application/pdf", b"%PDF-1.4 test"),))

    obj = client.get(plan)
    assert obj.parent_id == fall
    assert obj.folder_id == klient
    assert obj.fields["PLANVERSION"] == 0
    assert obj.fields["ERSTELLT_AM"] == date(2024, 2, 1)
    assert obj.tables["ZIELE"][0] == {
        "HANDLUNGSFELD": "SPRACHE",
        "ZIEL": "B1 erreichen",
        "ZIELSTATUS": "OFFEN",
        "FRIST": date(2024, 12, 31),
    }
    assert obj.files[0].name == "plan.pdf"
    assert obj.files[0].size == 13
    assert obj.created.tzinfo is not None
    assert obj.created.microsecond == 0
    assert obj.creator == "alice"

    person = client.get(klient)
    assert person.parent_id is None
    assert person.folder_id is None
    assert person.fields["GEBURTSDATUM"] == date(1990, 5, 17)
    assert person.fields["IM_UEBERTRAGEN"] == 1
    assert client.get(fall).parent_id == klient

    client.update(klient, {"FAMILIENNAME": "Neu", "HAUSHALTSNUMMER": "H-1", "GEBURTSDATUM": None})
    changed = client.get(klient)
    assert changed.fields["FAMILIENNAME"] == "Neu"
    assert changed.fields["HAUSHALTSNUMMER"] == "H-1"
    assert "GEBURTSDATUM" not in changed.fields
    assert changed.fields["VORNAMEN"] == "Vorname"  # untouched fields stay

    target = tmp_path / "plan.pdf"
    info = client.download(plan, 1, target)
    assert target.read_bytes() == b"%PDF-1.4 test"
    assert info.mime_type == "application/pdf"

    client.update(plan, {}, files=[UploadFile("neu.txt", "text/plain", b"neu")], replace_files=True)
    assert [f.name for f in client.get(plan).files] == ["neu.txt"]
    client.update(plan, {}, files=[UploadFile("zwei.txt", "text/plain", b"2")])
    assert [f.name for f in client.get(plan).files] == ["neu.txt", "zwei.txt"]

    history = client.history(klient)
    assert [entry.action for entry in history][:2] == [2, 3]
    assert history[0].user == "alice"


def test_update_with_stale_modified_is_conflict(client: OsrestClient) -> None:
    klient = _klient(client, 1)
    before = client.get(klient)
    with pytest.raises(ConflictError):
        client.update(klient, {"FAMILIENNAME": "X"}, expected_modified=before.modified - timedelta(seconds=5))
    client.update(klient, {"FAMILIENNAME": "Y"}, expected_modified=before.modified)
    assert client.get(klient).fields["FAMILIENNAME"] == "Y"


def test_delete_recursive_restore_and_recycle_bin(client: OsrestClient, emulator: EmulatorServer) -> None:
    klient = _klient(client, 1)
    fall = _fall(client, klient)
    with pytest.raises(ValidationError):  # non-empty folder without recursive -> 400
        client.delete(klient)
    client.delete(klient, cascade=True)
    with pytest.raises(NotFoundError):
        client.get(fall)
    deleted = list(client.search(Query("IM_KLIENT", deleted=Deleted.ONLY)))
    assert [o.id for o in deleted] == [klient]
    assert deleted[0].deleted is True
    trash = _raw(emulator, "GET", "documents/trash").json()
    assert {int(item["osid"]) for item in trash} == {klient, fall}
    client.restore(klient)
    assert client.get(fall).parent_id == klient
    client.delete(fall, hard=True)
    with pytest.raises(NotFoundError):
        client.restore(fall)


def test_delete_whose_answer_is_lost_is_not_sent_again(
    emulator: EmulatorServer, client: OsrestClient
) -> None:
    """A committed delete whose answer got lost: TransientError, the object is gone, one DELETE only (a retry
    would have turned it into a NotFoundError)."""
    klient = _klient(client, 1)
    emulator.state.faults.set_rules(
        [FaultRule("drop_response", method="DELETE", path="documentfiles/delete", times=1)]
    )
    with pytest.raises(TransientError):
        client.delete(klient)
    assert emulator.state.faults.stats()["rules"][0]["matched"] == 1
    emulator.state.faults.clear()
    with pytest.raises(NotFoundError):
        client.get(klient)


def test_raw_delete_answers_true(emulator: EmulatorServer, client: OsrestClient) -> None:
    klient = _klient(client, 1)
    response = _raw(emulator, "DELETE", f"documentfiles/delete/{klient}", params={"recursive": "false"})
    assert response.status_code == 200
    assert response.text == "true"


def test_checkout_and_lock(emulator: EmulatorServer, client: OsrestClient) -> None:
    plan = _plan(client, _fall(client, _klient(client, 1)))
    client.checkout(plan)
    assert client.get(plan).locked_by == "alice"
    bob = _client(emulator, "bob")
    try:
        with pytest.raises(LockedError):
            bob.checkout(plan)
        with pytest.raises(LockedError):
            bob.update(plan, {"PLANSTATUS": "VEREINBART"})
    finally:
        bob.close()
    listing = _raw(emulator, "GET", "documentfiles/checkout").json()
    assert [int(item["osid"]) for item in listing] == [plan]
    client.undo_checkout(plan)
    assert client.get(plan).locked_by is None
    with pytest.raises(ConflictError):
        client.undo_checkout(plan)


def test_get_missing_is_not_found(client: OsrestClient, emulator: EmulatorServer) -> None:
    with pytest.raises(NotFoundError):
        client.get(987654)
    assert _raw(emulator, "GET", "documents/search/987654").status_code == 404
    body = _raw(emulator, "GET", "documents/search/987654/").json()
    assert body["HttpStatusCode"] == "Not Found - [404]"


# -- quirks ---------------------------------------------------------------------------------------------


def test_ids_come_as_strings_and_numbers(emulator: EmulatorServer, client: OsrestClient) -> None:
    klient = _klient(client, 1)
    fall = _fall(client, klient)
    found = _raw(emulator, "POST", "documents/search/", json={"query": {"internalName": "IM_FALL"}}).json()
    assert found[0]["osid"] == str(fall)  # string id (S3 style)
    assert isinstance(found[0]["objectTypeId"], int)  # number (S1 style)
    parents = _raw(emulator, "GET", f"documents/parents/{fall}").json()
    assert parents[0]["osid"] == klient  # number id
    assert client.parents(fall) == [klient]
    inserted = _raw(
        emulator,
        "POST",
        f"documents/insert/{klient}",
        files={"data": (None, json.dumps({"objectTypeId": "6488095", "fields": _fall_fields()}))},
    )
    assert inserted.status_code == 200
    assert inserted.text.isdigit()  # plain integer body


def _fall_fields() -> dict[str, Any]:
    return {
        "FALLBEGINN": {"value": "01.03.2024"},
        "FALLSTATUS": {"value": "AKTIV"},
        "INTEGRATIONSMANAGER": {"value": "P002"},
        "REGIONALTEAM": {"value": "ROTTENBURG"},
    }


def test_insert_accepts_pretty_json_and_path_file_part(
    emulator: EmulatorServer, client: OsrestClient
) -> None:
    fall = _fall(client, _klient(client, 1))
    data = {
        "objectTypeId": "262185",
        "fields": {
            "DATUM": {"value": "05.03.2024"},
            "KONTAKTART": {"value": "BERATUNG"},
            "INTEGRATIONSMANAGER": {"value": "P001"},
            "THEMEN": {"value": "SPRACHE;WOHNEN"},
        },
    }
    response = _raw(
        emulator,
        "POST",
        f"documents/insert/{fall}",
        files={
            "data": (None, json.dumps(data, indent=4, ensure_ascii=False)),
            "path": ("vermerk.txt", b"Vermerk", "text/plain"),
        },
    )
    assert response.status_code == 200
    obj = client.get(int(response.text))
    assert obj.fields["THEMEN"] == "SPRACHE;WOHNEN"
    assert obj.files[0].name == "vermerk.txt"


@pytest.mark.parametrize(
    ("params", "expected_form"),
    [({}, "dd.MM.yyyy"), ({"timestamps": "true"}, "epoch-ms"), ({"dateformat": "iso"}, "iso")],
)
def test_three_date_forms_from_the_emulator(
    emulator: EmulatorServer, client: OsrestClient, params: dict[str, str], expected_form: str
) -> None:
    klient = _klient(client, 1)
    reference = client.get(klient)
    raw = _raw(emulator, "GET", f"documents/search/{klient}", params=params)
    created = next(p["value"] for p in raw.json()["baseParameters"] if p["type"] == "CREATED")
    if expected_form == "epoch-ms":
        assert created.isdigit()
        assert len(created) == 13
    elif expected_form == "iso":
        assert "T" in created
        assert "+" in created
    else:
        assert (created[2], created[5]) == (".", ".")
    converted = to_enaio_object(codec.parse_object(raw.content), default_objdef(), client.tz)
    assert converted == reference


def test_empty_sort_field_gives_500_and_the_client_never_sends_it(
    emulator: EmulatorServer, client: OsrestClient
) -> None:
    body = {
        "query": {
            "objectTypeId": "12",
            "result_config": {"fieldsschema": [{"internalName": "", "sort_pos": 1}]},
        }
    }
    response = _raw(emulator, "POST", "documents/search", json=body)
    assert response.status_code == 500
    assert response.text.startswith("Search by example failed")
    assert "java.lang" in response.text
    with pytest.raises(ValidationError, match="sort field name is empty"):
        list(client.search(Query("IM_KLIENT", order_by=(Sort(""),))))
    # the transport turns the text body into a typed error naming its first line
    session = requests.Session()
    session.auth = ("alice", TEST_USERS["alice"])
    from connector.enaio.osrest.transport import OsrestTransport

    transport = OsrestTransport(client.endpoint, client.transport.http.options, "alice", TEST_USERS["alice"])
    try:
        with pytest.raises(PermanentError, match="Search by example failed"):
            transport.request(
                "POST",
                transport.url("documents", "search"),
                operation="osrest.search",
                idempotent=True,
                json=body,
            )
    finally:
        transport.close()


def test_sorting_and_wildcards(client: OsrestClient) -> None:
    ids = [
        _klient(client, n, FAMILIENNAME=name) for n, name in enumerate(["Meier", "Maier", "Mayer", "Schmidt"])
    ]
    by_name = list(client.search(Query("IM_KLIENT", order_by=(Sort("FAMILIENNAME", descending=True),))))
    assert [o.fields["FAMILIENNAME"] for o in by_name] == ["Schmidt", "Meier", "Mayer", "Maier"]
    star = list(client.search(Query("IM_KLIENT", where=Condition("FAMILIENNAME", Op.LIKE, ("M*er",)))))
    assert sorted(o.id for o in star) == ids[:3]
    question = list(client.search(Query("IM_KLIENT", where=Condition("FAMILIENNAME", Op.LIKE, ("Ma?er",)))))
    assert sorted(o.fields["FAMILIENNAME"] for o in question) == ["Maier", "Mayer"]
    literal = list(client.search(Query("IM_KLIENT", where=eq("FAMILIENNAME", "M*er"))))
    assert literal == []  # '=' is literal: the server's wildcard superset is cut down on the client


def test_null_in_comparisons_and_or_groups(client: OsrestClient) -> None:
    a = _klient(client, 1, GEBURTSDATUM=date(1980, 1, 1))
    b = _klient(client, 2, GEBURTSDATUM=date(2000, 6, 1))
    c = _klient(client, 3)

    def ids(where: Any) -> list[int]:
        return sorted(o.id for o in client.search(Query("IM_KLIENT", where=where)))

    assert ids(Condition("GEBURTSDATUM", Op.IS_NULL)) == [c]
    assert ids(Condition("GEBURTSDATUM", Op.NOT_NULL)) == [a, b]
    assert ids(Condition("GEBURTSDATUM", Op.GE, (date(1990, 1, 1),))) == [b]
    assert ids(Condition("GEBURTSDATUM", Op.LT, (date(1990, 1, 1),))) == [a]
    assert ids(Condition("GEBURTSDATUM", Op.BETWEEN, (date(1979, 1, 1), date(1981, 1, 1)))) == [a]
    assert ids(is_in("AKTENZEICHEN", ["IM-0001", "IM-0003"])) == [a, c]
    assert ids(any_of(eq("AKTENZEICHEN", "IM-0001"), eq("AKTENZEICHEN", "IM-0002"))) == [a, b]
    assert ids(Condition("AKTENZEICHEN", Op.NE, ("IM-0001",))) == [b, c]
    assert ids(eq(System.OBJECT_ID, b, system=True)) == [b]


def test_additional_queries_on_ancestors(client: OsrestClient, emulator: EmulatorServer) -> None:
    k1 = _klient(client, 1, WOHNKOMMUNE="Mössingen")
    k2 = _klient(client, 2, WOHNKOMMUNE="Rottenburg am Neckar")
    f1 = _fall(client, k1, REGIONALTEAM="MOESSINGEN")
    f2 = _fall(client, k2, REGIONALTEAM="ROTTENBURG")
    p1 = _plan(client, f1)
    _plan(client, f2)
    found = list(
        client.search(
            Query("IM_PLAN", ancestors=(AncestorCondition("IM_KLIENT", eq("WOHNKOMMUNE", "Mössingen")),))
        )
    )
    assert [o.id for o in found] == [p1]
    by_register = list(
        client.search(
            Query("IM_PLAN", ancestors=(AncestorCondition("IM_FALL", eq("REGIONALTEAM", "ROTTENBURG")),))
        )
    )
    assert [o.parent_id for o in by_register] == [f2]
    children = list(client.search(Query("IM_FALL", where=eq(System.FOLDER_ID, k1, system=True))))
    assert [o.id for o in children] == [f1]
    # the wire form itself (S3 pattern): documents filtered by their folder's fields
    body = {
        "query": {"objectTypeId": "262186", "result_config": {"fieldsschema_mode": "MIN", "parents": [{}]}},
        "additionalQueries": [{"objectTypeId": "12", "fields": {"Wohnkommune": {"value": "M*"}}}],
    }
    raw = _raw(emulator, "POST", "documents/search/", json=body).json()
    assert [int(item["osid"]) for item in raw] == [p1]
    assert raw[0]["ecmSimpleFields"] == []  # MIN
    assert [int(p["osid"]) for p in raw[0]["parents"]] == [f1, k1]
    assert raw[0]["parentCabinetKeyType"] == "Register"
    assert raw[0]["parentCabinetKey"] == "IM_FALL"


def test_paging_looks_ahead_a_bounded_way_and_stops_on_short_page(
    emulator: EmulatorServer, client: OsrestClient
) -> None:
    ids = [_klient(client, n) for n in range(7)]
    calls: list[dict[str, Any]] = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.request.url and "documents/search" in response.request.url:
            body = response.request.body
            calls.append(json.loads(body if isinstance(body, str | bytes) else b"{}"))

    client.transport.http.session.hooks["response"].append(hook)
    results = client.search(Query("IM_KLIENT", page_size=3))
    first = next(results)
    assert first.id == ids[0]
    assert 1 <= len(calls) <= 3  # lazy: prefetched at most two pages ahead of the caller
    rest = list(results)
    assert [o.id for o in [first, *rest]] == ids
    assert [c["query"]["result_config"]["offset"] for c in calls] == [0, 3, 6]
    calls.clear()
    assert len(list(client.search(Query("IM_KLIENT", page_size=7)))) == 7
    assert len(calls) == 2  # full page, then an empty one
    calls.clear()
    limited = list(client.search(Query("IM_KLIENT", page_size=3, max_hits=4)))
    assert [o.id for o in limited] == ids[:4]
    # paging parameters as query parameters and `page` work on the server too
    raw = _raw(
        emulator,
        "POST",
        "documents/search",
        params={"pagesize": "2", "page": "1"},
        json={"query": {"name": "IM_KLIENT"}},
    ).json()
    assert [int(item["osid"]) for item in raw] == ids[2:4]
    capped = _raw(
        emulator,
        "POST",
        "documents/search",
        json={"query": {"name": "IM_KLIENT", "result_config": {"maxhits": 5, "offset": 3}}},
    ).json()
    assert [int(item["osid"]) for item in capped] == ids[3:5]


def _repeating_server() -> tuple[waitress.server.BaseWSGIServer, str]:
    objdef_bytes = default_objdef().source_bytes
    page = json.dumps(
        [
            {
                "osid": n,
                "objectTypeId": 13,
                "baseParameters": [{"type": "CREATED", "value": "01.01.2024 10:00:00"}],
            }
            for n in (1, 2)
        ]
    ).encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.endswith("/objdef/global"):
            start_response("200 OK", [("Content-Type", "application/xml")])
            return [objdef_bytes]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [page]

    server = waitress.create_server(app, host="127.0.0.1", port=0)
    return server, f"http://127.0.0.1:{server.effective_port}"


def test_repeated_page_is_a_format_error() -> None:
    server, url = _repeating_server()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    client = OsrestClient(Settings(url=url, interface="osrest", username="x", password="y"))
    try:
        with pytest.raises(ResponseFormatError, match="same page twice"):
            list(client.search(Query("ORG_MITARBEITENDE", page_size=2)))
    finally:
        client.close()
        server.close()
        thread.join(timeout=5)


# -- incremental ---------------------------------------------------------------------------------------


def test_incremental_strategies_agree(emulator: EmulatorServer) -> None:
    server_client = _client(emulator)
    scan_client = _client(emulator, osrest_incremental="scan")
    try:
        old = [_klient(server_client, n) for n in range(3)]
        time.sleep(1.1)
        middle = datetime.now().astimezone()
        time.sleep(1.1)
        new = [_klient(server_client, n) for n in range(3, 5)]
        server_client.update(old[1], {"HAUSHALTSNUMMER": "H-9"})
        expected = sorted([*new, old[1]])
        for since in (middle, middle.replace(microsecond=500_000)):
            query = Query("IM_KLIENT", modified_since=since, page_size=2)
            by_server = sorted(o.id for o in server_client.search(query))
            by_scan = sorted(o.id for o in scan_client.search(query))
            assert by_server == by_scan == expected
        with_order = Query("IM_KLIENT", modified_since=middle, order_by=(Sort("AKTENZEICHEN"),))
        assert [o.id for o in scan_client.search(with_order)] == [
            o.id for o in server_client.search(with_order)
        ]
        future = datetime.now().astimezone() + timedelta(hours=1)
        assert list(scan_client.search(Query("IM_KLIENT", modified_since=future))) == []
        assert list(server_client.search(Query("IM_KLIENT", modified_since=future))) == []
    finally:
        server_client.close()
        scan_client.close()


def test_scan_stops_early(emulator: EmulatorServer) -> None:
    scan_client = _client(emulator, osrest_incremental="scan")
    try:
        for n in range(6):
            _klient(scan_client, n)
        time.sleep(1.1)
        since = datetime.now().astimezone().replace(microsecond=0)  # enaio stores whole seconds
        fresh = _klient(scan_client, 99)
        searches = 0

        def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            nonlocal searches
            searches += "documents/search" in (response.request.url or "")

        scan_client.transport.http.session.hooks["response"].append(hook)
        assert [o.id for o in scan_client.search(Query("IM_KLIENT", modified_since=since, page_size=2))] == [
            fresh
        ]
        assert searches == 1  # newest first: the first page already reaches older objects
    finally:
        scan_client.close()


# -- sessions ----------------------------------------------------------------------------------------------


def test_session_cookie_is_reused_and_renewed(emulator: EmulatorServer, client: OsrestClient) -> None:
    _klient(client, 1)
    assert client.transport.session_id is not None
    first_session = client.transport.session_id
    for _ in range(5):
        list(client.search(Query("IM_KLIENT")))
    assert client.transport.logins == 1
    assert client.transport.session_id == first_session
    emulator.state.expire_sessions()
    assert len(list(client.search(Query("IM_KLIENT")))) == 1  # 401 -> one re-login -> retried
    assert client.transport.logins == 2
    assert client.transport.session_id != first_session
    info = client.server_info()
    assert info.user == "alice"
    assert info.interface == "osrest"


def test_session_guid_parameter_and_401(emulator: EmulatorServer, client: OsrestClient) -> None:
    client.server_info()
    session = requests.get(
        f"{emulator.url}/osrest/api/session",
        cookies={"JSESSIONID": client.transport.session_id or ""},
        timeout=5,
    ).json()
    assert session["username"] == "alice"
    guid = session["sessionGuid"].lstrip("_")
    assert requests.get(
        f"{emulator.url}/osrest/api/serviceinfo/ping", params={"sessionguid": guid}, timeout=5
    ).ok
    assert requests.get(f"{emulator.url}/osrest/api/serviceinfo/ping", timeout=5).status_code == 401
    wrong = requests.get(f"{emulator.url}/osrest/api/serviceinfo", auth=("alice", "wrong"), timeout=5)
    assert wrong.status_code == 401
    assert "WWW-Authenticate" in wrong.headers
    stale = requests.get(f"{emulator.url}/osrest/api/serviceinfo", cookies={"JSESSIONID": "NOPE"}, timeout=5)
    assert stale.status_code == 401


def test_forbidden_with_session_triggers_one_relogin(
    faulty_emulator_factory: Callable[[list[FaultRule]], EmulatorServer],
) -> None:
    server = faulty_emulator_factory(
        [FaultRule(action="status", status=403, path="/osrest/api/documents/search", times=1)]
    )
    client = _client(server)
    try:
        client.object_definition()
        assert client.transport.logins == 1
        assert len(list(client.search(Query("ORG_MITARBEITENDE", max_hits=3)))) == 3
        assert client.transport.logins == 2
    finally:
        client.close()


def test_bad_password_is_authentication_error(emulator: EmulatorServer) -> None:
    from connector.errors import AuthenticationError

    client = OsrestClient(make_settings(emulator, "osrest", password="wrong"))
    try:
        with pytest.raises(AuthenticationError):
            client.server_info()
    finally:
        client.close()


def test_objdef_revalidation_and_type_endpoint(emulator: EmulatorServer, client: OsrestClient) -> None:
    first = client.object_definition()
    seen: list[int] = []
    client.transport.http.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.status_code))
    assert client.object_definition() is first
    assert seen == [304]
    one = _raw(emulator, "GET", "objdef/search/262186").json()
    assert one["internalName"] == "IM_PLAN"
    assert any(f["internalName"] == "ZIELE" and f["columns"] for f in one["fields"])
    assert _raw(emulator, "GET", "objdef/search/999999").status_code == 404
    assert _raw(emulator, "GET", "documents/cabinets").json() == ["IM", "ORG"]
    users = _raw(emulator, "GET", "organization/users").json()
    assert {u["name"] for u in users} == {"alice", "bob"}


def test_objdef_revalidation_without_last_modified_uses_the_server_date(
    emulator: EmulatorServer, client: OsrestClient
) -> None:
    """Without Last-Modified the validator is the answer's Date (GMT), never this host's clock or zone."""
    sent: list[str | None] = []

    def middleware(app: Any) -> Any:
        def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            if not environ["PATH_INFO"].endswith("/objdef/global"):
                return app(environ, start_response)
            sent.append(environ.get("HTTP_IF_MODIFIED_SINCE"))

            def strip(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                kept = [(k, v) for k, v in headers if k.lower() != "last-modified"]
                return start_response(status, kept, *rest)

            return app(environ, strip)

        return call

    emulator.app.wsgi_app = middleware(emulator.app.wsgi_app)  # type: ignore[method-assign]
    first = client.object_definition()
    assert client.object_definition() is first  # 304: the server's own date is not before its start
    assert sent[0] is None
    validator = sent[1]
    assert validator is not None
    assert validator.endswith(" GMT")
    moment = parsedate_to_datetime(validator)
    assert moment.utcoffset() == timedelta(0)
    assert abs((moment - datetime.now(UTC)).total_seconds()) < 60


def test_cabinet_folders(emulator: EmulatorServer, client: OsrestClient) -> None:
    ids = [_klient(client, n) for n in range(3)]
    listed = _raw(emulator, "GET", "documents/cabinets/IM", params={"pagesize": "2", "page": "1"}).json()
    assert [int(item["osid"]) for item in listed] == ids[2:]
    assert _raw(emulator, "GET", "documents/cabinets/NOPE").status_code == 404


def test_values_are_strings_on_the_wire(emulator: EmulatorServer) -> None:
    client = _client(emulator)
    try:
        staff = client.insert(
            NewObject(
                "ORG_MITARBEITENDE",
                None,
                {
                    "PERSONALNUMMER": "P1",
                    "NAME": "A",
                    "VZAE": Decimal("0.75"),
                    "GUELTIG_AB": date(2023, 1, 1),
                    "TRAEGER": "LANDRATSAMT",
                    "FOERDERFAEHIG": 1,
                },
            )
        )
        raw = _raw(emulator, "GET", f"documents/search/{staff}").json()
        assert all(isinstance(f["value"], str) for f in raw["ecmSimpleFields"])
        values = {f["internalName"]: f["value"] for f in raw["ecmSimpleFields"]}
        assert values["VZAE"] == "0.75"
        assert values["GUELTIG_AB"] == "01.01.2023"
        assert values["FOERDERFAEHIG"] == "1"
        obj: EnaioObject = client.get(staff)
        assert obj.fields["VZAE"] == Decimal("0.75")
    finally:
        client.close()
