"""SOAP wire models -> the shared :class:`EnaioObject`: index values typed by the one field-typing rule
(``connector.enaio.fieldtyping``), locations read per object kind, system values in every plausible form."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.fieldtyping import FieldTyper
from connector.enaio.interface import HistoryEntry, OnSkipped
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import FieldDef, ObjdefLookupError, ObjectDefinition, ObjectType, TableColumn
from connector.enaio.soap.wire import WireHistoryEntry
from connector.errors import ResponseFormatError, ValidationError


class FileValues(Protocol):
    @property
    def index(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def mime_type(self) -> str: ...
    @property
    def size(self) -> int: ...


class ObjectValues(Protocol):
    """What conversion reads of an object: a :class:`~connector.enaio.soap.wire.WireObject` (validated) or a
    :class:`~connector.enaio.soap.wire.RawObject` (checked by ``codec.decode_page``)."""

    @property
    def id(self) -> int: ...
    @property
    def type_id(self) -> int: ...
    @property
    def fields(self) -> Mapping[str, str]: ...
    @property
    def system(self) -> Mapping[str, str]: ...
    @property
    def system_text(self) -> Mapping[str, str]: ...
    @property
    def tables(self) -> Mapping[str, Sequence[Mapping[str, str]]]: ...
    @property
    def files(self) -> Sequence[FileValues]: ...


_UNLOCKED = {"", "0", "UNLOCKED"}
_DELETED = {"1", "-1", "true"}
_GUID = re.compile(r"^\{?[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}\}?$")


def moment(text: str, tz: ZoneInfo, *, what: str) -> datetime:
    """A system date-time: UNIX seconds (``value`` attribute) or enaio's ``dd.mm.yyyy HH:MM:SS``."""
    value = text.strip()
    try:
        if value.lstrip("-").isdigit():
            return timeutil.from_epoch_seconds(int(value), tz)
        return timeutil.parse_datetime(value, tz).astimezone(tz).replace(microsecond=0)
    except (ValueError, OverflowError, OSError) as exc:  # out of range for datetime / the platform
        raise ResponseFormatError(f"{what} is not a date-time") from exc


def _id(text: str | None) -> int | None:
    """A location id; ``""``, ``0`` and ``-1`` mean none."""
    if text is None or not text.strip():
        return None
    number = int(text)
    return number if number > 0 else None


def _first(system: Mapping[str, str], names: tuple[str, ...]) -> tuple[bool, int | None]:
    """(was any of ``names`` delivered, the first id among them that is set)."""
    delivered = False
    for name in names:
        if name in system:
            delivered = True
            found = _id(system[name])
            if found is not None:
                return True, found
    return delivered, None


def location(wire: ObjectValues, kind: ObjectKind) -> tuple[int | None, int | None]:
    """(folder id, direct parent register id) of an object, read by its kind (enaio-serverapi.md §3.4):
    documents from their location record ``SDSTA_ID``/``SDREG_ID``, registers from ``REG_STAID``/
    ``REG_PARID``; the generic helpers ``FOLDERID``/``REGISTERID``/``PARENTREGID`` when those are missing.
    A register never takes ``SDSTA_ID``/``SDREG_ID`` (a document's columns), and its ``REGISTERID`` counts as
    the parent only when it is not the register's own id (the record does not say which one it is).
    A register or document without any folder column is a ``ResponseFormatError``: without its folder the
    object would silently lose its place (a case without its client)."""
    if kind is ObjectKind.FOLDER:
        return None, None
    system = wire.system
    try:
        if kind is ObjectKind.REGISTER:
            has_folder, folder_id = _first(system, ("REG_STAID", "FOLDERID"))
            _, register_id = _first(system, ("REG_PARID", "PARENTREGID"))
            if register_id is None and "REG_PARID" not in system and "PARENTREGID" not in system:
                _, generic = _first(system, ("REGISTERID",))
                register_id = generic if generic != wire.id else None
        else:
            has_folder, folder_id = _first(system, ("SDSTA_ID", "FOLDERID"))
            _, register_id = _first(system, ("SDREG_ID", "REGISTERID"))
    except ValueError as exc:
        raise ResponseFormatError(f"object {wire.id}: unreadable location ids") from exc
    if not has_folder or folder_id is None:
        columns = "REG_STAID/FOLDERID" if kind is ObjectKind.REGISTER else "SDSTA_ID/FOLDERID"
        raise ResponseFormatError(
            f"object {wire.id} ({kind.value.lower()}): the server sent no folder ({columns})"
        )
    if register_id == folder_id:
        register_id = None
    return folder_id, register_id


def _is_guid(text: str) -> bool:
    return bool(_GUID.match(text.strip()))


def owner(wire: ObjectValues) -> str:
    """``OBJECT_USERGUID`` is the owner's GUID in the record; servers show the owner's name as its text.
    A name (display text, else the raw value) is the owner; a bare GUID or no column is ``""`` (unknown)."""
    for text in (wire.system_text.get("OBJECT_USERGUID", ""), wire.system.get("OBJECT_USERGUID", "")):
        if text.strip() and not _is_guid(text):
            return text.strip()
    return ""


def lock(wire: ObjectValues) -> tuple[bool, str | None]:
    """(lock known, holder) from ``OBJECT_LOCKUSER`` (value ``0``, text ``UNLOCKED`` when free). The raw value
    may be the holder's login or a numeric user id; the display text names the holder. No column: unknown."""
    if "OBJECT_LOCKUSER" not in wire.system:
        return False, None
    raw = wire.system["OBJECT_LOCKUSER"].strip()
    text = wire.system_text.get("OBJECT_LOCKUSER", raw).strip()
    if raw.upper() in _UNLOCKED and text.upper() in _UNLOCKED:
        return True, None
    for candidate in (text, raw):
        if candidate and candidate.upper() not in _UNLOCKED and not candidate.lstrip("-").isdigit():
            return True, candidate
    return True, text or raw


def to_object(
    wire: ObjectValues,
    objdef: ObjectDefinition,
    tz: ZoneInfo,
    on_skipped: OnSkipped | None = None,
    *,
    operation: str = "dms.GetResultList",
    in_recycle_bin: bool = False,
) -> EnaioObject:
    """Map one wire object by the shared field-typing rule (``connector.enaio.fieldtyping``): a field the
    definition does not know is left out (drift); a value that does not fit its field is left out and reported
    to ``on_skipped`` (without it: ``ValidationError``). An object read from the recycle bin is deleted
    whatever ``OBJECT_DELETED`` says (or when the server does not send it)."""
    converter = Converter(objdef, tz, on_skipped, operation=operation, in_recycle_bin=in_recycle_bin)
    return converter.convert(wire)


def to_objects(
    page: Iterable[ObjectValues],
    objdef: ObjectDefinition,
    tz: ZoneInfo,
    on_skipped: OnSkipped | None = None,
    *,
    operation: str = "dms.GetResultList",
    in_recycle_bin: bool = False,
) -> Iterator[EnaioObject]:
    """:func:`to_object` for each object of one page, with what repeats across the page looked up once."""
    converter = Converter(objdef, tz, on_skipped, operation=operation, in_recycle_bin=in_recycle_bin)
    for wire in page:
        yield converter.convert(wire)


class Converter:
    """Converts the objects of one page. Per page, not per object: the object type by id and the typed value
    of each (field, text) pair already converted on this page (dates, catalogue keys and flags repeat from
    object to object; typed values are immutable, so sharing them is safe). Only successes are kept: a value
    that does not convert goes through the field-typing rule again, so each object reports its own skips.
    One converter per page keeps the memo's memory bounded by a page."""

    def __init__(
        self,
        objdef: ObjectDefinition,
        tz: ZoneInfo,
        on_skipped: OnSkipped | None,
        *,
        operation: str,
        in_recycle_bin: bool,
    ) -> None:
        self.objdef = objdef
        self.tz = tz
        self.on_skipped = on_skipped
        self.operation = operation
        self.in_recycle_bin = in_recycle_bin
        self._types: dict[int, ObjectType] = {}
        self._typed: dict[tuple[FieldDef | TableColumn, str], FieldValue] = {}

    def _type(self, wire: ObjectValues) -> ObjectType:
        otype = self._types.get(wire.type_id)
        if otype is None:
            try:
                otype = self.objdef.type_by_id(wire.type_id)
            except ObjdefLookupError as exc:
                raise ValidationError(f"object {wire.id}: unknown object type {wire.type_id}") from exc
            self._types[wire.type_id] = otype
        return otype

    def _coerce(self, spec: FieldDef | TableColumn, raw: Any) -> FieldValue | None:
        text = str(raw)
        key = (spec, text)  # specs hash by identity (eq=False): cheap, and alive as long as the definition
        value = self._typed.get(key)
        if value is None:
            value = spec.from_wire_text(text, tz=self.tz)
            if value is not None:
                self._typed[key] = value
        return value

    def convert(self, wire: ObjectValues) -> EnaioObject:
        otype = self._type(wire)
        typer = FieldTyper(otype, wire.id, self._coerce, self.on_skipped, self.operation)
        values = typer.type_all(wire.fields.items(), wire.tables.items())
        kind = otype.kind
        folder_id, register_id = location(wire, kind)
        system = wire.system
        tz = self.tz
        lock_known, locked_by = lock(wire)
        # Every value below is typed already (field codecs, ``moment``, the checks of the decoder), so the
        # object is built without a second validation; tests/test_soap_throughput.py proves it equals the
        # validated one.
        return EnaioObject.model_construct(
            id=wire.id,
            type_id=otype.type_id,
            type_name=otype.internal,
            kind=kind,
            parent_id=register_id or folder_id,
            folder_id=folder_id,
            fields=values.fields,
            tables=values.tables,
            created=moment(system.get("OBJECT_CRDATE", ""), tz, what="OBJECT_CRDATE"),
            creator=system.get("OBJECT_CRID", ""),
            modified=moment(system.get("OBJECT_MODIFYTIME", ""), tz, what="OBJECT_MODIFYTIME"),
            modifier=system.get("OBJECT_MODIFYUSER", ""),
            owner=owner(wire),
            locked_by=locked_by,
            lock_known=lock_known,
            deleted=self.in_recycle_bin or system.get("OBJECT_DELETED", "0").strip().lower() in _DELETED,
            files=tuple(_file(f) for f in wire.files),
        )


def _file(f: FileValues) -> FileInfo:
    if f.index < 1 or f.size < 0:  # a WireObject built elsewhere; the decoders check this themselves
        raise ResponseFormatError("a file's index or size is out of range")
    return FileInfo.model_construct(index=f.index, name=f.name, mime_type=f.mime_type, size=f.size)


def to_history(entry: WireHistoryEntry, tz: ZoneInfo) -> HistoryEntry:
    return HistoryEntry(
        action=entry.action,
        user=entry.user,
        time=moment(entry.time, tz, what="history Time"),
        description=entry.description,
    )
