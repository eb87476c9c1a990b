"""DMS wire objects <-> :class:`~connector.enaio.model.EnaioObject`.

Every index value is typed through its objdef ``FieldDef`` codec. A property the object definition does
not know is left out (drift); a value that does not fit its field is left out and reported, or a
``ValidationError`` naming the field (never the value) without ``on_skipped`` (``interface.skip_field``).
A missing or malformed system property is a ``ResponseFormatError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.dms.codec import json_value
from connector.enaio.dms.wire import WireObject
from connector.enaio.interface import OnSkipped, SkipKind, SkippedField, skip_field, value_problem
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import (
    FieldDef,
    FieldValueError,
    ObjectDefinition,
    ObjectType,
    TableColumn,
    UnknownObjectTypeError,
)
from connector.errors import ResponseFormatError


class _Skip(Exception):
    """A value left out of the object: ``skip_field`` decides what happens."""

    def __init__(self, field: str, kind: SkipKind, phrase: str) -> None:
        super().__init__(field)
        self.field = field
        self.kind: SkipKind = kind
        self.phrase = phrase


class Converter:
    """Converts wire objects of one server (its object definition, its time zone)."""

    def __init__(self, objdef: ObjectDefinition, tz: ZoneInfo) -> None:
        self.objdef = objdef
        self.tz = tz

    def to_object(self, wire: WireObject, operation: str, on_skipped: OnSkipped | None = None) -> EnaioObject:
        object_id = self._int(wire, "system:objectId", operation, required=True)
        assert object_id is not None  # noqa: S101 - required=True
        object_type = self._type(wire, operation)
        kind = object_type.kind
        base = wire.value("system:baseTypeId")
        if base is not None and base != kind.value:
            raise ResponseFormatError(
                f"object {object_id}: system:baseTypeId {base!r} does not match type {object_type.internal}",
                operation=operation,
            )
        fields: dict[str, FieldValue] = {}
        tables: dict[str, list[dict[str, FieldValue]]] = {}

        def skip(problem: _Skip) -> None:
            skipped = SkippedField(
                object_id, object_type.internal, problem.field, problem.kind, problem.phrase
            )
            skip_field(skipped, on_skipped, operation=operation)

        for name, prop in wire.properties.items():
            if name.startswith("system:"):
                continue
            field = object_type.fields_by_name.get(name)
            try:
                if field is None:
                    raise _Skip(name, "unknown_field", "not in the object definition")
                if field.is_table:
                    rows = self._rows(field, prop.value, skip)
                    if rows:
                        tables[name] = rows
                    continue
                value = self._typed(field, prop.value, name)
            except _Skip as problem:
                skip(problem)
                continue
            if value is not None:
                fields[name] = value
        creator = self._text(wire, "system:createdBy", operation, required=True) or ""
        return EnaioObject(
            id=object_id,
            type_id=object_type.type_id,
            type_name=object_type.internal,
            kind=kind,
            parent_id=self._int(wire, "system:parentId", operation),
            folder_id=None if kind is ObjectKind.FOLDER else self._int(wire, "system:SDSTA_ID", operation),
            fields=fields,
            tables=tables,
            created=self._datetime(wire, "system:creationDate", operation),
            creator=creator,
            modified=self._datetime(wire, "system:lastModificationDate", operation),
            modifier=self._text(wire, "system:lastModifiedBy", operation, required=True) or "",
            owner=self._text(wire, "system:owner", operation) or creator,
            locked_by=self._text(wire, "system:lockedBy", operation) or None,
            deleted=self._bool(wire, "system:deleted", operation),
            files=self._files(wire, object_id, operation),
        )

    # -- system properties ---------------------------------------------------------------------

    def _type(self, wire: WireObject, operation: str) -> ObjectType:
        prop = wire.properties.get("system:objectTypeId")
        if prop is None:
            raise ResponseFormatError("object without system:objectTypeId", operation=operation)
        ref: str | int | None = None
        if isinstance(prop.value, int) and not isinstance(prop.value, bool):
            ref = prop.value
        elif isinstance(prop.value, str) and prop.value.strip():
            ref = int(prop.value) if prop.value.strip().isdigit() else prop.value.strip()
        elif prop.local_name:
            ref = prop.local_name
        if ref is None:
            raise ResponseFormatError("system:objectTypeId is not a type id", operation=operation)
        try:
            return self.objdef.resolve_type(ref)
        except UnknownObjectTypeError:
            raise ResponseFormatError(
                f"object type {ref!r} is not in the object definition", operation=operation
            ) from None

    @staticmethod
    def _int(wire: WireObject, name: str, operation: str, *, required: bool = False) -> int | None:
        value = wire.value(name)
        if value is None or value == "":
            if required:
                raise ResponseFormatError(f"object without {name}", operation=operation)
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise ResponseFormatError(f"{name} is not an object id", operation=operation)

    @staticmethod
    def _text(wire: WireObject, name: str, operation: str, *, required: bool = False) -> str | None:
        value = wire.value(name)
        if value is None:
            if required:
                raise ResponseFormatError(f"object without {name}", operation=operation)
            return None
        if not isinstance(value, str):
            raise ResponseFormatError(f"{name} is not text", operation=operation)
        return value

    @staticmethod
    def _bool(wire: WireObject, name: str, operation: str) -> bool:
        value = wire.value(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if value in ("true", "false", 0, 1):
            return value in ("true", 1)
        raise ResponseFormatError(f"{name} is not a boolean", operation=operation)

    def _datetime(self, wire: WireObject, name: str, operation: str) -> datetime:
        value = wire.value(name)
        if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
            raise ResponseFormatError(f"object without a valid {name}", operation=operation)
        try:
            moment = timeutil.parse_datetime(str(value), self.tz)
        except ValueError:
            raise ResponseFormatError(f"{name} is not a date-time", operation=operation) from None
        return moment.astimezone(self.tz).replace(microsecond=0)

    def _files(self, wire: WireObject, object_id: int, operation: str) -> tuple[FileInfo, ...]:
        files = []
        for position, stream in enumerate(wire.content_streams, start=1):
            if not stream.file_name:
                raise ResponseFormatError(
                    f"object {object_id}: content stream {position} has no fileName", operation=operation
                )
            files.append(
                FileInfo(
                    index=position,
                    name=stream.file_name,
                    mime_type=stream.mime_type or "application/octet-stream",
                    size=stream.length or 0,
                )
            )
        return tuple(files)

    # -- index values --------------------------------------------------------------------------

    def _typed(self, codec: FieldDef | TableColumn, raw: Any, name: str) -> FieldValue | None:
        """The typed value; ``_Skip`` (under ``name``) when it does not fit the field."""
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
            raise _Skip(name, "invalid_value", value_problem(codec))
        try:
            return codec.coerce(raw, tz=self.tz)
        except FieldValueError:
            raise _Skip(name, "invalid_value", value_problem(codec)) from None

    def _rows(self, field: FieldDef, raw: Any, skip: Callable[[_Skip], None]) -> list[dict[str, FieldValue]]:
        """Typed rows; a cell that does not convert (or an unknown column) is left out of its row."""
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
            raise _Skip(field.internal, "invalid_value", value_problem(field))
        rows = []
        for row in raw:
            typed: dict[str, FieldValue] = {}
            for column_name, cell in row.items():
                name = f"{field.internal}.{column_name}"
                column = field.columns_by_name.get(column_name)
                try:
                    if column is None:
                        raise _Skip(name, "unknown_field", "not in the object definition")
                    value = self._typed(column, cell, name)
                except _Skip as problem:
                    skip(problem)
                    continue
                if value is not None:
                    typed[column_name] = value
            rows.append(typed)
        return rows


def properties(
    fields: Mapping[str, FieldValue | None],
    tables: Mapping[str, Sequence[Mapping[str, FieldValue]]] | None,
    tz: ZoneInfo,
) -> dict[str, dict[str, Any]]:
    """The ``properties`` envelope of a write: ``{name: {"value": ...}}``; ``None`` clears a field."""
    result: dict[str, dict[str, Any]] = {}
    for name, value in fields.items():
        result[name] = {"value": None if value is None else json_value(value, tz)}
    for name, rows in (tables or {}).items():
        result[name] = {"value": [{col: json_value(cell, tz) for col, cell in row.items()} for row in rows]}
    return result
