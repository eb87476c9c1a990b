"""SOAP wire models -> the shared :class:`EnaioObject` (typed values via the objdef field codecs)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.interface import (
    HistoryEntry,
    OnSkipped,
    SkipKind,
    SkippedField,
    skip_field,
    value_problem,
)
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import FieldValueError, ObjdefLookupError, ObjectDefinition
from connector.enaio.soap.wire import WireHistoryEntry, WireObject
from connector.errors import ResponseFormatError, ValidationError

_UNLOCKED = {"", "0", "UNLOCKED"}
_UNKNOWN = "not in the object definition"


def moment(text: str, tz: ZoneInfo, *, what: str) -> datetime:
    """A system date-time: UNIX seconds (``value`` attribute) or enaio's ``dd.mm.yyyy HH:MM:SS``."""
    value = text.strip()
    try:
        if value.lstrip("-").isdigit():
            return timeutil.from_epoch_seconds(int(value), tz)
        return timeutil.parse_datetime(value, tz).astimezone(tz).replace(microsecond=0)
    except ValueError as exc:
        raise ResponseFormatError(f"{what} is not a date-time") from exc


def _id(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    number = int(text)
    return number or None


def to_object(
    wire: WireObject,
    objdef: ObjectDefinition,
    tz: ZoneInfo,
    on_skipped: OnSkipped | None = None,
    *,
    operation: str = "dms.GetResultList",
) -> EnaioObject:
    """Map one wire object. A field the definition does not know is left out (drift); a value that does not
    fit its field is left out and reported to ``on_skipped`` (without it: ``ValidationError``)."""
    try:
        otype = objdef.type_by_id(wire.type_id)
    except ObjdefLookupError as exc:
        raise ValidationError(f"object {wire.id}: unknown object type {wire.type_id}") from exc

    def skip(name: str, kind: SkipKind, phrase: str) -> None:
        skip_field(SkippedField(wire.id, otype.internal, name, kind, phrase), on_skipped, operation=operation)

    fields: dict[str, FieldValue] = {}
    tables: dict[str, list[dict[str, FieldValue]]] = {}
    for name, text in wire.fields.items():
        fdef = otype.fields_by_name.get(name)
        if fdef is None:
            skip(name, "unknown_field", _UNKNOWN)
            continue
        if fdef.is_table:
            skip(name, "invalid_value", value_problem(fdef))
            continue
        try:
            value = fdef.from_wire_text(text, tz=tz)
        except FieldValueError:
            skip(name, "invalid_value", value_problem(fdef))
            continue
        if value is not None:
            fields[name] = value
    for name, rows in wire.tables.items():
        fdef = otype.fields_by_name.get(name)
        if fdef is None:
            skip(name, "unknown_field", _UNKNOWN)
            continue
        if not fdef.is_table:
            skip(name, "invalid_value", value_problem(fdef))
            continue
        typed_rows = []
        for row in rows:
            typed: dict[str, FieldValue] = {}
            for column_name, text in row.items():
                column = fdef.columns_by_name.get(column_name)
                if column is None:
                    skip(f"{name}.{column_name}", "unknown_field", _UNKNOWN)
                    continue
                try:
                    cell = column.from_wire_text(text, tz=tz)
                except FieldValueError:
                    skip(column.qualified_name, "invalid_value", value_problem(column))
                    continue
                if cell is not None:
                    typed[column_name] = cell
            typed_rows.append(typed)
        tables[name] = typed_rows
    system = wire.system
    try:
        folder_id = _id(system.get("SDSTA_ID"))
        register_id = _id(system.get("SDREG_ID"))
    except ValueError as exc:
        raise ResponseFormatError(f"object {wire.id}: unreadable parent ids") from exc
    kind = otype.kind
    if kind is ObjectKind.FOLDER:
        folder_id = register_id = None
    lock = system.get("OBJECT_LOCKUSER", "")
    return EnaioObject(
        id=wire.id,
        type_id=otype.type_id,
        type_name=otype.internal,
        kind=kind,
        parent_id=register_id or folder_id,
        folder_id=folder_id,
        fields=fields,
        tables=tables,
        created=moment(system.get("OBJECT_CRDATE", ""), tz, what="OBJECT_CRDATE"),
        creator=system.get("OBJECT_CRID", ""),
        modified=moment(system.get("OBJECT_MODIFYTIME", ""), tz, what="OBJECT_MODIFYTIME"),
        modifier=system.get("OBJECT_MODIFYUSER", ""),
        owner=system.get("OBJECT_USERGUID", ""),
        locked_by=None if lock.strip().upper() in _UNLOCKED else lock,
        deleted=system.get("OBJECT_DELETED", "0").strip() == "1",
        files=tuple(
            FileInfo(index=f.index, name=f.name, mime_type=f.mime_type, size=f.size) for f in wire.files
        ),
    )


def to_history(entry: WireHistoryEntry, tz: ZoneInfo) -> HistoryEntry:
    return HistoryEntry(
        action=entry.action,
        user=entry.user,
        time=moment(entry.time, tz, what="history Time"),
        description=entry.description,
    )
