"""DMS room specifics against a real emulator on 127.0.0.1: paging and its loop guard, ETag revalidation,
the JSON error shape, multipart, moves, faults, malformed answers."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.enaio.client import EnaioClient
from connector.enaio.dms.client import DmsClient
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import NewObject, UploadFile
from connector.enaio.query import AncestorCondition, Query, eq
from connector.errors import (
    ConflictError,
    NotFoundError,
    PermanentError,
    ResponseFormatError,
    TransientError,
    ValidationError,
)
from tests.conftest import TEST_USERS
from tests.test_scenarios import GOALS, fall, klient, plan

ClientFactory = Callable[..., EnaioClient]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ALICE = ("alice", TEST_USERS["alice"])


@pytest.fixture
def dms(emulator: EmulatorServer, client_factory: ClientFactory) -> DmsClient:
    api = client_factory(emulator, "dms").api
    assert isinstance(api, DmsClient)
    return api


def url(server: EmulatorServer, path: str) -> str:
    return f"{server.url}/api/dms/{path}"


def wrap(server: EmulatorServer, middleware: Callable[[WsgiApp], WsgiApp]) -> None:
    """Put a WSGI middleware in front of the running emulator (the app object waitress calls)."""
    server.app.wsgi_app = middleware(server.app.wsgi_app)  # type: ignore[method-assign,assignment]


def rewrite_search_body(change: Callable[[dict[str, Any]], None]) -> Callable[[WsgiApp], WsgiApp]:
    def middleware(app: WsgiApp) -> WsgiApp:
        def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ["PATH_INFO"].endswith("/objects/search"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = json.loads(environ["wsgi.input"].read(length))
                change(body)
                raw = json.dumps(body).encode()
                environ["wsgi.input"] = io.BytesIO(raw)
                environ["CONTENT_LENGTH"] = str(len(raw))
            return app(environ, start_response)

        return call

    return middleware


def replace_answer(path_end: str, status: str, body: bytes) -> Callable[[WsgiApp], WsgiApp]:
    def middleware(app: WsgiApp) -> WsgiApp:
        def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ["PATH_INFO"].endswith(path_end):
                start_response(
                    status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
                )
                return [body]
            return app(environ, start_response)

        return call

    return middleware


def fill(dms: DmsClient, count: int) -> list[int]:
    return [dms.insert(NewObject("IM_KLIENT", None, klient(f"IM-D-{n:03d}"))) for n in range(count)]


def search_raw(server: EmulatorServer, statement: str, **query: Any) -> requests.Response:
    return requests.post(
        url(server, "objects/search"),
        json={"query": {"statement": statement, **query}},
        auth=ALICE,
        timeout=10,
    )


# --- search and paging ----------------------------------------------------------------------------------


def test_paging_metadata(emulator: EmulatorServer, dms: DmsClient) -> None:
    ids = fill(dms, 5)
    body = search_raw(
        emulator, "SELECT AKTENZEICHEN FROM IM_KLIENT ORDER BY system:objectId", skipCount=3, maxItems=2
    ).json()
    assert (body["numItems"], body["hasMoreItems"], body["totalNumItems"]) == (2, False, 5)
    first = body["objects"][0]["properties"]
    assert set(first) == {"system:objectId", "system:objectTypeId", "system:baseTypeId", "AKTENZEICHEN"}
    assert first["system:objectId"]["value"] == str(ids[3])
    assert first["system:objectTypeId"] == {"value": "12", "localName": "IM_KLIENT"}
    assert first["system:baseTypeId"]["value"] == "FOLDER"
    body = search_raw(emulator, "SELECT * FROM IM_KLIENT", maxItems=2).json()
    assert (body["numItems"], body["hasMoreItems"], body["totalNumItems"]) == (2, True, 5)
    assert body["objects"][0]["properties"]["GEBURTSDATUM"]["value"] == "1991-03-14"
    assert body["objects"][0]["properties"]["IM_UEBERTRAGEN"]["value"] == 1


def test_paging_runs_a_bounded_way_ahead(emulator: EmulatorServer, dms: DmsClient) -> None:
    """Pages are prefetched while the caller converts, but never more than two ahead of it (one waiting in
    the queue, one held by the worker), however long the caller dawdles."""
    ids = fill(dms, 7)
    seen: list[int] = []

    def count(body: dict[str, Any]) -> None:
        seen.append(body["query"]["skipCount"])

    wrap(emulator, rewrite_search_body(count))
    hits = dms.search(Query("IM_KLIENT", page_size=1))
    assert next(hits).id == ids[0]
    time.sleep(0.5)
    assert seen[0] == 0
    assert len(seen) <= 3
    assert [obj.id for obj in hits] == ids[1:]
    assert seen == list(range(7))
    seen.clear()
    assert len(list(dms.search(Query("IM_KLIENT", page_size=7)))) == 7
    assert seen == [0]  # hasMoreItems=false ends it without an empty page


def test_paging_guard_against_a_server_that_ignores_skip_count(
    emulator: EmulatorServer, dms: DmsClient
) -> None:
    fill(dms, 5)

    def ignore_skip(body: dict[str, Any]) -> None:
        body["query"]["skipCount"] = 0

    wrap(emulator, rewrite_search_body(ignore_skip))
    with pytest.raises(ResponseFormatError) as caught:
        list(dms.search(Query("IM_KLIENT", page_size=2)))
    assert caught.value.operation == "dms.search"
    assert "skipCount" in str(caught.value)


def test_paging_goes_on_while_the_server_says_more(emulator: EmulatorServer, dms: DmsClient) -> None:
    """A server that caps maxItems below the page size asked for answers short pages with hasMoreItems."""
    ids = fill(dms, 7)
    asked: list[int] = []

    def cap(body: dict[str, Any]) -> None:
        asked.append(body["query"]["maxItems"])
        body["query"]["maxItems"] = min(body["query"]["maxItems"], 2)

    wrap(emulator, rewrite_search_body(cap))
    assert [obj.id for obj in dms.search(Query("IM_KLIENT", page_size=5))] == ids
    assert asked == [5, 5, 5, 5]  # 2 + 2 + 2 + 1, then hasMoreItems=false
    assert [obj.id for obj in dms.search(Query("IM_KLIENT", page_size=5, max_hits=3))] == ids[:3]


def test_paging_falls_back_on_total_num_items(emulator: EmulatorServer, dms: DmsClient) -> None:
    ids = fill(dms, 5)

    def cap(body: dict[str, Any]) -> None:
        body["query"]["maxItems"] = min(body["query"]["maxItems"], 2)

    def without_has_more(app: WsgiApp) -> WsgiApp:
        def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if not environ["PATH_INFO"].endswith("/objects/search"):
                return app(environ, start_response)
            captured: list[Any] = []

            def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Callable[[bytes], None]:
                captured[:] = [status, headers]
                return lambda data: None

            body = json.loads(b"".join(app(environ, capture)))
            body.pop("hasMoreItems")
            raw = json.dumps(body).encode()
            headers = [(k, v) for k, v in captured[1] if k.lower() != "content-length"]
            start_response(captured[0], [*headers, ("Content-Length", str(len(raw)))])
            return [raw]

        return call

    wrap(emulator, rewrite_search_body(cap))
    wrap(emulator, without_has_more)
    assert [obj.id for obj in dms.search(Query("IM_KLIENT", page_size=4))] == ids


def test_ancestor_ids_go_in_bounded_batches(emulator: EmulatorServer, dms: DmsClient) -> None:
    folders = fill(dms, 5)
    cases = [dms.insert(NewObject("IM_FALL", folder, fall(REGIONALTEAM="TUEBINGEN"))) for folder in folders]
    dms.insert(NewObject("IM_FALL", folders[0], fall(REGIONALTEAM="MOESSINGEN")))
    in_lists: list[int] = []

    def record(body: dict[str, Any]) -> None:
        for value in body["query"]["parameters"].values():
            if isinstance(value, list):
                in_lists.append(len(value))

    wrap(emulator, rewrite_search_body(record))
    dms.ancestor_batch = 2
    query = Query(
        "IM_FALL",
        where=eq("REGIONALTEAM", "TUEBINGEN"),
        ancestors=(AncestorCondition("IM_KLIENT", eq("GESCHLECHT", "WEIBLICH")),),
    )
    assert sorted(obj.id for obj in dms.search(query)) == cases
    assert in_lists == [2, 2, 1]  # never one IN over every ancestor
    assert len(list(dms.search(replace(query, max_hits=3)))) == 3


def test_ancestor_conditions(dms: DmsClient) -> None:
    a = dms.insert(NewObject("IM_KLIENT", None, klient("IM-A-1", WOHNKOMMUNE="Tübingen")))
    b = dms.insert(NewObject("IM_KLIENT", None, klient("IM-A-2")))
    fall_a = dms.insert(NewObject("IM_FALL", a, fall(REGIONALTEAM="TUEBINGEN")))
    fall_b = dms.insert(NewObject("IM_FALL", b, fall()))
    plan_a = dms.insert(NewObject("IM_PLAN", fall_a, plan()))
    dms.insert(NewObject("IM_PLAN", fall_b, plan()))
    by_folder = Query("IM_PLAN", ancestors=(AncestorCondition("IM_KLIENT", eq("WOHNKOMMUNE", "Tübingen")),))
    assert [o.id for o in dms.search(by_folder)] == [plan_a]
    by_register = Query("IM_PLAN", ancestors=(AncestorCondition("IM_FALL", eq("REGIONALTEAM", "TUEBINGEN")),))
    assert [o.id for o in dms.search(by_register)] == [plan_a]
    nothing = Query("IM_PLAN", ancestors=(AncestorCondition("IM_KLIENT", eq("WOHNKOMMUNE", "Starzach")),))
    assert list(dms.search(nothing)) == []


# --- object definition ----------------------------------------------------------------------------------


def test_object_definition_is_revalidated_with_etag(emulator: EmulatorServer, dms: DmsClient) -> None:
    statuses: list[int] = []

    def middleware(app: WsgiApp) -> WsgiApp:
        def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            def record(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                if environ["PATH_INFO"].endswith("/schema/native"):
                    statuses.append(int(status.split()[0]))
                return start_response(status, headers, *rest)

            return app(environ, record)

        return call

    wrap(emulator, middleware)
    first = dms.object_definition()
    second = dms.object_definition()
    assert second is first
    assert statuses == [200, 304]
    assert first.etag == emulator.state.objdef.etag

    raw = requests.get(url(emulator, "schema/native"), auth=ALICE, timeout=10)
    assert raw.headers["ETag"] == f'"{first.etag}"'
    assert raw.content == emulator.state.objdef.source_bytes
    again = requests.get(
        url(emulator, "schema/native"), auth=ALICE, timeout=10, headers={"If-None-Match": raw.headers["ETag"]}
    )
    assert again.status_code == 304
    assert not again.content
    other = requests.get(
        url(emulator, "schema/native"), auth=ALICE, timeout=10, headers={"If-None-Match": '"x"'}
    )
    assert other.status_code == 200


# --- the error shape ------------------------------------------------------------------------------------


def assert_error(
    response: requests.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) <= {"code", "message", "field", "holder"}
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body.get("field") == field
    return body


def test_error_json_shape(emulator: EmulatorServer, dms: DmsClient) -> None:
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-E-1")))
    register = dms.insert(NewObject("IM_FALL", folder, fall()))
    document = dms.insert(NewObject("IM_PLAN", register, plan()))
    dms.checkout(document)

    unauthenticated = requests.get(url(emulator, "info"), timeout=10)
    assert_error(unauthenticated, 401, "UNAUTHORIZED")
    assert unauthenticated.headers["WWW-Authenticate"].startswith("Basic")
    assert_error(
        requests.get(url(emulator, "info"), auth=("alice", "wrong"), timeout=10), 401, "UNAUTHORIZED"
    )
    assert_error(requests.get(url(emulator, "objects/999999"), auth=ALICE, timeout=10), 404, "NOT_FOUND")
    assert_error(requests.get(url(emulator, "no/such/endpoint"), auth=ALICE, timeout=10), 404, "NOT_FOUND")
    assert_error(search_raw(emulator, "SELECT * FROM"), 400, "SYNTAX_ERROR")
    body = assert_error(search_raw(emulator, "SELECT * FROM IM_NIX"), 422, "UNKNOWN_OBJECT_TYPE", "IM_NIX")
    assert "IM_NIX" in body["message"]
    assert_error(search_raw(emulator, "SELECT * FROM IM_KLIENT WHERE NIX = 1"), 422, "UNKNOWN_FIELD", "NIX")
    assert_error(
        requests.post(url(emulator, "objects/search"), data=b"{not json", auth=ALICE, timeout=10),
        400,
        "INVALID_JSON",
    )

    def insert(props: dict[str, Any]) -> requests.Response:
        envelope = {"objects": [{"properties": {k: {"value": v} for k, v in props.items()}}]}
        return requests.post(url(emulator, "objects"), json=envelope, auth=ALICE, timeout=10)

    good = {"system:objectTypeId": "IM_KLIENT", **{k: str(v) for k, v in klient("IM-E-2").items()}}
    body = assert_error(insert({**good, "GESCHLECHT": "XX"}), 422, "INVALID_VALUE", "IM_KLIENT.GESCHLECHT")
    assert "'XX'" in body["message"]
    assert_error(insert({**good, "NIX": "1"}), 422, "UNKNOWN_FIELD", "NIX")
    assert_error(insert({**good, "system:objectTypeId": "IM_NIX"}), 422, "UNKNOWN_OBJECT_TYPE", "IM_NIX")
    assert_error(
        insert({**good, "GEBURTSDATUM": "31.02.1990"}), 422, "INVALID_VALUE", "IM_KLIENT.GEBURTSDATUM"
    )
    assert_error(
        insert({"system:objectTypeId": "IM_KLIENT"}), 422, "MISSING_REQUIRED", "IM_KLIENT.AKTENZEICHEN"
    )
    assert_error(
        insert({**good, "system:creationDate": "2018-01-01"}), 422, "READ_ONLY_FIELD", "system:creationDate"
    )
    assert insert(good).status_code == 200

    bob = ("bob", TEST_USERS["bob"])
    locked = assert_error(
        requests.put(url(emulator, f"objects/{document}/lock"), auth=bob, timeout=10), 423, "LOCKED"
    )
    assert locked["holder"] == "alice"
    patch = {"properties": {"PLANSTATUS": {"value": "VEREINBART"}}}
    assert_error(
        requests.patch(url(emulator, f"objects/{document}"), json=patch, auth=bob, timeout=10), 423, "LOCKED"
    )
    assert_error(
        requests.delete(url(emulator, f"objects/{folder}"), auth=ALICE, timeout=10), 409, "NOT_EMPTY"
    )
    assert_error(
        requests.delete(url(emulator, f"objects/{register}/lock"), auth=ALICE, timeout=10), 409, "NOT_LOCKED"
    )


def test_client_maps_errors(emulator: EmulatorServer, dms: DmsClient) -> None:
    with pytest.raises(NotFoundError) as not_found:
        dms.get(424242)
    assert not_found.value.operation == "dms.get"
    assert not_found.value.status == 404
    with pytest.raises(ValidationError) as invalid:
        dms.insert(NewObject("IM_KLIENT", None, klient("IM-E-3", GESCHLECHT="XX")))
    # checked before sending (catalogue keys are in the object definition): named by field, value not echoed
    assert invalid.value.field is not None
    assert invalid.value.field.endswith("GESCHLECHT")
    assert "XX" not in str(invalid.value)
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-E-4")))
    read = dms.get(folder)
    dms.update(folder, {"ERWERBSSTATUS": "SCHULE"}, expected_modified=read.modified)
    with pytest.raises(ConflictError):
        dms.update(folder, {"ERWERBSSTATUS": "STUDIUM"}, expected_modified=read.modified - timedelta(hours=1))
    assert dms.get(folder).fields["ERWERBSSTATUS"] == "SCHULE"


# --- malformed answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"objects": {"a": 1}}', "objects"),
        (b'{"objects": [{"properties": {"system:objectId": {"value": "x"}}}]}', "object"),
        (b'{"objects": [{"properties": {"system:objectId": {"value": "1"}}}]}', "system:objectTypeId"),
        (
            b'{"objects": [{"properties": {"system:objectId": {"value": "1"},'
            b' "system:objectTypeId": {"value": "12"},'
            b' "system:createdBy": {"value": "a"}, "system:lastModifiedBy": {"value": "a"},'
            b' "system:creationDate": {"value": "gestern"}}}]}',
            "system:creationDate",
        ),
    ],
)
def test_malformed_search_answer(emulator: EmulatorServer, dms: DmsClient, body: bytes, what: str) -> None:
    dms.object_definition()
    wrap(emulator, replace_answer("/objects/search", "200 OK", body))
    with pytest.raises(ResponseFormatError) as caught:
        list(dms.search(Query("IM_KLIENT")))
    assert caught.value.operation == "dms.search"
    assert what in str(caught.value)


def test_wrongly_typed_value_is_a_validation_error(emulator: EmulatorServer, dms: DmsClient) -> None:
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-V-1")))
    good = requests.get(url(emulator, f"objects/{folder}"), auth=ALICE, timeout=10).json()
    good["properties"]["GEBURTSDATUM"]["value"] = 19910314
    wrap(emulator, replace_answer(f"/objects/{folder}", "200 OK", json.dumps(good).encode()))
    with pytest.raises(ValidationError) as caught:
        dms.get(folder)
    assert caught.value.field == "IM_KLIENT.GEBURTSDATUM"
    assert caught.value.operation == "dms.get"


# --- writes on the wire -------------------------------------------------------------------------------


def test_multipart_insert_with_content_ids_and_zip_download(emulator: EmulatorServer, dms: DmsClient) -> None:
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-W-1")))
    register = dms.insert(NewObject("IM_FALL", folder, fall()))
    data = {
        "objects": [
            {
                "properties": {
                    "system:objectTypeId": {"value": "262186"},
                    "system:parentId": {"value": str(register)},
                    **{k: {"value": str(v) if isinstance(v, date) else v} for k, v in plan().items()},
                    "ZIELE": {"value": [{k: str(v) for k, v in row.items()} for row in GOALS]},
                },
                "contentStreams": [
                    {"cid": "a", "fileName": "Plan für Lîna.pdf", "mimeType": "application/pdf"},
                    {"cid": "b", "fileName": "notiz.txt", "mimeType": "text/plain"},
                ],
            }
        ]
    }
    files: dict[str, Any] = {
        "data": (None, json.dumps(data), "application/json"),
        "a": ("a.pdf", b"%PDF-1.4 a", "application/pdf", {"Content-ID": "<a>"}),
        "b": ("b.txt", b"notiz", "text/plain", {"Content-ID": "<b>"}),
    }
    answer = requests.post(url(emulator, "objects"), files=files, auth=ALICE, timeout=10)
    assert answer.status_code == 200, answer.text
    new_id = int(answer.json()["objects"][0]["properties"]["system:objectId"]["value"])
    got = dms.get(new_id)
    assert [f.name for f in got.files] == ["Plan für Lîna.pdf", "notiz.txt"]
    assert got.tables["ZIELE"][0]["FRIST"] == date(2018, 12, 31)

    one = requests.get(url(emulator, f"objects/{new_id}/contents/file/1"), auth=ALICE, timeout=10)
    assert one.content == b"%PDF-1.4 a"
    assert one.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''Plan%20f%C3%BCr%20L%C3%AEna.pdf" in one.headers["Content-Disposition"]
    both = requests.get(url(emulator, f"objects/{new_id}/contents/file"), auth=ALICE, timeout=10)
    assert both.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(both.content)) as archive:
        assert sorted(archive.namelist()) == ["01_Plan für Lîna.pdf", "02_notiz.txt"]
    assert (
        requests.get(url(emulator, f"objects/{new_id}/contents/file/3"), auth=ALICE, timeout=10).status_code
        == 404
    )

    minimal = requests.post(
        url(emulator, "objects"),
        params={"minimalResponse": "true"},
        json={
            "objects": [
                {"properties": {"system:objectId": {"value": str(new_id)}, "PLANVERSION": {"value": 1}}}
            ]
        },
        auth=ALICE,
        timeout=10,
    )
    assert minimal.json() == {"objects": [{"properties": {"system:objectId": {"value": str(new_id)}}}]}
    assert dms.get(new_id).fields["PLANVERSION"] == 1


def test_download_from_disk_upload_and_names(dms: DmsClient, tmp_path: Path) -> None:
    source = tmp_path / "gross.bin"
    source.write_bytes(bytes(range(256)) * 4096)  # 1 MiB, several chunks
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-F-1")))
    register = dms.insert(NewObject("IM_FALL", folder, fall()))
    document = dms.insert(
        NewObject(
            "IM_PLAN",
            register,
            plan(),
            files=[UploadFile("Anlage ä.bin", "application/octet-stream", path=source)],
        )
    )
    target = tmp_path / "out.bin"
    info = dms.download(document, 1, target)
    assert target.read_bytes() == source.read_bytes()
    assert (info.name, info.size) == ("Anlage ä.bin", source.stat().st_size)
    assert not (tmp_path / "out.bin.part").exists()
    with pytest.raises(NotFoundError):
        dms.download(document, 2, tmp_path / "none.bin")
    assert not (tmp_path / "none.bin").exists()


def test_patch_moves_and_clears(emulator: EmulatorServer, dms: DmsClient) -> None:
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-P-1")))
    first = dms.insert(NewObject("IM_FALL", folder, fall()))
    second = dms.insert(NewObject("IM_FALL", folder, fall(FALLBEGINN=date(2019, 1, 1))))
    document = dms.insert(NewObject("IM_PLAN", first, plan()))
    answer = requests.patch(
        url(emulator, f"objects/{document}"),
        json={
            "properties": {
                "system:parentId": {"value": str(second)},
                "NAECHSTE_UEBERPRUEFUNG": {"value": None},
            }
        },
        auth=ALICE,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    moved = dms.get(document)
    assert moved.parent_id == second
    assert moved.folder_id == folder
    assert "NAECHSTE_UEBERPRUEFUNG" not in moved.fields
    assert [o.id for o in dms.search(Query("IM_PLAN", where=eq("SDREG_ID", second, system=True)))] == [
        document
    ]
    assert [h.action for h in dms.history(document)][-1] == 21


def test_history_pages(emulator: EmulatorServer, dms: DmsClient) -> None:
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-H-1")))
    for n in range(260):  # more than one client page of 200
        dms.update(folder, {"HAUSHALTSNUMMER": f"H{n}"})
    entries = dms.history(folder)
    assert len(entries) == 261
    assert entries[0].action == 2
    assert entries[-1].description == "HAUSHALTSNUMMER"
    assert [e.time for e in entries] == sorted(e.time for e in entries)
    raw = requests.get(url(emulator, f"objects/{folder}/history"), auth=ALICE, timeout=10).json()
    assert len(raw["objects"]) == 50  # the documented default page size
    assert raw["objects"][0]["properties"]["action"]["value"] == 3  # newest first


def test_deleted_documents_modes(emulator: EmulatorServer, dms: DmsClient) -> None:
    ids = fill(dms, 3)
    dms.delete(ids[1])
    statement = "SELECT system:deleted FROM IM_KLIENT"
    only = search_raw(emulator, statement, handleDeletedDocuments="DELETED_DOCUMENTS_ONLY").json()
    assert [o["properties"]["system:objectId"]["value"] for o in only["objects"]] == [str(ids[1])]
    assert only["objects"][0]["properties"]["system:deleted"]["value"] is True
    default = search_raw(emulator, statement).json()
    assert default["totalNumItems"] == 2
    assert_error(search_raw(emulator, statement, handleDeletedDocuments="MAYBE"), 400, "INVALID_REQUEST")
    with pytest.raises(NotFoundError):
        dms.get(ids[1])
    garbage = requests.get(
        url(emulator, f"objects/{ids[1]}"), params={"garbageMode": "true"}, auth=ALICE, timeout=10
    )
    assert garbage.json()["properties"]["system:deleted"]["value"] is True


# --- faults ---------------------------------------------------------------------------------------------


def test_search_is_retried_but_insert_is_not(emulator: EmulatorServer, dms: DmsClient) -> None:
    ids = fill(dms, 3)
    emulator.state.faults.set_rules([FaultRule("status", path="/objects/search$", status=503, every=2)])
    assert [o.id for o in dms.search(Query("IM_KLIENT", page_size=1))] == ids  # some pages needed a retry
    emulator.state.faults.set_rules(
        [FaultRule("status", path="/objects$", method="POST", status=503, times=1)]
    )
    with pytest.raises(TransientError):
        dms.insert(NewObject("IM_KLIENT", None, klient("IM-T-1")))
    emulator.state.faults.set_rules([])
    assert len(list(dms.search(Query("IM_KLIENT")))) == 3  # the refused insert did not happen


def test_expired_session_and_truncated_download(
    emulator: EmulatorServer, dms: DmsClient, tmp_path: Path
) -> None:
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-T-2")))
    register = dms.insert(NewObject("IM_FALL", folder, fall()))
    payload = b"x" * 300_000
    document = dms.insert(
        NewObject("IM_PLAN", register, plan(), files=[UploadFile("p.bin", "application/pdf", data=payload)])
    )
    emulator.state.faults.set_rules([FaultRule("expire_session", interface="dms")])
    assert dms.get(document).id == document  # one 401, one re-login, then success
    emulator.state.faults.set_rules([FaultRule("truncate", path="/contents/file/1$", times=1)])
    info = dms.download(document, 1, tmp_path / "p.bin")
    assert (tmp_path / "p.bin").read_bytes() == payload
    assert info.size == len(payload)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            "500 Internal Server Error",
            {"message": "Job dms.GetResultList failed for 'Al-Hassan'"},
            PermanentError,
        ),
        (
            "422 Unprocessable Entity",
            {"errorCode": 1031, "errorMessage": "Unknown field 'Al-Hassan'"},
            ValidationError,
        ),
        (
            "404 Not Found",
            {"status": 404, "error": "Not Found", "message": "Object 'Al-Hassan' not found"},
            NotFoundError,
        ),
    ],
)
def test_server_text_reaches_the_user_without_values(
    emulator: EmulatorServer, dms: DmsClient, status: str, body: dict[str, Any], error: type[Exception]
) -> None:
    # every plausible error shape: the server's words are in the error, the quoted value is not
    wrap(emulator, replace_answer("/objects/search", status, json.dumps(body).encode()))
    with pytest.raises(error) as caught:
        list(dms.search(Query("IM_KLIENT")))
    text = str(caught.value)
    words = str(body.get("message") or body.get("errorMessage")).split(" '")[0]
    assert words in text
    assert "Al-Hassan" not in text
