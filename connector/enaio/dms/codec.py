"""DMS service wire form: :class:`~connector.enaio.query.Query` -> SQL statement with ``@parameters``,
Python values -> JSON, JSON bodies -> wire models.

Values never enter the SQL text: every value becomes a named parameter. Names (types, fields) are checked
against a strict identifier pattern before they are written into the statement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from connector.enaio.model import FieldValue, ObjectKind
from connector.enaio.objdef import FieldDef, ObjectType, UnknownFieldError
from connector.enaio.query import Condition, Deleted, Expr, Group, Op, Query, Sort, System
from connector.errors import ResponseFormatError, ValidationError

SYSTEM_PROPERTY: Mapping[System, str] = {
    System.OBJECT_ID: "system:objectId",
    System.CREATED: "system:creationDate",
    System.CREATOR: "system:createdBy",
    System.MODIFIED: "system:lastModificationDate",
    System.MODIFIER: "system:lastModifiedBy",
    System.LOCKUSER: "system:lockedBy",
    System.FOLDER_ID: "system:SDSTA_ID",
    System.REGISTER_ID: "system:SDREG_ID",
    System.PARENT_ID: "system:parentId",
}

REQUIRED_COLUMNS = (
    "system:objectId",
    "system:objectTypeId",
    "system:baseTypeId",
    "system:createdBy",
    "system:creationDate",
    "system:lastModifiedBy",
    "system:lastModificationDate",
)
"""System properties every search asks for: documented (enaio-rest.md §10.1) and needed by every object."""

LOCATION_COLUMNS = (
    "system:SDSTA_ID",
    "system:SDREG_ID",
    "system:FOLDERID",
    "system:REGISTERID",
    "system:parentId",
)
"""Where a register or document lies. ``SDSTA_ID``/``SDREG_ID`` are documented for searches (but a server may
keep them to documents); ``FOLDERID``/``REGISTERID`` name the current parent in §10.2; ``parentId`` is the
write-side name. Each is optional: a server that refuses one is asked without it."""

EXTRA_COLUMNS = ("system:owner", "system:lockedBy", "system:deleted")
"""Not in the public record: asked for while the server accepts them, else unknown (owner -> creator,
lock state unknown, deleted from the search mode)."""

OPTIONAL_COLUMNS = LOCATION_COLUMNS + EXTRA_COLUMNS

FILTER_CANDIDATES: Mapping[System, tuple[str, ...]] = {
    System.FOLDER_ID: ("system:SDSTA_ID", "system:FOLDERID"),
    System.REGISTER_ID: ("system:SDREG_ID", "system:REGISTERID"),
}
"""Properties that filter by folder / direct register, in the order tried."""

LIKE_ESCAPE = "\\"
"""The escape character of LIKE patterns, declared with ``ESCAPE '\\'`` whenever a pattern needs it."""


def system_columns(object_type: ObjectType, refused: frozenset[str] = frozenset()) -> list[str]:
    """The system properties a search of ``object_type`` asks for, without those the server refused."""
    optional = EXTRA_COLUMNS if object_type.kind is ObjectKind.FOLDER else OPTIONAL_COLUMNS
    return [*REQUIRED_COLUMNS, *(name for name in optional if name not in refused)]


def like_pattern(mask: str) -> tuple[str, bool]:
    """A neutral mask (``*`` any run, ``?`` one character, everything else literal) as an SQL LIKE pattern,
    and whether it needs the escape clause (literal ``%``, ``_`` or the escape character)."""
    out: list[str] = []
    escaped = False
    for ch in mask:
        if ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        elif ch in ("%", "_", LIKE_ESCAPE):
            out.append(LIKE_ESCAPE + ch)
            escaped = True
        else:
            out.append(ch)
    return "".join(out), escaped


class LocationFilterRefused(ValidationError):
    """The server refuses every property that filters ``type`` by folder or register."""


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CMP = {Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE}

DELETED_MODE = {
    Deleted.EXCLUDE: "DELETED_DOCUMENTS_EXCLUDE",
    Deleted.ONLY: "DELETED_DOCUMENTS_ONLY",
}

M = TypeVar("M", bound=BaseModel)


def resolve_field(object_type: ObjectType, name: str, operation: str) -> FieldDef:
    """A field of ``object_type`` by any name enaio allows; unknown -> ``ValidationError`` naming it."""
    try:
        return object_type.resolve_field(name)
    except UnknownFieldError:
        raise ValidationError(
            f"unknown field {name} in object type {object_type.internal}",
            field=name,
            operation=operation,
            code="UNKNOWN_FIELD",
        ) from None


def identifier(name: str) -> str:
    """A type or field name safe to write into the statement."""
    if not _IDENT.match(name):
        raise ValidationError(
            f"{name!r} is not a valid field or type name", field=name, operation="dms.search"
        )
    return name


def json_value(value: FieldValue, tz: ZoneInfo) -> str | int:
    """A typed value as the DMS service takes it: text, integer, decimal as text, ISO date / date-time."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError("naive datetime given; datetimes must be aware")
        return value.astimezone(tz).replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | str):
        return value
    raise ValidationError(f"{type(value).__name__} is not an enaio value")


@dataclass
class CompiledSearch:
    """A search statement and its parameters; ``empty`` when the query cannot match anything."""

    statement: str
    parameters: dict[str, Any] = field(default_factory=dict)
    empty: bool = False
    selected: frozenset[str] = frozenset()
    """The system properties the statement selects."""
    filters: frozenset[str] = frozenset()
    """The location properties its conditions use."""


class _Compiler:
    def __init__(self, tz: ZoneInfo, object_type: ObjectType, refused_filters: frozenset[str]) -> None:
        self.tz = tz
        self.object_type = object_type
        self.type_name = object_type.internal
        self.refused_filters = refused_filters
        self.parameters: dict[str, Any] = {}
        self.filters: set[str] = set()
        """Location properties used in conditions (a refusal naming one is learnt, not final)."""

    def location(self, system: System) -> str:
        """The first filter property for ``system`` (folder / register) the server has not refused."""
        candidates = FILTER_CANDIDATES[system]
        for name in candidates:
            if name not in self.refused_filters:
                self.filters.add(name)
                return name
        what = "folder" if system is System.FOLDER_ID else "register"
        raise LocationFilterRefused(
            f"the DMS service cannot search {self.type_name} by its {what} ({' and '.join(candidates)} are "
            'refused); set interface = "soap" or "osrest" (ENAIO_INTERFACE) for this search',
            field=candidates[0],
            operation="dms.search",
        )

    def param(self, value: Any) -> str:
        name = f"p{len(self.parameters)}"
        self.parameters[name] = value
        return "@" + name

    def column(self, name: str, system: bool) -> str:
        if system:
            try:
                known = System(name)
                if known in FILTER_CANDIDATES:
                    return self.location(known)
                return SYSTEM_PROPERTY[known]
            except ValueError:
                raise ValidationError(
                    f"system field {name!r} is not searchable through the DMS service",
                    field=name,
                    operation="dms.search",
                ) from None
        return identifier(resolve_field(self.object_type, name, "dms.search").internal)

    def expr(self, item: Expr) -> str | None:
        """SQL for a condition or group; ``None`` for an empty AND (always true)."""
        if isinstance(item, Group):
            parts = [self.expr(child) for child in item.items]
            if item.any_of:
                if not parts or any(part is None for part in parts):
                    if not parts:
                        raise _NeverMatches
                    return None
                texts = [part for part in parts if part is not None]
                return texts[0] if len(texts) == 1 else "(" + " OR ".join(texts) + ")"
            texts = [part for part in parts if part is not None]
            if not texts:
                return None
            return texts[0] if len(texts) == 1 else "(" + " AND ".join(texts) + ")"
        return self.condition(item)

    def condition(self, cond: Condition) -> str:
        col = self.column(cond.field, cond.system)
        values = [json_value(value, self.tz) for value in cond.values]
        op = cond.op
        if op in (Op.IS_NULL, Op.NOT_NULL):
            return f"{col} {op.value}"
        if op is Op.IN:
            if not values:
                raise _NeverMatches
            return f"{col} IN ({self.param(values)})"
        if op is Op.BETWEEN:
            if len(values) != 2:
                raise ValidationError(f"BETWEEN on {cond.field} needs two values", field=cond.field)
            return f"({col} >= {self.param(values[0])} AND {col} <= {self.param(values[1])})"
        if len(values) != 1:
            raise ValidationError(f"{op.value} on {cond.field} needs one value", field=cond.field)
        if op is Op.LIKE:
            pattern, escaped = like_pattern(str(values[0]))
            if escaped:
                return f"{col} LIKE {self.param(pattern)} ESCAPE '{LIKE_ESCAPE}'"
            return f"{col} LIKE {self.param(pattern)}"
        if op in _CMP:
            return f"{col} {op.value} {self.param(values[0])}"
        raise ValidationError(f"operator {op.value} is not supported", field=cond.field)  # pragma: no cover

    def sort(self, item: Sort) -> str:
        return f"{self.column(item.field, item.system)} {'DESC' if item.descending else 'ASC'}"


class _NeverMatches(Exception):
    pass


def compile_search(
    query: Query,
    object_type: ObjectType,
    tz: ZoneInfo,
    ancestor_ids: Sequence[tuple[System, Sequence[int]]] = (),
    *,
    refused: frozenset[str] = frozenset(),
    refused_filters: frozenset[str] = frozenset(),
) -> CompiledSearch:
    """``SELECT <system columns>, <index fields> FROM <type> WHERE ... ORDER BY ..., system:objectId``.

    ``ancestor_ids`` are (``System.FOLDER_ID`` | ``System.REGISTER_ID``, ids) pairs the caller resolved from
    the query's ancestor conditions. ``refused`` / ``refused_filters``: properties the server refused in
    SELECT / in conditions for this type (left out, or the next candidate used).
    """
    compiler = _Compiler(tz, object_type, refused_filters)
    selected = system_columns(object_type, refused)
    columns = [*selected, *(identifier(f.internal) for f in object_type.fields)]
    text = f"SELECT {', '.join(columns)} FROM {identifier(object_type.internal)}"  # noqa: S608 - names checked by identifier(), values are @parameters
    try:
        clauses: list[str] = []
        if query.where is not None:
            where = compiler.expr(query.where)
            if where is not None:
                clauses.append(where)
        for system, ids in ancestor_ids:
            if not ids:
                raise _NeverMatches
            clauses.append(f"{compiler.location(system)} IN ({compiler.param(list(ids))})")
        if query.modified_since is not None:
            since = json_value(query.modified_since, tz)
            clauses.append(f"system:lastModificationDate >= {compiler.param(since)}")
    except _NeverMatches:
        return CompiledSearch(text, {}, empty=True, selected=frozenset(selected))
    if clauses:
        text += " WHERE " + " AND ".join(clauses)
    order = [compiler.sort(item) for item in query.order_by]
    if not any(item.system and item.field == System.OBJECT_ID.value for item in query.order_by):
        order.append("system:objectId ASC")  # a total order keeps skipCount paging stable
    text += " ORDER BY " + ", ".join(order)
    return CompiledSearch(
        text, compiler.parameters, selected=frozenset(selected), filters=frozenset(compiler.filters)
    )


def search_body(compiled: CompiledSearch, deleted: Deleted, skip: int, max_items: int) -> dict[str, Any]:
    return {
        "query": {
            "statement": compiled.statement,
            "skipCount": skip,
            "maxItems": max_items,
            "handleDeletedDocuments": DELETED_MODE[deleted],
            "includePermissions": False,
            "options": {"Rights": 0, "RegisterContext": 0, "Baseparams": 1, "FileInfo": 1},
            "parameters": compiled.parameters,
        }
    }


def parse_model(model: type[M], body: Any, operation: str) -> M:
    """Validate a decoded JSON body against a wire model; a wrong shape is a ``ResponseFormatError``."""
    try:
        return model.model_validate(body)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(body)"
        raise ResponseFormatError(
            f"unexpected response shape at {where}: {first['msg']}", operation=operation
        ) from None
