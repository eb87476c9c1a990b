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
from connector.enaio.objdef import (
    FieldDef,
    ObjdefLookupError,
    ObjectDefinition,
    ObjectType,
    TableColumn,
    ValueType,
)
from connector.enaio.osrest.wire import WireFile, WireObject, WireTableField
from connector.errors import ResponseFormatError, ValidationError

_UNLOCKED = {"", "0", "UNLOCKED"}

_MEMO = 4096
"""Parsed texts a converter remembers (per field and for base-parameter dates) before starting over."""

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


class Converter:
    """Maps wire objects of one read to :class:`EnaioObject`. What depends only on the object type (the
    type itself, how a wire name resolves to a field, a table's columns) is looked up once per type and
    kept for the read; values are typed once by the field codecs, so the objects are built without a
    second validation.

    A field the definition does not know is left out (drift); a value that does not fit its field is
    left out and reported to ``on_skipped`` (without it: ``ValidationError``). ``locate`` finds (folder
    id, parent id) when the answer carries no ``SDSTA_ID``/``SDREG_ID``; ``deleted`` is the recycle-bin
    state when the answer does not say (``OBJECT_DELETED``)."""

    def __init__(
        self,
        objdef: ObjectDefinition,
        tz: ZoneInfo,
        on_skipped: OnSkipped | None = None,
        *,
        operation: str = "osrest.convert",
        locate: Locate | None = None,
        deleted: bool = False,
    ) -> None:
        self.objdef = objdef
        self.tz = tz
        self.on_skipped = on_skipped
        self.operation = operation
        self.locate = locate
        self.deleted = deleted
        self._types: dict[tuple[int, str], ObjectType] = {}
        self._names: dict[int, dict[str, str]] = {}
        self._tables: dict[tuple[int, str], tuple[FieldDef | None, dict[str, str]]] = {}
        self._typed: dict[tuple[FieldDef | TableColumn, str], FieldValue | None] = {}
        self._moments: dict[str, datetime] = {}

    def _coerce(self, spec: FieldDef | TableColumn, raw: Any) -> FieldValue | None:
        # dates, numbers and catalogue-free codes repeat across a page: parse each text once per field
        if spec.value_type is ValueType.TEXT or type(raw) is not str:
            return spec.from_wire_text(raw, tz=self.tz)
        key = (spec, raw)
        try:
            return self._typed[key]
        except KeyError:
            pass
        value = spec.from_wire_text(raw, tz=self.tz)  # a refused text raises each time, never remembered
        if len(self._typed) >= _MEMO:
            self._typed.clear()  # bounded: memory stays flat however long the read
        self._typed[key] = value
        return value

    def _moment(self, raw: str) -> datetime:
        moment = self._moments.get(raw)
        if moment is None:
            moment = parse_wire_datetime(raw, self.tz)
            if len(self._moments) >= _MEMO:
                self._moments.clear()
            self._moments[raw] = moment
        return moment

    def _otype(self, wire: WireObject) -> ObjectType:
        key = (wire.object_type_id, wire.internal_name)
        otype = self._types.get(key)
        if otype is None:
            otype = self._types[key] = _otype(self.objdef, wire)
        return otype

    def _names_of(self, otype: ObjectType) -> dict[str, str]:
        """Wire name -> internal name for this type, filled as names come (one dict lookup per field)."""
        names = self._names.get(otype.type_id)
        if names is None:
            names = self._names[otype.type_id] = {}
        return names

    @staticmethod
    def _field_name(otype: ObjectType, names: dict[str, str], ref: str) -> str:
        name = names.get(ref)
        if name is None:
            try:
                name = otype.resolve_field(ref).internal
            except ObjdefLookupError:
                name = ref  # reported as unknown by the typing rule
            names[ref] = name
        return name

    def _rows(self, otype: ObjectType, table: WireTableField) -> list[dict[str, str | None]]:
        """Table rows as ``{column: raw text}``; a cell named by DB column gets the column's internal name."""
        key = (otype.type_id, table.ref)
        known = self._tables.get(key)
        if known is None:
            try:
                fd: FieldDef | None = otype.resolve_field(table.ref)
            except ObjdefLookupError:
                fd = None
            known = self._tables[key] = (fd, {c.fieldname: c.internal for c in fd.columns} if fd else {})
        fd, by_db = known
        columns = fd.columns_by_name if fd is not None else {}
        rows: list[dict[str, str | None]] = []
        for wire_row in table.rows:
            row: dict[str, str | None] = {}
            for cell in wire_row:
                name = (
                    cell.internal_name
                    if cell.internal_name in columns
                    else by_db.get(cell.db_name, cell.internal_name or cell.db_name)
                )
                row[name] = cell.value
            rows.append(row)
        return rows

    def convert(self, wire: WireObject) -> EnaioObject:
        otype = self._otype(wire)
        # the one typing rule (connector.enaio.fieldtyping); osrest may name a field by internal name, DB
        # column or display name, so names are resolved to internal names first (unknown ones stay as given)
        names = self._names_of(otype)
        resolve = self._field_name
        typer = FieldTyper(otype, wire.osid, self._coerce, self.on_skipped, self.operation)
        values = typer.type_all(
            (
                (names.get(ref) or resolve(otype, names, ref), f.value)
                for f in wire.simple_fields
                for ref in (f.internal_name or f.db_name or f.display_name,)
            ),
            ((resolve(otype, names, table.ref), self._rows(otype, table)) for table in wire.table_fields),
        )
        base_params = wire.base_params

        def base(name: str, *aliases: str) -> str | None:
            for key in (name, *aliases):
                value = base_params.get(key)
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
                return self._moment(raw)
            except ValueError as exc:
                raise ValidationError(
                    f"object {wire.osid}: base parameter {name} is not a date-time",
                    operation="osrest.convert",
                ) from exc

        system = wire.system_params
        kind = otype.kind
        sdsta = system.get("SDSTA_ID")
        sdreg = system.get("SDREG_ID")
        folder_id = parse_id(sdsta)
        register_id = parse_id(sdreg)
        parent_id: int | None
        if kind is ObjectKind.FOLDER:
            folder_id = parent_id = None
        elif sdsta is None and sdreg is None and self.locate is not None:
            # S1's systemFields do not name SDSTA_ID/SDREG_ID: without them, documents/parents tells
            folder_id, parent_id = self.locate(wire.osid)
        else:
            parent_id = register_id if register_id is not None else folder_id
        lock_raw = system.get("OBJECT_LOCKUSER")
        if lock_raw is None:
            lock_raw = base_params.get("LOCKED")
        lock = (lock_raw or "").strip()
        deleted_raw = system.get("OBJECT_DELETED")
        created = moment("CREATED", "CREATION_DATE")
        creator = base("CREATOR") or ""
        # every value is typed already (ids, codec values, aware datetimes): model_construct skips a second
        # validation (tests/test_osrest_throughput.py checks it equals the validated object)
        return EnaioObject.model_construct(
            id=wire.osid,
            type_id=otype.type_id,
            type_name=otype.internal,
            kind=kind,
            parent_id=parent_id,
            folder_id=folder_id,
            fields=values.fields,
            tables=values.tables,
            created=created,
            creator=creator,
            modified=moment("MODIFIED") if base("MODIFIED") else created,
            modifier=base("MODIFIER") or creator,
            owner=base("OWNER") or creator,
            locked_by=None if lock.upper() in _UNLOCKED else lock,
            lock_known=lock_raw is not None,
            deleted=self.deleted if deleted_raw is None else deleted_raw.strip() in ("1", "true", "TRUE"),
            files=_files(wire.osid, wire.content_files) if wire.content_files else (),
        )


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


def _files(object_id: int, files: list[WireFile]) -> tuple[FileInfo, ...]:
    for f in files:
        # checked here, so a bad listing is a ResponseFormatError and not the model's own error
        if f.index < 1 or f.size < 0:
            raise ResponseFormatError(
                f"object {object_id}: a content file with an index below 1 or a negative size",
                operation="osrest.convert",
            )
    return tuple(
        FileInfo.model_construct(index=f.index, name=f.name, mime_type=f.mime_type, size=f.size)
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
    """Map one wire object (see :class:`Converter`; a read of many objects keeps one converter)."""
    converter = Converter(objdef, tz, on_skipped, operation=operation, locate=locate, deleted=deleted)
    return converter.convert(wire)
