"""``EnaioObject`` -> osrest object JSON (enaio-rest.md §3.3). Index values are always strings."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from connector.enaio.model import EnaioObject, FieldValue, ObjectKind
from connector.enaio.objdef import FieldDef, ObjectDefinition, ObjectType, TableColumn

DateStyle = Literal["local", "millis", "iso"]


def format_moment(moment: datetime, tz: ZoneInfo, style: DateStyle) -> str:
    """Base-param dates: ``dd.MM.yyyy HH:mm:ss`` local (default), epoch ms (``timestamps=true``) or ISO."""
    if style == "millis":
        return str(int(moment.timestamp()) * 1000)
    local = moment.astimezone(tz)
    if style == "iso":
        return local.isoformat()
    return local.strftime("%d.%m.%Y %H:%M:%S")


def _text(spec: FieldDef | TableColumn, value: FieldValue | None, tz: ZoneInfo) -> str:
    return "" if value is None else spec.to_wire_text(value, tz=tz)


def _simple(fd: FieldDef, value: FieldValue | None, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "internalName": fd.internal,
        "displayName": fd.name,
        "dbName": fd.fieldname,
        "visible": True,
        "type": fd.value_type.value,
        "value": _text(fd, value, tz),
    }


def _cell(column: TableColumn, value: FieldValue | None, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "internalName": column.internal,
        "displayName": column.name,
        "dbName": column.fieldname,
        "visible": True,
        "type": column.value_type.value,
        "value": _text(column, value, tz),
    }


def _table(
    fd: FieldDef, rows: list[dict[str, FieldValue]], tz: ZoneInfo, omit_empty: bool = False
) -> dict[str, Any]:
    return {
        "internalName": fd.internal,
        "displayName": fd.name,
        "dbName": fd.fieldname,
        "visible": True,
        "type": "TABLE",
        "columns": [
            {
                "internalName": c.internal,
                "displayName": c.name,
                "dbName": c.fieldname,
                "type": c.value_type.value,
            }
            for c in fd.columns
        ],
        "value": [
            {
                "ecmSimpleFields": [
                    _cell(c, row.get(c.internal), tz)
                    for c in fd.columns
                    if row.get(c.internal) is not None or not omit_empty
                ]
            }
            for row in rows
        ],
    }


def render_object(
    obj: EnaioObject,
    objdef: ObjectDefinition,
    tz: ZoneInfo,
    *,
    mode: str = "ALL",
    schema_fields: Collection[str] = (),
    dates: DateStyle = "local",
    parent_type: Callable[[EnaioObject], ObjectType | None] | None = None,
    numeric_id: bool = False,
    omit_empty: bool = False,
    documented_system: bool = False,
) -> dict[str, Any]:
    """``omit_empty`` (documented personality): empty fields, empty cells and empty tables are left out
    instead of being sent with ``""``. ``documented_system``: the system fields S1 names, plus
    ``SDSTA_ID``/``SDREG_ID`` on documents only (the server API documents them as a document's location);
    no ``OBJECT_DELETED``."""
    otype = objdef.type_by_id(obj.type_id)
    simple: list[dict[str, Any]] = []
    tables: list[dict[str, Any]] = []
    for fd in otype.fields:
        if mode == "MIN" or (mode == "DEF" and fd.internal not in schema_fields):
            continue
        if fd.is_table:
            rows = obj.tables.get(fd.internal, [])
            if rows or not omit_empty:
                tables.append(_table(fd, rows, tz, omit_empty))
        elif obj.fields.get(fd.internal) is not None or not omit_empty:
            simple.append(_simple(fd, obj.fields.get(fd.internal), tz))
    register_id = obj.parent_id if obj.parent_id is not None and obj.parent_id != obj.folder_id else None
    lock = obj.locked_by or ""
    base = [
        ("CREATOR", obj.creator),
        ("CREATED", format_moment(obj.created, tz, dates)),
        ("MODIFIER", obj.modifier),
        ("MODIFIED", format_moment(obj.modified, tz, dates)),
        ("OWNER", obj.owner),
        ("LOCKED", lock or "UNLOCKED"),
    ]
    first = obj.files[0] if obj.files else None
    wire: dict[str, Any] = {
        "osid": obj.id if numeric_id else str(obj.id),
        "objectTypeId": obj.type_id,
        "objectType": obj.kind.value,
        "internalName": otype.internal,
        "displayName": otype.name,
        "ecmSimpleFields": simple,
        "ecmTableFields": tables,
        "baseParameters": [{"type": name, "value": value} for name, value in base],
        "systemFields": [
            {"type": "OBJECT_COUNT", "value": str(len(obj.files))},
            {"type": "OBJECT_MAIN", "value": str(otype.maintype)},
            {"type": "OBJECT_LOCKUSER", "value": lock},
        ]
        + ([] if documented_system else [{"type": "OBJECT_DELETED", "value": "1" if obj.deleted else "0"}])
        + (
            []
            if documented_system and obj.kind is not ObjectKind.DOCUMENT
            else [
                {"type": "SDSTA_ID", "value": str(obj.folder_id or 0)},
                {"type": "SDREG_ID", "value": str(register_id or 0)},
            ]
        ),
        "rights": {"objExport": True, "objModify": True, "objDelete": True, "indexModify": True},
    }
    if obj.kind is ObjectKind.DOCUMENT:
        wire["objectFlagsValue"] = 0
        wire["fileProperties"] = [
            {"type": "COUNT", "value": str(len(obj.files))},
            {"type": "MIMETYPE", "value": first.mime_type if first else ""},
            {"type": "SIZE", "value": str(first.size) if first else "0"},
            {
                "type": "EXTENSION",
                "value": first.name.rpartition(".")[2] if first and "." in first.name else "",
            },
        ]
        wire["contentFiles"] = [
            {"index": str(f.index), "name": f.name, "mimeType": f.mime_type, "size": str(f.size)}
            for f in obj.files
        ]
    ptype = parent_type(obj) if parent_type is not None and obj.parent_id is not None else None
    if ptype is not None:
        wire["parentCabinetKeyType"] = "Register" if ptype.kind is ObjectKind.REGISTER else "Folder"
        wire["parentCabinetKey"] = ptype.internal
    return wire
