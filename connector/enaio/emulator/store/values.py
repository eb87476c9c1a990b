"""Index values <-> their stored JSON form, and validation of client writes against the object definition.

Stored forms are chosen so that SQL compares them correctly: text as is, dates as ISO ``YYYY-MM-DD``
strings, datetimes as UTC epoch seconds, integers as JSON integers, decimals as their exact text
(compared through ``CAST(... AS REAL)``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connector.enaio.emulator.store.errors import InvalidValue, MissingRequired, ReadOnlyField, UnknownField
from connector.enaio.model import FieldValue
from connector.enaio.objdef import FieldDef, FieldValueError, ObjectType, TableColumn, ValueType

Stored = str | int
"""A value as it sits in the JSON column."""


def to_stored(value: FieldValue, value_type: ValueType) -> Stored:
    if value_type is ValueType.DATETIME and isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | str):
        return value
    raise TypeError(f"cannot store {type(value).__name__}")  # normalize() never lets this through


def from_stored(raw: Any, value_type: ValueType, tz: ZoneInfo) -> FieldValue:
    if value_type is ValueType.DATE:
        return date.fromisoformat(raw)
    if value_type is ValueType.DATETIME:
        return datetime.fromtimestamp(int(raw), UTC).astimezone(tz)
    if value_type is ValueType.DECIMAL:
        return Decimal(str(raw))
    if value_type is ValueType.INTEGER:
        return int(raw)
    return str(raw)


def decode_fields(otype: ObjectType, data: str, tz: ZoneInfo) -> dict[str, FieldValue]:
    raw: dict[str, Any] = json.loads(data)
    out: dict[str, FieldValue] = {}
    for f in otype.fields:  # definition order, like enaio's masks
        if f.internal in raw and raw[f.internal] is not None:
            out[f.internal] = from_stored(raw[f.internal], f.value_type, tz)
    return out


def decode_row(column_defs: Sequence[TableColumn], data: str, tz: ZoneInfo) -> dict[str, FieldValue]:
    raw: dict[str, Any] = json.loads(data)
    return {
        c.internal: from_stored(raw[c.internal], c.value_type, tz)
        for c in column_defs
        if raw.get(c.internal) is not None
    }


def dumps(data: Mapping[str, Stored]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _normalize(spec: FieldDef | TableColumn, value: Any, tz: ZoneInfo) -> FieldValue | None:
    try:
        return spec.normalize(value, tz=tz)
    except FieldValueError as exc:
        raise InvalidValue(exc.message, field=spec.qualified_name) from exc


def stored_value(spec: FieldDef | TableColumn, value: Any, tz: ZoneInfo) -> Stored | None:
    """Validated stored form of one value (``None`` = empty); same rules as ``normalize``."""
    vt = spec.value_type
    kind = type(value)
    # fast paths for already-typed values (the seed loader writes millions of them)
    if kind is str and vt is ValueType.TEXT:
        if not value.strip():
            return None
        try:
            spec.check(value)
        except FieldValueError as exc:
            raise InvalidValue(exc.message, field=spec.qualified_name) from exc
        return str(value)
    if kind is date and vt is ValueType.DATE:
        return str(value.isoformat())
    if kind is int and vt is ValueType.INTEGER and not spec.is_checkbox:
        return int(value)
    typed = _normalize(spec, value, tz)
    return None if typed is None else to_stored(typed, vt)


def field_of(otype: ObjectType, name: str) -> FieldDef:
    found = otype.fields_by_name.get(name)
    if found is None:
        raise UnknownField(name, scope=f"object type {otype.internal}")
    return found


def prepare_fields(
    otype: ObjectType,
    fields: Mapping[str, Any],
    tz: ZoneInfo,
    *,
    allow_readonly: bool = False,
) -> dict[str, Stored | None]:
    """Validated stored forms of a client's field values; ``None`` means 'clear this field'."""
    out: dict[str, Stored | None] = {}
    for name, value in fields.items():
        f = field_of(otype, name)
        if f.is_table:
            raise InvalidValue(f"{f.qualified_name} is a table field; send its rows as a table", field=name)
        if f.readonly and not allow_readonly:
            raise ReadOnlyField(f.qualified_name)
        out[name] = stored_value(f, value, tz)
    return out


def prepare_tables(
    otype: ObjectType,
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    tz: ZoneInfo,
    *,
    check_required: bool = True,
) -> dict[str, list[dict[str, Stored]]]:
    """Validated rows of table fields, by table field name; empty cells are dropped."""
    out: dict[str, list[dict[str, Stored]]] = {}
    for name, rows in tables.items():
        f = field_of(otype, name)
        if not f.is_table:
            raise InvalidValue(f"{f.qualified_name} is not a table field", field=name)
        if f.readonly:
            raise ReadOnlyField(f.qualified_name)
        prepared: list[dict[str, Stored]] = []
        for rowno, row in enumerate(rows, start=1):
            cells: dict[str, Stored] = {}
            for col_name, value in row.items():
                col = f.columns_by_name.get(col_name)
                if col is None:
                    raise UnknownField(col_name, scope=f"table field {f.qualified_name}")
                stored = stored_value(col, value, tz)
                if stored is not None:
                    cells[col_name] = stored
            if check_required:
                missing = [c.qualified_name for c in f.columns if c.required and c.internal not in cells]
                if missing:
                    raise MissingRequired([f"{m} (row {rowno})" for m in missing])
            prepared.append(cells)
        out[name] = prepared
    return out


def missing_required(
    otype: ObjectType, data: Mapping[str, Any], table_counts: Mapping[str, int]
) -> list[str]:
    missing = []
    for f in otype.fields:
        if not f.required:
            continue
        if f.is_table:
            if not table_counts.get(f.internal):
                missing.append(f.qualified_name)
        elif data.get(f.internal) is None:
            missing.append(f.qualified_name)
    return missing
