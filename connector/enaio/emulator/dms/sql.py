"""The DMS service's SQL subset: a hand-written tokenizer and recursive-descent parser that turns a search
statement into :mod:`connector.enaio.query` objects, resolved against the object definition.

Grammar (keywords case-insensitive)::

    statement  := SELECT columns FROM name [WHERE or_expr] [ORDER BY sort {"," sort}]
    columns    := "*" | column {"," column}
    or_expr    := and_expr {OR and_expr}
    and_expr   := primary {AND primary}
    primary    := "(" or_expr ")" | column predicate
    predicate  := cmp value | [NOT] IN "(" value {"," value} ")" | IS [NOT] NULL
                | BETWEEN value AND value | LIKE value [ESCAPE 'c']
    cmp        := "=" | "<>" | "!=" | "<" | "<=" | ">" | ">="
    value      := 'text' | number | 2018-04-01[T12:00:00[+02:00]] | DATE 'text' | TIMESTAMP 'text' | @param
    sort       := column [ASC | DESC]

Values are brought to the field's type here, so the store compares typed values. A LIKE pattern (SQL
``%``/``_``, escaped with the ``ESCAPE`` character) becomes the store's enaio mask (``*``/``?``). Nothing is
evaluated with ``eval`` and no SQL reaches a database.

Personalities: ``documented`` knows only the system properties the public record names for searches
(enaio-rest.md §10.1) plus ``system:FOLDERID``/``system:REGISTERID`` in SELECT (§10.2 names them as an
object's current parent); ``system:SDSTA_ID``/``system:SDREG_ID`` only for document types (a document's
location record, enaio-serverapi.md §3.4); without an ``ESCAPE`` clause a backslash escapes (the CMIS rule),
where the default personality has no escape character then (SQL-92).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.model import FieldValue, ObjectKind
from connector.enaio.objdef import (
    FieldValueError,
    ObjectDefinition,
    ObjectType,
    UnknownFieldError,
    UnknownObjectTypeError,
)
from connector.enaio.objdef.model import ValueType
from connector.enaio.query import Condition, Expr, Group, Op, Sort, System

# DMS property name -> (server-api system field, value kind)
SYSTEM_FIELDS: Mapping[str, tuple[System, str]] = {
    "system:objectId": (System.OBJECT_ID, "int"),
    "system:parentId": (System.PARENT_ID, "int"),
    "system:SDSTA_ID": (System.FOLDER_ID, "int"),
    "system:SDREG_ID": (System.REGISTER_ID, "int"),
    "system:FOLDERID": (System.FOLDER_ID, "int"),
    "system:REGISTERID": (System.REGISTER_ID, "int"),
    "system:creationDate": (System.CREATED, "datetime"),
    "system:lastModificationDate": (System.MODIFIED, "datetime"),
    "system:createdBy": (System.CREATOR, "text"),
    "system:lastModifiedBy": (System.MODIFIER, "text"),
    "system:lockedBy": (System.LOCKUSER, "text"),
}
"""System properties usable in WHERE and ORDER BY."""

SELECTABLE_SYSTEM = (
    "system:objectId",
    "system:objectTypeId",
    "system:baseTypeId",
    "system:parentId",
    "system:SDSTA_ID",
    "system:SDREG_ID",
    "system:FOLDERID",
    "system:REGISTERID",
    "system:createdBy",
    "system:creationDate",
    "system:lastModifiedBy",
    "system:lastModificationDate",
    "system:owner",
    "system:lockedBy",
    "system:deleted",
)
"""System properties a SELECT may name (and the GET of one object returns), default personality."""

DOCUMENTED_SYSTEM = (
    "system:objectId",
    "system:objectTypeId",
    "system:baseTypeId",
    "system:creationDate",
    "system:lastModificationDate",
    "system:createdBy",
    "system:lastModifiedBy",
    "system:SDSTA_ID",
    "system:SDREG_ID",
)
"""The system properties enaio-rest.md §10.1 names as queryable: the documented personality's whole set for
WHERE and ORDER BY (``SDSTA_ID``/``SDREG_ID`` on document types only)."""

DOCUMENTED_SELECT_ONLY = ("system:FOLDERID", "system:REGISTERID")
"""Selectable in the documented personality, not usable in conditions (§10.2 names them as the current
parent of an object, not as search fields)."""

DOCUMENT_ONLY = frozenset({"system:SDSTA_ID", "system:SDREG_ID"})

_SYSTEM_BY_FOLDED = {name.casefold(): name for name in SELECTABLE_SYSTEM}


def selectable_system(documented: bool, object_type: ObjectType) -> tuple[str, ...]:
    """The system properties a SELECT may name for ``object_type`` in a personality."""
    if not documented:
        return SELECTABLE_SYSTEM
    names = DOCUMENTED_SYSTEM + DOCUMENTED_SELECT_ONLY
    if object_type.kind is ObjectKind.DOCUMENT:
        return names
    return tuple(name for name in names if name not in DOCUMENT_ONLY)


_KEYWORDS = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "IS",
        "NULL",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "LIKE",
        "BETWEEN",
        "DATE",
        "TIMESTAMP",
        "ESCAPE",
    }
)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<param>@[A-Za-z_][A-Za-z0-9_]*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<op><>|!=|<=|>=|=|<|>)
  | (?P<punct>[(),*])
    """,
    re.VERBOSE,
)


class SqlError(Exception):
    """A statement the emulator refuses; ``code``/``field`` go into the JSON error body."""

    def __init__(self, code: str, message: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    """string, datetime, number, param, ident, keyword, op, punct, end"""
    text: str
    pos: int


def tokenize(statement: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(statement):
        match = _TOKEN.match(statement, pos)
        if match is None:
            raise SqlError("SYNTAX_ERROR", f"unexpected character {statement[pos]!r} at position {pos}")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "ident" and text.upper() in _KEYWORDS:
            tokens.append(Token("keyword", text.upper(), pos))
        elif kind != "ws":
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token("end", "", pos))
    return tokens


@dataclass(frozen=True, slots=True)
class Column:
    """A resolved column reference: an index field (internal name) or a ``system:`` property."""

    name: str
    system: System | None = None
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class Statement:
    type: ObjectType
    columns: tuple[str, ...] | None
    """Selected property names (index fields by internal name, ``system:`` names); ``None`` for ``*``."""
    where: Expr | None
    order_by: tuple[Sort, ...]


@dataclass(frozen=True, slots=True)
class _Literal:
    raw: Any
    pos: int
    typed_as: str | None = None
    """'date' / 'timestamp' for ``DATE '...'`` / ``TIMESTAMP '...'``."""


class _Parser:
    def __init__(
        self,
        statement: str,
        objdef: ObjectDefinition,
        parameters: Mapping[str, Any],
        tz: ZoneInfo,
        documented: bool = False,
    ) -> None:
        self.tokens = tokenize(statement)
        self.index = 0
        self.objdef = objdef
        self.parameters = parameters
        self.tz = tz
        self.documented = documented
        self.type: ObjectType | None = None

    # -- token helpers -------------------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        return self.current.kind == "keyword" and self.current.text in words

    def accept_keyword(self, word: str) -> bool:
        if self.at_keyword(word):
            self.advance()
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.accept_keyword(word):
            self.fail(f"expected {word}")

    def accept_punct(self, char: str) -> bool:
        if self.current.kind == "punct" and self.current.text == char:
            self.advance()
            return True
        return False

    def expect_punct(self, char: str) -> None:
        if not self.accept_punct(char):
            self.fail(f"expected '{char}'")

    def fail(self, message: str) -> None:
        token = self.current
        found = "end of statement" if token.kind == "end" else repr(token.text)
        raise SqlError("SYNTAX_ERROR", f"{message} at position {token.pos}, found {found}")

    # -- grammar -------------------------------------------------------------------------------

    def statement(self) -> Statement:
        self.expect_keyword("SELECT")
        star, names = self.select_list()
        self.expect_keyword("FROM")
        token = self.advance()
        if token.kind != "ident":
            self.index -= 1 if token.kind != "end" else 0
            self.fail("expected an object type name")
        try:
            self.type = self.objdef.resolve_type(token.text)
        except UnknownObjectTypeError:
            raise SqlError(
                "UNKNOWN_OBJECT_TYPE", f"unknown object type {token.text!r}", field=token.text, status=422
            ) from None
        columns = None if star else tuple(self.resolve_select(name) for name in names)
        where = self.or_expr() if self.accept_keyword("WHERE") else None
        order: list[Sort] = []
        if self.accept_keyword("ORDER"):
            self.expect_keyword("BY")
            order.append(self.sort())
            while self.accept_punct(","):
                order.append(self.sort())
        if self.current.kind != "end":
            self.fail("unexpected input")
        return Statement(type=self.type, columns=columns, where=where, order_by=tuple(order))

    def select_list(self) -> tuple[bool, list[str]]:
        if self.accept_punct("*"):
            return True, []
        names = [self.ident()]
        while self.accept_punct(","):
            names.append(self.ident())
        return False, names

    def ident(self) -> str:
        token = self.current
        if token.kind != "ident":
            self.fail("expected a field name")
        self.advance()
        return token.text

    def resolve_select(self, name: str) -> str:
        if ":" in name:
            self.check_documented(name, select=True)
        if name.casefold() in _SYSTEM_BY_FOLDED:
            return _SYSTEM_BY_FOLDED[name.casefold()]
        return self.column_named(name).name

    def check_documented(self, name: str, *, select: bool) -> None:
        """The documented personality refuses every system property the record does not name (400)."""
        assert self.type is not None  # noqa: S101 - FROM is parsed before any column is resolved
        if not self.documented:
            return
        allowed = selectable_system(True, self.type)
        if not select:
            allowed = tuple(known for known in allowed if known not in DOCUMENTED_SELECT_ONLY)
        if name not in allowed:  # the documented server is case-sensitive
            raise SqlError(
                "UNKNOWN_PROPERTY",
                f"Property {name} is not supported for object type {self.type.internal}",
                field=name,
                status=400,
            )

    def column_named(self, name: str) -> Column:
        assert self.type is not None  # noqa: S101 - FROM is parsed before any column is resolved
        if ":" in name:
            self.check_documented(name, select=False)
            for known, (system, kind) in SYSTEM_FIELDS.items():
                if known.casefold() == name.casefold():
                    return Column(known, system, kind)
            if name.casefold() in _SYSTEM_BY_FOLDED:
                raise SqlError(
                    "UNSUPPORTED_FIELD",
                    f"system field {name!r} cannot be used in conditions or sorting",
                    field=name,
                    status=422,
                )
            raise SqlError("UNKNOWN_FIELD", f"unknown system field {name!r}", field=name, status=422)
        try:
            field = self.type.resolve_field(name)
        except UnknownFieldError:
            raise SqlError(
                "UNKNOWN_FIELD",
                f"unknown field {name!r} in object type {self.type.internal}",
                field=name,
                status=422,
            ) from None
        return Column(field.internal, None, field.value_type.value.lower())

    def sort(self) -> Sort:
        column = self.column_named(self.ident())
        if column.kind == "table":
            raise SqlError("INVALID_QUERY", f"cannot sort by table field {column.name!r}", field=column.name)
        descending = False
        if self.accept_keyword("DESC"):
            descending = True
        else:
            self.accept_keyword("ASC")
        return self._sort(column, descending)

    @staticmethod
    def _sort(column: Column, descending: bool) -> Sort:
        if column.system is not None:
            return Sort(column.system.value, descending, system=True)
        return Sort(column.name, descending)

    def or_expr(self) -> Expr:
        items = [self.and_expr()]
        while self.accept_keyword("OR"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Group(tuple(items), any_of=True)

    def and_expr(self) -> Expr:
        items = [self.primary()]
        while self.accept_keyword("AND"):
            items.append(self.primary())
        return items[0] if len(items) == 1 else Group(tuple(items))

    def primary(self) -> Expr:
        if self.accept_punct("("):
            inner = self.or_expr()
            self.expect_punct(")")
            return inner
        column = self.column_named(self.ident())
        if column.kind == "table":
            raise SqlError(
                "INVALID_QUERY",
                f"table field {column.name!r} cannot be used in a condition",
                field=column.name,
            )
        return self.predicate(column)

    def predicate(self, column: Column) -> Condition:
        token = self.current
        if token.kind == "op":
            self.advance()
            op = Op.NE if token.text == "!=" else Op(token.text)
            return self.condition(column, op, [self.value()])
        if self.accept_keyword("IS"):
            negated = self.accept_keyword("NOT")
            self.expect_keyword("NULL")
            return self.condition(column, Op.NOT_NULL if negated else Op.IS_NULL, [])
        if self.at_keyword("NOT"):
            self.advance()
            if self.at_keyword("IN"):
                raise SqlError("UNSUPPORTED_QUERY", "NOT IN is not supported by the emulator")
            self.fail("expected IN after NOT")
        if self.accept_keyword("IN"):
            self.expect_punct("(")
            values = [self.value()]
            while self.accept_punct(","):
                values.append(self.value())
            self.expect_punct(")")
            return self.condition(column, Op.IN, values, allow_lists=True)
        if self.accept_keyword("BETWEEN"):
            low = self.value()
            self.expect_keyword("AND")
            high = self.value()
            return self.condition(column, Op.BETWEEN, [low, high])
        if self.accept_keyword("LIKE"):
            pattern = self.value()
            escape: str | None = "\\" if self.documented else None
            if self.accept_keyword("ESCAPE"):
                token = self.current
                if token.kind != "string" or len(_unquote(token.text)) != 1:
                    self.fail("expected one quoted escape character after ESCAPE")
                self.advance()
                escape = _unquote(token.text)
            if not isinstance(pattern.raw, str):
                raise SqlError(
                    "INVALID_VALUE", f"LIKE on {column.name} needs a text pattern", field=column.name
                )
            mask = like_mask(pattern.raw, escape, column.name)
            return self.condition(column, Op.LIKE, [_Literal(mask, pattern.pos)])
        self.fail(f"expected a comparison after {column.name}")
        raise AssertionError("unreachable")

    def value(self) -> _Literal:
        token = self.current
        if token.kind == "keyword" and token.text in ("DATE", "TIMESTAMP"):
            self.advance()
            inner = self.current
            if inner.kind != "string":
                self.fail(f"expected a quoted literal after {token.text}")
            self.advance()
            return _Literal(_unquote(inner.text), inner.pos, token.text.lower())
        if token.kind == "string":
            self.advance()
            return _Literal(_unquote(token.text), token.pos)
        if token.kind == "datetime":
            self.advance()
            return _Literal(token.text, token.pos)
        if token.kind == "number":
            self.advance()
            number: int | Decimal = Decimal(token.text) if "." in token.text else int(token.text)
            return _Literal(number, token.pos)
        if token.kind == "param":
            self.advance()
            name = token.text[1:]
            if name not in self.parameters:
                raise SqlError("MISSING_PARAMETER", f"parameter @{name} is not given", field=name)
            return _Literal(self.parameters[name], token.pos)
        self.fail("expected a value")
        raise AssertionError("unreachable")

    # -- typing --------------------------------------------------------------------------------

    def condition(
        self, column: Column, op: Op, literals: Sequence[_Literal], *, allow_lists: bool = False
    ) -> Condition:
        values: list[FieldValue] = []
        for literal in literals:
            raw = literal.raw
            items = raw if isinstance(raw, list) else [raw]
            if isinstance(raw, list) and not allow_lists:
                raise SqlError(
                    "INVALID_VALUE", f"a list parameter is only allowed in IN (...) ({column.name})"
                )
            for item in items:
                values.append(self.typed(column, op, item, literal.typed_as))
        if op is Op.IN and not values:
            raise SqlError("INVALID_VALUE", f"IN list for {column.name} is empty", field=column.name)
        if column.system is not None:
            return Condition(column.system.value, op, tuple(values), system=True)
        return Condition(column.name, op, tuple(values))

    def typed(self, column: Column, op: Op, raw: Any, typed_as: str | None) -> FieldValue:
        if raw is None or isinstance(raw, bool | dict | list):
            raise SqlError(
                "INVALID_VALUE",
                f"{column.name}: {type(raw).__name__} is not a usable value",
                field=column.name,
            )
        if isinstance(raw, float):
            raw = Decimal(str(raw))
        if op is Op.LIKE:
            if column.kind != "text":
                raise SqlError(
                    "INVALID_QUERY", f"LIKE needs a text field, {column.name} is not", field=column.name
                )
            return str(raw)
        kind = column.kind
        if typed_as == "date" and kind not in ("date", "datetime"):
            raise SqlError("INVALID_VALUE", f"{column.name} is not a date field", field=column.name)
        try:
            if column.system is not None:
                return self._system_value(column, raw)
            assert self.type is not None  # noqa: S101
            field = self.type.field(column.name)
            if field.value_type is ValueType.TEXT and not isinstance(raw, str):
                raw = str(raw)
            value = field.coerce(raw, tz=self.tz)
        except (FieldValueError, ValueError) as exc:
            raise SqlError(
                "INVALID_VALUE",
                f"{column.name}: {raw!r} does not fit the field ({exc})",
                field=column.name,
                status=422,
            ) from None
        if value is None:
            raise SqlError("INVALID_VALUE", f"{column.name}: empty value; use IS NULL", field=column.name)
        return value

    def _system_value(self, column: Column, raw: Any) -> FieldValue:
        if column.kind == "int":
            if isinstance(raw, Decimal) or (isinstance(raw, str) and not raw.strip().lstrip("-").isdigit()):
                raise ValueError("not an object id")
            return int(raw)
        if column.kind == "datetime":
            if isinstance(raw, datetime):
                return raw
            if isinstance(raw, date):
                return timeutil.start_of_day(raw, self.tz)
            if not isinstance(raw, str):
                raise ValueError("not a date-time")
            return timeutil.parse_datetime(raw, self.tz)
        return str(raw)


def like_mask(pattern: str, escape: str | None, field: str) -> str:
    """An SQL LIKE pattern (``%`` any run, ``_`` one character, ``escape`` + char = that char) as the
    store's enaio mask (``*``/``?``; ``%`` and ``_`` are literal there). A literal ``*`` or ``?`` has no
    form in an enaio mask, so it is refused rather than silently widened."""
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if escape is not None and ch == escape:
            nxt = next(chars, None)
            if nxt is None or nxt not in ("%", "_", escape):
                raise SqlError(
                    "INVALID_QUERY",
                    f"LIKE pattern on {field}: the escape character must precede %, _ or itself",
                    field=field,
                )
            ch = nxt
            literal = True
        else:
            literal = False
        if not literal and ch == "%":
            out.append("*")
        elif not literal and ch == "_":
            out.append("?")
        elif ch in ("*", "?"):
            raise SqlError(
                "UNSUPPORTED_QUERY",
                f"LIKE pattern on {field}: a literal {ch} cannot be searched (enaio masks use it)",
                field=field,
            )
        else:
            out.append(ch)
    return "".join(out)


def _unquote(text: str) -> str:
    return text[1:-1].replace("''", "'")


def parse_statement(
    statement: str,
    objdef: ObjectDefinition,
    parameters: Mapping[str, Any] | None = None,
    tz: ZoneInfo | None = None,
    *,
    documented: bool = False,
) -> Statement:
    """Parse and resolve one search statement; :class:`SqlError` names what is wrong."""
    if not isinstance(statement, str) or not statement.strip():
        raise SqlError("SYNTAX_ERROR", "the query has no statement")
    return _Parser(
        statement, objdef, parameters or {}, tz or timeutil.zone(timeutil.DEFAULT_ZONE), documented
    ).statement()
