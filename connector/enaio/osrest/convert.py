"""osrest wire objects -> :class:`EnaioObject` (typed values through the objdef field codecs)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.interface import OnSkipped, SkipKind, SkippedField, skip_field, value_problem
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import FieldValueError, ObjdefLookupError, ObjectDefinition, ObjectType
from connector.enaio.osrest.wire import WireFile, WireObject
from connector.errors import ResponseFormatError, ValidationError

_UNLOCKED = {"", "0", "UNLOCKED"}
_UNKNOWN = "not in the object definition"


def parse_wire_datetime(value: str | int | float, tz: ZoneInfo) -> datetime:
    """A base-param date as osrest sends it: epoch milliseconds (``timestamps=true``, number or string),
    ``dd.MM.yyyy[ HH:mm[:ss]]`` or ISO-8601; naive forms are local time in ``tz``. Whole seconds."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a date-time")
    if isinstance(value, int | float):
        moment = timeutil.from_epoch_millis(value, tz)
    else:
        moment = timeutil.parse_datetime(value, tz)
    return moment.astimezone(tz).replace(microsecond=0)


def parse_id(value: str | int | None) -> int | None:
    """A location id from system fields: empty or ``0`` means none."""
    if value is None:
        return None
    text = str(value).strip()
    if text in ("", "0", "-1"):
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _otype(objdef: ObjectDefinition, wire: WireObject) -> ObjectType:
    try:
        return objdef.type_by_id(wire.object_type_id)
    except ObjdefLookupError:
        if wire.internal_name:
            try:
                return objdef.resolve_type(wire.internal_name)
            except ObjdefLookupError:
                pass
    raise ResponseFormatError(
        f"object {wire.osid} has type {wire.object_type_id}, unknown to the object definition",
        operation="osrest.convert",
    )


def _files(files: list[WireFile]) -> tuple[FileInfo, ...]:
    return tuple(
        FileInfo(index=f.index, name=f.name, mime_type=f.mime_type, size=f.size)
        for f in sorted(files, key=lambda f: f.index)
    )


def to_enaio_object(
    wire: WireObject,
    objdef: ObjectDefinition,
    tz: ZoneInfo,
    on_skipped: OnSkipped | None = None,
    *,
    operation: str = "osrest.convert",
) -> EnaioObject:
    """Map one wire object. A field the definition does not know is left out (drift); a value that does not
    fit its field is left out and reported to ``on_skipped`` (without it: ``ValidationError``)."""
    otype = _otype(objdef, wire)

    def skip(name: str, kind: SkipKind, phrase: str) -> None:
        skip_field(
            SkippedField(wire.osid, otype.internal, name, kind, phrase), on_skipped, operation=operation
        )

    fields: dict[str, FieldValue] = {}
    for item in wire.simple_fields:
        ref = item.internal_name or item.db_name or item.display_name
        try:
            fd = otype.resolve_field(ref)
        except ObjdefLookupError:
            skip(ref, "unknown_field", _UNKNOWN)  # server newer than our objdef copy
            continue
        if fd.is_table:
            continue
        try:
            value = fd.from_wire_text(item.value, tz=tz)
        except FieldValueError:
            skip(fd.internal, "invalid_value", value_problem(fd))
            continue
        if value is not None:
            fields[fd.internal] = value
    tables: dict[str, list[dict[str, FieldValue]]] = {}
    for table in wire.table_fields:
        ref = table.internal_name or table.db_name or table.display_name
        try:
            fd = otype.resolve_field(ref)
        except ObjdefLookupError:
            skip(ref, "unknown_field", _UNKNOWN)
            continue
        rows: list[dict[str, FieldValue]] = []
        for wire_row in table.rows:
            row: dict[str, FieldValue] = {}
            for cell in wire_row.fields:
                column = fd.columns_by_name.get(cell.internal_name)
                if column is None:
                    column = next((c for c in fd.columns if c.fieldname == cell.db_name), None)
                if column is None:
                    skip(f"{fd.internal}.{cell.internal_name or cell.db_name}", "unknown_field", _UNKNOWN)
                    continue
                try:
                    cell_value = column.from_wire_text(cell.value, tz=tz)
                except FieldValueError:
                    skip(column.qualified_name, "invalid_value", value_problem(column))
                    continue
                if cell_value is not None:
                    row[column.internal] = cell_value
            rows.append(row)
        if rows:
            tables[fd.internal] = rows

    def base(name: str, *aliases: str) -> str | None:
        for key in (name, *aliases):
            value = wire.base(key)
            if value is not None and value != "":
                return value
        return None

    def moment(name: str, *aliases: str) -> datetime:
        raw = base(name, *aliases)
        if raw is None:
            raise ValidationError(
                f"object {wire.osid} lacks base parameter {name}", operation="osrest.convert"
            )
        try:
            return parse_wire_datetime(raw, tz)
        except ValueError as exc:
            raise ValidationError(
                f"object {wire.osid}: base parameter {name} is not a date-time", operation="osrest.convert"
            ) from exc

    kind = otype.kind
    folder_id = parse_id(wire.system("SDSTA_ID"))
    register_id = parse_id(wire.system("SDREG_ID"))
    if kind is ObjectKind.FOLDER:
        folder_id = parent_id = None
    else:
        parent_id = register_id if register_id is not None else folder_id
    lock = (wire.system("OBJECT_LOCKUSER") or "").strip()
    created = moment("CREATED", "CREATION_DATE")
    creator = base("CREATOR") or ""
    return EnaioObject(
        id=wire.osid,
        type_id=otype.type_id,
        type_name=otype.internal,
        kind=kind,
        parent_id=parent_id,
        folder_id=folder_id,
        fields=fields,
        tables=tables,
        created=created,
        creator=creator,
        modified=moment("MODIFIED") if base("MODIFIED") else created,
        modifier=base("MODIFIER") or creator,
        owner=base("OWNER") or creator,
        locked_by=None if lock.upper() in _UNLOCKED else lock,
        deleted=(wire.system("OBJECT_DELETED") or "0").strip() in ("1", "true", "TRUE"),
        files=_files(wire.content_files),
    )
