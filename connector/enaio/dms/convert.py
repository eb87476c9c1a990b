"""DMS wire objects <-> :class:`~connector.enaio.model.EnaioObject`.

Reading is strict: every index value is typed through its objdef ``FieldDef`` codec; a property the
object definition does not know, or a value that does not fit its field, is a ``ValidationError`` naming
the field; a missing or malformed system property is a ``ResponseFormatError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.dms.codec import json_value
from connector.enaio.dms.wire import WireObject
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import (
    FieldDef,
    FieldValueError,
    ObjectDefinition,
    ObjectType,
    TableColumn,
    UnknownObjectTypeError,
)
from connector.errors import ResponseFormatError, ValidationError


class Converter:
    """Converts wire objects of one server (its object definition, its time zone)."""

    def __init__(self, objdef: ObjectDefinition, tz: ZoneInfo) -> None:
        self.objdef = objdef
        self.tz = tz

    def to_object(self, wire: WireObject, operation: str) -> EnaioObject:
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
        for name, prop in wire.properties.items():
            if name.startswith("system:"):
                continue
            field = object_type.fields_by_name.get(name)
            if field is None:
                raise ValidationError(
                    f"object {object_id}: property {name!r} is not a field of {object_type.internal}",
                    field=name,
                    operation=operation,
                )
            if field.is_table:
                rows = self._rows(field.qualified_name, field.columns_by_name, prop.value, operation)
                if rows:
                    tables[name] = rows
                continue
            value = self._typed(field, prop.value, operation)
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
            raise ResponseFormatError(
                f"system:objectTypeId {prop.value!r} is not a type id", operation=operation
            )
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
        raise ResponseFormatError(f"{name} {value!r} is not an object id", operation=operation)

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
        raise ResponseFormatError(f"{name} {value!r} is not a boolean", operation=operation)

    def _datetime(self, wire: WireObject, name: str, operation: str) -> datetime:
        value = wire.value(name)
        if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
            raise ResponseFormatError(f"object without a valid {name}", operation=operation)
        try:
            moment = timeutil.parse_datetime(str(value), self.tz)
        except ValueError:
            raise ResponseFormatError(f"{name} {value!r} is not a date-time", operation=operation) from None
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

    def _typed(self, codec: FieldDef | TableColumn, raw: Any, operation: str) -> FieldValue | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
            raise ValidationError(
                f"{codec.qualified_name}: {type(raw).__name__} is not a value of this field",
                field=codec.qualified_name,
                operation=operation,
            )
        try:
            return codec.coerce(raw, tz=self.tz)
        except FieldValueError as exc:
            raise ValidationError(exc.message, field=exc.field, operation=operation) from None

    def _rows(
        self, name: str, columns: Mapping[str, TableColumn], raw: Any, operation: str
    ) -> list[dict[str, FieldValue]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise ValidationError(
                f"{name}: a table value must be a list of rows", field=name, operation=operation
            )
        rows = []
        for row in raw:
            if not isinstance(row, dict):
                raise ValidationError(
                    f"{name}: a table row must be an object", field=name, operation=operation
                )
            typed: dict[str, FieldValue] = {}
            for column_name, cell in row.items():
                column = columns.get(column_name)
                if column is None:
                    raise ValidationError(
                        f"{name}: unknown column {column_name!r}",
                        field=f"{name}.{column_name}",
                        operation=operation,
                    )
                value = self._typed(column, cell, operation)
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
