"""osrest wire objects -> :class:`EnaioObject` (typed values through the objdef field codecs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.fieldtyping import FieldTyper
from connector.enaio.interface import OnSkipped
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import FieldDef, ObjdefLookupError, ObjectDefinition, ObjectType, TableColumn
from connector.enaio.osrest.wire import WireField, WireFile, WireObject, WireTableField
from connector.errors import ResponseFormatError, ValidationError

_UNLOCKED = {"", "0", "UNLOCKED"}

Locate = Callable[[int], tuple[int | None, int | None]]
"""Object id -> (folder id, direct parent id)."""


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


def _field_name(otype: ObjectType, item: WireField | WireTableField) -> str:
    ref = item.internal_name or item.db_name or item.display_name
    try:
        return otype.resolve_field(ref).internal
    except ObjdefLookupError:
        return ref  # reported as unknown by the typing rule


def _rows(otype: ObjectType, table: WireTableField) -> list[dict[str, str | None]]:
    """Table rows as ``{column: raw text}``; a cell named by DB column gets the column's internal name."""
    try:
        fd = otype.resolve_field(table.internal_name or table.db_name or table.display_name)
    except ObjdefLookupError:
        fd = None
    by_db = {c.fieldname: c.internal for c in fd.columns} if fd is not None else {}
    rows: list[dict[str, str | None]] = []
    for wire_row in table.rows:
        row: dict[str, str | None] = {}
        for cell in wire_row.fields:
            known = fd is not None and cell.internal_name in fd.columns_by_name
            name = (
                cell.internal_name if known else by_db.get(cell.db_name, cell.internal_name or cell.db_name)
            )
            row[name] = cell.value
        rows.append(row)
    return rows


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
    locate: Locate | None = None,
    deleted: bool = False,
) -> EnaioObject:
    """Map one wire object. A field the definition does not know is left out (drift); a value that does not
    fit its field is left out and reported to ``on_skipped`` (without it: ``ValidationError``).

    ``locate`` finds (folder id, parent id) when the answer carries no ``SDSTA_ID``/``SDREG_ID``;
    ``deleted`` is the recycle-bin state when the answer does not say (``OBJECT_DELETED``)."""
    otype = _otype(objdef, wire)

    def coerce(spec: FieldDef | TableColumn, raw: Any) -> FieldValue | None:
        return spec.from_wire_text(raw, tz=tz)

    # the one typing rule (connector.enaio.fieldtyping); osrest may name a field by internal name, DB
    # column or display name, so names are resolved to internal names first (unknown ones stay as given)
    typer = FieldTyper(otype, wire.osid, coerce, on_skipped, operation)
    values = typer.type_all(
        ((_field_name(otype, item), item.value) for item in wire.simple_fields),
        ((_field_name(otype, table), _rows(otype, table)) for table in wire.table_fields),
    )
    fields = values.fields
    tables = values.tables

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
    elif wire.system("SDSTA_ID") is None and wire.system("SDREG_ID") is None and locate is not None:
        # S1's systemFields do not name SDSTA_ID/SDREG_ID: without them, documents/parents tells
        folder_id, parent_id = locate(wire.osid)
    else:
        parent_id = register_id if register_id is not None else folder_id
    lock_raw = wire.system("OBJECT_LOCKUSER")
    if lock_raw is None:
        lock_raw = wire.base("LOCKED")
    lock = (lock_raw or "").strip()
    deleted_raw = wire.system("OBJECT_DELETED")
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
        lock_known=lock_raw is not None,
        deleted=deleted if deleted_raw is None else deleted_raw.strip() in ("1", "true", "TRUE"),
        files=_files(wire.content_files),
    )
