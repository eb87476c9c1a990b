"""Server-api XML of the SOAP room: DMSQuery and DMSData built with lxml element builders, DMSContent
(LOL rows streamed with ``iterparse``, HOL objects) and DMSHistory read through ``connector.xmlsafe``.

Value text forms follow the server api: dates ``dd.mm.yyyy``, date-times ``dd.mm.yyyy HH:MM:SS`` in the
server's zone, decimals with ``.``, ``OBJECT_MODIFYTIME``/``OBJECT_TIME`` as UNIX seconds.
"""

from __future__ import annotations

import io
import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO
from zoneinfo import ZoneInfo

from lxml import etree

from connector import xmlsafe
from connector.enaio.interface import value_error
from connector.enaio.model import FieldValue, ObjectKind
from connector.enaio.objdef import FieldDef, FieldValueError, ObjectDefinition, ObjectType
from connector.enaio.query import Condition, Expr, Group, Op, Query, Sort
from connector.enaio.soap.wire import CheckedOut, RawFile, RawObject, WireFile, WireHistoryEntry, WireObject
from connector.errors import ResponseFormatError, ValidationError

BASE_COLUMNS: tuple[str, ...] = (
    "OBJECT_ID",
    "OBJECT_CRID",
    "OBJECT_CRDATE",
    "OBJECT_MODIFYUSER",
    "OBJECT_MODIFYTIME",
)
"""System fields every search needs: without them there is no object (their absence is an error)."""

OPTIONAL_COLUMNS: tuple[str, ...] = ("OBJECT_USERGUID", "OBJECT_LOCKUSER", "OBJECT_DELETED")
"""System fields read when the server delivers them; a server that refuses one is asked without it
(owner ``""``, lock unknown, not deleted)."""

LOCATION_COLUMNS: Mapping[ObjectKind, tuple[str, ...]] = {
    ObjectKind.FOLDER: (),
    ObjectKind.REGISTER: ("REG_STAID", "REG_PARID"),
    ObjectKind.DOCUMENT: ("SDSTA_ID", "SDREG_ID"),
}
"""Where an object sits, per kind (enaio-serverapi.md §3.4): a register's folder and parent register are
``REG_STAID``/``REG_PARID``; ``SDSTA_ID``/``SDREG_ID`` are a *document's* location record."""

LOCATION_FALLBACK: Mapping[str, str] = {
    "REG_STAID": "FOLDERID",
    "REG_PARID": "PARENTREGID",
    "SDSTA_ID": "FOLDERID",
    "SDREG_ID": "REGISTERID",
}
"""The record's generic location helpers, asked for when a server refuses the kind's own column."""

SYSTEM_COLUMNS: tuple[str, ...] = (
    "OBJECT_ID",
    "SDSTA_ID",
    "SDREG_ID",
    "OBJECT_CRID",
    "OBJECT_CRDATE",
    "OBJECT_MODIFYUSER",
    "OBJECT_MODIFYTIME",
    "OBJECT_USERGUID",
    "OBJECT_LOCKUSER",
    "OBJECT_DELETED",
)
"""A document's full set of system columns (what ``system_columns(DOCUMENT)`` gives a willing server)."""


KNOWN_SYSTEM_FIELDS = frozenset(
    {
        "OBJECT_ID", "OBJECT_COUNT", "OBJECT_FLAGS", "OBJECT_AVID", "OBJECT_AVDATE", "OBJECT_CRID",
        "OBJECT_CRDATE", "OBJECT_TIME", "OBJECT_MAIN", "OBJECT_CO", "OBJECT_LINKS", "OBJECT_VERID",
        "OBJECT_LOCKUSER", "OBJECT_SYSTEMID", "OBJECT_FOREIGNID", "OBJECT_MODIFYTIME", "OBJECT_MODIFYUSER",
        "OBJECT_USERGUID", "OBJECT_DELETED", "OBJECT_INDEXHISTFLAGS", "OBJECT_DOCHISTFLAGS", "OBJECT_OSSD",
        "OBJECT_MIMETYPEID", "OBJECT_FILESIZE", "OBJECT_RETENTION_PLANNED", "OBJECT_RETENTION",
        "STAMM_ID", "STAMM_TIME", "STAMM_LINKS", "REG_ID", "REG_STAID", "REG_PARID",
        "SDSTA_ID", "SDREG_ID", "SDREG_TYPE", "SDOBJ_ID", "SDOBJTYPE", "SDDEL", "SDTIME",
        "FOLDERID", "FOLDERTYPE", "REGISTERID", "REGISTERTYPE", "PARENTREGID", "PARENTREGTYPE",
    }
)  # fmt: skip
"""The system fields of enaio-serverapi.md §3.4: a LOL column of one of these names is a system column even
when the server does not mark it ``system="1"`` (the record's LOL example does not)."""


def system_columns(kind: ObjectKind, refused: Collection[str] = ()) -> tuple[str, ...]:
    """The system columns a search of an object type of ``kind`` asks for, without those this server
    refused earlier in the run; a refused location column is replaced by its generic helper."""
    columns: list[str] = [*BASE_COLUMNS]
    for name in LOCATION_COLUMNS[kind]:
        if name not in refused:
            columns.append(name)
        elif (fallback := LOCATION_FALLBACK[name]) not in refused:
            columns.append(fallback)
    columns.extend(name for name in OPTIONAL_COLUMNS if name not in refused)
    return tuple(dict.fromkeys(columns))


def optional_column(name: str) -> bool:
    """May the client carry on without this system column (``True``) or is the search pointless?"""
    return name in OPTIONAL_COLUMNS or name in LOCATION_FALLBACK or name in LOCATION_FALLBACK.values()


_EPOCH_FIELDS = frozenset({"OBJECT_MODIFYTIME", "OBJECT_TIME", "STAMM_TIME", "SDTIME"})

_WIRE_OPS: Mapping[Op, str] = {
    Op.EQ: "=",
    Op.NE: "!=",
    Op.LT: "<",
    Op.LE: "<=",
    Op.GT: ">",
    Op.GE: ">=",
    Op.IN: "IN",
    Op.BETWEEN: "BETWEEN",
    Op.LIKE: "LIKE",
    Op.IS_NULL: "=",
    Op.NOT_NULL: "!=",
}


def type_kind(otype: ObjectType) -> str:
    return otype.kind.value


def _tostring(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# ---------------------------------------------------------------------------------------------- values


def system_value_text(name: str, value: FieldValue, tz: ZoneInfo) -> str:
    """A system-field condition value: UNIX seconds for the epoch columns, else enaio's text forms."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError("naive datetime in a query; datetimes must be aware", field=name)
        if name.upper() in _EPOCH_FIELDS:
            # whole seconds rounded down, as every room rounds (see docs/emulator-choices.md, general)
            return str(math.floor(value.timestamp()))
        return value.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def field_value_text(fdef: FieldDef, value: FieldValue, tz: ZoneInfo, *, mask: bool = False) -> str:
    """A field value as enaio's text; search masks and text values go as they are. A value that does not fit
    is a ``ValidationError`` naming the field, never the value."""
    if isinstance(value, str) and (mask or fdef.value_type.value == "TEXT"):
        return value
    if isinstance(value, datetime) and fdef.value_type.value == "DATE":
        return value.astimezone(tz).strftime("%d.%m.%Y")
    try:
        return fdef.to_wire_text(value, tz=tz)
    except FieldValueError:
        raise value_error(fdef, value, tz=tz) from None


# --------------------------------------------------------------------------------------------- DMSQuery


def build_query(
    query: Query,
    objdef: ObjectDefinition,
    tz: ZoneInfo,
    *,
    fileinfo: bool = True,
    refused: Collection[str] = (),
) -> bytes:
    """A DMSQuery (LOL) for one object type: all index fields, the system columns of its kind (without the
    ``refused`` ones), sorting, conditions."""
    otype = objdef.type_by_name(query.type_name)
    root = etree.Element("DMSQuery", requesttype="LOL", fileinfo="1" if fileinfo else "0")
    cabinet = objdef.cabinet(otype.cabinet)
    archive = etree.SubElement(root, "Archive", internal_name=cabinet.internal)
    ot = etree.SubElement(archive, "ObjectType", internal_name=otype.internal, type=type_kind(otype))
    fields = etree.SubElement(ot, "Fields", field_schema="ALL")
    order_by = tuple(query.order_by)
    if not any(s.system and s.field.upper() == "OBJECT_ID" for s in order_by):
        order_by = (*order_by, Sort("OBJECT_ID", system=True))  # a total order keeps Offset paging stable
    sorts: dict[tuple[str, bool], tuple[int, Sort]] = {
        (s.field.upper() if s.system else s.field, s.system): (pos, s)
        for pos, s in enumerate(order_by, start=1)
    }
    for name in system_columns(otype.kind, refused):
        el = etree.SubElement(fields, "Field", internal_name=name, system="1")
        _sort_attrs(el, sorts.pop((name, True), None))
    for (name, system), entry in sorts.items():
        if not system:
            otype.field(name)  # unknown sort field: fail here, naming it
        el = etree.SubElement(fields, "Field", internal_name=name)
        if system:
            el.set("system", "1")
        _sort_attrs(el, entry)
    conditions = etree.SubElement(ot, "Conditions")
    target_items: list[Expr] = []
    if query.where is not None:
        target_items.append(query.where)
    if query.modified_since is not None:
        target_items.append(Condition("OBJECT_MODIFYTIME", Op.GE, (query.modified_since,), system=True))
    if target_items:
        co = etree.SubElement(
            conditions, "ConditionObject", internal_name=otype.internal, type=type_kind(otype)
        )
        for item in target_items:
            _expr(co, item, otype, tz, refused)
    for anc in query.ancestors:
        atype = objdef.type_by_name(anc.type_name)
        co = etree.SubElement(
            conditions, "ConditionObject", internal_name=atype.internal, type=type_kind(atype)
        )
        _expr(co, anc.where, atype, tz)
    if not len(conditions):
        ot.remove(conditions)
    return _tostring(root)


def _sort_attrs(el: etree._Element, entry: tuple[int, Sort] | None) -> None:
    if entry is None:
        return
    pos, sort = entry
    el.set("sortpos", str(pos))
    el.set("sortorder", "DESC" if sort.descending else "ASC")


def _expr(
    parent: etree._Element, expr: Expr, otype: ObjectType, tz: ZoneInfo, refused: Collection[str] = ()
) -> None:
    if isinstance(expr, Group):
        group = etree.SubElement(parent, "FieldGroup", operator="OR" if expr.any_of else "AND")
        for item in expr.items:
            _expr(group, item, otype, tz, refused)
        return
    _condition(parent, expr, otype, tz, refused)


_NEUTRAL_LOCATION = {"SDSTA_ID": 0, "SDREG_ID": 1}
"""The neutral query names a folder/register condition by the document columns (``System.FOLDER_ID``,
``System.REGISTER_ID``); position in the kind's ``LOCATION_COLUMNS``."""


def location_condition_field(name: str, kind: ObjectKind, refused: Collection[str] = ()) -> str:
    """The column a folder/register condition uses for an object type of ``kind``: a register's folder is
    ``REG_STAID``, its parent register ``REG_PARID`` (their generic helpers when those were refused)."""
    position = _NEUTRAL_LOCATION.get(name.upper())
    if position is None or kind is not ObjectKind.REGISTER:
        return name
    column = LOCATION_COLUMNS[kind][position]
    return LOCATION_FALLBACK[column] if column in refused else column


def _condition(
    parent: etree._Element, cond: Condition, otype: ObjectType, tz: ZoneInfo, refused: Collection[str] = ()
) -> None:
    el = etree.SubElement(parent, "FieldCondition", operator=_WIRE_OPS[cond.op])
    if cond.op in (Op.IS_NULL, Op.NOT_NULL):
        texts: list[str] = []
        etree.SubElement(el, "NULL")
    elif cond.system:
        texts = [system_value_text(cond.field, v, tz) for v in cond.values]
    else:
        fdef = otype.field(cond.field)
        texts = [field_value_text(fdef, v, tz, mask=cond.op is Op.LIKE) for v in cond.values]
    if cond.system:
        el.set("internal_name", location_condition_field(cond.field, otype.kind, refused))
        el.set("system", "1")
    else:
        el.set("internal_name", cond.field)
    for text in texts:
        etree.SubElement(el, "Value").text = text


# ---------------------------------------------------------------------------------------------- DMSData


def _data_skeleton(objdef: ObjectDefinition, otype: ObjectType) -> tuple[etree._Element, etree._Element]:
    root = etree.Element("DMSData")
    archive = etree.SubElement(root, "Archive", internal_name=objdef.cabinet(otype.cabinet).internal)
    ot = etree.SubElement(
        archive, "ObjectType", internal_name=otype.internal, type=type_kind(otype), id=str(otype.type_id)
    )
    return root, ot


def _fields(
    obj: etree._Element, otype: ObjectType, values: Mapping[str, FieldValue | None], tz: ZoneInfo
) -> None:
    if not values:
        return
    fields = etree.SubElement(obj, "Fields")
    for name, value in values.items():
        fdef = otype.field(name)
        el = etree.SubElement(fields, "Field", internal_name=fdef.internal)
        if value is None:
            el.set("field_function", "NULL")
        else:
            el.text = field_value_text(fdef, value, tz)


def _tables(
    obj: etree._Element,
    otype: ObjectType,
    tables: Mapping[str, Sequence[Mapping[str, FieldValue]]],
    tz: ZoneInfo,
) -> None:
    if not tables:
        return
    holder = etree.SubElement(obj, "TableFields")
    for name, rows in tables.items():
        fdef = otype.field(name)
        table = etree.SubElement(holder, "TableField", internal_name=fdef.internal)
        for line, row in enumerate(rows, start=1):
            row_el = etree.SubElement(table, "Row", line=str(line))
            for column_name, value in row.items():
                column = fdef.column(column_name)
                cell = etree.SubElement(row_el, "Field", internal_name=column.internal)
                if isinstance(value, str):
                    cell.text = value
                else:
                    try:
                        cell.text = column.to_wire_text(value, tz=tz)
                    except FieldValueError:
                        raise value_error(column, value, tz=tz) from None


def build_insert(
    objdef: ObjectDefinition,
    otype: ObjectType,
    *,
    parent_id: int | None,
    parent_type: ObjectType | None,
    fields: Mapping[str, FieldValue],
    tables: Mapping[str, Sequence[Mapping[str, FieldValue]]],
    tz: ZoneInfo,
) -> bytes:
    root, ot = _data_skeleton(objdef, otype)
    obj = etree.SubElement(ot, "Object")
    _location(obj, parent_id, parent_type)
    if otype.kind is ObjectKind.DOCUMENT:
        obj.set("maintype", str(otype.maintype))
    _fields(obj, otype, fields, tz)
    _tables(obj, otype, tables, tz)
    return _tostring(root)


def _location(obj: etree._Element, parent_id: int | None, parent_type: ObjectType | None) -> None:
    if parent_id is None or parent_type is None:
        return
    if parent_type.kind is ObjectKind.FOLDER:
        obj.set("folder_id", str(parent_id))
        obj.set("folder_type", str(parent_type.type_id))
    else:
        # the server finds the register's folder itself
        obj.set("register_id", str(parent_id))
        obj.set("register_type", str(parent_type.type_id))


def build_update(
    objdef: ObjectDefinition,
    otype: ObjectType,
    object_id: int,
    *,
    fields: Mapping[str, FieldValue | None],
    tables: Mapping[str, Sequence[Mapping[str, FieldValue]]] | None,
    concurrency_timestamp: int | None,
    tz: ZoneInfo,
) -> bytes:
    root, ot = _data_skeleton(objdef, otype)
    obj = etree.SubElement(ot, "Object", object_id=str(object_id))
    if concurrency_timestamp is not None:
        obj.set("concurrency_timestamp", str(concurrency_timestamp))
    _fields(obj, otype, fields, tz)
    if tables is not None:
        # an empty TableField replaces the rows with none (option REPLACETABLEFIELDS)
        _tables(obj, otype, tables, tz)
    return _tostring(root)


def build_object_ref(
    objdef: ObjectDefinition,
    otype: ObjectType,
    object_id: int,
    *,
    parent_id: int | None = None,
    parent_type: ObjectType | None = None,
) -> bytes:
    """DMSData naming one object (``dms.XMLDelete``; with a parent: ``dms.XMLMove``'s new location)."""
    root, ot = _data_skeleton(objdef, otype)
    obj = etree.SubElement(ot, "Object", object_id=str(object_id))
    _location(obj, parent_id, parent_type)
    return _tostring(root)


def options(**flags: bool) -> str:
    """Job options as the server api writes them: ``NAME=1;NAME=0``."""
    return ";".join(f"{name.upper()}={1 if on else 0}" for name, on in flags.items())


# ------------------------------------------------------------------------------------------- DMSContent


class _Context:
    __slots__ = ("columns", "maintype", "table_columns", "type_id", "type_name")

    def __init__(self) -> None:
        self.type_id = 0
        self.type_name = ""
        self.maintype = 0
        self.columns: list[tuple[str, bool]] = []
        self.table_columns: dict[str, list[str]] = {}


def _object_type(el: etree._Element) -> _Context:
    ctx = _Context()
    ctx.type_id = _int(el.get("id"), "ObjectType@id")
    ctx.type_name = el.get("internal_name") or el.get("name") or ""
    ctx.maintype = _int(el.get("maintype", str(ctx.type_id >> 16)), "ObjectType@maintype")
    return ctx


def decode_page(data: bytes, *, operation: str = "dms.GetResultList") -> list[RawObject]:
    """The objects of one search page (a DMSContent, LOL rows or HOL objects) as plain values, read once.

    The page is already in memory (a job parameter), so it is parsed whole by the hardened parser and
    walked in C (``iter`` by tag) instead of an event per element; the tree is dropped on return. Every
    place read is checked here: what does not fit is a ``ResponseFormatError`` naming the place (never the
    value). Same reading rules as :func:`read_content`."""
    root = xmlsafe.parse_bytes(data, operation=operation)
    fmt = (root.get("format") or "LOL").upper() if root.tag == "DMSContent" else ""
    objects: list[RawObject] = []
    ctx = _Context()
    try:
        for el in root.iter("ObjectType", "Columns", "Row", "Object"):
            tag = el.tag
            if tag == "ObjectType":
                ctx = _object_type(el)
                continue
            parent = el.getparent()
            parent_tag = parent.tag if parent is not None else None
            if tag == "Columns":
                if parent_tag == "Rowset":
                    _read_columns(el, ctx)
            elif tag == "Row":
                if parent_tag == "Rows":
                    objects.append(_lol_row(el, ctx))
            elif parent_tag == "ObjectList":
                objects.append(_hol_object(el, ctx))
    except ValueError as exc:
        raise ResponseFormatError(
            f"unreadable DMSContent ({fmt or 'unknown format'}): {exc}", operation=operation
        ) from exc
    return objects


def read_content(
    source: bytes | IO[bytes], *, huge_tree: bool = False, operation: str = "dms.GetResultList"
) -> Iterator[WireObject]:
    """Stream the objects of a DMSContent (LOL rows or HOL objects), clearing each one once read (for
    contents of any size, e.g. a file; a search page goes through :func:`decode_page`)."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    ctx = _Context()
    fmt = ""
    try:
        for event, el in xmlsafe.iterparse(
            stream, events=("start", "end"), huge_tree=huge_tree, operation=operation
        ):
            tag = el.tag
            if event == "start":
                if tag == "DMSContent":
                    fmt = (el.get("format") or "LOL").upper()
                elif tag == "ObjectType":
                    ctx = _object_type(el)
                continue
            parent = el.getparent()
            parent_tag = parent.tag if parent is not None else None
            if tag == "Columns" and parent_tag == "Rowset":
                _read_columns(el, ctx)
            elif tag == "Row" and parent_tag == "Rows":
                yield _wire(_lol_row(el, ctx), ctx)
                _release(el)
            elif tag == "Object" and parent_tag == "ObjectList":
                yield _wire(_hol_object(el, ctx), ctx)
                _release(el)
    except (ValueError, KeyError) as exc:
        raise ResponseFormatError(
            f"unreadable DMSContent ({fmt or 'unknown format'}): {exc}", operation=operation
        ) from exc


def _wire(raw: RawObject, ctx: _Context) -> WireObject:
    return WireObject(
        id=raw.id,
        type_id=raw.type_id,
        type_name=ctx.type_name,
        maintype=ctx.maintype,
        fields=raw.fields,
        system=raw.system,
        system_text=raw.system_text,
        tables=raw.tables,
        files=tuple(
            WireFile(index=f.index, name=f.name, mime_type=f.mime_type, size=f.size) for f in raw.files
        ),
    )


def _release(el: etree._Element) -> None:
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _int(text: str | None, what: str) -> int:
    """A number the server must send; the message names the place, never the text (it may be personal)."""
    if text is None or not text.strip():
        raise ValueError(f"{what} missing")
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what} is not a number") from None


def _read_columns(el: etree._Element, ctx: _Context) -> None:
    for child in el:
        if child.tag == "Column":
            name = child.get("internal_name") or child.get("name") or ""
            ctx.columns.append((name, child.get("system") == "1" or name.upper() in KNOWN_SYSTEM_FIELDS))
        elif child.tag == "TableField":
            name = child.get("internal_name") or child.get("name") or ""
            ctx.table_columns[name] = [
                c.get("internal_name") or c.get("name") or "" for c in child.iterfind("Columns/Column")
            ]


def _value_text(el: etree._Element, *, system: bool) -> str:
    if system and el.get("value") is not None:
        return el.get("value") or ""
    return el.text or ""


def _lol_row(row: etree._Element, ctx: _Context) -> RawObject:
    values = row.findall("Value")
    columns = ctx.columns
    if len(values) != len(columns):
        raise ValueError(f"a row has {len(values)} values for {len(columns)} columns")
    fields: dict[str, str] = {}
    system: dict[str, str] = {}
    display: dict[str, str] = {}
    for (name, is_system), value_el in zip(columns, values, strict=True):
        text = value_el.text
        if is_system:
            raw = value_el.get("value")
            system[name] = (text or "") if raw is None else raw
            display[name] = text or ""
        elif text:
            fields[name] = text
    tables: dict[str, list[dict[str, str]]] = {}
    for table in row.iterfind("TableField"):
        name = table.get("internal_name") or ""
        rows = _table_rows(table, ctx.table_columns.get(name, []))
        if rows:
            tables[name] = rows
    return RawObject(_int(row.get("id"), "Row@id"), ctx.type_id, fields, system, display, tables, _files(row))


def _hol_object(obj: etree._Element, ctx: _Context) -> RawObject:
    fields: dict[str, str] = {}
    system: dict[str, str] = {}
    display: dict[str, str] = {}
    for f in obj.iterfind("Fields/Field"):
        name = f.get("internal_name") or f.get("name") or ""
        if f.get("system") == "1" or name.upper() in KNOWN_SYSTEM_FIELDS:
            system[name] = _value_text(f, system=True)
            display[name] = f.text or ""
        elif f.text:
            fields[name] = f.text
    tables: dict[str, list[dict[str, str]]] = {}
    for table in obj.iterfind("TableFields/TableField"):
        name = table.get("internal_name") or ""
        column_names = [c.get("internal_name") or "" for c in table.iterfind("Columns/Column")]
        rows = _table_rows(table, column_names)
        if rows:
            tables[name] = rows
    return RawObject(
        _int(obj.get("id"), "Object@id"), ctx.type_id, fields, system, display, tables, _files(obj)
    )


def _table_rows(table: etree._Element, column_names: Sequence[str]) -> list[dict[str, str]]:
    """A table field's rows as column name -> text; empty cells left out like empty fields."""
    rows = []
    for row in table.iterfind("Row"):
        cells = [cell.text or "" for cell in row.iterfind("Value")]
        rows.append({name: value for name, value in zip(column_names, cells, strict=False) if value != ""})
    return rows


def _files(el: etree._Element) -> tuple[RawFile, ...]:
    files = []
    for f in el.iterfind("Files/File"):
        index = _int(f.get("index"), "File@index")
        size = _int(f.get("size") or "0", "File@size")
        # FileInfo's bounds, checked here where the place can be named
        if index < 1:
            raise ValueError("File@index below 1")
        if size < 0:
            raise ValueError("File@size below 0")
        files.append(
            RawFile(index, f.get("name") or "", f.get("mimetype") or "application/octet-stream", size)
        )
    return tuple(files)


# ------------------------------------------------------------------------------------------- DMSHistory


def read_history(data: bytes, *, operation: str = "dms.GetObjectHistory") -> list[WireHistoryEntry]:
    """DMSHistory (UTF-16 by default): newest first, as the server sends it."""
    root = xmlsafe.parse_bytes(data, operation=operation)
    if root.tag != "DMSHistory":
        raise ResponseFormatError(f"expected <DMSHistory>, got <{root.tag!s}>", operation=operation)
    entries = []
    for mod in root.iterfind("Modification"):
        action = mod.find("Action")
        try:
            entries.append(
                WireHistoryEntry(
                    action=_int(action.get("id") if action is not None else None, "Action@id"),
                    time=mod.findtext("Time") or "",
                    user=mod.findtext("UserNameShort") or "",
                    description=mod.findtext("Description") or "",
                )
            )
        except ValueError as exc:
            raise ResponseFormatError(f"unreadable history entry: {exc}", operation=operation) from exc
    return entries


def read_checked_out(info: str, *, operation: str = "dms.GetCheckedOutDocuments") -> list[CheckedOut]:
    """``typeId,docId,checkoutTimestamp,activeVariantId;…``"""
    out = []
    for entry in info.split(";"):
        if not entry.strip():
            continue
        parts = entry.split(",")
        try:
            type_id, object_id, stamp, variant = (int(p) for p in parts)
        except ValueError as exc:
            raise ResponseFormatError(f"unreadable checkout entry {entry!r}", operation=operation) from exc
        out.append(CheckedOut(type_id=type_id, object_id=object_id, timestamp=stamp, variant_id=variant))
    return out
