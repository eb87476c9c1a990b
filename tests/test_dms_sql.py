"""The DMS SQL subset: the emulator's tokenizer and parser, and the client's compiler round-tripping."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.enaio.dms.codec import compile_search, identifier, search_body
from connector.enaio.emulator.dms.sql import SqlError, parse_statement, tokenize
from connector.enaio.objdef import default_objdef
from connector.enaio.query import (
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
    is_in,
)
from connector.errors import ValidationError

TZ = ZoneInfo("Europe/Berlin")
OBJDEF = default_objdef()


def parse(statement: str, **parameters: object) -> object:
    return parse_statement(statement, OBJDEF, parameters, TZ)


def test_tokens() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("select system:objectId,A FROM T where x<>'it''s' and y>=@p")]
    assert kinds == [
        ("keyword", "SELECT"),
        ("ident", "system:objectId"),
        ("punct", ","),
        ("ident", "A"),
        ("keyword", "FROM"),
        ("ident", "T"),
        ("keyword", "WHERE"),
        ("ident", "x"),
        ("op", "<>"),
        ("string", "'it''s'"),
        ("keyword", "AND"),
        ("ident", "y"),
        ("op", ">="),
        ("param", "@p"),
        ("end", ""),
    ]


def test_full_statement() -> None:
    statement = parse(
        "SELECT system:objectId, DATUM, KONTAKTART FROM IM_KONTAKT "
        "WHERE (KONTAKTART = 'SONDIERUNG' OR KONTAKTART IN (@kinds, 'BERATUNG')) "
        "AND DATUM BETWEEN 2018-04-01 AND @to AND DAUER_MIN >= 30 AND KANAL IS NOT NULL "
        "AND THEMEN LIKE '%SPRACHE%' AND system:lastModificationDate > '2018-01-01T08:00:00+01:00' "
        "ORDER BY DATUM DESC, system:objectId",
        kinds=["PLANGESPRAECH"],
        to="2018-06-30",
    )
    assert statement.type.internal == "IM_KONTAKT"  # type: ignore[attr-defined]
    assert statement.columns == ("system:objectId", "DATUM", "KONTAKTART")  # type: ignore[attr-defined]
    assert statement.where == Group(  # type: ignore[attr-defined]
        (
            Group(
                (
                    Condition("KONTAKTART", Op.EQ, ("SONDIERUNG",)),
                    Condition("KONTAKTART", Op.IN, ("PLANGESPRAECH", "BERATUNG")),
                ),
                any_of=True,
            ),
            Condition("DATUM", Op.BETWEEN, (date(2018, 4, 1), date(2018, 6, 30))),
            Condition("DAUER_MIN", Op.GE, (30,)),
            Condition("KANAL", Op.NOT_NULL),
            Condition("THEMEN", Op.LIKE, ("*SPRACHE*",)),
            Condition(
                "OBJECT_MODIFYTIME", Op.GT, (datetime(2018, 1, 1, 8, tzinfo=ZoneInfo("Europe/Berlin")),), True
            ),
        )
    )
    assert statement.order_by == (  # type: ignore[attr-defined]
        Sort("DATUM", descending=True),
        Sort("OBJECT_ID", system=True),
    )


def test_star_and_system_fields() -> None:
    statement = parse(
        "SELECT * FROM IM_PLAN WHERE system:SDSTA_ID IN (@ids) AND system:SDREG_ID = '7' "
        "AND system:parentId <> 8 AND system:createdBy = 'alice' "
        "AND system:creationDate <= DATE '2018-01-01'",
        ids=[1, "2"],
    )
    assert statement.columns is None  # type: ignore[attr-defined]
    assert statement.where == Group(  # type: ignore[attr-defined]
        (
            Condition("SDSTA_ID", Op.IN, (1, 2), True),
            Condition("SDREG_ID", Op.EQ, (7,), True),
            Condition("PARENT_ID", Op.NE, (8,), True),
            Condition("OBJECT_CRID", Op.EQ, ("alice",), True),
            Condition("OBJECT_CRDATE", Op.LE, (datetime(2018, 1, 1, tzinfo=TZ),), True),
        )
    )


def test_values_are_typed_by_field() -> None:
    statement = parse(
        "SELECT * FROM ORG_MITARBEITENDE WHERE VZAE = @v AND VZAE < 1 AND FOERDERFAEHIG = '1' "
        "AND GUELTIG_AB = '01.04.2018' AND PERSONALNUMMER = 1001",
        v=0.5,
    )
    where = statement.where  # type: ignore[attr-defined]
    assert [c.values for c in where.items] == [
        (Decimal("0.5"),),
        (Decimal(1),),
        (1,),
        (date(2018, 4, 1),),
        ("1001",),
    ]


def test_keywords_are_case_insensitive_and_precedence() -> None:
    statement = parse(
        "select * from IM_FALL where FALLSTATUS = 'AKTIV' or FALLSTATUS = 'RUHEND' and FALLENDE is null"
    )
    assert statement.where == Group(  # type: ignore[attr-defined]
        (
            Condition("FALLSTATUS", Op.EQ, ("AKTIV",)),
            Group((Condition("FALLSTATUS", Op.EQ, ("RUHEND",)), Condition("FALLENDE", Op.IS_NULL))),
        ),
        any_of=True,
    )


def test_field_aliases_resolve_to_internal_names() -> None:
    statement = parse("SELECT feld1 FROM IM_KLIENT WHERE Familienname = 'X'")
    assert statement.columns == ("AKTENZEICHEN",)  # type: ignore[attr-defined]
    assert statement.where == Condition("FAMILIENNAME", Op.EQ, ("X",))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("statement", "parameters", "code", "field"),
    [
        ("SELECT * FROM IM_NICHTS", {}, "UNKNOWN_OBJECT_TYPE", "IM_NICHTS"),
        ("SELECT FARBE FROM IM_KLIENT", {}, "UNKNOWN_FIELD", "FARBE"),
        ("SELECT * FROM IM_KLIENT WHERE FARBE = 'x'", {}, "UNKNOWN_FIELD", "FARBE"),
        ("SELECT * FROM IM_KLIENT ORDER BY FARBE", {}, "UNKNOWN_FIELD", "FARBE"),
        ("SELECT * FROM IM_KLIENT WHERE system:foo = 1", {}, "UNKNOWN_FIELD", "system:foo"),
        ("SELECT * FROM IM_KLIENT WHERE GEBURTSDATUM = 'gestern'", {}, "INVALID_VALUE", "GEBURTSDATUM"),
        ("SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN = @a", {}, "MISSING_PARAMETER", "a"),
        ("SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN = @a", {"a": ["x"]}, "INVALID_VALUE", None),
        ("SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN IN (@a)", {"a": []}, "INVALID_VALUE", "AKTENZEICHEN"),
        ("SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN = @a", {"a": None}, "INVALID_VALUE", "AKTENZEICHEN"),
        ("SELECT * FROM IM_KLIENT WHERE system:objectId = 'abc'", {}, "INVALID_VALUE", "system:objectId"),
        ("SELECT * FROM IM_KLIENT WHERE GEBURTSDATUM LIKE '19%'", {}, "INVALID_QUERY", "GEBURTSDATUM"),
        ("SELECT * FROM IM_PLAN WHERE ZIELE = 'x'", {}, "INVALID_QUERY", "ZIELE"),
        ("SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN NOT IN ('a')", {}, "UNSUPPORTED_QUERY", None),
        ("SELECT * FROM IM_KLIENT WHERE system:owner = 'a'", {}, "UNSUPPORTED_FIELD", "system:owner"),
    ],
)
def test_semantic_errors_name_the_culprit(
    statement: str, parameters: dict[str, object], code: str, field: str | None
) -> None:
    with pytest.raises(SqlError) as caught:
        parse_statement(statement, OBJDEF, parameters, TZ)
    assert caught.value.code == code
    assert caught.value.field == field
    if field:
        assert field in caught.value.message


@pytest.mark.parametrize(
    "statement",
    [
        "",
        "SELECT",
        "SELECT * IM_KLIENT",
        "SELECT * FROM",
        "SELECT * FROM IM_KLIENT WHERE",
        "SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN",
        "SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN = ",
        "SELECT * FROM IM_KLIENT WHERE (AKTENZEICHEN = 'a'",
        "SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN = 'a' garbage",
        "SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN = 'unterminated",
        "SELECT * FROM IM_KLIENT; DROP TABLE objects",
        "SELECT * FROM IM_KLIENT WHERE AKTENZEICHEN IS 'a'",
        "SELECT * FROM IM_KLIENT ORDER AKTENZEICHEN",
        "SELECT * FROM IM_KLIENT WHERE DATE = 1",
    ],
)
def test_syntax_errors(statement: str) -> None:
    with pytest.raises(SqlError) as caught:
        parse_statement(statement, OBJDEF, {}, TZ)
    assert caught.value.code == "SYNTAX_ERROR"
    assert caught.value.status == 400


# --- the client's compiler --------------------------------------------------------------------------


def compile_and_parse(query: Query) -> object:
    compiled = compile_search(query, OBJDEF.type_by_name(query.type_name), TZ)
    return parse_statement(compiled.statement, OBJDEF, compiled.parameters, TZ)


def test_values_never_enter_the_statement() -> None:
    nasty = "x' OR '1'='1"
    query = Query("IM_KLIENT", where=all_of(eq("FAMILIENNAME", nasty), is_in("GESCHLECHT", ["DIVERS", "X"])))
    compiled = compile_search(query, OBJDEF.type_by_name("IM_KLIENT"), TZ)
    assert nasty not in compiled.statement
    assert "DIVERS" not in compiled.statement
    assert compiled.parameters == {"p0": nasty, "p1": ["DIVERS", "X"]}
    assert compiled.statement.endswith(
        "FROM IM_KLIENT WHERE (FAMILIENNAME = @p0 AND GESCHLECHT IN (@p1)) ORDER BY system:objectId ASC"
    )
    body = search_body(compiled, Deleted.ONLY, 20, 10)["query"]
    assert (body["skipCount"], body["maxItems"], body["handleDeletedDocuments"]) == (
        20,
        10,
        "DELETED_DOCUMENTS_ONLY",
    )


def test_names_are_checked() -> None:
    with pytest.raises(ValidationError):
        identifier("A = 1 OR B")
    with pytest.raises(ValidationError):
        compile_search(Query("IM_KLIENT", where=eq("X'--", "a")), OBJDEF.type_by_name("IM_KLIENT"), TZ)


def test_compiled_query_round_trips() -> None:
    since = datetime(2018, 7, 1, 12, 30, tzinfo=ZoneInfo("UTC"))
    query = Query(
        "IM_KONTAKT",
        where=all_of(
            any_of(eq("KONTAKTART", "SONDIERUNG"), is_in("KANAL", ["TELEFON", "VIDEO"])),
            Condition("DATUM", Op.BETWEEN, (date(2018, 4, 1), date(2018, 6, 30))),
            Condition("THEMEN", Op.LIKE, ("*SPRACHE?",)),
            Condition("DOLMETSCHUNG", Op.IS_NULL),
            eq(System.FOLDER_ID.value, 1234, system=True),
        ),
        modified_since=since,
        order_by=(Sort("DATUM", descending=True),),
    )
    statement = compile_and_parse(query)
    inner = Group(
        (
            Group(
                (
                    Condition("KONTAKTART", Op.EQ, ("SONDIERUNG",)),
                    Condition("KANAL", Op.IN, ("TELEFON", "VIDEO")),
                ),
                any_of=True,
            ),
            Group(
                (
                    Condition("DATUM", Op.GE, (date(2018, 4, 1),)),
                    Condition("DATUM", Op.LE, (date(2018, 6, 30),)),
                )
            ),
            Condition("THEMEN", Op.LIKE, ("*SPRACHE?",)),
            Condition("DOLMETSCHUNG", Op.IS_NULL),
            Condition("SDSTA_ID", Op.EQ, (1234,), True),
        )
    )
    modified = Condition("OBJECT_MODIFYTIME", Op.GE, (since.astimezone(TZ),), True)
    assert statement.where == Group((inner, modified))  # type: ignore[attr-defined]
    assert statement.order_by == (Sort("DATUM", descending=True), Sort("OBJECT_ID", system=True))  # type: ignore[attr-defined]


def test_empty_in_list_matches_nothing() -> None:
    compiled = compile_search(
        Query("IM_KLIENT", where=is_in("GESCHLECHT", [])), OBJDEF.type_by_name("IM_KLIENT"), TZ
    )
    assert compiled.empty


_texts = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=30
).filter(lambda text: text.strip() != "")  # a blank value is refused on purpose ("use IS NULL")
_values = st.one_of(
    _texts.map(lambda t: ("FAMILIENNAME", t)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(lambda d: ("GEBURTSDATUM", d)),
    st.integers(min_value=0, max_value=1).map(lambda n: ("IM_UEBERTRAGEN", n)),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_values, st.sampled_from(["=", "<>", "<", ">="])), min_size=1, max_size=5),
    st.booleans(),
)
def test_round_trip_property(items: list[tuple[tuple[str, object], str]], disjunction: bool) -> None:
    conditions = tuple(Condition(name, Op(op), (value,)) for (name, value), op in items)  # type: ignore[arg-type]
    where = conditions[0] if len(conditions) == 1 else Group(conditions, any_of=disjunction)
    statement = compile_and_parse(Query("IM_KLIENT", where=where))
    assert statement.where == where  # type: ignore[attr-defined]
