"""The SOAP room against both emulator personalities (issue 10): locations per object kind, learned refusals
of optional system columns, UTF-16 answers, page caps, the server's own error text, writes; plus hand-built
wire objects for the location variants no personality sends."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.soap import jobs as emulator_jobs
from connector.enaio.interface import NewObject, UploadFile
from connector.enaio.model import ObjectKind
from connector.enaio.objdef import default_objdef
from connector.enaio.query import Deleted, Query, Sort, System, eq
from connector.enaio.soap import codec
from connector.enaio.soap.client import SoapClient
from connector.enaio.soap.convert import location, lock, owner, to_object
from connector.enaio.soap.transport import JobParamValue, refused
from connector.enaio.soap.wire import JobError, JobResult, WireObject
from connector.errors import (
    ConflictError,
    LockedError,
    NotFoundError,
    PermanentError,
    ResponseFormatError,
    ValidationError,
)
from connector.timeutil import zone
from tests.conftest import make_settings
from tests.test_scenarios import GOALS, fall, klient, plan

TZ = zone("Europe/Berlin")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@pytest.fixture
def soap(any_emulator: EmulatorServer) -> Iterator[SoapClient]:
    client = SoapClient(make_settings(any_emulator, "soap"))
    yield client
    client.close()


def _tree(api: SoapClient, key: str = "IM-P-1") -> tuple[int, int, int]:
    folder = api.insert(NewObject("IM_KLIENT", None, klient(key)))
    register = api.insert(NewObject("IM_FALL", folder, fall()))
    document = api.insert(
        NewObject(
            "IM_PLAN",
            register,
            plan(),
            tables={"ZIELE": GOALS},
            files=[UploadFile("plan.txt", "text/plain", data=b"Plan\n")],
        )
    )
    return folder, register, document


def _counting(server: EmulatorServer, job: bytes) -> list[bytes]:
    """Every request body naming ``job``, recorded by a WSGI wrapper around the emulator (no mock)."""
    seen: list[bytes] = []
    inner = server.app.wsgi_app

    def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if job in body:
            seen.append(body)
        environ["wsgi.input"] = io.BytesIO(body)
        return inner(environ, start_response)

    server.app.wsgi_app = call  # type: ignore[method-assign]
    return seen


# --- locations ------------------------------------------------------------------------------------------


def test_registers_and_documents_keep_their_folder_and_parent(soap: SoapClient) -> None:
    folder, register, document = _tree(soap)
    for found in (next(iter(soap.search(Query("IM_FALL")))), soap.get(register)):
        assert (found.id, found.kind) == (register, ObjectKind.REGISTER)
        assert (found.folder_id, found.parent_id) == (folder, folder)
    for found in (next(iter(soap.search(Query("IM_PLAN")))), soap.get(document)):
        assert (found.folder_id, found.parent_id) == (folder, register)
    for found in (next(iter(soap.search(Query("IM_KLIENT")))), soap.get(folder)):
        assert (found.folder_id, found.parent_id) == (None, None)


def test_children_by_folder_or_register_condition(soap: SoapClient) -> None:
    """Neutral folder/register conditions become each kind's own columns (registers: REG_STAID/REG_PARID)."""
    folder, register, document = _tree(soap, "IM-K-1")
    other, other_register, _ = _tree(soap, "IM-K-2")
    cases = Query("IM_FALL", where=eq(System.FOLDER_ID, folder, system=True))
    assert [o.id for o in soap.search(cases)] == [register]
    nested = Query("IM_FALL", where=eq(System.REGISTER_ID, register, system=True))
    assert list(soap.search(nested)) == []  # no register nests in a register of this site
    plans = Query("IM_PLAN", where=eq(System.REGISTER_ID, register, system=True))
    assert [o.id for o in soap.search(plans)] == [document]
    assert [o.id for o in soap.search(Query("IM_FALL", where=eq(System.FOLDER_ID, other, system=True)))] == [
        other_register
    ]
    root = etree.fromstring(codec.build_query(cases, soap.objdef, TZ))
    assert [c.get("internal_name") for c in root.iter("FieldCondition")] == ["REG_STAID"]
    assert codec.location_condition_field("SDSTA_ID", ObjectKind.REGISTER, {"REG_STAID"}) == "FOLDERID"
    assert codec.location_condition_field("SDREG_ID", ObjectKind.DOCUMENT) == "SDREG_ID"


def test_each_kind_is_asked_for_its_own_location_columns() -> None:
    objdef = default_objdef()

    def asked(type_name: str) -> set[str]:
        root = etree.fromstring(codec.build_query(Query(type_name), objdef, TZ))
        return {f.get("internal_name") or "" for f in root.iter("Field") if f.get("system") == "1"}

    location_columns = {"SDSTA_ID", "SDREG_ID", "REG_STAID", "REG_PARID", "FOLDERID", "REGISTERID"}
    assert asked("IM_FALL") & location_columns == {"REG_STAID", "REG_PARID"}
    assert asked("IM_PLAN") & location_columns == {"SDSTA_ID", "SDREG_ID"}
    assert asked("IM_KLIENT") & location_columns == set()
    # a refused kind column gives way to the record's generic helper
    assert "FOLDERID" in codec.system_columns(ObjectKind.REGISTER, {"REG_STAID"})
    assert "REG_STAID" not in codec.system_columns(ObjectKind.REGISTER, {"REG_STAID"})
    assert "REGISTERID" in codec.system_columns(ObjectKind.DOCUMENT, {"SDREG_ID"})


def _wire(object_id: int, kind: ObjectKind, **system: str) -> WireObject:
    type_id = {ObjectKind.REGISTER: 6488095, ObjectKind.DOCUMENT: 262186, ObjectKind.FOLDER: 12}[kind]
    return WireObject(id=object_id, type_id=type_id, type_name="", maintype=type_id >> 16, system=system)


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        # (folder, parent register) of register 50 in folder 10
        ({"REG_STAID": "10", "REG_PARID": "0"}, (10, None)),  # filed in the folder
        ({"REG_STAID": "10", "REG_PARID": ""}, (10, None)),  # "" = none, as 0
        ({"REG_STAID": "10", "REG_PARID": "40"}, (10, 40)),  # nested in register 40
        ({"FOLDERID": "10", "PARENTREGID": "40"}, (10, 40)),  # generic helpers only
        ({"FOLDERID": "10", "REGISTERID": "50"}, (10, None)),  # REGISTERID = itself: no parent register
        ({"FOLDERID": "10", "REGISTERID": "40"}, (10, 40)),  # REGISTERID = its parent register
        ({"FOLDERID": "10", "REGISTERID": "-1"}, (10, None)),
        # a document's location record on a register is no location: REG_STAID decides
        ({"SDSTA_ID": "99", "SDREG_ID": "98", "REG_STAID": "10", "REG_PARID": "0"}, (10, None)),
    ],
)
def test_register_location_variants(system: dict[str, str], expected: tuple[int, int | None]) -> None:
    assert location(_wire(50, ObjectKind.REGISTER, **system), ObjectKind.REGISTER) == expected


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ({"SDSTA_ID": "10", "SDREG_ID": "50"}, (10, 50)),
        ({"SDSTA_ID": "10", "SDREG_ID": "0"}, (10, None)),  # filed directly in the folder
        ({"FOLDERID": "10", "REGISTERID": "50"}, (10, 50)),
        ({"SDSTA_ID": "10", "REGISTERID": "50"}, (10, 50)),
    ],
)
def test_document_location_variants(system: dict[str, str], expected: tuple[int, int | None]) -> None:
    assert location(_wire(70, ObjectKind.DOCUMENT, **system), ObjectKind.DOCUMENT) == expected


def test_a_register_without_a_folder_column_is_an_error_not_a_lost_case() -> None:
    # only SDSTA_ID (a document's column) for a register: the client does not take it
    with pytest.raises(ResponseFormatError, match="REG_STAID/FOLDERID"):
        location(_wire(50, ObjectKind.REGISTER, SDSTA_ID="10"), ObjectKind.REGISTER)
    with pytest.raises(ResponseFormatError, match="SDSTA_ID/FOLDERID"):
        location(_wire(70, ObjectKind.DOCUMENT, REG_STAID="10"), ObjectKind.DOCUMENT)
    with pytest.raises(ResponseFormatError, match="unreadable"):
        location(_wire(50, ObjectKind.REGISTER, REG_STAID="zehn"), ObjectKind.REGISTER)


def test_deleted_from_the_flag_or_from_the_recycle_bin() -> None:
    objdef = default_objdef()
    base = _wire(1, ObjectKind.FOLDER, OBJECT_CRDATE="1525255200", OBJECT_MODIFYTIME="1525255200")
    assert not to_object(base, objdef, TZ).deleted  # no OBJECT_DELETED: not deleted (a live search)
    assert to_object(base, objdef, TZ, in_recycle_bin=True).deleted  # read from the bin: deleted
    for flag in ("1", "-1", "true", "TRUE"):
        flagged = base.model_copy(update={"system": {**base.system, "OBJECT_DELETED": flag}})
        assert to_object(flagged, objdef, TZ).deleted, flag
    unflagged = base.model_copy(update={"system": {**base.system, "OBJECT_DELETED": "0"}})
    assert not to_object(unflagged, objdef, TZ).deleted


def test_owner_and_lock_in_every_plausible_form() -> None:
    guid = "0123456789ABCDEF0123456789ABCDEF"
    base = WireObject(id=1, type_id=12, type_name="", maintype=0)
    assert owner(base.model_copy(update={"system": {"OBJECT_USERGUID": "alice"}})) == "alice"
    named = base.model_copy(
        update={"system": {"OBJECT_USERGUID": guid}, "system_text": {"OBJECT_USERGUID": "alice"}}
    )
    assert owner(named) == "alice"
    bare = base.model_copy(
        update={"system": {"OBJECT_USERGUID": guid}, "system_text": {"OBJECT_USERGUID": guid}}
    )
    assert owner(bare) == ""  # a GUID is not a login: unknown
    assert owner(base) == ""
    assert lock(base) == (False, None)  # not delivered: unknown, not "unlocked"
    free = base.model_copy(
        update={"system": {"OBJECT_LOCKUSER": "0"}, "system_text": {"OBJECT_LOCKUSER": "UNLOCKED"}}
    )
    assert lock(free) == (True, None)
    by_id = base.model_copy(
        update={"system": {"OBJECT_LOCKUSER": "1234"}, "system_text": {"OBJECT_LOCKUSER": "bob"}}
    )
    assert lock(by_id) == (True, "bob")
    by_name = base.model_copy(update={"system": {"OBJECT_LOCKUSER": "bob"}})
    assert lock(by_name) == (True, "bob")


# --- documented personality: what it refuses, and how the client copes --------------------------------


def test_documented_refuses_a_documents_columns_on_registers(
    any_emulator: EmulatorServer, soap: SoapClient
) -> None:
    folder, _, _ = _tree(soap)
    # without OBJECT_LOCKUSER, which the documented personality refuses on registers first
    root = etree.fromstring(codec.build_query(Query("IM_FALL"), soap.objdef, TZ, refused={"OBJECT_LOCKUSER"}))
    fields = root.find("Archive/ObjectType/Fields")
    assert fields is not None
    etree.SubElement(fields, "Field", internal_name="SDSTA_ID", system="1")
    xml = etree.tostring(root)
    params: dict[str, JobParamValue] = {"XML": xml, "Encoding": "UTF-8"}
    if any_emulator.state.documented:
        with pytest.raises(ValidationError) as caught:
            soap._execute("dms.GetResultList", params)
        assert caught.value.field == "SDSTA_ID"
        assert caught.value.code == -1031
        assert "could not be found" in caught.value.message
    else:  # the default personality hands out SDSTA_ID for registers too; the client does not read it
        assert soap._execute("dms.GetResultList", params).integer("Count") == 1
    # the same for a condition: a register's folder condition must name REG_STAID
    query = Query("IM_FALL", where=eq(System.FOLDER_ID, folder, system=True))
    text = codec.build_query(query, soap.objdef, TZ, refused={"OBJECT_LOCKUSER"})
    as_document = {**params, "XML": text.replace(b'internal_name="REG_STAID"', b'internal_name="SDSTA_ID"')}
    if any_emulator.state.documented:
        with pytest.raises(ValidationError) as refused_condition:
            soap._execute("dms.GetResultList", as_document)
        assert refused_condition.value.field == "SDSTA_ID"
    else:
        assert soap._execute("dms.GetResultList", as_document).integer("Count") == 1
    assert soap._execute("dms.GetResultList", {**params, "XML": text}).integer("Count") == 1


def test_refused_optional_column_is_learned_once_per_run(
    any_emulator: EmulatorServer, soap: SoapClient
) -> None:
    folder, _, document = _tree(soap)
    calls = _counting(any_emulator, b"dms.GetResultList")
    first = [o.id for o in soap.search(Query("IM_KLIENT"))]
    again = [o.id for o in soap.search(Query("IM_KLIENT"))]
    assert first == again == [folder]
    if any_emulator.state.documented:
        # folders have no checkout user in the record: refused once (1 call), asked without it (2, 3)
        assert len(calls) == 3
        assert soap._refused == {"IM_KLIENT": {"OBJECT_LOCKUSER"}}
        assert soap.get(folder).lock_known is False
        assert next(iter(soap.search(Query("IM_KLIENT")))).lock_known is False
    else:
        assert len(calls) == 2
        assert soap._refused == {}
        assert soap.get(folder).lock_known is True
    got = soap.get(document)
    assert got.lock_known is True
    assert got.locked_by is None
    assert got.owner == "alice"  # documented: a GUID as value, the name as display text


def test_documented_answers_are_utf16_and_parsed(any_emulator: EmulatorServer, soap: SoapClient) -> None:
    folder = soap.insert(NewObject("IM_KLIENT", None, klient("IM-U-1", VORNAMEN="Lîna Müller-Straße")))
    xml = codec.build_query(Query("IM_KLIENT"), soap.objdef, TZ, refused={"OBJECT_LOCKUSER"})
    result = soap._execute("dms.GetResultList", {"XML": xml, "Encoding": "UTF-8"})
    content = result.binary("XML")
    envelope = requests.post(
        any_emulator.url + "/osws/services/EcmWsMtom",
        data=b"<not-soap/>",
        headers={"Content-Type": "text/xml"},
        timeout=10,
    )
    if any_emulator.state.documented:
        assert content[:2] in UTF16_BOMS  # asked for UTF-8, answered in UTF-16
        assert "UTF-16" in envelope.headers["Content-Type"]
        assert envelope.content[:2] in UTF16_BOMS
    else:
        assert content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
        assert "UTF-8" in envelope.headers["Content-Type"]
    assert [w.fields["VORNAMEN"] for w in codec.read_content(content)] == ["Lîna Müller-Straße"]
    # documented: LOL columns carry no system="1" (the record's example has none); known names still count
    marked = {c.get("internal_name"): c.get("system") for c in etree.fromstring(content).iter("Column")}
    assert marked["OBJECT_ID"] == (None if any_emulator.state.documented else "1")
    wire = next(codec.read_content(content))
    assert wire.system["OBJECT_ID"] == str(folder)
    assert "OBJECT_ID" not in wire.fields
    # documented: LOL dates in the record's yyyy-mm-dd form; typed the same either way
    iso = any_emulator.state.documented
    assert wire.fields["GEBURTSDATUM"] == ("1991-03-14" if iso else "14.03.1991")
    assert soap.get(folder).fields["GEBURTSDATUM"] == date(1991, 3, 14)
    assert soap.get(folder).fields["VORNAMEN"] == "Lîna Müller-Straße"
    assert [o.fields["VORNAMEN"] for o in soap.search(Query("IM_KLIENT"))] == ["Lîna Müller-Straße"]


def test_search_pages_across_the_documented_cap(
    any_emulator: EmulatorServer, soap: SoapClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulator_jobs, "DOCUMENTED_PAGE_CAP", 3)
    ids = [soap.insert(NewObject("IM_KLIENT", None, klient(f"IM-C-{n}"))) for n in range(8)]
    xml = codec.build_query(Query("IM_KLIENT"), soap.objdef, TZ, refused={"OBJECT_LOCKUSER"})
    for size in (5, -1):
        page = soap._execute("dms.GetResultList", {"XML": xml, "Encoding": "UTF-8", "PageSize": size})
        assert page.integer("TotalHits") == 8  # the whole count, whatever the page holds
        expected = 3 if any_emulator.state.documented else min(8, size if size > 0 else 8)
        assert page.integer("Count") == expected
    calls = _counting(any_emulator, b"dms.GetResultList")
    assert [o.id for o in soap.search(Query("IM_KLIENT", page_size=5))] == ids
    # documented: OBJECT_LOCKUSER refused once, then 3 + 3 + 2 rows (8 = TotalHits ends it); default: 5 + 3
    assert len(calls) == (1 + 3 if any_emulator.state.documented else 2)
    descending = [o.id for o in soap.search(Query("IM_KLIENT", order_by=(Sort("AKTENZEICHEN", True),)))]
    assert descending == list(reversed(ids))  # IM-C-0 … IM-C-7 sort like their ids
    assert [o.id for o in soap.search(Query("IM_KLIENT", page_size=5, max_hits=4))] == ids[:4]


def test_download_needs_no_file_list(
    soap: SoapClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The ``Files`` element of a search answer is the emulator's invention: without it (no ``fileinfo``)
    the file still comes, named and sized from ``std.StoreInCacheByID``'s answer."""
    _, _, document = _tree(soap)
    monkeypatch.setattr(codec, "build_query", functools.partial(codec.build_query, fileinfo=False))
    assert soap.get(document).files == ()
    info = soap.download(document, 1, tmp_path / "plan.txt")
    assert (tmp_path / "plan.txt").read_bytes() == b"Plan\n"
    assert (info.index, info.name, info.mime_type, info.size) == (1, "plan.txt", "text/plain", 5)
    with pytest.raises(NotFoundError):
        soap.download(document, 2, tmp_path / "none.txt")
    assert not (tmp_path / "none.txt").exists()


def test_recycle_bin_of_a_folder_type_in_both_personalities(
    any_emulator: EmulatorServer, soap: SoapClient
) -> None:
    folder = soap.insert(NewObject("IM_KLIENT", None, klient("IM-B-1")))
    soap.delete(folder)
    binned = soap.deleted_objects("IM_KLIENT")  # documented: OBJECT_LOCKUSER refused, learned, asked again
    assert [(o.id, o.deleted, o.folder_id) for o in binned] == [(folder, True, None)]
    assert soap._refused == ({"IM_KLIENT": {"OBJECT_LOCKUSER"}} if any_emulator.state.documented else {})
    assert [o.id for o in soap.search(Query("IM_KLIENT", deleted=Deleted.ONLY))] == [folder]


# --- the server's own text in every refused job ----------------------------------------------------------


def test_refused_job_carries_the_server_text_without_values(soap: SoapClient) -> None:
    with pytest.raises(ValidationError) as caught:
        list(soap.search(Query("IM_KLIENT", order_by=(Sort("OBJECT_NOSUCH", system=True),))))
    assert "dms.GetResultList refused (return code -1031)" in caught.value.message
    assert "unknown field" in caught.value.message  # the server's words, not only the code
    assert caught.value.field == "OBJECT_NOSUCH"
    assert "OBJECT_NOSUCH" in str(caught.value)
    # a catalogue value only the server can check: its text names the field, never the value
    with pytest.raises(ValidationError) as bad_value:
        soap.insert(NewObject("IM_KLIENT", None, klient("IM-E-1", GESCHLECHT="UNBEKANNT_XYZ")))
    assert "GESCHLECHT" in (bad_value.value.field or "")
    assert "GESCHLECHT" in bad_value.value.message
    assert "UNBEKANNT_XYZ" not in str(bad_value.value)
    assert "dms.XMLInsert refused (return code -1024)" in bad_value.value.message
    with pytest.raises(NotFoundError) as missing:
        soap.get(987654)
    assert "refused (return code -1014)" in missing.value.message
    assert "987654" in missing.value.message  # ids are not values: the text keeps them


def test_error_text_from_every_place_a_server_puts_it() -> None:
    # the default's error list in outParameter/property entries
    listed = JobResult(
        name="dms.XMLInsert",
        return_code=-1024,
        errors=(JobError(code=-1024, message="'x' is no date", field="IM_KLIENT.GEBURTSDATUM"),),
    )
    error = refused("dms.XMLInsert", listed)
    assert isinstance(error, ValidationError)
    assert error.field == "IM_KLIENT.GEBURTSDATUM"
    assert error.message == "dms.XMLInsert refused (return code -1024): IM_KLIENT.GEBURTSDATUM: … is no date"
    # documented: errorCode/errorMessage output parameters, the field only as >NAME< inside the text
    as_params = JobResult(
        name="dms.GetResultList",
        return_code=-1031,
        params={"errorCode": -1031, "errorMessage": "The DMS field >FOO< could not be found"},
    )
    error = refused("dms.GetResultList", as_params)
    assert isinstance(error, ValidationError)
    assert error.field == "FOO"
    assert (
        error.message
        == "dms.GetResultList refused (return code -1031): FOO: The DMS field … could not be found"
    )
    # a system field named plainly: the one system field in the text is the field
    plain = JobResult(
        name="dms.GetResultList", return_code=-1031, params={"ErrorText": "unknown field OBJECT_LOCKUSER"}
    )
    plain_error = refused("dms.GetResultList", plain)
    assert isinstance(plain_error, ValidationError)
    assert plain_error.field == "OBJECT_LOCKUSER"
    two = JobResult(name="x", return_code=-1031, params={"Message": "OBJECT_ID or OBJECT_LOCKUSER unknown"})
    ambiguous = refused("x", two)
    assert isinstance(ambiguous, ValidationError)
    assert ambiguous.field is None  # two system fields named: no guess
    # krn.SessionLogin's Description (bytes too), a conflict
    described = JobResult(
        name="dms.XMLUpdate", return_code=-1050, params={"Description": b"changed meanwhile"}
    )
    conflict = refused("dms.XMLUpdate", described)
    assert isinstance(conflict, ConflictError)
    assert conflict.message.endswith("changed meanwhile")
    # nothing at all: the code, and that the server said nothing
    silent = refused("dms.GetResultList", JobResult(name="dms.GetResultList", return_code=-7777))
    assert isinstance(silent, PermanentError)
    assert silent.message == "dms.GetResultList refused (return code -7777); the server sent no error text"


# --- writes in both personalities -------------------------------------------------------------------------


def test_writes_in_both_personalities(any_emulator: EmulatorServer, soap: SoapClient) -> None:
    bob = SoapClient(make_settings(any_emulator, "soap", "bob"))
    try:
        folder, register, document = _tree(soap)
        before = soap.get(document)
        soap.update(document, {"PLANSTATUS": "VEREINBART"}, expected_modified=before.modified)
        assert soap.get(document).fields["PLANSTATUS"] == "VEREINBART"
        stale = datetime(2000, 1, 1, tzinfo=UTC)
        with pytest.raises(ConflictError) as conflict:
            soap.update(document, {"PLANSTATUS": "ENTWURF"}, expected_modified=stale)
        assert "refused (return code -1050)" in conflict.value.message
        soap.checkout(document)
        locked = soap.get(document)
        assert (locked.lock_known, locked.locked_by) == (True, "alice")
        with pytest.raises(LockedError) as held:
            bob.checkout(document)
        assert held.value.holder == "alice"
        soap.undo_checkout(document)
        assert soap.get(document).locked_by is None
        with pytest.raises(ConflictError):
            soap.checkout(register)  # only documents have pages to check out
        soap.update(register, {"FALLSTATUS": "RUHEND"})
        moved = soap.get(register)
        assert moved.fields["FALLSTATUS"] == "RUHEND"
        assert (moved.folder_id, moved.parent_id) == (folder, folder)
        soap.delete(document)
        assert list(soap.search(Query("IM_PLAN"))) == []
        binned = soap.deleted_objects("IM_PLAN")
        assert [(o.id, o.deleted, o.folder_id, o.parent_id) for o in binned] == [
            (document, True, folder, register)
        ]
        soap.delete(folder, cascade=True, hard=True)
        assert list(soap.search(Query("IM_FALL", where=eq("FALLSTATUS", "RUHEND")))) == []
    finally:
        bob.close()
