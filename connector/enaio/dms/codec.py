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

from connector.enaio.model import FieldValue
from connector.enaio.objdef import ObjectType
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

SYSTEM_COLUMNS = (
    "system:objectId",
    "system:objectTypeId",
    "system:baseTypeId",
    "system:parentId",
    "system:SDSTA_ID",
    "system:SDREG_ID",
    "system:createdBy",
    "system:creationDate",
    "system:lastModifiedBy",
    "system:lastModificationDate",
    "system:owner",
    "system:lockedBy",
    "system:deleted",
)
"""What a search asks for besides the index fields: everything an ``EnaioObject`` needs."""

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CMP = {Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE}

DELETED_MODE = {
    Deleted.EXCLUDE: "DELETED_DOCUMENTS_EXCLUDE",
    Deleted.ONLY: "DELETED_DOCUMENTS_ONLY",
}

M = TypeVar("M", bound=BaseModel)


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


class _Compiler:
    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.parameters: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.parameters)}"
        self.parameters[name] = value
        return "@" + name

    def column(self, name: str, system: bool) -> str:
        if system:
            try:
                return SYSTEM_PROPERTY[System(name)]
            except ValueError:
                raise ValidationError(
                    f"system field {name!r} is not searchable through the DMS service",
                    field=name,
                    operation="dms.search",
                ) from None
        return identifier(name)

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
            pattern = str(values[0]).replace("*", "%").replace("?", "_")
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
    ancestor_ids: Sequence[tuple[str, Sequence[int]]] = (),
) -> CompiledSearch:
    """``SELECT <system columns>, <index fields> FROM <type> WHERE ... ORDER BY ..., system:objectId``.

    ``ancestor_ids`` are (``system:SDSTA_ID`` | ``system:SDREG_ID``, ids) pairs the caller resolved from the
    query's ancestor conditions.
    """
    compiler = _Compiler(tz)
    columns = [*SYSTEM_COLUMNS, *(identifier(f.internal) for f in object_type.fields)]
    text = f"SELECT {', '.join(columns)} FROM {identifier(object_type.internal)}"  # noqa: S608 - names checked by identifier(), values are @parameters
    try:
        clauses: list[str] = []
        if query.where is not None:
            where = compiler.expr(query.where)
            if where is not None:
                clauses.append(where)
        for column, ids in ancestor_ids:
            if not ids:
                raise _NeverMatches
            clauses.append(f"{column} IN ({compiler.param(list(ids))})")
        if query.modified_since is not None:
            since = json_value(query.modified_since, tz)
            clauses.append(f"system:lastModificationDate >= {compiler.param(since)}")
    except _NeverMatches:
        return CompiledSearch(text, {}, empty=True)
    if clauses:
        text += " WHERE " + " AND ".join(clauses)
    order = [compiler.sort(item) for item in query.order_by]
    if not any(item.system and item.field == System.OBJECT_ID.value for item in query.order_by):
        order.append("system:objectId ASC")  # a total order keeps skipCount paging stable
    text += " ORDER BY " + ", ".join(order)
    return CompiledSearch(text, compiler.parameters)


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
