"""Compile a :class:`connector.enaio.query.Query` to SQL over the store's ``objects`` table.

Every value (including JSON paths) is a bound parameter; only fixed column names and generated
aliases are formatted into the SQL text (hence the S608 suppressions).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.emulator.store.errors import InvalidValue, UnknownField, UnknownType
from connector.enaio.emulator.store.values import field_of, to_stored
from connector.enaio.model import FieldValue, ObjectKind
from connector.enaio.objdef import FieldDef, FieldValueError, ObjectDefinition, ObjectType, ValueType
from connector.enaio.query import AncestorCondition, Condition, Deleted, Expr, Group, Op, Query, Sort, System

# system field -> (column, kind); kind "time" = epoch seconds, "int", "text"
_SYSTEM: dict[str, tuple[str, str]] = {
    System.OBJECT_ID: ("id", "int"),
    System.CREATED: ("created", "time"),
    System.CREATOR: ("creator", "text"),
    System.MODIFIED: ("modified", "time"),
    System.MODIFIER: ("modifier", "text"),
    System.LOCKUSER: ("lock_user", "text"),
    System.FOLDER_ID: ("folder_id", "int"),
    System.REGISTER_ID: ("register_id", "int"),
    System.PARENT_ID: ("parent_id", "int"),
    # server-api aliases the interfaces may send
    "OBJECT_TIME": ("modified", "time"),
    "OBJECT_USERGUID": ("owner", "text"),
    "OBJECT_DELETED": ("deleted", "int"),
    "STAMM_ID": ("folder_id", "int"),
    "FOLDERID": ("folder_id", "int"),
    "REGISTERID": ("register_id", "int"),
}

_COMPARE = {Op.EQ: "=", Op.NE: "<>", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}


def like_pattern(mask: str) -> str:
    """enaio search mask (``*`` any run, ``?`` one character) -> SQL LIKE pattern with ``\\`` escape."""
    out = []
    for ch in mask:
        if ch in "%_\\":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def json_path(name: str) -> str:
    return '$."' + name.replace('"', '""') + '"'


class Compiler:
    """Builds one WHERE clause; parameters are collected in order."""

    def __init__(self, objdef: ObjectDefinition, tz: ZoneInfo) -> None:
        self.objdef = objdef
        self.tz = tz
        self.params: list[Any] = []
        self.order_params: list[Any] = []
        self._alias_no = 0

    def _alias(self) -> str:
        self._alias_no += 1
        return f"a{self._alias_no}"

    def compile(self, query: Query) -> tuple[ObjectType, str, str]:
        """``(type, where_sql, order_sql)`` for the main table aliased ``o``."""
        otype = self._type(query.type_name)
        parts = ["o.type_id = ?"]
        self.params.append(otype.type_id)
        parts.append("o.deleted = 1" if query.deleted is Deleted.ONLY else "o.deleted = 0")
        if query.where is not None:
            parts.append(self.expr(query.where, otype, "o"))
        if query.modified_since is not None:
            parts.append("o.modified >= ?")
            self.params.append(self._epoch(query.modified_since))
        for anc in query.ancestors:
            parts.append(self.ancestor(anc, otype))
        order = [self.sort(s, otype) for s in query.order_by]
        order.append("o.id")  # stable paging
        return otype, " AND ".join(parts), ", ".join(order)

    def _type(self, name: str) -> ObjectType:
        found = self.objdef.types_by_name.get(name)
        if found is None:
            raise UnknownType(name)
        return found

    def ancestor(self, anc: AncestorCondition, otype: ObjectType) -> str:
        atype = self._type(anc.type_name)
        alias = self._alias()
        self.params.append(atype.type_id)
        inner = f"SELECT {alias}.id FROM objects {alias} WHERE {alias}.type_id = ? AND "  # noqa: S608
        inner += self.expr(anc.where, atype, alias)
        if atype.kind is ObjectKind.FOLDER:
            return f"o.folder_id IN ({inner})"
        if atype.kind is ObjectKind.REGISTER:
            # registers may nest: walk down from every matching register
            child = "SELECT c.id FROM objects c JOIN d ON c.parent_id = d.id"
            walk = f"WITH RECURSIVE d(id) AS ({inner} UNION {child}) SELECT id FROM d"  # noqa: S608
            return f"o.parent_id IN ({walk})"
        raise InvalidValue(
            f"ancestor type {atype.internal} is a document; only folders and registers contain objects"
        )

    def expr(self, expr: Expr, otype: ObjectType, alias: str) -> str:
        if isinstance(expr, Group):
            if not expr.items:
                return "0" if expr.any_of else "1"
            joiner = " OR " if expr.any_of else " AND "
            return "(" + joiner.join(self.expr(i, otype, alias) for i in expr.items) + ")"
        return self.condition(expr, otype, alias)

    def condition(self, cond: Condition, otype: ObjectType, alias: str) -> str:
        if cond.system:
            spec = _SYSTEM.get(cond.field.upper())
            if spec is None:
                raise UnknownField(cond.field, scope="system fields")
            column, kind = spec
            return self._predicate(
                f"{alias}.{column}", cond, lambda v: self._system_value(v, kind, cond), kind
            )
        f = field_of(otype, cond.field)
        if f.is_table:
            raise InvalidValue(
                f"{f.qualified_name} is a table field and cannot be searched", field=f.internal
            )
        self.params.append(json_path(f.internal))
        sql = f"json_extract({alias}.data, ?)"
        if f.value_type is ValueType.DECIMAL:
            sql = f"CAST({sql} AS REAL)"
        # `sql` holds the path parameter just appended, so _predicate must use it exactly once
        return self._predicate(sql, cond, lambda v: self._field_value(f, v, cond), "field")

    def _predicate(
        self,
        sql: str,
        cond: Condition,
        convert: Callable[[FieldValue], Any],
        kind: str,
    ) -> str:
        op = cond.op
        values = cond.values
        if op in (Op.IS_NULL, Op.NOT_NULL):
            self._expect(cond, 0)
            return f"{sql} {op.value}"
        if op is Op.LIKE:
            self._expect(cond, 1)
            if not isinstance(values[0], str):
                raise InvalidValue(f"LIKE on {cond.field} needs a text mask", field=cond.field)
            self.params.append(like_pattern(values[0]))
            return f"CAST({sql} AS TEXT) LIKE ? ESCAPE '\\'"
        if op is Op.IN:
            if not values:
                raise InvalidValue(f"IN on {cond.field} needs at least one value", field=cond.field)
            converted = [convert(v) for v in values]
            if kind == "time":  # each value may be a whole day: OR of ranges
                ranges = []
                for lo, hi in converted:
                    ranges.append(f"{sql} BETWEEN ? AND ?")
                    self.params.extend([lo, hi])
                return "(" + " OR ".join(ranges) + ")"
            self.params.extend(converted)
            return f"{sql} IN ({', '.join('?' for _ in converted)})"
        if op is Op.BETWEEN:
            self._expect(cond, 2)
            lo, hi = convert(values[0]), convert(values[1])
            if kind == "time":
                lo, hi = lo[0], hi[1]
            self.params.extend([lo, hi])
            return f"{sql} BETWEEN ? AND ?"
        self._expect(cond, 1)
        value = convert(values[0])
        if kind == "time":
            first, last = value
            if op is Op.EQ:
                self.params.extend([first, last])
                return f"{sql} BETWEEN ? AND ?"
            if op is Op.NE:
                self.params.extend([first, last])
                return f"{sql} NOT BETWEEN ? AND ?"
            bound = first if op in (Op.LT, Op.GE) else last
            self.params.append(bound)
            return f"{sql} {_COMPARE[op]} ?"
        self.params.append(value)
        return f"{sql} {_COMPARE[op]} ?"

    @staticmethod
    def _expect(cond: Condition, n: int) -> None:
        if len(cond.values) != n:
            raise InvalidValue(
                f"condition {cond.op.value} on {cond.field} needs {n} value(s), got {len(cond.values)}",
                field=cond.field,
            )

    def _epoch(self, moment: datetime) -> int:
        if moment.tzinfo is None:
            raise InvalidValue("naive datetime in a query; datetimes must be aware")
        return int(moment.timestamp())

    def _system_value(self, value: FieldValue, kind: str, cond: Condition) -> Any:
        """Plain value, or for time columns the inclusive epoch range ``(first, last)`` it covers."""
        if kind == "time":
            if isinstance(value, datetime):
                t = self._epoch(value)
                return t, t
            if isinstance(value, date):
                start = timeutil.start_of_day(value, self.tz)
                return int(start.timestamp()), int((start + timedelta(days=1)).timestamp()) - 1
            if isinstance(value, int):  # OBJECT_MODIFYTIME is UNIX seconds in the server api
                return value, value
            if isinstance(value, str):
                try:
                    t = int(timeutil.parse_datetime(value, self.tz).timestamp())
                except ValueError as exc:
                    raise InvalidValue(
                        f"{value!r} is not a date-time for {cond.field}", field=cond.field
                    ) from exc
                return t, t
            raise InvalidValue(f"{cond.field} compares with date-times", field=cond.field)
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
                raise InvalidValue(f"{cond.field} compares with integers", field=cond.field)
            try:
                return int(value)
            except ValueError as exc:
                raise InvalidValue(f"{value!r} is not an integer for {cond.field}", field=cond.field) from exc
        return str(value)

    def _field_value(self, f: FieldDef, value: FieldValue, cond: Condition) -> Any:
        # a search value is converted like a written one, but not checked against catalogues/lengths
        if f.value_type is ValueType.DATE and isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        try:
            typed = f.coerce(value, tz=self.tz)
        except FieldValueError as exc:
            raise InvalidValue(exc.message, field=f.qualified_name) from exc
        if typed is None:
            raise InvalidValue(
                f"empty value in a condition on {f.qualified_name}; use IS NULL", field=f.internal
            )
        stored = to_stored(typed, f.value_type)
        if f.value_type is ValueType.DECIMAL:
            return float(stored)
        return stored

    def sort(self, sort: Sort, otype: ObjectType) -> str:
        direction = " DESC" if sort.descending else ""
        if sort.system:
            spec = _SYSTEM.get(sort.field.upper())
            if spec is None:
                raise UnknownField(sort.field, scope="system fields")
            return f"o.{spec[0]}{direction}"
        f = field_of(otype, sort.field)
        if f.is_table:
            raise InvalidValue(f"cannot sort by table field {f.qualified_name}", field=f.internal)
        self.order_params.append(json_path(f.internal))
        expr = "json_extract(o.data, ?)"
        if f.value_type is ValueType.DECIMAL:
            expr = f"CAST({expr} AS REAL)"
        return expr + direction
