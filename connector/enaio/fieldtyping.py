"""The one rule by which every interface room types an object's index values.

Rooms differ only in how a raw value looks on their wire (JSON scalars, text forms); they pass a
``coerce`` callable for that. Everything else is decided here, once:

- a field the object definition does not know: left out, reported as ``unknown_field`` (drift);
- a simple value for a table field, or rows for a simple field: left out, reported as ``invalid_value``;
- a value that does not convert: left out, reported as ``invalid_value``;
- empty values, empty cells and empty tables (no rows) are absent, as empty fields are;
- a table row keeps the cells that convert; unknown columns and bad cells are reported one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.enaio.interface import OnSkipped, SkipKind, SkippedField, skip_field, value_problem
from connector.enaio.model import FieldValue
from connector.enaio.objdef import FieldDef, FieldValueError, ObjectType, TableColumn

Coerce = Callable[[FieldDef | TableColumn, Any], FieldValue | None]
"""Turns one raw wire value into a typed value (``None`` for empty); raises ``FieldValueError``."""

UNKNOWN = "not in the object definition"


@dataclass
class IndexValues:
    fields: dict[str, FieldValue] = field(default_factory=dict)
    tables: dict[str, list[dict[str, FieldValue]]] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldTyper:
    """Types the index values of one object of ``object_type``; problems go to ``on_skipped``
    (without it a bad value is a ``ValidationError`` naming the field, see ``skip_field``)."""

    object_type: ObjectType
    object_id: int
    coerce: Coerce
    on_skipped: OnSkipped | None
    operation: str

    def skip(self, name: str, kind: SkipKind, phrase: str) -> None:
        skipped = SkippedField(self.object_id, self.object_type.internal, name, kind, phrase)
        skip_field(skipped, self.on_skipped, operation=self.operation)

    def type_all(
        self,
        simple: Iterable[tuple[str, Any]],
        tables: Iterable[tuple[str, Sequence[Mapping[str, Any]] | Any]] = (),
    ) -> IndexValues:
        """``simple``: (name, raw value) pairs; ``tables``: (name, rows) pairs where the wire keeps tables
        apart (a room whose wire mixes them passes everything as ``simple``; rows are recognised by the
        field's type)."""
        result = IndexValues()
        for name, raw in simple:
            self._one(result, name, raw, table_shape=False)
        for name, rows in tables:
            self._one(result, name, rows, table_shape=True)
        return result

    def _one(self, result: IndexValues, name: str, raw: Any, *, table_shape: bool) -> None:
        fdef = self.object_type.fields_by_name.get(name)
        if fdef is None:
            self.skip(name, "unknown_field", UNKNOWN)
            return
        if fdef.is_table:
            rows = self._rows(fdef, raw)
            if rows:
                result.tables[fdef.internal] = rows
            return
        if table_shape or isinstance(raw, list | dict):
            self.skip(fdef.internal, "invalid_value", value_problem(fdef))
            return
        value = self._typed(fdef, raw, fdef.internal)
        if value is not None:
            result.fields[fdef.internal] = value

    def _typed(self, codec: FieldDef | TableColumn, raw: Any, name: str) -> FieldValue | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool | list | dict):
            self.skip(name, "invalid_value", value_problem(codec))
            return None
        try:
            return self.coerce(codec, raw)
        except (FieldValueError, ValueError, TypeError):
            self.skip(name, "invalid_value", value_problem(codec))
            return None

    def _rows(self, fdef: FieldDef, raw: Any) -> list[dict[str, FieldValue]]:
        if raw is None or raw == "" or raw == []:
            return []
        if not isinstance(raw, list | tuple) or not all(isinstance(row, Mapping) for row in raw):
            self.skip(fdef.internal, "invalid_value", value_problem(fdef))
            return []
        rows: list[dict[str, FieldValue]] = []
        for row in raw:
            typed: dict[str, FieldValue] = {}
            for column_name, cell in row.items():
                column = fdef.columns_by_name.get(column_name)
                if column is None:
                    self.skip(f"{fdef.internal}.{column_name}", "unknown_field", UNKNOWN)
                    continue
                value = self._typed(column, cell, column.qualified_name)
                if value is not None:
                    typed[column.internal] = value
            rows.append(typed)
        return rows
