"""Pure parts of the osrest room: wire tolerance, date forms, query compilation, client-side filters."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connector.enaio.emulator.osrest.search import EmptySortField, parse_search
from connector.enaio.model import EnaioObject, ObjectKind
from connector.enaio.objdef import default_objdef
from connector.enaio.osrest import codec
from connector.enaio.osrest.convert import parse_id, parse_wire_datetime, to_enaio_object
from connector.enaio.osrest.filters import matches, wildcard_pattern
from connector.enaio.osrest.transport import SessionOrBasicAuth
from connector.enaio.query import (
    AncestorCondition,
    Condition,
    Deleted,
    Group,
    Op,
    Query,
    Sort,
    System,
    all_of,
    any_of,
    eq,
)
from connector.errors import ResponseFormatError, ValidationError

TZ = ZoneInfo("Europe/Berlin")
OBJDEF = default_objdef()


@pytest.mark.parametrize(
    "value",
    [
        "1717236000000",
        1717236000000,
        "01.06.2024 12:00:00",
        "2024-06-01T12:00:00+02:00",
        "2024-06-01T10:00:00Z",
        "2024-06-01T12:00:00",
        "01.06.2024 12:00",
    ],
)
def test_three_date_forms(value: str | int) -> None:
    moment = parse_wire_datetime(value, TZ)
    assert moment == datetime(2024, 6, 1, 12, 0, tzinfo=TZ)
    assert moment.tzinfo is TZ


def test_date_forms_truncate_to_seconds_and_reject_garbage() -> None:
    assert parse_wire_datetime("1717236000999", TZ).microsecond == 0
    with pytest.raises(ValueError):
        parse_wire_datetime("gestern", TZ)
    with pytest.raises(ValueError):
        parse_wire_datetime(True, TZ)


def _wire(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "osid": "4711",
        "objectTypeId": "262186",
        "ecmSimpleFields": [
            {"internalName": "PLANVERSION", "value": 2},
            {"internalName": "ERSTELLT_AM", "value": "02.05.2018"},
            {"internalName": "PLANSTATUS", "value": ""},
            {"internalName": "UNBEKANNT", "value": "x"},
            {"dbName": "feld1", "value": "INTEGRATIONSPLAN"},
        ],
        "ecmTableFields": [
            {
                "internalName": "ZIELE",
                "value": [
                    {
                        "ecmSimpleFields": [
                            {"internalName": "ZIEL", "value": "B1"},
                            {"dbName": "datum1", "value": "2018-12-31"},
                        ]
                    }
                ],
            }
        ],
        "baseParameters": [
            {"type": "CREATED", "value": 1525255200000},
            {"type": "CREATOR", "value": "alice"},
            {"type": "MODIFIED", "value": "2018-05-03T10:00:00"},
        ],
        "systemFields": [
            {"type": "SDSTA_ID", "value": "17"},
            {"type": "SDREG_ID", "value": 18},
            {"type": "OBJECT_LOCKUSER", "value": "UNLOCKED"},
        ],
        "contentFiles": [{"index": "1", "name": "a.pdf", "mimeType": "application/pdf", "size": "3"}],
        "someNewKey": {"servers": "add keys"},
    }
    base.update(extra)
    return base


def test_wire_object_tolerates_string_and_number_ids_and_values() -> None:
    obj = to_enaio_object(codec.parse_object(json.dumps(_wire())), OBJDEF, TZ)
    assert obj.id == 4711
    assert obj.type_name == "IM_PLAN"
    assert obj.kind is ObjectKind.DOCUMENT
    assert obj.fields == {"PLANVERSION": 2, "ERSTELLT_AM": date(2018, 5, 2), "PLANART": "INTEGRATIONSPLAN"}
    assert obj.tables == {"ZIELE": [{"ZIEL": "B1", "FRIST": date(2018, 12, 31)}]}
    assert (obj.parent_id, obj.folder_id) == (18, 17)
    assert obj.created == datetime(2018, 5, 2, 12, 0, tzinfo=TZ)
    assert obj.modified == datetime(2018, 5, 3, 10, 0, tzinfo=TZ)
    assert obj.modifier == obj.owner == "alice"
    assert obj.locked_by is None
    assert obj.files[0].size == 3
    numeric = to_enaio_object(
        codec.parse_object(json.dumps(_wire(osid=4711, objectTypeId=262186))), OBJDEF, TZ
    )
    assert numeric == obj
    direct = _wire(systemFields=[{"type": "SDSTA_ID", "value": "17"}, {"type": "SDREG_ID", "value": "0"}])
    assert to_enaio_object(codec.parse_object(json.dumps(direct)), OBJDEF, TZ).parent_id == 17


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ("<html>", "not JSON"),
        ('{"osid": 1}', "not a JSON array"),
        ('[{"osid": true, "objectTypeId": 12}]', "osid"),
        ('[{"osid": "12a", "objectTypeId": 12}]', "osid"),
    ],
)
def test_bad_search_payloads(payload: str, match: str) -> None:
    with pytest.raises(ResponseFormatError, match=match):
        codec.parse_objects(payload)


def test_unknown_type_and_missing_dates_in_objects() -> None:
    with pytest.raises(ResponseFormatError, match="unknown"):
        to_enaio_object(
            codec.parse_object(json.dumps(_wire(objectTypeId=99, internalName="NOPE"))), OBJDEF, TZ
        )
    with pytest.raises(ValidationError, match="CREATED"):
        to_enaio_object(codec.parse_object(json.dumps(_wire(baseParameters=[]))), OBJDEF, TZ)


def test_new_id_forms() -> None:
    assert codec.parse_new_id(b"98765") == 98765
    assert codec.parse_new_id('"98765"\n') == 98765
    assert codec.parse_new_id("98765.0") == 98765
    for bad in (b"", b"ok", b"1.5"):
        with pytest.raises(ResponseFormatError):
            codec.parse_new_id(bad)
    assert parse_id(None) is None
    assert parse_id("0") is None
    assert parse_id("x") is None
    assert parse_id(12) == 12


def test_compile_exact_conditions() -> None:
    query = Query(
        "IM_KLIENT",
        where=Condition("GEBURTSDATUM", Op.GE, (date(1990, 1, 1),)),
        ancestors=(),
        order_by=(Sort("FAMILIENNAME", descending=True),),
        deleted=Deleted.ONLY,
    )
    compiled = codec.compile_search(query, OBJDEF, TZ)
    body, params = compiled.page(40, 20)
    assert params == {"objecttypeid": "12"}
    assert body["query"]["fields"] == {"GEBURTSDATUM": {"value": ">=01.01.1990"}}
    config = body["query"]["result_config"]
    assert config["fieldsschema"] == [
        {"internalName": "FAMILIENNAME", "sort_pos": 1, "sort_order": "DESC"},
        {"internalName": "OBJECT_ID", "sort_pos": 2, "sort_order": "ASC"},
    ]
    assert (config["offset"], config["pagesize"], config["garbageMode"]) == (40, 20, 1)
    assert compiled.residual is None


def test_compile_superset_and_residual() -> None:
    where = any_of(eq("AKTENZEICHEN", "A"), eq("AKTENZEICHEN", "B"))
    compiled = codec.compile_search(Query("IM_KLIENT", where=where, max_hits=3), OBJDEF, TZ)
    body, _ = compiled.page(0, 10)
    assert "fields" not in body["query"]
    assert "maxhits" not in body["query"]["result_config"]  # hits are cut on the client after filtering
    assert compiled.residual == where


def test_incremental_is_switched_in_one_place() -> None:
    since = datetime(2024, 3, 1, 10, 0, 0, 250_000, tzinfo=TZ)
    server = codec.compile_search(Query("IM_KLIENT", modified_since=since), OBJDEF, TZ, "server")
    body, _ = server.page(0, 10)
    # floored to the second as in every room: enaio truncates modification times, so 10:00:00 may be later
    assert body["query"]["baseparams"] == {"Modified": {"value": ">=01.03.2024 10:00:00"}}
    assert server.residual is None
    scan = codec.compile_search(Query("IM_KLIENT", modified_since=since), OBJDEF, TZ, "scan")
    body, _ = scan.page(0, 10)
    assert "baseparams" not in body["query"]
    assert body["query"]["result_config"]["fieldsschema"][0] == {
        "internalName": System.MODIFIED,
        "sort_pos": 1,
        "sort_order": "DESC",
    }
    assert scan.stop_before == since.replace(microsecond=0)
    with pytest.raises(ValidationError):
        codec.compile_search(Query("IM_KLIENT", modified_since=datetime(2024, 1, 1)), OBJDEF, TZ)  # noqa: DTZ001


def test_ancestor_conditions_must_be_expressible() -> None:
    good = Query("IM_PLAN", ancestors=(AncestorCondition("IM_KLIENT", eq("WOHNKOMMUNE", "Nehren")),))
    body, _ = codec.compile_search(good, OBJDEF, TZ).page(0, 1)
    assert body["additionalQueries"] == [
        {"objectTypeId": "12", "internalName": "IM_KLIENT", "fields": {"WOHNKOMMUNE": {"value": "Nehren"}}}
    ]
    bad = Query("IM_PLAN", ancestors=(AncestorCondition("IM_KLIENT", any_of(eq("WOHNKOMMUNE", "Nehren"))),))
    codec.compile_search(bad, OBJDEF, TZ)  # a one-item OR is an AND
    worse = AncestorCondition("IM_KLIENT", Condition("WOHNKOMMUNE", Op.NE, ("Nehren",)))
    with pytest.raises(ValidationError, match="ancestor"):
        codec.compile_search(Query("IM_PLAN", ancestors=(worse,)), OBJDEF, TZ)
    with pytest.raises(ValidationError, match="LIEBLINGSFARBE"):
        codec.compile_search(Query("IM_PLAN", where=eq("LIEBLINGSFARBE", "x")), OBJDEF, TZ)


def _klient(**fields: object) -> EnaioObject:
    now = datetime(2024, 1, 1, 9, 0, tzinfo=TZ)
    return EnaioObject(
        id=5,
        type_id=12,
        type_name="IM_KLIENT",
        kind=ObjectKind.FOLDER,
        fields=fields,
        created=now,
        creator="a",
        modified=now,
        modifier="a",
        owner="a",
    )


def test_client_side_filters() -> None:
    otype = OBJDEF.type_by_name("IM_KLIENT")
    obj = _klient(FAMILIENNAME="Müller", GEBURTSDATUM=date(1990, 1, 1), IM_UEBERTRAGEN=1)
    assert matches(Condition("FAMILIENNAME", Op.LIKE, ("m?ll*",)), obj, otype, TZ)
    assert not matches(Condition("FAMILIENNAME", Op.LIKE, ("M.ller",)), obj, otype, TZ)
    assert matches(Condition("GEBURTSDATUM", Op.BETWEEN, ("01.01.1989", "2.1.1990")), obj, otype, TZ)
    assert matches(Condition("IM_UEBERTRAGEN", Op.IN, (0, 1)), obj, otype, TZ)
    assert matches(Condition("VORNAMEN", Op.IS_NULL), obj, otype, TZ)
    assert not matches(Condition("VORNAMEN", Op.EQ, ("x",)), obj, otype, TZ)
    assert matches(Condition(System.MODIFIED, Op.LE, ("01.01.2024 09:00:00",), system=True), obj, otype, TZ)
    assert matches(Condition(System.OBJECT_ID, Op.GT, ("4",), system=True), obj, otype, TZ)
    assert matches(Condition(System.FOLDER_ID, Op.IS_NULL, system=True), obj, otype, TZ)
    with pytest.raises(ValidationError):
        matches(Condition("OBJECT_FLAGS", Op.EQ, ("1",), system=True), obj, otype, TZ)
    assert wildcard_pattern("a*b").match("aXXb")


def test_field_values_for_writes_check_and_stringify() -> None:
    otype = OBJDEF.type_by_name("ORG_MITARBEITENDE")
    wire = codec.field_values(
        otype, {"VZAE": Decimal("0.5"), "GUELTIG_BIS": None, "GUELTIG_AB": date(2024, 1, 2)}, None, TZ
    )
    assert wire["VZAE"]["value"] == "0.5"
    assert wire["GUELTIG_BIS"]["value"] == ""
    assert wire["GUELTIG_AB"]["value"] == "02.01.2024"
    with pytest.raises(ValidationError) as caught:
        codec.field_values(otype, {"TRAEGER": "NASA"}, None, TZ)
    assert "TRAEGER" in (caught.value.field or "")
    plan = OBJDEF.type_by_name("IM_PLAN")
    with pytest.raises(ValidationError, match="unknown column"):
        codec.field_values(plan, {}, {"ZIELE": [{"NOPE": "x"}]}, TZ)
    with pytest.raises(ValidationError, match="table"):
        codec.field_values(plan, {"ZIELE": "x"}, None, TZ)


def test_session_auth_prefers_the_cookie() -> None:
    import requests

    auth = SessionOrBasicAuth("u", "p")
    with_cookie = requests.Request("GET", "http://x/", headers={"Cookie": "JSESSIONID=ABC"}).prepare()
    assert "Authorization" not in auth(with_cookie).headers
    without = requests.Request("GET", "http://x/").prepare()
    assert auth(without).headers["Authorization"].startswith("Basic ")


def test_emulator_search_parser() -> None:
    body = {
        "query": {
            "name": "Klientenakte",
            "fields": {
                "Geburtsdatum": {"value": "<01.01.2000"},
                "FAMILIENNAME": {"value": "M*"},
                "VORNAMEN": {"value": ""},
            },
            "baseparams": {"Modified": {"value": ">=1717236000000"}, "Creator": {"value": "alice"}},
            "result_config": {
                "pagesize": 5,
                "page": 2,
                "fieldsschema_mode": "def",
                "fieldsschema": [{"internalName": "AKTENZEICHEN"}],
            },
        }
    }
    parsed = parse_search(body, {}, OBJDEF, TZ)
    assert parsed.query.type_name == "IM_KLIENT"
    assert (parsed.offset, parsed.limit, parsed.mode) == (10, 5, "DEF")
    assert parsed.schema_fields == {"AKTENZEICHEN"}
    assert parsed.query.order_by == ()
    assert parsed.query.where is not None
    ops = [(c.field, c.op) for c in parsed.query.where.items]  # type: ignore[union-attr]
    assert ops == [
        ("GEBURTSDATUM", Op.LT),
        ("FAMILIENNAME", Op.LIKE),
        (System.MODIFIED, Op.GE),
        (System.CREATOR, Op.EQ),
    ]
    with pytest.raises(EmptySortField):
        parse_search(
            {"query": {"name": "IM_KLIENT", "result_config": {"fieldsschema": [{"internalName": " "}]}}},
            {},
            OBJDEF,
            TZ,
        )
    bodies: list[dict[str, Any]] = [
        {},
        {"query": {}},
        {"query": {"name": "NOPE"}},
        {"query": {"name": "IM_KLIENT", "fields": {"X": {"value": "1"}}}},
    ]
    for bad in bodies:
        with pytest.raises(ValidationError):
            parse_search(bad, {}, OBJDEF, TZ)


def test_documented_form_leaves_every_extension_to_the_client() -> None:
    where = all_of(
        Condition("NAME", Op.IN, ("Meier", "Maier")),
        Condition("VZAE", Op.GE, (Decimal("0.5"),)),
        Condition("GUELTIG_BIS", Op.NOT_NULL),
        Condition("OBJECT_ID", Op.EQ, (4711,), system=True),
        Condition("PARENT_ID", Op.EQ, (12,), system=True),
    )
    since = datetime(2018, 4, 1, 8, 0, tzinfo=TZ)
    query = Query("ORG_MITARBEITENDE", where=where, modified_since=since)
    extended = codec.compile_search(query, OBJDEF, TZ)
    assert extended.extended
    assert extended.body["query"]["fields"]["NAME"] == {"values": ["Meier", "Maier"]}
    assert extended.body["query"]["baseparams"]["Modified"] == {"value": ">=01.04.2018 08:00:00"}
    documented = codec.compile_search(query, OBJDEF, TZ, extensions=False)
    assert not documented.extended
    text = json.dumps(documented.body)
    assert '"values"' not in text
    assert "systemfields" not in text
    assert '">=' not in text
    assert '"null": false' not in text
    assert documented.body["osid"] == "4711"  # the documented top-level id condition
    assert "fields" not in documented.body["query"]  # nothing left that the server could check exactly
    # the whole condition and the bookmark are checked on the client
    assert documented.residual == Group(
        items=(where, Condition("OBJECT_MODIFYTIME", Op.GE, (since,), system=True))
    )


def test_is_not_null_is_never_sent() -> None:
    compiled = codec.compile_search(
        Query("ORG_MITARBEITENDE", where=Condition("GUELTIG_BIS", Op.NOT_NULL)), OBJDEF, TZ
    )
    assert "fields" not in compiled.body["query"]
    assert compiled.residual == Condition("GUELTIG_BIS", Op.NOT_NULL)
