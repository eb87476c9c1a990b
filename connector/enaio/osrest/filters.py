"""Client-side evaluation of query conditions the osrest wire form cannot express exactly
(OR groups, ``<>``, ``BETWEEN``, comparisons on text, IS NOT NULL, the ``scan`` incremental strategy, and
everything the emulator extensions would carry once a server has refused them).

The server is asked for a superset; these predicates cut it down to the exact answer.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from connector.enaio.interface import value_error
from connector.enaio.model import EnaioObject, FieldValue
from connector.enaio.objdef import FieldDef, FieldValueError, ObjdefLookupError, ObjectType
from connector.enaio.query import Condition, Expr, Group, Op, System
from connector.errors import ValidationError


@lru_cache(maxsize=256)
def wildcard_pattern(mask: str) -> re.Pattern[str]:
    """enaio search mask: ``*`` any run, ``?`` one character, everything else literal; case-insensitive."""
    parts = ["^"]
    for char in mask:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    parts.append("$")
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _field(otype: ObjectType, ref: str) -> FieldDef:
    try:
        return otype.resolve_field(ref)
    except ObjdefLookupError as exc:
        raise ValidationError(exc.message, field=ref) from None


def system_value(obj: EnaioObject, name: str) -> FieldValue | None:
    match name:
        case System.OBJECT_ID:
            return obj.id
        case System.CREATED:
            return obj.created
        case System.CREATOR:
            return obj.creator
        case System.MODIFIED:
            return obj.modified
        case System.MODIFIER:
            return obj.modifier
        case System.LOCKUSER:
            return obj.locked_by
        case System.FOLDER_ID:
            return obj.folder_id
        case System.REGISTER_ID:
            return obj.parent_id if obj.parent_id is not None and obj.parent_id != obj.folder_id else None
        case System.PARENT_ID:
            return obj.parent_id
    raise ValidationError(f"system field {name!r} is not supported by the osrest client", field=name)


def _typed(value: FieldValue, otype: ObjectType, condition: Condition, tz: ZoneInfo) -> FieldValue:
    if condition.system:
        if isinstance(value, str) and condition.field in (System.CREATED, System.MODIFIED):
            from connector import timeutil

            return timeutil.parse_datetime(value, tz)
        if isinstance(value, str) and condition.field in (
            System.OBJECT_ID,
            System.FOLDER_ID,
            System.REGISTER_ID,
            System.PARENT_ID,
        ):
            return int(value)
        return value
    if condition.op is Op.LIKE:
        return value
    fd = _field(otype, condition.field)
    try:
        typed = fd.coerce(value, tz=tz)
    except FieldValueError:
        raise value_error(fd, value, tz=tz, operation="osrest.search") from None
    if typed is None:
        raise ValidationError(f"empty value in condition on {condition.field}", field=condition.field)
    return typed


def _compare(left: FieldValue, op: Op, right: FieldValue) -> bool:
    # mypy: FieldValue members are mutually comparable only within a type; mixing is a caller error.
    lhs: int | str | Decimal | date | datetime = left
    rhs: int | str | Decimal | date | datetime = right
    if op is Op.EQ:
        return lhs == rhs
    if op is Op.NE:
        return lhs != rhs
    try:
        if op is Op.LT:
            return lhs < rhs  # type: ignore[operator]
        if op is Op.LE:
            return lhs <= rhs  # type: ignore[operator]
        if op is Op.GT:
            return lhs > rhs  # type: ignore[operator]
        if op is Op.GE:
            return lhs >= rhs  # type: ignore[operator]
    except TypeError as exc:
        raise ValidationError(f"cannot compare {type(lhs).__name__} with {type(rhs).__name__}") from exc
    raise ValidationError(f"operator {op} is not a comparison")


def matches(expr: Expr, obj: EnaioObject, otype: ObjectType, tz: ZoneInfo) -> bool:
    if isinstance(expr, Group):
        results = (matches(item, obj, otype, tz) for item in expr.items)
        return any(results) if expr.any_of else all(results)
    return _condition(expr, obj, otype, tz)


def _condition(condition: Condition, obj: EnaioObject, otype: ObjectType, tz: ZoneInfo) -> bool:
    if condition.system:
        actual = system_value(obj, condition.field)
    else:
        fd = _field(otype, condition.field)
        if fd.is_table:
            raise ValidationError(f"table field {fd.internal} cannot be searched", field=fd.internal)
        actual = obj.fields.get(fd.internal)
    op = condition.op
    if op is Op.IS_NULL:
        return actual is None or actual == ""
    if op is Op.NOT_NULL:
        return not (actual is None or actual == "")
    if actual is None:
        return False
    values = [_typed(value, otype, condition, tz) for value in condition.values]
    if op is Op.LIKE:
        return bool(wildcard_pattern(str(values[0])).match(str(actual)))
    if op is Op.IN:
        return any(_compare(actual, Op.EQ, value) for value in values)
    if op is Op.BETWEEN:
        return _compare(actual, Op.GE, values[0]) and _compare(actual, Op.LE, values[1])
    return _compare(actual, op, values[0])
