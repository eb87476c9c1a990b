"""The osrest read's fast path: hand-decoded pages and objects built without a second validation must give
exactly what the validated models gave, and a malformed page must still be a typed error naming the place."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.model import EnaioObject
from connector.enaio.objdef import default_objdef
from connector.enaio.osrest import codec, wire
from connector.enaio.osrest.client import OsrestClient
from connector.enaio.osrest.convert import to_enaio_object
from connector.enaio.query import Query
from connector.errors import ResponseFormatError
from tests.conftest import make_settings


@pytest.fixture(params=["default", "documented"])
def demo_client(
    request: pytest.FixtureRequest, demo_emulators: Callable[[str], EmulatorServer]
) -> Iterator[OsrestClient]:
    client = OsrestClient(make_settings(demo_emulators(request.param), "osrest"))
    # the documented server delivers no readable object definition: the site's file stands in (as EnaioClient
    # does with objdef_file)
    client.use_object_definition(default_objdef())
    yield client
    client.close()


def test_constructed_objects_equal_validated_ones_for_every_type(demo_client: OsrestClient) -> None:
    seen_tables = seen_files = 0
    for otype in default_objdef().types:
        objects = list(demo_client.search(Query(otype.internal, page_size=3, max_hits=5)))
        assert objects, f"the demo county has objects of type {otype.internal}"
        for obj in objects:
            assert obj.type_name == otype.internal
            assert EnaioObject.model_validate(obj.model_dump()) == obj
            seen_tables += bool(obj.tables)
            seen_files += bool(obj.files)
    assert seen_tables, "table rows are among the compared values"
    assert seen_files, "content files are among the compared values"


def _attributes(item: Any) -> Any:
    """A decoded wire object as plain data, to compare the quick and the checked decoder."""
    if isinstance(item, list):
        return [_attributes(x) for x in item]
    if isinstance(item, wire.WireObject | wire.WireField | wire.WireTableField):
        return {name: _attributes(getattr(item, name)) for name in item.__slots__}
    if isinstance(item, wire.WireFile):
        return item.model_dump()
    return item


def _page(demo_client: OsrestClient, type_name: str) -> list[dict[str, Any]]:
    otype = demo_client.objdef.resolve_type(type_name)
    response = demo_client.transport.request(
        "POST",
        demo_client.transport.url("documents", "search"),
        operation="test",
        json={"query": {"objectTypeId": str(otype.type_id), "result_config": {"pagesize": 20}}},
        params={"objecttypeid": str(otype.type_id)},
    )
    data = response.json()
    assert isinstance(data, list)
    assert data
    return data


def test_quick_and_checked_decoders_agree(demo_client: OsrestClient) -> None:
    for otype in default_objdef().types:
        for n, item in enumerate(_page(demo_client, otype.internal)):
            quick = _attributes(wire._quick_object(item))
            assert quick == _attributes(wire._checked_object(item, str(n)))


def _sample() -> dict[str, Any]:
    return {
        "osid": "4711",
        "objectTypeId": 262186,
        "objectType": "DOCUMENT",
        "internalName": "IM_PLAN",
        "displayName": "Plan",
        "ecmSimpleFields": [
            {
                "internalName": "PLANVERSION",
                "displayName": "V",
                "dbName": "zahl1",
                "type": "INTEGER",
                "value": "2",
            }
        ],
        "ecmTableFields": [
            {
                "internalName": "ZIELE",
                "columns": [{"internalName": "ZIEL", "dbName": "ziel", "type": "TEXT"}],
                "value": [{"ecmSimpleFields": [{"internalName": "ZIEL", "value": "B1"}]}],
            }
        ],
        "baseParameters": [{"type": "CREATED", "value": "02.05.2018 12:00:00"}],
        "systemFields": [{"type": "SDSTA_ID", "value": "17"}],
        "contentFiles": [{"index": "1", "name": "a.pdf", "mimeType": "application/pdf", "size": 3}],
        "parentCabinetKey": "x",
    }


# (path to the value, wrong value, the place the error must name)
_MALFORMED: list[tuple[tuple[Any, ...], Any, str]] = [
    ((), "IM_PLAN", "0: not an object"),
    (("osid",), True, "0.osid"),
    (("osid",), None, "0.osid"),
    (("osid",), "12a", "0.osid"),
    (("objectTypeId",), 1.5, "0.objectTypeId"),
    (("objectTypeId",), [12], "0.objectTypeId"),
    (("objectType",), 5, "0.objectType"),
    (("internalName",), None, "0.internalName"),
    (("displayName",), {}, "0.displayName"),
    (("ecmSimpleFields",), {}, "0.ecmSimpleFields"),
    (("ecmSimpleFields", 0), "PLANVERSION", "0.ecmSimpleFields.0"),
    (("ecmSimpleFields", 0, "internalName"), 7, "0.ecmSimpleFields.0.internalName"),
    (("ecmSimpleFields", 0, "dbName"), None, "0.ecmSimpleFields.0.dbName"),
    (("ecmSimpleFields", 0, "type"), [], "0.ecmSimpleFields.0.type"),
    (("ecmSimpleFields", 0, "value"), ["2"], "0.ecmSimpleFields.0.value"),
    (("ecmSimpleFields", 0, "value"), {"v": "2"}, "0.ecmSimpleFields.0.value"),
    (("ecmTableFields",), "ZIELE", "0.ecmTableFields"),
    (("ecmTableFields", 0), 3, "0.ecmTableFields.0"),
    (("ecmTableFields", 0, "internalName"), 3, "0.ecmTableFields.0.internalName"),
    (("ecmTableFields", 0, "columns"), {}, "0.ecmTableFields.0.columns"),
    (("ecmTableFields", 0, "columns", 0, "type"), 1, "0.ecmTableFields.0.columns.0.type"),
    (("ecmTableFields", 0, "value"), {}, "0.ecmTableFields.0.value"),
    (("ecmTableFields", 0, "value", 0), [], "0.ecmTableFields.0.value.0"),
    (
        ("ecmTableFields", 0, "value", 0, "ecmSimpleFields"),
        "B1",
        "0.ecmTableFields.0.value.0.ecmSimpleFields",
    ),
    (
        ("ecmTableFields", 0, "value", 0, "ecmSimpleFields", 0, "value"),
        {},
        "0.ecmTableFields.0.value.0.ecmSimpleFields.0.value",
    ),
    (("baseParameters",), "CREATED", "0.baseParameters"),
    (("baseParameters", 0), None, "0.baseParameters.0"),
    (("baseParameters", 0, "type"), 1, "0.baseParameters.0.type"),
    (("baseParameters", 0, "value"), [], "0.baseParameters.0.value"),
    (("systemFields", 0, "type"), None, "0.systemFields.0.type"),
    (("contentFiles",), {}, "0.contentFiles"),
    (("contentFiles", 0, "index"), "first", "0.contentFiles.0.index"),
    (("contentFiles", 0, "name"), 1, "0.contentFiles.0.name"),
    (("contentFiles", 0, "mimeType"), None, "0.contentFiles.0.mimeType"),
    (("contentFiles", 0, "size"), False, "0.contentFiles.0.size"),
    (("parentCabinetKey",), 5, "0.parentCabinetKey"),
]


@pytest.mark.parametrize(("path", "bad", "where"), _MALFORMED, ids=[case[2] for case in _MALFORMED])
def test_a_malformed_page_is_a_response_format_error_naming_the_place(
    path: tuple[Any, ...], bad: Any, where: str
) -> None:
    page: list[Any] = [_sample(), _sample()]
    codec.parse_objects(json.dumps(page))  # the sample itself is fine
    if path:
        target: Any = page[0]
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = bad
    else:
        page[0] = bad
    with pytest.raises(ResponseFormatError, match="unexpected object shape") as caught:
        codec.parse_objects(json.dumps(page))
    assert caught.value.message.startswith(f"unexpected object shape: {where}")
    if isinstance(bad, str):
        assert bad not in caught.value.message, "values are never echoed"


@pytest.mark.parametrize(
    "missing",
    [("osid",), ("objectTypeId",), ("baseParameters", 0, "type"), ("contentFiles", 0, "index")],
)
def test_a_missing_required_key_is_named(missing: tuple[Any, ...]) -> None:
    page = [_sample()]
    target: Any = page[0]
    for step in missing[:-1]:
        target = target[step]
    del target[missing[-1]]
    place = ".".join(str(step) for step in ("0", *missing))
    with pytest.raises(ResponseFormatError, match=f"{place}: missing"):
        codec.parse_objects(json.dumps(page))


def test_tolerated_variants_decode_like_the_usual_shape() -> None:
    usual = _attributes(codec.parse_objects(json.dumps([_sample()])))
    variant = copy.deepcopy(_sample())
    variant["osid"] = 4711.0  # ids as numbers, strings or whole floats
    variant["ecmSimpleFields"][0]["value"] = 2  # values as numbers
    variant["object_type_id"] = variant.pop("objectTypeId")  # a field's own name where the alias is absent
    variant["someNewKey"] = {"servers": "add keys"}
    variant["baseParameters"].append({"type": "created", "value": "later duplicates are ignored"})
    assert _attributes(codec.parse_objects(json.dumps([variant]))) == usual
    sparse = {"osid": 1, "objectTypeId": 12, "ecmSimpleFields": [{"internalName": "X", "value": True}]}
    decoded = codec.parse_objects(json.dumps([sparse]))[0]
    assert (decoded.object_type, decoded.simple_fields[0].db_name, decoded.simple_fields[0].value) == (
        "",
        "",
        "1",
    )


def test_max_hits_asks_for_no_page_beyond_the_hits(demo_emulator: EmulatorServer) -> None:
    client = OsrestClient(make_settings(demo_emulator, "osrest"))
    searches: list[str] = []

    def count(response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.request.method == "POST" and "documents/search" in response.request.url:
            searches.append(response.request.url)
        return response

    client.transport.http.session.hooks["response"].append(count)
    try:
        hits = list(client.search(Query("IM_KLIENT", page_size=5, max_hits=7)))
    finally:
        client.close()
    assert len(hits) == 7
    assert len(searches) == 2, "the prefetch worker stops once the caller has all its hits"


@pytest.mark.parametrize("file", [{"index": 0, "name": "a.pdf"}, {"index": 1, "name": "a.pdf", "size": -1}])
def test_an_impossible_content_file_is_a_response_format_error(file: dict[str, Any]) -> None:
    sample = _sample()
    sample["contentFiles"] = [file]
    wire_object = codec.parse_object(json.dumps(sample))
    with pytest.raises(ResponseFormatError, match="content file"):
        to_enaio_object(wire_object, default_objdef(), ZoneInfo("Europe/Berlin"))
