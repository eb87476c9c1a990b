"""osrest search body (enaio-rest.md §4.1) -> :class:`connector.enaio.query.Query` plus paging and
rendering options. Everything the public record leaves open is an emulator choice
(docs/emulator-choices.md, osrest)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.model import FieldValue
from connector.enaio.objdef import FieldValueError, ObjdefLookupError, ObjectDefinition, ObjectType, ValueType
from connector.enaio.query import AncestorCondition, Condition, Deleted, Expr, Group, Op, Query, Sort, System
from connector.errors import ValidationError

_PREFIXES = ((">=", Op.GE), ("<=", Op.LE), (">", Op.GT), ("<", Op.LT))
_ORDERED = {ValueType.DATE, ValueType.DATETIME, ValueType.INTEGER, ValueType.DECIMAL}
_BASE_PARAMS: dict[str, tuple[str, bool]] = {
    # base param (lower case) -> (system field, is a point in time)
    "created": (System.CREATED, True),
    "creation_date": (System.CREATED, True),
    "modified": (System.MODIFIED, True),
    "creator": (System.CREATOR, False),
    "modifier": (System.MODIFIER, False),
    "owner": ("OBJECT_USERGUID", False),
}
_SYSTEM_FIELDS = {
    System.OBJECT_ID,
    System.FOLDER_ID,
    System.REGISTER_ID,
    System.PARENT_ID,
    System.LOCKUSER,
    System.CREATED,
    System.MODIFIED,
    System.CREATOR,
    System.MODIFIER,
}
_SORT_ALIASES = {
    "OBJECT_ID": System.OBJECT_ID,
    "OBJECT_MODIFYTIME": System.MODIFIED,
    "OBJECT_CRDATE": System.CREATED,
    "OBJECT_CRID": System.CREATOR,
    "OBJECT_MODIFYUSER": System.MODIFIER,
    "MODIFIED": System.MODIFIED,
    "CREATED": System.CREATED,
    "CREATOR": System.CREATOR,
    "MODIFIER": System.MODIFIER,
}


DOCUMENTED_PAGE_CAP = 100
"""The documented personality answers at most this many hits per page, whatever ``pagesize`` asks for
(enaio-rest.md §9: no documented upper bound; a real server may well have one)."""


class EmptySortField(Exception):
    """A ``fieldsschema`` entry without internal name: the real server fails with HTTP 500."""


@dataclass
class SearchRequest:
    query: Query
    offset: int = 0
    limit: int | None = None
    mode: str = "ALL"
    schema_fields: set[str] = field(default_factory=set)
    with_parents: bool = False


def _bad(message: str) -> ValidationError:
    return ValidationError(message, operation="documents/search")


def _int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise _bad(f"{name} must be an integer, got {value!r}") from None
    if number < 0:
        raise _bad(f"{name} must not be negative")
    return number


def resolve_type(objdef: ObjectDefinition, spec: Mapping[str, Any], fallback: Any = None) -> ObjectType:
    for key in ("objectTypeId", "internalName", "name", "cabinet"):
        ref = spec.get(key)
        if ref not in (None, ""):
            break
    else:
        ref = fallback
    if ref in (None, ""):
        raise _bad("query names no object type (objectTypeId, internalName or name)")
    try:
        return objdef.resolve_type(int(ref) if isinstance(ref, int | float) else str(ref))
    except ObjdefLookupError:
        raise _bad(f"unknown object type {ref!r}") from None


def _split_operator(text: str) -> tuple[Op, str]:
    for prefix, op in _PREFIXES:
        if text.startswith(prefix):
            return op, text[len(prefix) :].strip()
    return Op.EQ, text


def _moment(text: str, tz: ZoneInfo, name: str) -> FieldValue:
    value = text.strip()
    try:
        if len(value) <= 10 and not value.isdigit():
            return timeutil.parse_date(value)  # a whole day
        return timeutil.parse_datetime(value, tz)
    except ValueError:
        raise _bad(f"{value!r} is not a date or date-time for {name}") from None


def _field_conditions(
    otype: ObjectType, fields: Any, tz: ZoneInfo, documented: bool = False
) -> list[Condition]:
    if fields is None:
        return []
    if not isinstance(fields, Mapping):
        raise _bad("fields must be an object")
    out: list[Condition] = []
    for key, spec in fields.items():
        if not isinstance(spec, Mapping):
            spec = {"value": spec}
        ref = spec.get("internalName") or key
        try:
            fd = otype.resolve_field(str(ref))
        except ObjdefLookupError:
            raise _bad(f"unknown field {ref!r} of {otype.internal}") from None
        if fd.is_table:
            raise _bad(f"table field {fd.internal} cannot be searched by this emulator")
        null = spec.get("null")
        if null is True:
            out.append(Condition(fd.internal, Op.IS_NULL))
            continue
        if "values" in spec:
            if documented:
                raise _bad(f"unknown key 'values' in the condition on {fd.internal}")
            raw = spec["values"]
            if not isinstance(raw, list) or not raw:
                raise _bad(f"values of {fd.internal} must be a non-empty list")
            out.append(Condition(fd.internal, Op.IN, tuple(_typed(fd, str(v), tz) for v in raw)))
            continue
        value = spec.get("value")
        if value is None or str(value) == "":
            if null is False and not documented:  # documented: "null": false is no condition at all
                out.append(Condition(fd.internal, Op.NOT_NULL))
            continue  # search by example: an empty value is no condition
        text = str(value)
        if fd.value_type is ValueType.TEXT:
            op = Op.LIKE if any(c in text for c in "*?") else Op.EQ
            out.append(Condition(fd.internal, op, (text,)))
            continue
        # documented: no range syntax; a value is a value, so ">=01.01.2018" is not a date and is refused
        ordered = fd.value_type in _ORDERED and not documented
        op, text = _split_operator(text) if ordered else (Op.EQ, text)
        out.append(Condition(fd.internal, op, (_typed(fd, text, tz),)))
    return out


def _typed(fd: Any, text: str, tz: ZoneInfo) -> FieldValue:
    if fd.value_type is ValueType.TEXT:
        return text
    try:
        typed: FieldValue | None = fd.from_wire_text(text, tz=tz)
    except FieldValueError as exc:
        raise _bad(exc.message) from None
    if typed is None:
        raise _bad(f"empty value for {fd.internal}")
    return typed


def _base_conditions(params: Any, tz: ZoneInfo, documented: bool = False) -> list[Condition]:
    if params is None:
        return []
    if not isinstance(params, Mapping):
        raise _bad("baseparams must be an object")
    out: list[Condition] = []
    for key, spec in params.items():
        target = _BASE_PARAMS.get(str(key).lower())
        if target is None:
            raise _bad(f"base parameter {key!r} is not searchable in the emulator")
        name, is_time = target
        value = spec.get("value") if isinstance(spec, Mapping) else spec
        if value is None or str(value) == "":
            continue
        if is_time:
            op, text = (Op.EQ, str(value)) if documented else _split_operator(str(value))
            out.append(Condition(name, op, (_moment(text, tz, str(key)),), system=True))
        else:
            text = str(value)
            op = Op.LIKE if any(c in text for c in "*?") else Op.EQ
            out.append(Condition(name, op, (text,), system=True))
    return out


def _system_conditions(params: Any, tz: ZoneInfo) -> list[Condition]:
    if params is None:
        return []
    if not isinstance(params, Mapping):
        raise _bad("systemfields must be an object")
    out: list[Condition] = []
    for key, spec in params.items():
        name = str(key).upper()
        if name not in _SYSTEM_FIELDS:
            raise _bad(f"system field {key!r} is not searchable in the emulator")
        if not isinstance(spec, Mapping):
            spec = {"value": spec}
        if spec.get("null") is True:
            out.append(Condition(name, Op.IS_NULL, system=True))
        elif "values" in spec:
            out.append(Condition(name, Op.IN, tuple(str(v) for v in spec["values"] or ()), system=True))
        elif spec.get("value") not in (None, ""):
            op, text = _split_operator(str(spec["value"]))
            value: FieldValue = text
            if name in (System.CREATED, System.MODIFIED):
                value = _moment(text, tz, name)
            out.append(Condition(name, op, (value,), system=True))
        elif spec.get("null") is False:
            out.append(Condition(name, Op.NOT_NULL, system=True))
    return out


def _conditions(
    otype: ObjectType, spec: Mapping[str, Any], tz: ZoneInfo, documented: bool = False
) -> list[Condition]:
    if documented and spec.get("systemfields") is not None:
        raise _bad("unknown search key 'systemfields'")
    return [
        *_field_conditions(otype, spec.get("fields"), tz, documented),
        *_base_conditions(spec.get("baseparams"), tz, documented),
        *_system_conditions(spec.get("systemfields"), tz),
        *(
            [Condition(System.OBJECT_ID, Op.EQ, (str(spec["osid"]),), system=True)]
            if spec.get("osid") not in (None, "")
            else []
        ),
    ]


def _sorts(otype: ObjectType, schema: Any) -> tuple[list[Sort], set[str]]:
    if schema is None:
        return [], set()
    if not isinstance(schema, list):
        raise _bad("fieldsschema must be a list")
    keyed: list[tuple[int, int, Sort]] = []
    names: set[str] = set()
    for number, entry in enumerate(schema):
        if not isinstance(entry, Mapping):
            raise _bad("fieldsschema entries must be objects")
        type_ref = entry.get("objectTypeId")
        if type_ref not in (None, "") and str(type_ref) != str(otype.type_id):
            continue  # an entry for another type (parents); not this one's business
        name = entry.get("internalName")
        if name is None:
            name = entry.get("dbName") or entry.get("displayName")
        if name is None or str(name).strip() == "":
            raise EmptySortField()
        descending = str(entry.get("sort_order", "ASC")).upper() == "DESC"
        sort: Sort | None = None
        try:
            fd = otype.resolve_field(str(name))
            names.add(fd.internal)
            sort = Sort(fd.internal, descending)
        except ObjdefLookupError:
            system = _SORT_ALIASES.get(str(name).upper())
            if system is None:
                raise _bad(f"unknown field {name!r} in fieldsschema") from None
            sort = Sort(system, descending, system=True)
        position = entry.get("sort_pos")
        if position not in (None, "", 0, "0"):
            keyed.append((_int(position, "sort_pos") or 0, number, sort))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in keyed], names


def parse_search(
    body: Any, args: Mapping[str, str], objdef: ObjectDefinition, tz: ZoneInfo, *, documented: bool = False
) -> SearchRequest:
    """``documented``: the documented personality (no ``values``, ``systemfields``, range syntax or
    ``"null": false``; pages capped at :data:`DOCUMENTED_PAGE_CAP`)."""
    if not isinstance(body, Mapping):
        raise _bad("search body must be a JSON object")
    spec = body.get("query")
    if not isinstance(spec, Mapping):
        raise _bad("search body needs a query object")
    otype = resolve_type(
        objdef, spec, body.get("objectTypeId") or body.get("name") or args.get("objecttypeid")
    )
    top_osid = {"osid": body["osid"]} if body.get("osid") not in (None, "") else {}
    conditions = _conditions(otype, {**spec, **top_osid}, tz, documented)
    ancestors = []
    for extra in body.get("additionalQueries") or ():
        if not isinstance(extra, Mapping):
            raise _bad("additionalQueries entries must be objects")
        atype = resolve_type(objdef, extra)
        where: Expr = Group(items=tuple(_conditions(atype, extra, tz, documented)))
        ancestors.append(AncestorCondition(atype.internal, where))
    config = spec.get("result_config") or {}
    if not isinstance(config, Mapping):
        raise _bad("result_config must be an object")
    sorts, schema_names = _sorts(otype, config.get("fieldsschema"))

    def option(name: str) -> int | None:
        return (
            _int(args.get(name), name) if args.get(name) not in (None, "") else _int(config.get(name), name)
        )

    page_size = option("pagesize")
    offset = option("offset") or 0
    page = option("page")
    if page is not None and page_size:
        offset = page * page_size
    max_hits = option("maxhits")
    limit = page_size
    if max_hits is not None:
        remaining = max(0, max_hits - offset)
        limit = remaining if limit is None else min(limit, remaining)
    if documented:
        limit = DOCUMENTED_PAGE_CAP if limit is None else min(limit, DOCUMENTED_PAGE_CAP)
    mode = str(args.get("fieldsschema") or config.get("fieldsschema_mode") or "ALL").upper()
    if mode not in ("MIN", "DEF", "ALL"):
        raise _bad(f"fieldsschema_mode must be MIN, DEF or ALL, got {mode!r}")
    garbage = str(config.get("garbageMode", "0")).lower() in ("1", "true")
    query = Query(
        type_name=otype.internal,
        where=Group(items=tuple(conditions)) if conditions else None,
        ancestors=tuple(ancestors),
        order_by=tuple(sorts),
        deleted=Deleted.ONLY if garbage else Deleted.EXCLUDE,
    )
    return SearchRequest(
        query=query,
        offset=offset,
        limit=limit,
        mode=mode,
        schema_fields=schema_names,
        with_parents=bool(config.get("parents")),
    )


def is_date_only(value: FieldValue) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)
