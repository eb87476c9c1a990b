"""Server-api XML formats on the emulator side: DMSQuery -> ``connector.enaio.query``, DMSData -> write
requests, store objects -> DMSContent (LOL / HOL), history -> DMSHistory."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lxml import etree

from connector import timeutil, xmlsafe
from connector.enaio.emulator.store import HistoryEntry, InvalidValue, UnknownField, UnknownType
from connector.enaio.model import EnaioObject, FieldValue, ObjectKind
from connector.enaio.objdef import FieldDef, ObjdefLookupError, ObjectDefinition, ObjectType
from connector.enaio.query import AncestorCondition, Condition, Deleted, Expr, Group, Op, Query, Sort

_OPS = {
    "=": Op.EQ,
    "==": Op.EQ,
    "!=": Op.NE,
    "<>": Op.NE,
    "<": Op.LT,
    "<=": Op.LE,
    ">": Op.GT,
    ">=": Op.GE,
    "IN": Op.IN,
    "BETWEEN": Op.BETWEEN,
    "LIKE": Op.LIKE,
}
_GERMAN_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")

SYSTEM_DATATYPES = {
    "OBJECT_ID": "INTEGER",
    "SDSTA_ID": "INTEGER",
    "SDREG_ID": "INTEGER",
    "REG_STAID": "INTEGER",
    "REG_PARID": "INTEGER",
    "FOLDERID": "INTEGER",
    "REGISTERID": "INTEGER",
    "PARENTREGID": "INTEGER",
    "OBJECT_CRID": "TEXT",
    "OBJECT_CRDATE": "DATETIME",
    "OBJECT_MODIFYUSER": "TEXT",
    "OBJECT_MODIFYTIME": "INTEGER",
    "OBJECT_TIME": "INTEGER",
    "OBJECT_USERGUID": "TEXT",
    "OBJECT_LOCKUSER": "TEXT",
    "OBJECT_DELETED": "INTEGER",
    "OBJECT_COUNT": "INTEGER",
    "OBJECT_MAIN": "INTEGER",
    "OBJECT_CO": "INTEGER",
}
"""System fields the emulator renders (the ids are enaio's, section 3.4 of the research report)."""
SYSTEM_IDS = {
    "OBJECT_ID": 1100,
    "OBJECT_COUNT": 1101,
    "OBJECT_CRID": 1105,
    "OBJECT_CRDATE": 1106,
    "OBJECT_TIME": 1107,
    "OBJECT_MAIN": 1108,
    "OBJECT_CO": 1109,
    "OBJECT_LOCKUSER": 1116,
    "OBJECT_MODIFYTIME": 1118,
    "OBJECT_MODIFYUSER": 1119,
    "OBJECT_USERGUID": 1125,
    "OBJECT_DELETED": 1126,
    "REG_STAID": 1121,
    "REG_PARID": 1122,
    "SDSTA_ID": 1130,
    "SDREG_ID": 1131,
    "FOLDERID": 1181,
    "REGISTERID": 1183,
    "PARENTREGID": 1185,
}

_COMMON_SYSTEM = frozenset(
    {
        "OBJECT_ID",
        "OBJECT_CRID",
        "OBJECT_CRDATE",
        "OBJECT_MODIFYUSER",
        "OBJECT_MODIFYTIME",
        "OBJECT_TIME",
        "OBJECT_USERGUID",
        "OBJECT_DELETED",
        "OBJECT_MAIN",
        "OBJECT_CO",
        "FOLDERID",
        "REGISTERID",
    }
)
DOCUMENTED_SYSTEM: dict[ObjectKind, frozenset[str]] = {
    ObjectKind.FOLDER: _COMMON_SYSTEM,
    ObjectKind.REGISTER: _COMMON_SYSTEM | {"REG_STAID", "REG_PARID", "PARENTREGID"},
    ObjectKind.DOCUMENT: _COMMON_SYSTEM | {"SDSTA_ID", "SDREG_ID", "OBJECT_LOCKUSER", "OBJECT_COUNT"},
}
"""The documented personality's system fields per object kind (enaio-serverapi.md §3.4): the location
record ``SDSTA_ID``/``SDREG_ID`` and the checkout user only on documents (only documents are checked out),
``REG_STAID``/``REG_PARID`` only on registers; the generic ``FOLDERID``/``REGISTERID`` on every object."""


def system_available(name: str, kind: ObjectKind, *, documented: bool) -> bool:
    if name not in SYSTEM_DATATYPES:
        return False
    return not documented or name in DOCUMENTED_SYSTEM[kind]


def unknown_system_field(name: str) -> XmlJobError:
    return XmlJobError(-1031, f"The DMS field >{name}< could not be found", field=name)


class XmlJobError(Exception):
    """A DMSQuery/DMSData the server refuses (-1016/-1029 XML errors, -1030 type, -1031 field)."""

    def __init__(self, code: int, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def parse_xml(data: bytes, what: str) -> etree._Element:
    try:
        return xmlsafe.parse_bytes(data, operation=what)
    except xmlsafe.XmlSecurityError as exc:
        raise XmlJobError(-1029, f"{what}: {exc.message}") from exc
    except xmlsafe.XmlFormatError as exc:
        raise XmlJobError(-1016, f"{what} is not well-formed XML: {exc.message}") from exc


def _ref(el: etree._Element) -> str | None:
    for attr in ("internal_name", "name", "dbname", "osguid", "id"):
        value = el.get(attr)
        if value:
            return value
    return None


def resolve_type(objdef: ObjectDefinition, el: etree._Element) -> ObjectType:
    ref = _ref(el)
    if ref is None:
        raise XmlJobError(-1030, "object type not given (internal_name, name or id)")
    try:
        return objdef.resolve_type(ref)
    except ObjdefLookupError as exc:
        raise XmlJobError(-1030, f"unknown object type {ref!r}", field=ref) from exc


def resolve_field(otype: ObjectType, ref: str) -> FieldDef:
    try:
        return otype.resolve_field(ref)
    except ObjdefLookupError as exc:
        raise XmlJobError(-1031, f"The DMS field >{ref}< could not be found", field=ref) from exc


# -------------------------------------------------------------------------------------------- DMSQuery


@dataclass(slots=True)
class ParsedQuery:
    query: Query
    otype: ObjectType
    request_type: str = "LOL"
    field_schema: str = "ALL"
    listed: list[tuple[str, bool]] = field(default_factory=list)
    """Fields named under ``Fields`` (internal or system name, system flag), in order."""
    fileinfo: bool = False
    baseparams: bool = False
    attributes: dict[str, str] = field(default_factory=dict)


def parse_query(
    data: bytes,
    objdef: ObjectDefinition,
    tz: ZoneInfo,
    *,
    deleted: bool = False,
    page_size: int = 500,
    documented: bool = False,
) -> ParsedQuery:
    root = parse_xml(data, "DMSQuery")
    if root.tag != "DMSQuery":
        raise XmlJobError(-1029, f"root element is <{root.tag!s}>, expected <DMSQuery>")
    ot = root.find("Archive/ObjectType")
    if ot is None:
        raise XmlJobError(-1029, "DMSQuery without Archive/ObjectType")
    otype = resolve_type(objdef, ot)
    listed: list[tuple[str, bool]] = []
    sorts: list[tuple[int, Sort]] = []
    fields_el = ot.find("Fields")
    schema = (fields_el.get("field_schema") if fields_el is not None else None) or "ALL"
    for f in ot.iterfind("Fields/Field"):
        system = f.get("system") == "1"
        ref = _ref(f) or ""
        name = ref.upper() if system else resolve_field(otype, ref).internal
        listed.append((name, system))
        if f.get("sortpos"):
            order = (f.get("sortorder") or "ASC").upper()
            sorts.append((int(f.get("sortpos") or 0), Sort(name, descending=order == "DESC", system=system)))
    target: list[Expr] = []
    ancestors: list[AncestorCondition] = []
    for co in ot.iterfind("Conditions/ConditionObject"):
        ctype = resolve_type(objdef, co)
        items = tuple(_expr(child, ctype, tz, documented) for child in co if isinstance(child.tag, str))
        if not items:
            continue
        where: Expr = items[0] if len(items) == 1 else Group(items)
        if ctype.type_id == otype.type_id:
            target.append(where)
        elif ctype.kind is ObjectKind.DOCUMENT:
            raise XmlJobError(-1029, f"condition object {ctype.internal} is a document, not a parent type")
        else:
            ancestors.append(AncestorCondition(ctype.internal, where))
    where_all: Expr | None = None
    if target:
        where_all = target[0] if len(target) == 1 else Group(tuple(target))
    query = Query(
        type_name=otype.internal,
        where=where_all,
        ancestors=tuple(ancestors),
        order_by=tuple(s for _, s in sorted(sorts, key=lambda pair: pair[0])),
        deleted=Deleted.ONLY if deleted else Deleted.EXCLUDE,
        page_size=page_size,
    )
    return ParsedQuery(
        query=query,
        otype=otype,
        request_type=(root.get("requesttype") or "LOL").upper(),
        field_schema=schema.upper(),
        listed=listed,
        fileinfo=root.get("fileinfo") == "1",
        baseparams=root.get("baseparams") == "1",
        attributes=dict(root.attrib),
    )


_CONDITION_ALIASES = {
    "REG_STAID": "SDSTA_ID",
    "REG_PARID": "SDREG_ID",
    "PARENTREGID": "SDREG_ID",
}
"""Register location columns in conditions, on the store's folder/register columns."""


def _expr(el: etree._Element, otype: ObjectType, tz: ZoneInfo, documented: bool) -> Expr:
    if el.tag == "FieldGroup":
        op = (el.get("operator") or "AND").upper()
        if op not in ("AND", "OR"):
            raise XmlJobError(-1029, f"FieldGroup operator {op!r} is neither AND nor OR")
        items = tuple(_expr(child, otype, tz, documented) for child in el if isinstance(child.tag, str))
        return Group(items, any_of=op == "OR")
    if el.tag != "FieldCondition":
        raise XmlJobError(-1029, f"unexpected <{el.tag!s}> in a condition")
    system = el.get("system") == "1"
    ref = _ref(el)
    if ref is None:
        raise XmlJobError(-1029, "FieldCondition without a field name")
    name = ref.upper() if system else resolve_field(otype, ref).internal
    if system:
        if documented and not system_available(name, otype.kind, documented=True):
            raise unknown_system_field(name)
        name = _CONDITION_ALIASES.get(name, name)
    operator = (el.get("operator") or "=").upper().strip()
    if el.find("NULL") is not None:
        if operator not in ("=", "!=", "<>"):
            raise XmlJobError(-1029, f"operator {operator} cannot test for NULL")
        return Condition(name, Op.IS_NULL if operator == "=" else Op.NOT_NULL, (), system)
    values = tuple(_value(v.text or "", system) for v in el.iterfind("Value"))
    if operator == "NOT IN":
        return Group(tuple(Condition(name, Op.NE, (v,), system) for v in values))
    if operator == "NOT BETWEEN":
        if len(values) != 2:
            raise XmlJobError(-1029, f"NOT BETWEEN on {name} needs two values")
        return Group(
            (Condition(name, Op.LT, (values[0],), system), Condition(name, Op.GT, (values[1],), system)),
            any_of=True,
        )
    found = _OPS.get(operator)
    if found is None:
        raise XmlJobError(-1029, f"unknown operator {operator!r}")
    return Condition(name, found, values, system)


def _value(text: str, system: bool) -> FieldValue:
    if not system:
        return text  # the store converts with the field's codec
    value = text.strip()
    if value.lstrip("-").isdigit():
        return int(value)  # ids; OBJECT_MODIFYTIME / OBJECT_TIME are UNIX seconds
    if _GERMAN_DATE.match(value):
        return timeutil.parse_date(value)  # a whole day
    return value


# --------------------------------------------------------------------------------------------- DMSData


@dataclass(slots=True)
class DataObject:
    otype: ObjectType
    object_id: int | None
    folder_id: int | None
    register_id: int | None
    concurrency_timestamp: int | None
    fields: dict[str, str | None]
    tables: dict[str, list[dict[str, str]]]


def parse_data(data: bytes, objdef: ObjectDefinition) -> list[DataObject]:
    root = parse_xml(data, "DMSData")
    if root.tag != "DMSData":
        raise XmlJobError(-1029, f"root element is <{root.tag!s}>, expected <DMSData>")
    out = []
    for ot in root.iterfind("Archive/ObjectType"):
        otype = resolve_type(objdef, ot)
        for obj in ot.iterfind("Object"):
            out.append(_data_object(obj, otype))
    if not out:
        raise XmlJobError(-1029, "DMSData without Archive/ObjectType/Object")
    return out


def _opt_int(el: etree._Element, name: str) -> int | None:
    raw = el.get(name)
    if raw is None or raw.strip() in ("", "-1"):
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise XmlJobError(-1029, f"Object@{name} is not an integer: {raw!r}") from exc


def _data_object(obj: etree._Element, otype: ObjectType) -> DataObject:
    fields: dict[str, str | None] = {}
    for f in obj.iterfind("Fields/Field"):
        ref = _ref(f) or ""
        if f.get("system") == "1":
            raise XmlJobError(-1031, f"system field {ref} cannot be written here", field=ref)
        fdef = resolve_field(otype, ref)
        fields[fdef.internal] = None if (f.get("field_function") or "").upper() == "NULL" else (f.text or "")
    tables: dict[str, list[dict[str, str]]] = {}
    for t in obj.iterfind("TableFields/TableField"):
        fdef = resolve_field(otype, _ref(t) or "")
        rows = []
        for row in t.iterfind("Row"):
            cells: dict[str, str] = {}
            for cell in row.iterfind("Field"):
                cref = _ref(cell) or ""
                try:
                    column = fdef.column(cref)
                except ObjdefLookupError as exc:
                    raise XmlJobError(
                        -1031, f"The DMS field >{fdef.internal}.{cref}< could not be found"
                    ) from exc
                if cell.text:
                    cells[column.internal] = cell.text
            rows.append(cells)
        tables[fdef.internal] = rows
    return DataObject(
        otype=otype,
        object_id=_opt_int(obj, "object_id"),
        folder_id=_opt_int(obj, "folder_id"),
        register_id=_opt_int(obj, "register_id"),
        concurrency_timestamp=_opt_int(obj, "concurrency_timestamp"),
        fields=fields,
        tables=tables,
    )


# ------------------------------------------------------------------------------------------ DMSContent


def _display(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S")


def _user_number(login: str) -> str:
    """The documented personality's numeric user id for a login (stable, never 0)."""
    return str(zlib.crc32(login.encode("utf-8")) % 9000 + 1000)


def _user_guid(login: str) -> str:
    return hashlib.md5(login.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


def system_values(
    obj: EnaioObject, name: str, tz: ZoneInfo, *, documented: bool = False
) -> tuple[str, str | None]:
    """(display text, raw ``value`` attribute) of a system field."""
    register = obj.parent_id if obj.parent_id is not None and obj.parent_id != obj.folder_id else 0
    epoch_mod = str(int(obj.modified.timestamp()))
    folder = str(obj.folder_id or 0)
    if documented:
        return _documented_value(obj, name, tz, register, epoch_mod)
    table: dict[str, tuple[str, str | None]] = {
        "OBJECT_ID": (str(obj.id), str(obj.id)),
        "SDSTA_ID": (folder, folder),
        "SDREG_ID": (str(register), str(register)),
        "REG_STAID": (folder, folder),
        "REG_PARID": (str(register), str(register)),
        "FOLDERID": (folder, folder),
        "REGISTERID": (str(register), str(register)),
        "PARENTREGID": (str(register), str(register)),
        "OBJECT_CRID": (obj.creator, None),
        "OBJECT_CRDATE": (_display(obj.created, tz), str(int(obj.created.timestamp()))),
        "OBJECT_MODIFYUSER": (obj.modifier, None),
        "OBJECT_MODIFYTIME": (_display(obj.modified, tz), epoch_mod),
        "OBJECT_TIME": (_display(obj.modified, tz), epoch_mod),
        "OBJECT_USERGUID": (obj.owner, None),
        "OBJECT_LOCKUSER": (obj.locked_by, obj.locked_by) if obj.locked_by else ("UNLOCKED", "0"),
        "OBJECT_DELETED": ("1" if obj.deleted else "0", "1" if obj.deleted else "0"),
        "OBJECT_COUNT": (str(len(obj.files)), str(len(obj.files))),
        "OBJECT_MAIN": (str(obj.type_id >> 16), str(obj.type_id >> 16)),
        "OBJECT_CO": (str(obj.type_id & 0xFFFF), str(obj.type_id & 0xFFFF)),
    }
    if name not in table:
        raise unknown_system_field(name)
    return table[name]


def _documented_value(
    obj: EnaioObject, name: str, tz: ZoneInfo, register: int, epoch_mod: str
) -> tuple[str, str | None]:
    """The documented personality: only the kind's fields; where the record is silent, the other choice
    (no parent register = empty, a register's ``REGISTERID`` = itself, a folder's ``FOLDERID`` = itself,
    the creation date without a UNIX value, the owner's GUID and the lock holder's numeric id as raw values
    with the name as display text)."""
    if not system_available(name, obj.kind, documented=True):
        raise unknown_system_field(name)
    none = ("", None)
    parent_register = (str(register), str(register)) if register else none
    folder = (str(obj.folder_id), str(obj.folder_id)) if obj.folder_id else none
    match name:
        case "SDSTA_ID" | "REG_STAID":
            return folder
        case "SDREG_ID" | "REG_PARID" | "PARENTREGID":
            return parent_register
        case "FOLDERID":
            return (str(obj.id), str(obj.id)) if obj.kind is ObjectKind.FOLDER else folder
        case "REGISTERID":
            return (str(obj.id), str(obj.id)) if obj.kind is ObjectKind.REGISTER else parent_register
        case "OBJECT_CRDATE":
            return _display(obj.created, tz), None
        case "OBJECT_USERGUID":
            return obj.owner, _user_guid(obj.owner)
        case "OBJECT_LOCKUSER":
            return (obj.locked_by, _user_number(obj.locked_by)) if obj.locked_by else ("UNLOCKED", "0")
    return system_values(obj, name, tz)


def _field_text(fdef: FieldDef, value: FieldValue | None, tz: ZoneInfo, *, iso: bool = False) -> str:
    """A value's text; ``iso``: dates ``yyyy-mm-dd`` and date-times ``yyyy-mm-dd HH:MM:SS`` (the form the
    record shows for LOL date columns; the documented personality's choice without a ``DateFormat``)."""
    if value is None:
        return ""
    if iso and isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    if iso and isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return fdef.to_wire_text(value, tz=tz)


def _columns(pq: ParsedQuery, *, documented: bool) -> tuple[list[tuple[str, bool]], list[FieldDef]]:
    """(scalar columns in order, table fields) of the answer; a system field the server does not have for
    this kind of object is refused (-1031)."""
    otype = pq.otype
    system = [(name, True) for name, is_system in pq.listed if is_system]
    for name, _ in system:
        if not system_available(name, otype.kind, documented=documented):
            raise unknown_system_field(name)
    if pq.field_schema == "ALL":
        scalar = [(f.internal, False) for f in otype.fields if not f.is_table]
        tables = [f for f in otype.fields if f.is_table]
    else:
        names = [name for name, is_system in pq.listed if not is_system]
        scalar = [(n, False) for n in names if not otype.field(n).is_table]
        tables = [otype.field(n) for n in names if otype.field(n).is_table]
    return system + scalar, tables


def _content_root(
    objdef: ObjectDefinition, otype: ObjectType, fmt: str, user: str, tz: ZoneInfo
) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(
        "DMSContent", format=fmt, version="10.10", timestamp=timeutil.now(tz).strftime("%Y-%m-%dT%H:%M:%S")
    )
    root.set("user", user)
    root.set("station", "EMULATOR")
    return root, _object_type_el(root, objdef, otype)


def _object_type_el(root: etree._Element, objdef: ObjectDefinition, otype: ObjectType) -> etree._Element:
    cabinet = objdef.cabinet(otype.cabinet)
    archive = etree.SubElement(
        root, "Archive", id=str(cabinet.cotype), name=cabinet.name, internal_name=cabinet.internal
    )
    return etree.SubElement(
        archive,
        "ObjectType",
        id=str(otype.type_id),
        name=otype.name,
        internal_name=otype.internal,
        osguid=otype.os_guid,
        type=otype.kind.value,
        maintype=str(otype.maintype),
        cotype=str(otype.cotype),
        table=otype.table_name,
    )


def _files_el(parent: etree._Element, obj: EnaioObject) -> None:
    files = etree.SubElement(parent, "Files")
    for f in obj.files:
        etree.SubElement(
            files, "File", index=str(f.index), name=f.name, mimetype=f.mime_type, size=str(f.size)
        )


def _table_rows(
    parent: etree._Element, fdef: FieldDef, rows: Sequence[dict[str, FieldValue]], tz: ZoneInfo
) -> None:
    for row in rows:
        row_el = etree.SubElement(parent, "Row")
        for column in fdef.columns:
            value = row.get(column.internal)
            etree.SubElement(row_el, "Value").text = (
                "" if value is None else column.to_wire_text(value, tz=tz)
            )


def render_lol(
    objdef: ObjectDefinition,
    pq: ParsedQuery,
    objects: Iterable[EnaioObject],
    user: str,
    tz: ZoneInfo,
    *,
    encoding: str = "UTF-8",
    documented: bool = False,
) -> bytes:
    root, ot = _content_root(objdef, pq.otype, "LOL", user, tz)
    columns, tables = _columns(pq, documented=documented)
    rowset = etree.SubElement(ot, "Rowset")
    cols = etree.SubElement(rowset, "Columns")
    for name, system in columns:
        if system:
            datatype = SYSTEM_DATATYPES[name]
            col = etree.SubElement(cols, "Column", internal_name=name, datatype=datatype, type=datatype)
            if not documented:  # the record's LOL example marks no column as system
                col.set("system", "1")
            col.set("osguid", str(SYSTEM_IDS.get(name, "")))
            col.text = name
        else:
            fdef = pq.otype.field(name)
            datatype = fdef.value_type.value
            col = etree.SubElement(
                cols, "Column", internal_name=name, datatype=datatype, type=datatype, dbname=fdef.fieldname
            )
            col.set("ostype", fdef.dt)
            col.text = fdef.name
    for fdef in tables:
        tf = etree.SubElement(cols, "TableField", internal_name=fdef.internal, name=fdef.name)
        tcols = etree.SubElement(tf, "Columns")
        for column in fdef.columns:
            datatype = column.value_type.value
            etree.SubElement(
                tcols, "Column", internal_name=column.internal, datatype=datatype
            ).text = column.name
    rows_el = etree.SubElement(rowset, "Rows")
    for obj in objects:
        row = etree.SubElement(rows_el, "Row", id=str(obj.id))
        for name, system in columns:
            value_el = etree.SubElement(row, "Value")
            if system:
                text, raw = system_values(obj, name, tz, documented=documented)
                value_el.text = text
                if raw is not None:
                    value_el.set("value", raw)
            else:
                value_el.text = _field_text(pq.otype.field(name), obj.fields.get(name), tz, iso=documented)
        for fdef in tables:
            tf = etree.SubElement(row, "TableField", internal_name=fdef.internal)
            _table_rows(tf, fdef, obj.tables.get(fdef.internal, []), tz)
        if pq.fileinfo:
            _files_el(row, obj)
    return etree.tostring(root, xml_declaration=True, encoding=encoding)


def render_hol(
    objdef: ObjectDefinition,
    groups: Sequence[tuple[ObjectType, Sequence[EnaioObject]]],
    user: str,
    tz: ZoneInfo,
    *,
    system_names: Sequence[str],
    fileinfo: bool = True,
    baseparams: bool = True,
    encoding: str = "UTF-8",
    documented: bool = False,
) -> bytes:
    """HOL with one ``Archive/ObjectType/ObjectList`` per group (type); ``system_names`` the kind does not
    have in the documented personality are left out (the server decides what a detail answer holds)."""
    root = etree.Element(
        "DMSContent", format="HOL", version="10.10", timestamp=timeutil.now(tz).strftime("%Y-%m-%dT%H:%M:%S")
    )
    root.set("user", user)
    root.set("station", "EMULATOR")
    for otype, objects in groups:
        names = [n for n in system_names if system_available(n, otype.kind, documented=documented)]
        _hol_type(root, objdef, otype, objects, tz, names, fileinfo, baseparams, documented)
    return etree.tostring(root, xml_declaration=True, encoding=encoding)


def _hol_type(
    root: etree._Element,
    objdef: ObjectDefinition,
    otype: ObjectType,
    objects: Sequence[EnaioObject],
    tz: ZoneInfo,
    system_names: Sequence[str],
    fileinfo: bool,
    baseparams: bool,
    documented: bool,
) -> None:
    ot = _object_type_el(root, objdef, otype)
    object_list = etree.SubElement(ot, "ObjectList")
    for obj in objects:
        obj_el = etree.SubElement(object_list, "Object", id=str(obj.id))
        fields = etree.SubElement(obj_el, "Fields")
        for name in system_names:
            text, raw = system_values(obj, name, tz, documented=documented)
            f = etree.SubElement(
                fields, "Field", name=name, internal_name=name, system="1", datatype=SYSTEM_DATATYPES[name]
            )
            f.set("osguid", str(SYSTEM_IDS.get(name, "")))
            if raw is not None:
                f.set("value", raw)
            f.text = text
        for fdef in otype.fields:
            if fdef.is_table:
                continue
            f = etree.SubElement(
                fields,
                "Field",
                name=fdef.name,
                internal_name=fdef.internal,
                datatype=fdef.value_type.value,
                dbname=fdef.fieldname,
                ostype=fdef.dt,
                osguid=fdef.os_guid,
            )
            f.text = _field_text(fdef, obj.fields.get(fdef.internal), tz)
        table_fields = etree.SubElement(obj_el, "TableFields")
        for fdef in otype.fields:
            if not fdef.is_table:
                continue
            tf = etree.SubElement(table_fields, "TableField", internal_name=fdef.internal, name=fdef.name)
            tcols = etree.SubElement(tf, "Columns")
            for column in fdef.columns:
                etree.SubElement(tcols, "Column", internal_name=column.internal).text = column.name
            _table_rows(tf, fdef, obj.tables.get(fdef.internal, []), tz)
        if baseparams:
            bp = etree.SubElement(obj_el, "BaseParams")
            etree.SubElement(bp, "Creator").text = obj.creator
            etree.SubElement(bp, "Created").text = _display(obj.created, tz)
            etree.SubElement(bp, "Modifier").text = obj.modifier
            etree.SubElement(bp, "Modified").text = _display(obj.modified, tz)
            etree.SubElement(bp, "Owner").text = obj.owner
            etree.SubElement(bp, "Locked", value="1" if obj.locked_by else "0").text = obj.locked_by or ""
        if fileinfo:
            _files_el(obj_el, obj)


# ------------------------------------------------------------------------------------------ DMSHistory


def render_history(entries: Sequence[HistoryEntry], tz: ZoneInfo, *, utf8: bool = False) -> bytes:
    """DMSHistory, newest first; UTF-16 unless the UTF-8 flag (4096) was given."""
    root = etree.Element("DMSHistory", exec_version="10.10", timestamp=_display(timeutil.now(tz), tz))
    for entry in reversed(entries):
        mod = etree.SubElement(root, "Modification", osguid=f"{entry.object_id:016X}{int(entry.action):016X}")
        etree.SubElement(mod, "Time").text = _display(entry.timestamp, tz)
        etree.SubElement(mod, "Action", id=str(int(entry.action))).text = entry.action.name
        etree.SubElement(mod, "Description").text = entry.description
        etree.SubElement(mod, "UserNameShort").text = entry.user
        etree.SubElement(mod, "UserNameFull").text = entry.user
        etree.SubElement(mod, "Station", station_id="0").text = "EMULATOR"
        etree.SubElement(mod, "Info")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8" if utf8 else "UTF-16")


__all__ = [
    "DataObject",
    "InvalidValue",
    "ParsedQuery",
    "UnknownField",
    "UnknownType",
    "XmlJobError",
    "parse_data",
    "parse_query",
    "render_history",
    "render_hol",
    "render_lol",
]
