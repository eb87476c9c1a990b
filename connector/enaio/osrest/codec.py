"""``Query`` -> osrest search body, osrest JSON -> wire models.

The osrest query form is a conjunction of per-field values (enaio-rest.md §4.1). What it cannot express
exactly (OR groups, ``<>``, ``BETWEEN``, a second condition on the same field) is left out of the body
and re-checked on the client (``CompiledSearch.residual``); the body then asks for a superset.

Emulator extensions (docs/emulator-choices.md, osrest) are used only while the server accepts them:
comparison prefixes ``>=``/``>``/``<=``/``<`` in ``value`` of date, number and base-param conditions,
``"values": [...]`` for IN and ``systemfields`` for location and id conditions. With
``extensions=False`` (the client switches once a server refuses them) those conditions are checked on the
client instead, and only the documented search-by-example form goes to the server. IS NOT NULL is
always checked on the client: ``"null": false`` means nothing the record documents.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from connector import timeutil
from connector.enaio.interface import value_error
from connector.enaio.model import FieldValue
from connector.enaio.objdef import (
    FieldDef,
    FieldValueError,
    ObjdefLookupError,
    ObjectDefinition,
    ObjectType,
    TableColumn,
    ValueType,
)
from connector.enaio.osrest.wire import (
    WireFileList,
    WireHistoryEntry,
    WireObject,
    WireShapeError,
    decode_object,
)
from connector.enaio.query import AncestorCondition, Condition, Deleted, Expr, Group, Op, Query, Sort, System
from connector.errors import ResponseFormatError, ValidationError

Strategy = Literal["server", "scan"]
M = TypeVar("M", bound=BaseModel)

_PREFIX = {Op.GE: ">=", Op.GT: ">", Op.LE: "<=", Op.LT: "<"}
_BASE_PARAMS = {
    System.CREATED: "Created",
    System.CREATOR: "Creator",
    System.MODIFIED: "Modified",
    System.MODIFIER: "Modifier",
}
_SYSTEM_FIELDS = {
    System.OBJECT_ID,
    System.FOLDER_ID,
    System.REGISTER_ID,
    System.PARENT_ID,
    System.LOCKUSER,
}
_ORDERED = {ValueType.DATE, ValueType.DATETIME, ValueType.INTEGER, ValueType.DECIMAL}


def resolve_type(objdef: ObjectDefinition, ref: str | int) -> ObjectType:
    """The object type, or a ``ValidationError`` naming it (a caller's mistake, not a server fault)."""
    try:
        return objdef.resolve_type(ref)
    except ObjdefLookupError as exc:
        raise ValidationError(exc.message, field=str(ref)) from None


def resolve_field(otype: ObjectType, ref: str) -> FieldDef:
    try:
        return otype.resolve_field(ref)
    except ObjdefLookupError as exc:
        raise ValidationError(exc.message, field=ref) from None


def wire_datetime(moment: datetime, tz: ZoneInfo) -> str:
    """A point in time as osrest index data and base params carry it: local ``dd.MM.yyyy HH:mm:ss``."""
    return timeutil.to_local_naive(moment, tz).strftime("%d.%m.%Y %H:%M:%S")


def ceil_second(moment: datetime) -> datetime:
    """enaio stores whole seconds, so ``>= 10:00:00.4`` means ``>= 10:00:01``."""
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def floor_second(moment: datetime) -> datetime:
    """The incremental bookmark in whole seconds, rounded down as in every room: enaio truncates the
    modification time to the second, so an object changed at 10:00:00.7 is stored as 10:00:00 and a
    bookmark of 10:00:00.4 must still find it (re-reading one second is harmless, missing it is not)."""
    return moment.replace(microsecond=0)


@dataclass
class CompiledSearch:
    """The page-independent part of a search request plus what the client must still check."""

    otype: ObjectType
    body: dict[str, Any]
    params: dict[str, str]
    residual: Expr | None = None
    stop_before: datetime | None = None
    """Scan strategy: results arrive newest first; the first one older than this ends the search."""
    max_hits: int | None = None
    sort_keys: list[dict[str, Any]] = field(default_factory=list)
    extended: bool = False
    """The body uses an emulator extension (range prefix, ``values``, ``systemfields``)."""

    def page(self, offset: int, page_size: int) -> tuple[dict[str, Any], dict[str, str]]:
        body = json.loads(json.dumps(self.body))
        config = body["query"].setdefault("result_config", {})
        config["offset"] = offset
        config["pagesize"] = page_size
        if self.max_hits is not None and self.residual is None:
            config["maxhits"] = self.max_hits
        return body, dict(self.params)


class _Compiler:
    def __init__(self, otype: ObjectType, tz: ZoneInfo, extensions: bool = True) -> None:
        self.otype = otype
        self.tz = tz
        self.extensions = extensions
        self.fields: dict[str, dict[str, Any]] = {}
        self.baseparams: dict[str, dict[str, Any]] = {}
        self.systemfields: dict[str, dict[str, Any]] = {}
        self.osid: str | None = None
        self.exact = True
        self.extended = False

    def add(self, expr: Expr) -> None:
        if isinstance(expr, Group):
            if expr.any_of and len(expr.items) != 1:
                self.exact = False  # OR: the client checks it
                return
            for item in expr.items:
                self.add(item)
            return
        if not self._condition(expr):
            self.exact = False

    def _condition(self, condition: Condition) -> bool:
        """Put the condition into the body; ``False`` when it is not expressible exactly."""
        if condition.system:
            return self._system(condition)
        fd = resolve_field(self.otype, condition.field)
        if fd.is_table or fd.internal in self.fields:
            return False
        spec = self._spec(condition, fd)
        if spec is None:
            return False
        wire, exact = spec
        self.fields[fd.internal] = wire
        self.extended = self.extended or "values" in wire or str(wire.get("value", "")).startswith(("<", ">"))
        return exact

    def _spec(self, condition: Condition, fd: FieldDef) -> tuple[dict[str, Any], bool] | None:
        op = condition.op
        if op is Op.IS_NULL:
            return {"null": True}, True
        if op is Op.NOT_NULL:
            return None  # no documented form; the client checks it
        texts = [self._text(fd, value) for value in condition.values]
        if op is Op.LIKE:
            return ({"value": texts[0]}, True) if fd.value_type is ValueType.TEXT else None
        if op is Op.EQ:
            # an '*' or '?' in a text value is a wildcard on the server: ask for the superset
            literal = fd.value_type is not ValueType.TEXT or not any(c in texts[0] for c in "*?")
            return {"value": texts[0]}, literal
        if op is Op.IN:
            literal = fd.value_type is not ValueType.TEXT or not any(c in t for t in texts for c in "*?")
            if len(texts) == 1:
                return {"value": texts[0]}, literal
            return ({"values": texts}, literal) if self.extensions else None
        if op in _PREFIX and fd.value_type in _ORDERED and self.extensions:
            return {"value": _PREFIX[op] + texts[0]}, True
        return None

    def _text(self, fd: FieldDef, value: FieldValue) -> str:
        if isinstance(value, str) and fd.value_type is ValueType.TEXT:
            return value
        try:
            return fd.to_wire_text(value, tz=self.tz)
        except FieldValueError:
            raise value_error(fd, value, tz=self.tz, operation="osrest.search") from None

    def _system(self, condition: Condition) -> bool:
        op = condition.op
        name = condition.field
        if name in _BASE_PARAMS:
            key = _BASE_PARAMS[System(name)]
            if key in self.baseparams or op not in (Op.EQ, *_PREFIX):
                return False
            if op is not Op.EQ and not self.extensions:
                return False
            value = condition.values[0]
            if isinstance(value, datetime):
                if op in (Op.GE, Op.LT):
                    value = ceil_second(value)
                elif op is not Op.EQ:
                    value = value.replace(microsecond=0)
                text = wire_datetime(value, self.tz)
                if op is Op.EQ and value.microsecond:
                    return False
            else:
                text = str(value)
            self.baseparams[key] = {"value": _PREFIX.get(op, "") + text}
            self.extended = self.extended or op is not Op.EQ
            return True
        if name == System.OBJECT_ID and op is Op.EQ and not self.extensions and self.osid is None:
            self.osid = str(condition.values[0])  # documented: top-level ``osid``
            return True
        if name in _SYSTEM_FIELDS:
            if name in self.systemfields or not self.extensions:
                return False
            self.extended = True
            if op is Op.EQ:
                self.systemfields[name] = {"value": str(condition.values[0])}
            elif op is Op.IN:
                self.systemfields[name] = {"values": [str(v) for v in condition.values]}
            elif op is Op.IS_NULL:
                self.systemfields[name] = {"null": True}
            elif op is Op.NOT_NULL:
                self.systemfields[name] = {"null": False}
            else:
                return False
            return True
        return False

    def query_part(self) -> dict[str, Any]:
        part: dict[str, Any] = {}
        if self.fields:
            part["fields"] = self.fields
        if self.baseparams:
            part["baseparams"] = self.baseparams
        if self.systemfields:
            part["systemfields"] = self.systemfields
        return part


def _sort_entries(otype: ObjectType, order_by: Sequence[Sort]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for position, sort in enumerate(order_by, start=1):
        name = sort.field.strip()
        if not name:
            # osrest answers an empty sort field with HTTP 500 and a stack trace (S3)
            raise ValidationError("sort field name is empty", operation="osrest.search")
        if not sort.system:
            name = resolve_field(otype, name).internal
        entries.append(
            {"internalName": name, "sort_pos": position, "sort_order": "DESC" if sort.descending else "ASC"}
        )
    return entries


def compile_search(
    query: Query,
    objdef: ObjectDefinition,
    tz: ZoneInfo,
    strategy: Strategy = "server",
    *,
    extensions: bool = True,
) -> CompiledSearch:
    """Compile a query; ``strategy`` decides how ``modified_since`` reaches the server (the one place);
    ``extensions=False`` keeps the body to the documented search-by-example form."""
    otype = resolve_type(objdef, query.type_name)
    main = _Compiler(otype, tz, extensions)
    if query.where is not None:
        main.add(query.where)
    residual_parts: list[Expr] = [] if main.exact or query.where is None else [query.where]
    order_by = tuple(query.order_by)
    stop_before: datetime | None = None
    if query.modified_since is not None:
        since = query.modified_since
        if since.tzinfo is None:
            raise ValidationError("modified_since must be an aware datetime", field="modified_since")
        since = floor_second(since)
        since_condition = Condition(System.MODIFIED, Op.GE, (since,), system=True)
        if strategy == "server":
            before = dict(main.baseparams)
            if not main._system(since_condition):
                main.baseparams = before
                residual_parts.append(since_condition)
        else:
            residual_parts.append(since_condition)
            if not order_by:
                # newest first: everything after the first older object is older too
                order_by = (Sort(System.MODIFIED, descending=True, system=True),)
                stop_before = since
    if not any(s.system and s.field == System.OBJECT_ID for s in order_by):
        order_by = (*order_by, Sort(System.OBJECT_ID, system=True))  # stable pages
    sort_keys = _sort_entries(otype, order_by)

    query_part: dict[str, Any] = {"objectTypeId": str(otype.type_id), **main.query_part()}
    config: dict[str, Any] = {"fieldsschema_mode": "ALL", "fieldsschema": sort_keys}
    if query.deleted is Deleted.ONLY:
        config["garbageMode"] = 1
    query_part["result_config"] = config
    body: dict[str, Any] = {"query": query_part}
    if main.osid is not None:
        body["osid"] = main.osid
    additional = [_ancestor(objdef, ancestor, tz, extensions) for ancestor in query.ancestors]
    ancestor_extended = [bool(part.pop("_extended")) for part in additional]
    if additional:
        body["additionalQueries"] = additional
    residual: Expr | None = None
    if len(residual_parts) == 1:
        residual = residual_parts[0]
    elif residual_parts:
        residual = Group(items=tuple(residual_parts))
    return CompiledSearch(
        otype=otype,
        body=body,
        params={"objecttypeid": str(otype.type_id)},
        residual=residual,
        stop_before=stop_before,
        max_hits=query.max_hits,
        sort_keys=sort_keys,
        extended=main.extended or any(ancestor_extended),
    )


def _ancestor(
    objdef: ObjectDefinition, ancestor: AncestorCondition, tz: ZoneInfo, extensions: bool = True
) -> dict[str, Any]:
    otype = resolve_type(objdef, ancestor.type_name)
    compiler = _Compiler(otype, tz, extensions)
    compiler.add(ancestor.where)
    if not compiler.exact or compiler.osid is not None:
        allowed = (
            "=, LIKE, IN, IS NULL and comparisons on dates and numbers" if extensions else "=, LIKE, IS NULL"
        )
        raise ValidationError(
            f"the condition on ancestor type {otype.internal} cannot be expressed in an osrest "
            f"additionalQuery (only AND of {allowed})",
            operation="osrest.search",
        )
    return {
        "objectTypeId": str(otype.type_id),
        "internalName": otype.internal,
        **compiler.query_part(),
        "_extended": compiler.extended,
    }


# -- writes -------------------------------------------------------------------------------------------


def field_values(
    otype: ObjectType,
    fields: Mapping[str, FieldValue | None],
    tables: Mapping[str, Sequence[Mapping[str, FieldValue]]] | None,
    tz: ZoneInfo,
) -> dict[str, Any]:
    """The ``fields`` map of an insert/update ``data`` part; values are strings, ``""`` clears."""
    wire: dict[str, Any] = {}
    for name, value in fields.items():
        fd = resolve_field(otype, name)
        if fd.is_table:
            raise ValidationError(f"{fd.internal} is a table field; pass it in tables", field=fd.internal)
        # checked here (type, catalogue, length) so the error names the field, as the other rooms do
        try:
            typed = fd.normalize(value, tz=tz)
        except FieldValueError:
            raise value_error(fd, value, tz=tz, operation="osrest.write") from None
        text = "" if typed is None else fd.to_wire_text(typed, tz=tz)
        wire[fd.internal] = {"value": text, "internalName": fd.internal}
    for name, rows in (tables or {}).items():
        fd = resolve_field(otype, name)
        if not fd.is_table:
            raise ValidationError(f"{fd.internal} is not a table field", field=fd.internal)
        columns = fd.columns
        wire_rows = []
        for row in rows:
            unknown = set(row) - set(fd.columns_by_name)
            if unknown:
                raise ValidationError(
                    f"unknown column(s) {', '.join(sorted(unknown))} in table {fd.internal}",
                    field=fd.internal,
                )
            wire_rows.append([_cell_text(col, row.get(col.internal), tz) for col in columns])
        wire[fd.internal] = {
            "internalName": fd.internal,
            "columns": [{"internalName": col.internal, "type": col.type} for col in columns],
            "rows": wire_rows,
        }
    return wire


def _cell_text(column: TableColumn, value: FieldValue | None, tz: ZoneInfo) -> str:
    try:
        typed = column.normalize(value, tz=tz)
    except FieldValueError:
        raise value_error(column, value, tz=tz, operation="osrest.write") from None
    return "" if typed is None else column.to_wire_text(typed, tz=tz)


# -- responses ----------------------------------------------------------------------------------------


def _json(payload: bytes | str, operation: str) -> Any:
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise ResponseFormatError(f"response is not JSON: {exc}", operation=operation) from exc


def page_items(payload: bytes | str, operation: str = "osrest.search") -> list[Any]:
    """A search (or parents) answer parsed as JSON: its items, not yet decoded (:func:`decode_page`)."""
    data = _json(payload, operation)
    if not isinstance(data, list):
        raise ResponseFormatError("search response is not a JSON array", operation=operation)
    return data


def decode_page(items: list[Any], operation: str = "osrest.search") -> list[WireObject]:
    """The items of :func:`page_items` decoded once into plain wire objects."""
    try:
        return [decode_object(item, str(n)) for n, item in enumerate(items)]
    except WireShapeError as exc:
        raise ResponseFormatError(f"unexpected object shape: {exc}", operation=operation) from None


def parse_objects(payload: bytes | str, operation: str = "osrest.search") -> list[WireObject]:
    """A search (or parents) answer: a JSON array of objects, decoded once into plain wire objects."""
    return decode_page(page_items(payload, operation), operation)


def parse_object(payload: bytes | str, operation: str = "osrest.get") -> WireObject:
    data = _json(payload, operation)
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    try:
        return decode_object(data)
    except WireShapeError as exc:
        raise ResponseFormatError(f"unexpected object shape: {exc}", operation=operation) from None


def parse_model(model: type[M], payload: bytes | str, operation: str) -> M:
    """One JSON object of a known shape; anything else is a ``ResponseFormatError``."""
    try:
        return model.model_validate(_json(payload, operation))
    except PydanticValidationError as exc:
        raise ResponseFormatError(f"unexpected answer: {_first_error(exc)}", operation=operation) from exc


def parse_file_list(payload: bytes | str) -> WireFileList:
    try:
        return WireFileList.model_validate(_json(payload, "osrest.files"))
    except PydanticValidationError as exc:
        raise ResponseFormatError(
            f"unexpected file list: {_first_error(exc)}", operation="osrest.files"
        ) from exc


def parse_history(payload: bytes | str) -> list[WireHistoryEntry]:
    data = _json(payload, "osrest.history")
    if not isinstance(data, list):
        raise ResponseFormatError("history response is not a JSON array", operation="osrest.history")
    try:
        return [WireHistoryEntry.model_validate(item) for item in data]
    except PydanticValidationError as exc:
        raise ResponseFormatError(
            f"unexpected history: {_first_error(exc)}", operation="osrest.history"
        ) from exc


def parse_new_id(payload: bytes | str) -> int:
    """Insert answers the new id as a plain integer (S4), tolerated also as a JSON string or number."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    text = text.strip().strip('"')
    try:
        number = float(text) if "." in text else int(text)
    except ValueError as exc:
        raise ResponseFormatError("insert did not answer an object id", operation="osrest.insert") from exc
    if isinstance(number, float) and (not math.isfinite(number) or not number.is_integer()):
        raise ResponseFormatError("insert did not answer an object id", operation="osrest.insert")
    return int(number)


def _first_error(exc: PydanticValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return str(exc)
    first = errors[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
