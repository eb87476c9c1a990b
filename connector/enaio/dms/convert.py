"""DMS wire objects <-> :class:`~connector.enaio.model.EnaioObject`.

Index values are typed by the shared rule (:mod:`connector.enaio.fieldtyping`): a property the object
definition does not know is left out (``unknown_field``), a value that does not fit its field (a row list
for a simple field, a simple value for a table field, an unconvertible value) is left out and reported
(``invalid_value``), empty tables are absent; without ``on_skipped`` a bad value is a ``ValidationError``
naming the field (never the value). A missing or malformed documented system property is a
``ResponseFormatError``; the undocumented ones (owner, lock, deleted, parent) are optional.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.dms.codec import json_value, resolve_field
from connector.enaio.dms.wire import RawObject, RawStream, WireObject
from connector.enaio.fieldtyping import FieldTyper
from connector.enaio.interface import OnSkipped, value_error
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import (
    FieldDef,
    FieldValueError,
    ObjectDefinition,
    ObjectType,
    TableColumn,
    UnknownObjectTypeError,
    ValueType,
)
from connector.errors import ResponseFormatError, ValidationError

_TYPED_CACHE = 50_000
"""Typed values kept per converter (a few MB at most)."""


class Converter:
    """Converts wire objects of one server (its object definition, its time zone)."""

    def __init__(self, objdef: ObjectDefinition, tz: ZoneInfo) -> None:
        self.objdef = objdef
        self.tz = tz
        self._types: dict[str | int, ObjectType] = {}
        """Type references seen in answers, resolved once (a page holds one type many times)."""
        self._typed: dict[tuple[FieldDef | TableColumn, type, Any], FieldValue | None] = {}
        """Typed values of dates, numbers and checkboxes by (codec, raw type, raw value): a county repeats
        them (the same day, the same flag) thousands of times; texts are cheaper to type than to look up."""

    def to_object(
        self,
        wire: RawObject | WireObject,
        operation: str,
        on_skipped: OnSkipped | None = None,
        *,
        selected: frozenset[str] | None = None,
        deleted: bool = False,
    ) -> EnaioObject:
        """``selected``: the system properties the search asked for (an absent one is empty, since servers
        may leave empty properties out); ``None`` for a GET, where only what came back is known.
        ``deleted``: the recycle-bin state when the server does not say (the search mode)."""
        raw = wire if isinstance(wire, RawObject) else RawObject.from_wire(wire)
        values = raw.system
        object_id = _int(values, "system:objectId", operation, required=True)
        assert object_id is not None  # noqa: S101 - required=True
        object_type = self._type(raw, operation)
        kind = object_type.kind
        base = values.get("system:baseTypeId")
        if base is not None and base != kind.value:
            raise ResponseFormatError(
                f"object {object_id}: system:baseTypeId {base!r} does not match type {object_type.internal}",
                operation=operation,
            )
        typer = FieldTyper(object_type, object_id, self._coerce, on_skipped, operation)
        index = typer.type_all(raw.index.items())
        creator = _text(values, "system:createdBy", operation, required=True) or ""
        folder_id, parent_id = _location(values, kind, operation)
        locked_by, lock_known = _lock(values, operation, selected)
        is_deleted = _bool(values, "system:deleted", operation)
        # every value is already typed (field codecs, the checks here): validating again buys nothing
        return EnaioObject.model_construct(
            id=object_id,
            type_id=object_type.type_id,
            type_name=object_type.internal,
            kind=kind,
            parent_id=parent_id,
            folder_id=folder_id,
            fields=index.fields,
            tables=index.tables,
            created=self._datetime(values, "system:creationDate", operation),
            creator=creator,
            modified=self._datetime(values, "system:lastModificationDate", operation),
            modifier=_text(values, "system:lastModifiedBy", operation, required=True) or "",
            owner=_text(values, "system:owner", operation) or creator,
            locked_by=locked_by,
            lock_known=lock_known,
            deleted=deleted if is_deleted is None else is_deleted,
            files=_files(raw.streams, object_id, operation),
        )

    def _coerce(self, codec: FieldDef | TableColumn, raw: Any) -> FieldValue | None:
        if codec.value_type is ValueType.TEXT:
            return codec.coerce(raw, tz=self.tz)
        # the raw type is part of the key: 1 == Decimal("1.0") == True, but they type differently
        key = (codec, type(raw), raw)
        try:
            return self._typed[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value (a signalling NaN): typed, not kept
            return codec.coerce(raw, tz=self.tz)
        value = codec.coerce(raw, tz=self.tz)  # a FieldValueError is not kept: reported each time
        if len(self._typed) >= _TYPED_CACHE:
            self._typed.clear()  # memory stays flat however many distinct values a county holds
        self._typed[key] = value
        return value

    def _type(self, raw: RawObject, operation: str) -> ObjectType:
        name = "system:objectTypeId"
        if name not in raw.system:
            raise ResponseFormatError(f"object without {name}", operation=operation)
        value = raw.system[name]
        ref: str | int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            ref = value
        elif isinstance(value, str) and value.strip():
            ref = int(value) if value.strip().isdigit() else value.strip()
        elif raw.type_local_name:
            ref = raw.type_local_name
        if ref is None:
            raise ResponseFormatError(f"{name} is not a type id", operation=operation)
        known = self._types.get(ref)
        if known is not None:
            return known
        try:
            known = self._types[ref] = self.objdef.resolve_type(ref)
        except UnknownObjectTypeError:
            raise ResponseFormatError(
                f"object type {ref!r} is not in the object definition", operation=operation
            ) from None
        return known

    def _datetime(self, values: dict[str, Any], name: str, operation: str) -> datetime:
        value = values.get(name)
        if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
            raise ResponseFormatError(f"object without a valid {name}", operation=operation)
        moment = _iso_datetime(value, self.tz)
        if moment is None:
            try:
                moment = timeutil.parse_datetime(str(value), self.tz)
            except ValueError:
                raise ResponseFormatError(f"{name} is not a date-time", operation=operation) from None
        moment = moment.astimezone(self.tz)
        return moment.replace(microsecond=0) if moment.microsecond else moment


# -- system properties -----------------------------------------------------------------------------------


def _iso_datetime(value: str | int, tz: ZoneInfo) -> datetime | None:
    """The form every DMS answer uses (``2018-05-02T09:00:00+02:00``) parsed directly; ``None`` for any
    other form, which ``timeutil.parse_datetime`` reads (to the same result: neither its epoch nor its
    German forms can have ``-`` and ``T`` at these places)."""
    if not isinstance(value, str) or len(value) < 19 or value[4] != "-" or value[10] != "T":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def _location(values: dict[str, Any], kind: ObjectKind, operation: str) -> tuple[int | None, int | None]:
    """(folder, direct parent) from whichever location properties the server gave; ``0`` = none.
    ``(None, None)`` for a folder, and for an object whose location the answer does not carry."""
    if kind is ObjectKind.FOLDER:
        return None, None
    folder = _first_id(values, ("system:SDSTA_ID", "system:FOLDERID"), operation)
    register = _first_id(values, ("system:SDREG_ID", "system:REGISTERID"), operation)
    parent = _first_id(values, ("system:parentId",), operation)
    if parent is None and folder is not None:
        parent = register if register is not None else folder
    return folder, parent


def _first_id(values: dict[str, Any], names: Sequence[str], operation: str) -> int | None:
    for name in names:
        value = _int(values, name, operation)
        if value:  # 0 = "none" (no register)
            return value
    return None


def _lock(values: dict[str, Any], operation: str, selected: frozenset[str] | None) -> tuple[str | None, bool]:
    """(holder, known): known when the answer has ``system:lockedBy`` or the search asked for it."""
    name = "system:lockedBy"
    if name in values:
        return _text(values, name, operation) or None, True
    return None, selected is not None and name in selected


def _int(values: dict[str, Any], name: str, operation: str, *, required: bool = False) -> int | None:
    value = values.get(name)
    if value is None or value == "":
        if required:
            raise ResponseFormatError(f"object without {name}", operation=operation)
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ResponseFormatError(f"{name} is not an object id", operation=operation)


def _text(values: dict[str, Any], name: str, operation: str, *, required: bool = False) -> str | None:
    value = values.get(name)
    if value is None:
        if required:
            raise ResponseFormatError(f"object without {name}", operation=operation)
        return None
    if not isinstance(value, str):
        raise ResponseFormatError(f"{name} is not text", operation=operation)
    return value


def _bool(values: dict[str, Any], name: str, operation: str) -> bool | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if value in ("true", "false", 0, 1):
        return value in ("true", 1)
    raise ResponseFormatError(f"{name} is not a boolean", operation=operation)


def _files(streams: Sequence[RawStream], object_id: int, operation: str) -> tuple[FileInfo, ...]:
    files = []
    for position, stream in enumerate(streams, start=1):
        if not stream.file_name:
            raise ResponseFormatError(
                f"object {object_id}: content stream {position} has no fileName", operation=operation
            )
        if stream.length is not None and stream.length < 0:
            raise ResponseFormatError(
                f"object {object_id}: content stream {position} has a negative length", operation=operation
            )
        files.append(
            FileInfo.model_construct(
                index=position,
                name=stream.file_name,
                mime_type=stream.mime_type or "application/octet-stream",
                size=stream.length or 0,
            )
        )
    return tuple(files)


def properties(
    fields: Mapping[str, FieldValue | None],
    tables: Mapping[str, Sequence[Mapping[str, FieldValue]]] | None,
    tz: ZoneInfo,
    object_type: ObjectType | None = None,
    operation: str = "dms.write",
) -> dict[str, dict[str, Any]]:
    """The ``properties`` envelope of a write: ``{name: {"value": ...}}``; ``None`` clears a field.

    With ``object_type`` every field, column and value is checked here (type, catalogue, length), so the
    error names the field whatever the server's error text says (servers' messages quote names, and
    quoted text is redacted)."""
    result: dict[str, dict[str, Any]] = {}
    for name, value in fields.items():
        if object_type is not None:
            fdef = resolve_field(object_type, name, operation)
            if fdef.is_table:
                raise ValidationError(
                    f"{fdef.internal} is a table field; pass it in tables",
                    field=fdef.internal,
                    operation=operation,
                )
            try:
                value = fdef.normalize(value, tz=tz)
            except FieldValueError:
                raise value_error(fdef, value, tz=tz, operation=operation) from None
            name = fdef.internal
        result[name] = {"value": None if value is None else json_value(value, tz)}
    for name, rows in (tables or {}).items():
        if object_type is not None:
            fdef = resolve_field(object_type, name, operation)
            if not fdef.is_table:
                raise ValidationError(
                    f"{fdef.internal} is not a table field", field=fdef.internal, operation=operation
                )
            for row in rows:
                for column_name, cell in row.items():
                    column = fdef.columns_by_name.get(column_name)
                    if column is None:
                        raise ValidationError(
                            f"unknown column {column_name} in table {fdef.internal}",
                            field=f"{fdef.internal}.{column_name}",
                            operation=operation,
                        )
                    try:
                        column.normalize(cell, tz=tz)
                    except FieldValueError:
                        raise value_error(column, cell, tz=tz, operation=operation) from None
            name = fdef.internal
        result[name] = {"value": [{col: json_value(cell, tz) for col, cell in row.items()} for row in rows]}
    return result
