"""EnaioObject -> the DMS service's ``{"properties": {name: {"value": ...}}, "contentStreams": [...]}``.

Value forms (emulator choices, see docs/emulator-choices.md): object ids as JSON strings (as S2's mocks
show), text and catalogue keys as strings, integers as JSON integers, decimals as strings (exact),
dates ``YYYY-MM-DD``, date-times ISO-8601 with the offset of the configured zone, tables as row lists,
empty values as ``{"value": null}``. The documented personality takes the other choices: ids (and the type
id) as JSON numbers, empty values and empty tables omitted, only the documented system properties.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connector.enaio.emulator.dms.sql import DOCUMENTED_SYSTEM, SELECTABLE_SYSTEM
from connector.enaio.model import EnaioObject, FieldValue, ObjectKind
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


def _number(value: int | None) -> int | None:
    return value


def system_properties(
    obj: EnaioObject, object_type: ObjectType, tz: ZoneInfo, *, documented: bool = False
) -> dict[str, dict[str, Any]]:
    register_id = obj.parent_id if obj.parent_id is not None and obj.parent_id != obj.folder_id else None
    ident = _number if documented else _id
    type_id: int | str = obj.type_id if documented else str(obj.type_id)
    folder_id = None if obj.kind is ObjectKind.FOLDER else obj.folder_id
    return {
        "system:objectId": {"value": ident(obj.id)},
        "system:objectTypeId": {"value": type_id, "localName": object_type.internal},
        "system:baseTypeId": {"value": obj.kind.value},
        "system:parentId": {"value": ident(obj.parent_id)},
        "system:SDSTA_ID": {"value": ident(folder_id)},
        "system:SDREG_ID": {"value": ident(register_id)},
        "system:STAMM_ID": {"value": ident(obj.id)},
        "system:REG_ID": {"value": ident(obj.id)},
        "system:FOLDERID": {"value": ident(folder_id)},
        "system:REGISTERID": {"value": ident(register_id)},
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
    documented: bool = False,
) -> dict[str, Any]:
    """One object; ``columns`` ``None`` = every system property and index field (a GET). The documented
    personality's GET carries no location (§10.2: parents only via search)."""
    system = system_properties(obj, object_type, tz, documented=documented)
    wanted = list(ALWAYS)
    if columns is None:
        every: tuple[str, ...] = SELECTABLE_SYSTEM
        if documented:
            # §10.2: a GET's STAMM_ID and REG_ID are the object's own id; the parents only via search
            every = (
                *(name for name in DOCUMENTED_SYSTEM if name not in ("system:SDSTA_ID", "system:SDREG_ID")),
                "system:STAMM_ID",
                "system:REG_ID",
            )
        wanted.extend(name for name in every if name not in ALWAYS)
        wanted.extend(f.internal for f in object_type.fields)
    else:
        wanted.extend(name for name in columns if name not in ALWAYS)
    props: dict[str, dict[str, Any]] = {}
    for name in wanted:
        if name in system:
            prop = system[name]
        elif name in obj.tables or (name in object_type.fields_by_name and object_type.field(name).is_table):
            rows = obj.tables.get(name, [])
            prop = {"value": [{col: json_value(cell, tz) for col, cell in row.items()} for row in rows]}
            if documented and not rows:
                continue
        else:
            value = obj.fields.get(name)
            prop = {"value": None if value is None else json_value(value, tz)}
        if documented and prop["value"] is None:
            continue  # the documented personality leaves empty properties out
        props[name] = prop
    body: dict[str, Any] = {"properties": props}
    if with_content:
        body["contentStreams"] = content_streams(obj)
    return body
