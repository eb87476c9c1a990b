"""``SoapClient`` against the real emulator: jobs, MTOM both ways, locks, concurrency, paging, retries,
hardened parsing (also against hostile answers from a second local server), redacted logging."""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import waitress
from lxml import etree

from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.soap.envelope import JobAnswer, Output, render_response
from connector.enaio.emulator.soap.formats import ParsedQuery, render_lol
from connector.enaio.interface import NewObject, UploadFile
from connector.enaio.model import EnaioObject, ObjectKind
from connector.enaio.objdef import default_objdef
from connector.enaio.query import Condition, Group, Op, Query, Sort, all_of, any_of, eq, is_in
from connector.enaio.soap import codec
from connector.enaio.soap.client import SoapClient
from connector.errors import (
    AuthenticationError,
    ConflictError,
    LockedError,
    NotFoundError,
    TransientError,
    ValidationError,
)
from connector.logs import RedactionFilter
from connector.timeutil import zone
from connector.xmlsafe import XmlSecurityError
from tests.conftest import make_settings
from tests.test_scenarios import GOALS, fall, klient, plan
from tests.test_xmlsafe import BILLION_LAUGHS, _xxe

TZ = zone("Europe/Berlin")
# ends in CR LF: zeep's own MTOM decoding would strip it
BINARY = bytes(range(256)) * 40 + b"\r\n"


@pytest.fixture
def soap(any_emulator: EmulatorServer) -> Iterator[SoapClient]:
    client = SoapClient(make_settings(any_emulator, "soap"))
    yield client
    client.close()


@pytest.fixture
def bob(any_emulator: EmulatorServer) -> Iterator[SoapClient]:
    client = SoapClient(make_settings(any_emulator, "soap", "bob"))
    yield client
    client.close()


def _tree(api: SoapClient, key: str = "IM-S-1") -> tuple[int, int, int]:
    folder = api.insert(NewObject("IM_KLIENT", None, klient(key)))
    register = api.insert(NewObject("IM_FALL", folder, fall()))
    document = api.insert(
        NewObject(
            "IM_PLAN",
            register,
            plan(),
            tables={"ZIELE": GOALS},
            files=[
                UploadFile("plan.bin", "application/octet-stream", data=BINARY),
                UploadFile("notiz.txt", "text/plain", data=b"Zeile\n"),
            ],
        )
    )
    return folder, register, document


def test_server_info_objdef_and_type_lookup(soap: SoapClient) -> None:
    info = soap.server_info()
    assert info.interface == "soap"
    assert info.user == "alice"
    assert info.server_version
    objdef = soap.object_definition()
    assert objdef.etag == default_objdef().etag
    folder = soap.insert(NewObject("IM_KLIENT", None, klient("IM-S-0")))
    assert soap.object_type(folder).internal == "IM_KLIENT"


def test_wrong_password_is_authentication_error(any_emulator: EmulatorServer) -> None:
    client = SoapClient(make_settings(any_emulator, "soap", password="nope"))
    with pytest.raises(AuthenticationError) as caught:
        client.server_info()
    assert "nope" not in str(caught.value)
    client.close()


def test_wsdl_from_emulator_works_too(any_emulator: EmulatorServer) -> None:
    client = SoapClient(
        make_settings(any_emulator, "soap"), wsdl=any_emulator.url + "/osws/services/EcmWsMtom?wsdl"
    )
    assert client.server_info().user == "alice"
    client.close()


def test_mtom_upload_and_download_round_trip(soap: SoapClient, tmp_path: Path) -> None:
    _, _, document = _tree(soap)
    got = soap.get(document)
    assert [(f.name, f.mime_type, f.size) for f in got.files] == [
        ("plan.bin", "application/octet-stream", len(BINARY)),
        ("notiz.txt", "text/plain", 6),
    ]
    info = soap.download(document, 1, tmp_path / "plan.bin")
    assert (tmp_path / "plan.bin").read_bytes() == BINARY
    assert info.index == 1
    soap.download(document, 2, tmp_path / "notiz.txt")
    assert (tmp_path / "notiz.txt").read_bytes() == b"Zeile\n"
    with pytest.raises(NotFoundError):
        soap.download(document, 3, tmp_path / "x")
    # StoreInCache (by type) returns the same files
    result = soap._execute(
        "std.StoreInCache",
        {"Flags": 1, "dwObjectID": document, "dwObjectType": got.type_id, "DocState": 1, "FileCount": 0},
    )
    assert [f.content for f in result.files] == [BINARY, b"Zeile\n"]


def test_search_conditions(soap: SoapClient) -> None:
    folder, register, document = _tree(soap)
    other = soap.insert(NewObject("IM_KLIENT", None, klient("IM-S-2", GESCHLECHT="MAENNLICH")))

    def ids(query: Query) -> list[int]:
        return sorted(o.id for o in soap.search(query))

    assert ids(Query("IM_KLIENT", where=is_in("AKTENZEICHEN", ["IM-S-1", "IM-S-2"]))) == [folder, other]
    assert ids(Query("IM_KLIENT", where=Condition("AKTENZEICHEN", Op.NE, ("IM-S-1",)))) == [other]
    assert ids(Query("IM_KLIENT", where=Condition("AKTENZEICHEN", Op.LIKE, ("IM-S-*",)))) == [folder, other]
    between = Condition("GEBURTSDATUM", Op.BETWEEN, (date(1991, 1, 1), date(1991, 12, 31)))
    assert ids(Query("IM_KLIENT", where=between)) == [folder, other]
    assert ids(Query("IM_KLIENT", where=Condition("SPRACHNIVEAU_DEUTSCH", Op.IS_NULL))) == [folder, other]
    assert ids(Query("IM_KLIENT", where=Condition("GESCHLECHT", Op.NOT_NULL))) == [folder, other]
    nested = any_of(
        eq("GESCHLECHT", "MAENNLICH"), all_of(eq("AKTENZEICHEN", "IM-S-1"), eq("WOHNKOMMUNE", "Mössingen"))
    )
    assert ids(Query("IM_KLIENT", where=nested)) == [folder, other]
    assert ids(Query("IM_KLIENT", where=Group((), any_of=True))) == []
    assert ids(Query("IM_KLIENT", where=eq("OBJECT_ID", other, system=True))) == [other]
    # parent conditions: documents below a folder / register matching conditions
    from connector.enaio.query import AncestorCondition

    below = Query("IM_PLAN", ancestors=(AncestorCondition("IM_KLIENT", eq("AKTENZEICHEN", "IM-S-1")),))
    assert ids(below) == [document]
    below_reg = Query("IM_PLAN", ancestors=(AncestorCondition("IM_FALL", eq("FALLSTATUS", "AKTIV")),))
    assert ids(below_reg) == [document]
    assert ids(Query("IM_PLAN", ancestors=(AncestorCondition("IM_KLIENT", eq("AKTENZEICHEN", "X")),))) == []
    sorted_desc = [o.id for o in soap.search(Query("IM_KLIENT", order_by=(Sort("OBJECT_ID", True, True),)))]
    assert sorted_desc == [other, folder]
    plan_obj = next(iter(soap.search(Query("IM_PLAN"))))
    assert plan_obj.parent_id == register
    assert plan_obj.folder_id == folder
    assert plan_obj.kind is ObjectKind.DOCUMENT


def test_hol_result_list_and_field_schema_def(soap: SoapClient) -> None:
    folder, _, _ = _tree(soap)
    objdef = soap.objdef
    query = (
        b'<DMSQuery requesttype="HOL" baseparams="1"><Archive><ObjectType internal_name="IM_KLIENT">'
        b'<Fields field_schema="DEF"><Field internal_name="AKTENZEICHEN"/></Fields>'
        b"</ObjectType></Archive></DMSQuery>"
    )
    result = soap._execute("dms.GetResultList", {"Flags": 0, "XML": query, "Encoding": "UTF-8"})
    root = etree.fromstring(result.binary("XML"))
    assert root.get("format") == "HOL"
    assert root.findtext(".//Object/BaseParams/Creator") == "alice"
    objects = list(codec.read_content(result.binary("XML")))
    assert [o.id for o in objects] == [folder]
    # DEF in LOL: only the listed columns, default UTF-16 output
    lol = soap._execute(
        "dms.GetResultList",
        {"XML": query.replace(b'requesttype="HOL"', b'requesttype="LOL"')},
    )
    data = lol.binary("XML")
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff")
    rows = list(codec.read_content(data))
    assert rows[0].fields == {"AKTENZEICHEN": "IM-S-1"}
    assert objdef


def test_paging_offset_count_total(soap: SoapClient) -> None:
    ids = [soap.insert(NewObject("IM_KLIENT", None, klient(f"IM-P-{n}"))) for n in range(5)]
    # without OBJECT_LOCKUSER: the documented personality has no checkout user on folders
    xml = codec.build_query(Query("IM_KLIENT"), soap.objdef, TZ, refused={"OBJECT_LOCKUSER"})
    page = soap._execute("dms.GetResultList", {"XML": xml, "Encoding": "UTF-8", "Offset": 2, "PageSize": 2})
    assert page.integer("Count") == 2
    assert page.integer("TotalHits") == 5
    assert [w.id for w in codec.read_content(page.binary("XML"))] == ids[2:4]
    no_total = soap._execute("dms.GetResultList", {"XML": xml, "Encoding": "UTF-8", "MaxHits": 0})
    assert no_total.integer("TotalHits") == -1
    assert [o.id for o in soap.search(Query("IM_KLIENT", page_size=2))] == ids
    as_file = soap._execute("dms.GetResultList", {"Flags": 16, "XML": xml, "Encoding": "UTF-8"})
    assert len(as_file.files) == 1
    assert [w.id for w in codec.read_content(as_file.files[0].content)] == ids  # UTF-8 or UTF-16


_PAGE_SIZE = re.compile(rb"(<(?:\w+:)?name>PageSize</(?:\w+:)?name>\s*<(?:\w+:)?value[^>]*>)(\d+)")


def test_paging_follows_total_hits_past_a_server_cap(any_emulator: EmulatorServer, soap: SoapClient) -> None:
    """A server that answers fewer rows than PageSize asked for: TotalHits says when the search is done."""
    ids = [soap.insert(NewObject("IM_KLIENT", None, klient(f"IM-C-{n}"))) for n in range(7)]
    asked: list[int] = []

    def middleware(app: Any) -> Any:
        def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            if b"dms.GetResultList" in body:

                def cap(match: re.Match[bytes]) -> bytes:
                    asked.append(int(match.group(2)))
                    return match.group(1) + str(min(int(match.group(2)), 2)).encode()

                body = _PAGE_SIZE.sub(cap, body)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return app(environ, start_response)

        return call

    any_emulator.app.wsgi_app = middleware(any_emulator.app.wsgi_app)  # type: ignore[method-assign]
    assert [o.id for o in soap.search(Query("IM_KLIENT", page_size=5))] == ids
    # 2 + 2 + 2 + 1 rows, then Offset reaches TotalHits; documented: first OBJECT_LOCKUSER is refused once
    assert asked == [5] * (4 + any_emulator.state.documented)
    assert [o.id for o in soap.search(Query("IM_KLIENT", page_size=5, max_hits=3))] == ids[:3]


def test_every_query_is_sorted_by_object_id_last() -> None:
    """Offset paging is only stable under a total order: OBJECT_ID ascending ends every sort."""
    objdef = default_objdef()

    def sorting(query: Query) -> list[tuple[str | None, str | None, str | None]]:
        root = etree.fromstring(codec.build_query(query, objdef, TZ))
        fields = [f for f in root.iter("Field") if f.get("sortpos")]
        return sorted(
            ((f.get("sortpos"), f.get("internal_name"), f.get("sortorder")) for f in fields),
            key=lambda entry: int(entry[0] or 0),
        )

    assert sorting(Query("IM_KLIENT")) == [("1", "OBJECT_ID", "ASC")]
    by_name = Query("IM_KLIENT", order_by=(Sort("FAMILIENNAME", descending=True),))
    assert sorting(by_name) == [("1", "FAMILIENNAME", "DESC"), ("2", "OBJECT_ID", "ASC")]
    by_id = Query("IM_KLIENT", order_by=(Sort("OBJECT_ID", descending=True, system=True),))
    assert sorting(by_id) == [("1", "OBJECT_ID", "DESC")]


def test_download_is_written_to_a_part_file_and_renamed(soap: SoapClient, tmp_path: Path) -> None:
    _, _, document = _tree(soap)
    target = tmp_path / "plan.bin"
    target.write_bytes(b"old content")
    old = target.open("rb")  # a reader of the old file keeps seeing it whole
    before = target.stat().st_ino
    try:
        info = soap.download(document, 1, target)
        assert old.read() == b"old content"
    finally:
        old.close()
    assert target.read_bytes() == BINARY
    assert info.size == len(BINARY)
    assert target.stat().st_ino != before  # replaced by a rename, not overwritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.bin"]
    with pytest.raises(NotFoundError):  # no file 9
        soap.download(document, 9, target)
    assert target.read_bytes() == BINARY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.bin"]


def test_update_delete_move_restore_and_bins(soap: SoapClient) -> None:
    folder, register, document = _tree(soap)
    second = soap.insert(NewObject("IM_KLIENT", None, klient("IM-S-9")))
    reg2 = soap.insert(NewObject("IM_FALL", second, fall()))
    soap.move(document, reg2)
    moved = soap.get(document)
    assert moved.parent_id == reg2
    assert moved.folder_id == second
    assert [e.action for e in soap.history(document)][-1] == 21
    soap.delete(document)
    binned = soap.deleted_objects("IM_PLAN")
    assert [o.id for o in binned] == [document]
    assert binned[0].deleted
    assert [o.id for o in soap.deleted_objects(everyone=False)] == [document]
    with pytest.raises(ConflictError):  # not empty without DELETECASCADING
        soap.delete(folder)
    soap.delete(folder, cascade=True)
    soap.delete(folder, hard=True, cascade=True)
    with pytest.raises(NotFoundError):
        soap.get(register)


def test_concurrency_timestamp_conflict(soap: SoapClient) -> None:
    folder = soap.insert(NewObject("IM_KLIENT", None, klient("IM-C-1")))
    read = soap.get(folder)
    soap.update(folder, {"ERWERBSSTATUS": "SCHULE"}, expected_modified=read.modified)  # unchanged: fine
    time.sleep(1.1)  # enaio keeps whole seconds
    soap.update(folder, {"ERWERBSSTATUS": "SPRACHKURS"})
    with pytest.raises(ConflictError) as caught:
        soap.update(folder, {"ERWERBSSTATUS": "AUSBILDUNG"}, expected_modified=read.modified)
    assert caught.value.code == -1050
    assert soap.get(folder).fields["ERWERBSSTATUS"] == "SPRACHKURS"


def test_locks_and_checked_out_list(soap: SoapClient, bob: SoapClient) -> None:
    folder, _, document = _tree(soap)
    soap.checkout(document)
    with pytest.raises(LockedError) as caught:
        bob.checkout(document)
    assert caught.value.holder == "alice"
    assert caught.value.code == -1038
    with pytest.raises(LockedError):
        bob.undo_checkout(document)
    entries = soap.checked_out()
    assert [(e.object_id, e.type_id) for e in entries] == [(document, soap.get(document).type_id)]
    assert bob.checked_out() == []
    soap.undo_checkout(document)
    with pytest.raises(ConflictError) as checked_in:
        soap.undo_checkout(document)
    assert checked_in.value.code == -1037
    with pytest.raises(ConflictError) as no_pages:
        soap.checkout(folder)
    assert no_pages.value.code == -1041


def test_unknown_names_are_validation_errors(soap: SoapClient) -> None:
    with pytest.raises(ValidationError) as caught:
        soap._execute(
            "dms.GetResultList",
            {
                "XML": b'<DMSQuery><Archive><ObjectType internal_name="IM_KLIENT"><Conditions>'
                b'<ConditionObject internal_name="IM_KLIENT">'
                b'<FieldCondition internal_name="NOPE" operator="="><Value>x</Value>'
                b"</FieldCondition></ConditionObject></Conditions></ObjectType></Archive></DMSQuery>"
            },
        )
    assert caught.value.code == -1031
    assert caught.value.field == "NOPE"
    with pytest.raises(ValidationError) as caught_type:
        list(soap.search(Query("NO_SUCH_TYPE")))
    assert "NO_SUCH_TYPE" in str(caught_type.value)


# --- retries --------------------------------------------------------------------------------------


def test_idempotent_jobs_retried_writes_not(
    faulty_emulator_factory: Callable[[list[FaultRule]], EmulatorServer],
) -> None:
    server = faulty_emulator_factory(
        [FaultRule(action="status", status=503, interface="soap", times=2, retry_after=0.01)]
    )
    client = SoapClient(make_settings(server, "soap"))
    assert client.server_info().user == "alice"  # two 503s, then success
    client.object_definition()  # so that the next call is the insert itself
    server.state.faults.set_rules([FaultRule(action="reset", interface="soap", times=1)])
    with pytest.raises(TransientError):
        client.insert(NewObject("IM_KLIENT", None, klient("IM-R-1")))
    client.close()


# --- hardened parsing -----------------------------------------------------------------------------


def test_codecs_refuse_dtds(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    for hostile in (BILLION_LAUGHS, _xxe(secret)):
        with pytest.raises(XmlSecurityError):
            list(codec.read_content(hostile))
        with pytest.raises(XmlSecurityError):
            codec.read_history(hostile)


class _Hostile:
    """A second local server that answers every SOAP call with a fixed (hostile) body."""

    def __init__(self) -> None:
        self.body = b""
        self.content_type = "text/xml"
        self.server = waitress.create_server(self.app, host="127.0.0.1", port=0, threads=2)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.effective_port}"

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response(
            "200 OK", [("Content-Type", self.content_type), ("Content-Length", str(len(self.body)))]
        )
        return [self.body]


@pytest.fixture
def hostile() -> Iterator[_Hostile]:
    server = _Hostile()
    yield server
    server.server.close()


def _answer(**outputs: bytes) -> tuple[bytes, str]:
    answer = JobAnswer(outputs=[Output(name, "BASE64", value) for name, value in outputs.items()])
    return render_response("dms.GetObjectHistory", answer)


def test_hostile_answers_refused(hostile: _Hostile, tmp_path: Path) -> None:
    from connector.config import load_settings

    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    settings = load_settings(
        overrides={
            "url": hostile.url,
            "username": "alice",
            "password": "pw",
            "interface": "soap",
            "retry": {"max_attempts": 1},
        }
    )
    client = SoapClient(settings)
    # 1. the envelope itself carries a DTD (plain text/xml): zeep's guard, mapped to our typed error
    hostile.body = BILLION_LAUGHS.replace(b"<lolz>&lol9;</lolz>", b"<e/>")
    with pytest.raises(XmlSecurityError):
        client.server_info()
    hostile.body = _xxe(secret)
    with pytest.raises(XmlSecurityError):
        client.server_info()
    # 2. an MTOM answer whose root part carries a DTD: refused by our XOP resolution (xmlsafe)
    body, content_type = _answer(History=b"<DMSHistory/>")
    hostile.body = body.replace(
        b"<?xml version='1.0' encoding='UTF-8'?>", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'
    )
    hostile.content_type = content_type
    assert b"DOCTYPE" in hostile.body
    with pytest.raises(XmlSecurityError):
        client.history(1)
    # 3. a well-formed answer whose XML payload (base64) is an entity bomb
    hostile.body, hostile.content_type = _answer(History=BILLION_LAUGHS)
    with pytest.raises(XmlSecurityError):
        client.history(1)
    hostile.body, hostile.content_type = _answer(History=_xxe(secret))
    with pytest.raises(XmlSecurityError):
        client.history(1)
    client.close()


# --- streaming ------------------------------------------------------------------------------------


def test_large_lol_streams_with_iterparse() -> None:
    """20 000 rows read one by one from a file-like stream (rows cleared as they go)."""
    objdef = default_objdef()
    otype = objdef.type_by_name("IM_KLIENT")
    from datetime import datetime

    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=TZ)
    template = EnaioObject(
        id=0,
        type_id=otype.type_id,
        type_name=otype.internal,
        kind=otype.kind,
        fields={"AKTENZEICHEN": "IM-L"},
        created=now,
        creator="alice",
        modified=now,
        modifier="alice",
        owner="alice",
    )
    objects = (
        template.model_copy(update={"id": n + 1, "fields": {"AKTENZEICHEN": f"IM-L-{n}"}})
        for n in range(20_000)
    )
    pq = ParsedQuery(query=Query("IM_KLIENT"), otype=otype, listed=[(n, True) for n in codec.SYSTEM_COLUMNS])
    data = render_lol(objdef, pq, objects, "alice", TZ)
    count = 0
    last: EnaioObject | None = None
    from connector.enaio.soap.convert import to_object

    for wire in codec.read_content(io.BytesIO(data)):
        count += 1
        last = to_object(wire, objdef, TZ)
        assert wire.fields["AKTENZEICHEN"] == f"IM-L-{count - 1}"
    assert count == 20_000
    assert last is not None
    assert last.id == 20_000
    assert last.created == now
    assert last.owner == "alice"


# --- logging --------------------------------------------------------------------------------------


def test_logs_never_carry_credentials_or_bodies(
    any_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = SoapClient(make_settings(any_emulator, "soap"))
    handler_filter = RedactionFilter()
    caplog.handler.addFilter(handler_filter)
    assert logging.getLogger("zeep.transports").getEffectiveLevel() > logging.DEBUG
    with caplog.at_level(logging.DEBUG):
        client.insert(NewObject("IM_KLIENT", None, klient("IM-LOG-1")))
        list(client.search(Query("IM_KLIENT")))
    text = caplog.text
    assert "alice-secret" not in text
    assert "Al-Hassan" not in text
    assert "IM-LOG-1" not in text
    assert "job=dms.GetResultList" in text
    client.close()
