"""EnaioObject -> the DMS service's ``{"properties": {name: {"value": ...}}, "contentStreams": [...]}``.

Value forms (emulator choices, see docs/emulator-choices.md): object ids as JSON strings (as S2's mocks
show), text and catalogue keys as strings, integers as JSON integers, decimals as strings (exact),
dates ``YYYY-MM-DD``, date-times ISO-8601 with the offset of the configured zone, tables as row lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connector.enaio.emulator.dms.sql import SELECTABLE_SYSTEM
from connector.enaio.model import EnaioObject, FieldValue
from connector.enaio.objdef import ObjectType

ALWAYS = ("system:objectId", "system:objectTypeId", "system:baseTypeId")
"""What every object carries, whatever was selected (S7 1.2)."""


def json_value(value: FieldValue, tz: ZoneInfo) -> str | int:
    if isinstance(value, datetime):
        return value.astimezone(tz).replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def system_properties(obj: EnaioObject, object_type: ObjectType, tz: ZoneInfo) -> dict[str, dict[str, Any]]:
    register_id = obj.parent_id if obj.parent_id is not None and obj.parent_id != obj.folder_id else None
    return {
        "system:objectId": {"value": str(obj.id)},
        "system:objectTypeId": {"value": str(obj.type_id), "localName": object_type.internal},
        "system:baseTypeId": {"value": obj.kind.value},
        "system:parentId": {"value": _id(obj.parent_id)},
        "system:SDSTA_ID": {"value": _id(obj.folder_id)},
        "system:SDREG_ID": {"value": _id(register_id)},
        "system:createdBy": {"value": obj.creator},
        "system:creationDate": {"value": json_value(obj.created, tz)},
        "system:lastModifiedBy": {"value": obj.modifier},
        "system:lastModificationDate": {"value": json_value(obj.modified, tz)},
        "system:owner": {"value": obj.owner},
        "system:lockedBy": {"value": obj.locked_by},
        "system:deleted": {"value": obj.deleted},
    }


def content_streams(obj: EnaioObject) -> list[dict[str, Any]]:
    return [
        {"cid": f"file{info.index}", "fileName": info.name, "mimeType": info.mime_type, "length": info.size}
        for info in obj.files
    ]


def render_object(
    obj: EnaioObject,
    object_type: ObjectType,
    tz: ZoneInfo,
    columns: Iterable[str] | None = None,
    *,
    with_content: bool = True,
) -> dict[str, Any]:
    """One object; ``columns`` ``None`` = every system property and index field (a GET)."""
    system = system_properties(obj, object_type, tz)
    wanted = list(ALWAYS)
    if columns is None:
        wanted.extend(name for name in SELECTABLE_SYSTEM if name not in ALWAYS)
        wanted.extend(f.internal for f in object_type.fields)
    else:
        wanted.extend(name for name in columns if name not in ALWAYS)
    props: dict[str, dict[str, Any]] = {}
    for name in wanted:
        if name in system:
            props[name] = system[name]
        elif name in obj.tables or (name in object_type.fields_by_name and object_type.field(name).is_table):
            rows = obj.tables.get(name, [])
            props[name] = {
                "value": [{col: json_value(cell, tz) for col, cell in row.items()} for row in rows]
            }
        else:
            value = obj.fields.get(name)
            props[name] = {"value": None if value is None else json_value(value, tz)}
    body: dict[str, Any] = {"properties": props}
    if with_content:
        body["contentStreams"] = content_streams(obj)
    return body
