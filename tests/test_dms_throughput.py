"""The DMS search hot path: pages decoded by hand into plain structures instead of pydantic models, objects
built with ``model_construct`` instead of a second validation, typed values of one field kept per converter,
the next page requested on a worker thread. Each shortcut must change nothing a caller can see: constructed
objects equal validated ones, a page the wire models refused is still refused with a ``ResponseFormatError``
naming the place, and the worker shares the session safely with calls the caller makes meanwhile."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator
from dataclasses import replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from connector import timeutil
from connector.enaio.client import EnaioClient
from connector.enaio.dms.client import DmsClient
from connector.enaio.dms.codec import search_body
from connector.enaio.dms.convert import Converter
from connector.enaio.dms.wire import RawObject, WireObject, decode_object, decode_search_page
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import SkippedField
from connector.enaio.model import EnaioObject
from connector.enaio.objdef import default_site_path, load_objdef
from connector.enaio.query import Query
from connector.errors import ResponseFormatError
from tests.conftest import TEST_USERS, fuzz_examples
from tests.test_dms_client import replace_answer, wrap

OBJDEF = load_objdef(default_site_path().read_bytes())
TZ = ZoneInfo("Europe/Berlin")
WORKER = "enaio-dms-search"


@pytest.fixture
def demo_dms(any_demo_emulator: EmulatorServer, client_factory: Callable[..., EnaioClient]) -> DmsClient:
    api = client_factory(any_demo_emulator, "dms").api
    assert isinstance(api, DmsClient)
    return api


def _search_answers(client: DmsClient, type_name: str, size: int) -> list[dict[str, Any]]:
    """Raw objects of the first page of the search the client sends (with the properties it learnt the
    server refuses left out), straight from the server."""
    query = Query(type_name)
    list(client.search(replace(query, max_hits=1)))  # learns what the personality refuses
    compiled = client._compile(query, OBJDEF.type_by_name(type_name), [])
    answer = requests.post(
        client.transport.url("objects", "search"),
        json=search_body(compiled, query.deleted, 0, size),
        auth=("alice", TEST_USERS["alice"]),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    objects: list[dict[str, Any]] = json.loads(answer.content, parse_float=Decimal)["objects"]
    assert objects
    return objects


# --- constructed objects are the validated ones ---------------------------------------------------------


def test_constructed_objects_equal_validated_ones_for_every_type(demo_dms: DmsClient) -> None:
    types = demo_dms.object_definition().types
    seen: set[str] = set()
    with_files = with_tables = 0
    for object_type in types:
        for obj in demo_dms.search(Query(object_type.internal, page_size=150, max_hits=400)):
            assert EnaioObject.model_validate(obj.model_dump()) == obj
            seen.add(obj.type_name)
            with_files += bool(obj.files)
            with_tables += bool(obj.tables)
    assert seen == {t.internal for t in types}
    assert with_files  # the county's documents were among them
    assert with_tables  # and plans with their goals


def test_hand_decoding_reads_what_the_wire_model_reads(demo_dms: DmsClient) -> None:
    converter = Converter(OBJDEF, TZ)
    for object_type in OBJDEF.types:
        for raw in _search_answers(demo_dms, object_type.internal, 60):
            decoded = decode_object(raw, "test")
            via_model = RawObject.from_wire(WireObject.model_validate(raw))
            assert (decoded.system, decoded.index, decoded.type_local_name, decoded.streams) == (
                via_model.system,
                via_model.index,
                via_model.type_local_name,
                via_model.streams,
            )
            assert converter.to_object(decoded, "test") == converter.to_object(via_model, "test")


# --- malformed pages ------------------------------------------------------------------------------------

_OBJECT = {
    "properties": {
        "system:objectId": {"value": "1"},
        "system:objectTypeId": {"value": "12", "localName": "K"},
    },
    "contentStreams": [{"cid": "a", "fileName": "a.pdf", "mimeType": "application/pdf", "length": 3}],
}


def _with(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A good page with the value at ``path`` (inside its one object) replaced."""
    page: dict[str, Any] = json.loads(json.dumps({"objects": [_OBJECT], "hasMoreItems": False}))
    target: Any = page["objects"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return page


@pytest.mark.parametrize(
    ("page", "where"),
    [
        ([], "(body)"),
        (None, "(body)"),
        ({"objects": {"a": 1}}, "objects"),
        ({"objects": [1]}, "objects.0"),
        ({"objects": [[]]}, "objects.0"),
        (_with(("properties",), []), "objects.0.properties"),
        (_with(("properties",), "x"), "objects.0.properties"),
        (_with(("properties", "system:objectId"), "1"), "objects.0.properties.system:objectId"),
        (_with(("properties", "system:objectTypeId", "localName"), 12), "system:objectTypeId.localName"),
        (_with(("contentStreams",), {"cid": "a"}), "objects.0.contentStreams"),
        (_with(("contentStreams", 0), "a.pdf"), "objects.0.contentStreams.0"),
        (_with(("contentStreams", 0, "fileName"), 7), "contentStreams.0.fileName"),
        (_with(("contentStreams", 0, "mimeType"), ["x"]), "contentStreams.0.mimeType"),
        (_with(("contentStreams", 0, "cid"), {}), "contentStreams.0.cid"),
        (_with(("contentStreams", 0, "length"), "three"), "contentStreams.0.length"),
        (_with(("contentStreams", 0, "length"), Decimal("2.5")), "contentStreams.0.length"),
        ({"objects": [], "hasMoreItems": "perhaps"}, "hasMoreItems"),
        ({"objects": [], "hasMoreItems": 2}, "hasMoreItems"),
        ({"objects": [], "totalNumItems": "many"}, "totalNumItems"),
        ({"objects": [], "numItems": [1]}, "numItems"),
    ],
)
def test_a_malformed_page_is_a_response_format_error_naming_the_place(page: Any, where: str) -> None:
    with pytest.raises(ResponseFormatError) as caught:
        decode_search_page(page, "dms.search")
    assert where in str(caught.value)
    assert caught.value.operation == "dms.search"


def test_lax_scalars_read_as_the_wire_models_read_them() -> None:
    page = decode_search_page(
        {"objects": [], "hasMoreItems": "true", "totalNumItems": "12", "numItems": Decimal("3")}, "t"
    )
    assert (page.has_more_items, page.total_num_items) == (True, 12)
    stream = decode_object(_with(("contentStreams", 0, "length"), " 7 ")["objects"][0], "t").streams[0]
    assert stream.length == 7


def test_a_negative_file_length_is_a_response_format_error() -> None:
    # the validated FileInfo refused it with a bare pydantic error; now it is typed
    raw = decode_object(
        {
            "properties": {
                "system:objectId": {"value": 5},
                "system:objectTypeId": {"value": 262185},
                "system:SDSTA_ID": {"value": 1},
                "system:createdBy": {"value": "a"},
                "system:lastModifiedBy": {"value": "a"},
                "system:creationDate": {"value": "2018-01-02T03:04:05+01:00"},
                "system:lastModificationDate": {"value": "2018-01-02T03:04:05+01:00"},
            },
            "contentStreams": [{"fileName": "a.pdf", "length": -1}],
        },
        "t",
    )
    with pytest.raises(ResponseFormatError, match="negative length"):
        Converter(OBJDEF, TZ).to_object(raw, "t")


def test_a_malformed_page_through_the_client(emulator: EmulatorServer, dms_client: DmsClient) -> None:
    dms_client.object_definition()
    body = json.dumps({"objects": [{"properties": {"system:objectId": 7}}]}).encode()
    wrap(emulator, replace_answer("/objects/search", "200 OK", body))
    with pytest.raises(ResponseFormatError) as caught:
        list(dms_client.search(Query("IM_KLIENT", page_size=5)))
    assert "objects.0.properties.system:objectId" in str(caught.value)
    assert caught.value.operation == "dms.search"


@pytest.fixture
def dms_client(emulator: EmulatorServer, client_factory: Callable[..., EnaioClient]) -> DmsClient:
    api = client_factory(emulator, "dms").api
    assert isinstance(api, DmsClient)
    return api


class _RefProperty(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    value: Any = None
    local_name: str | None = Field(default=None, alias="localName")


class _RefStream(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    cid: str | None = None
    file_name: str | None = Field(default=None, alias="fileName")
    mime_type: str | None = Field(default=None, alias="mimeType")
    length: int | None = None


class _RefObject(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    properties: dict[str, _RefProperty] = Field(default_factory=dict)
    content_streams: list[_RefStream] = Field(default_factory=list, alias="contentStreams")


class _RefPage(BaseModel):
    """The wire model the search page was validated with before it was decoded by hand."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    objects: list[_RefObject] = Field(default_factory=list)
    num_items: int | None = Field(default=None, alias="numItems")
    has_more_items: bool | None = Field(default=None, alias="hasMoreItems")
    total_num_items: int | None = Field(default=None, alias="totalNumItems")


_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 2**66),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.sampled_from(["", "1", " 2 ", "true", "no", "x", "2018-01-02", "-4"]),
)
_ANY = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
_PROPERTY = (
    st.fixed_dictionaries(
        {"value": _ANY}, optional={"localName": _SCALAR, "local_name": _SCALAR, "other": _ANY}
    )
    | _ANY
)
_STREAM = (
    st.fixed_dictionaries(
        {},
        optional={
            "cid": _SCALAR,
            "fileName": _SCALAR,
            "file_name": _SCALAR,
            "mimeType": _SCALAR,
            "length": _SCALAR,
        },
    )
    | _SCALAR
)
_WIRE_OBJECT = (
    st.fixed_dictionaries(
        {},
        optional={
            "properties": st.dictionaries(
                st.sampled_from(["system:objectTypeId", "A", "system:x"]), _PROPERTY
            )
            | _ANY,
            "contentStreams": st.lists(_STREAM, max_size=2) | _SCALAR,
            "content_streams": st.lists(_STREAM, max_size=2),
        },
    )
    | _SCALAR
)
_PAGE = (
    st.fixed_dictionaries(
        {},
        optional={
            "objects": st.lists(_WIRE_OBJECT, max_size=3) | _ANY,
            "hasMoreItems": _SCALAR,
            "has_more_items": _SCALAR,
            "totalNumItems": _SCALAR,
            "numItems": _SCALAR,
        },
    )
    | _ANY
)


@settings(max_examples=fuzz_examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=_PAGE)
def test_hand_decoding_accepts_and_refuses_what_the_wire_model_did(page: Any) -> None:
    try:
        reference = _RefPage.model_validate(page)
    except PydanticValidationError:
        with pytest.raises(ResponseFormatError):
            decode_search_page(page, "t")
        return
    decoded = decode_search_page(page, "t")
    assert (decoded.has_more_items, decoded.total_num_items) == (
        reference.has_more_items,
        reference.total_num_items,
    )
    assert len(decoded.objects) == len(reference.objects)
    for mine, theirs in zip(decoded.objects, reference.objects, strict=True):
        assert {**mine.system, **mine.index} == {name: p.value for name, p in theirs.properties.items()}
        type_prop = theirs.properties.get("system:objectTypeId")
        assert mine.type_local_name == (type_prop.local_name if type_prop else None)
        assert [tuple(s) for s in mine.streams] == [
            (s.file_name, s.mime_type, s.length) for s in theirs.content_streams
        ]


# --- typed values kept per converter --------------------------------------------------------------------


def _klient(object_id: int, **index: Any) -> RawObject:
    props = {
        "system:objectId": {"value": object_id},
        "system:objectTypeId": {"value": 12},
        "system:createdBy": {"value": "a"},
        "system:lastModifiedBy": {"value": "a"},
        "system:creationDate": {"value": "2018-01-02T03:04:05+01:00"},
        "system:lastModificationDate": {"value": "2018-01-02T03:04:05.250+01:00"},
        **{name: {"value": value} for name, value in index.items()},
    }
    return decode_object({"properties": props}, "t")


def test_kept_typed_values_keep_types_apart_and_bad_values_are_reported_each_time() -> None:
    converter = Converter(OBJDEF, TZ)
    first = converter.to_object(_klient(1, GEBURTSDATUM="1991-03-14", IM_UEBERTRAGEN=1), "t")
    again = converter.to_object(_klient(2, GEBURTSDATUM="1991-03-14", IM_UEBERTRAGEN="1"), "t")
    assert first.fields == {k: again.fields[k] for k in first.fields}
    assert first.modified.microsecond == 0
    mitarbeitende = OBJDEF.type_by_name("ORG_MITARBEITENDE").field("VZAE")
    for raw in (1, Decimal("1.0"), "1.50", Decimal("1.50"), 1):
        kept = converter._coerce(mitarbeitende, raw)  # the kept value against a fresh one
        fresh = mitarbeitende.coerce(raw, tz=TZ)
        assert (type(kept), str(kept)) == (type(fresh), str(fresh))
    skipped: list[SkippedField] = []
    for object_id in (3, 4):
        obj = converter.to_object(_klient(object_id, GEBURTSDATUM="31.02.1991"), "t", skipped.append)
        assert "GEBURTSDATUM" not in obj.fields
    assert [(s.object_id, s.field) for s in skipped] == [(3, "GEBURTSDATUM"), (4, "GEBURTSDATUM")]


# --- the prefetch worker --------------------------------------------------------------------------------


def test_calls_between_pages_share_the_session_with_the_worker(demo_dms: DmsClient) -> None:
    query = Query("IM_KONTAKT", page_size=40, max_hits=200)
    expected = [obj.id for obj in demo_dms.search(query)]
    seen = []
    for obj in demo_dms.search(query):
        seen.append(obj.id)
        if len(seen) % 17 == 0:
            assert demo_dms.get(obj.id).id == obj.id  # a request of the caller's while the worker pages on
            assert len(list(demo_dms.search(Query("IM_FALL", page_size=7, max_hits=20)))) == 20
    assert seen == expected


def test_closing_a_search_early_stops_its_worker(demo_dms: DmsClient) -> None:
    hits = demo_dms.search(Query("IM_KONTAKT", page_size=10))
    assert isinstance(hits, Generator)
    next(hits)
    workers = [thread for thread in threading.enumerate() if thread.name == WORKER]
    assert workers
    hits.close()
    for thread in workers:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in workers)


def test_a_lookup_by_id_starts_no_worker(demo_dms: DmsClient) -> None:
    started: list[str] = []
    original = threading.Thread.start

    def spy(self: threading.Thread) -> None:
        started.append(self.name)
        original(self)

    obj = next(demo_dms.search(Query("IM_FALL", page_size=5)))
    threading.Thread.start = spy  # type: ignore[method-assign]
    try:
        assert demo_dms.get(obj.id).id == obj.id
        assert [o.id for o in demo_dms.search(Query("IM_FALL", page_size=5, max_hits=5))]
    finally:
        threading.Thread.start = original  # type: ignore[method-assign]
    assert WORKER not in started


@pytest.mark.parametrize(
    "text",
    [
        "2018-05-02T09:00:00+02:00",
        "2018-05-02T09:00:00Z",
        "2018-05-02T09:00:00",
        "2018-05-02T09:00:00.123456+01:00",
        "2018-05-02T09:00:00+0200",
        "2018-10-28T02:30:00",  # the hour that happens twice
        "2018-03-25T02:30:00",  # the hour that does not happen
        "2018-05-02T09:00:00-00:30",
        "2018-05-02T09:00:00 ",
        "2018-05-02T09:00",
        "02.05.2018 09:00:00",
        "1525244400000",
    ],
)
def test_system_dates_read_as_the_shared_rule_reads_them(text: str) -> None:
    raw = _klient(1)
    raw.system["system:creationDate"] = text
    created = Converter(OBJDEF, TZ).to_object(raw, "t").created
    expected = timeutil.parse_datetime(text, TZ).astimezone(TZ).replace(microsecond=0)
    assert (created, created.isoformat()) == (expected, expected.isoformat())
