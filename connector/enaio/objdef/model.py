"""The object-definition model (asobjdef), one for emulator and clients.

Everything site-specific (type ids, table and column names, catalogue keys) is read from the XML;
nothing here knows the county. Instances are immutable; mappings are read-only views.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo

from connector import timeutil
from connector.enaio.model import FieldValue, ObjectKind
from connector.enaio.objdef.errors import (
    FieldValueError,
    UnknownCabinetError,
    UnknownCatalogueError,
    UnknownFieldError,
    UnknownObjectTypeError,
)

DEFAULT_LANGUAGE = "de_DE"


K = TypeVar("K")
V = TypeVar("V")


def _frozen_map(data: Mapping[K, V] | None = None) -> Mapping[K, V]:
    return MappingProxyType(dict(data or {}))


class ValueType(StrEnum):
    """What Python type a field's values have (see ``connector.enaio.model``)."""

    TEXT = "TEXT"
    DATE = "DATE"
    DATETIME = "DATETIME"
    INTEGER = "INTEGER"
    DECIMAL = "DECIMAL"
    TABLE = "TABLE"

    @classmethod
    def from_dt(cls, dt: str, datatype: str = "") -> ValueType:
        """Map ``flags@dt`` (documented codes) with ``datatype`` as the fallback for codes we do not know."""
        if dt in _BY_DT:
            return cls(_BY_DT[dt])
        return cls(_BY_DATATYPE.get(datatype.lower(), "TEXT"))


_BY_DT = {
    "X": "TEXT",
    "A": "TEXT",
    "D": "DATE",
    "Z": "DATETIME",  # our encoding E7; the vendor code for datetime is undocumented
    "I": "INTEGER",
    "9": "INTEGER",
    "#": "DECIMAL",
    "W": "TABLE",
}
_BY_DATATYPE = {
    "date": "DATE",
    "datetime": "DATETIME",
    "integer": "INTEGER",
    "decimal": "DECIMAL",
    "table": "TABLE",
}


class _ValueCodec:
    """Conversion between Python values and enaio's text forms, shared by fields and table columns.

    Subclasses are dataclasses providing the attributes used here.
    """

    internal: str
    value_type: ValueType
    input_length: int
    allowed_keys: frozenset[str] | None
    valuesep: str | None
    is_checkbox: bool

    @property
    def qualified_name(self) -> str:
        return self.internal

    def _error(self, message: str) -> FieldValueError:
        return FieldValueError(f"{self.qualified_name}: {message}", field=self.qualified_name)

    def to_wire_text(self, value: FieldValue | bool | None, *, tz: ZoneInfo | None = None) -> str:
        """enaio's text form: ``dd.mm.yyyy``, ``dd.mm.yyyy HH:MM:SS`` (in ``tz``), ``.`` decimals, 1/0."""
        if value is None:
            return ""
        typed = self.coerce(value, tz=tz)
        if typed is None:
            return ""
        if isinstance(typed, datetime):
            return typed.astimezone(tz or _default_zone()).strftime("%d.%m.%Y %H:%M:%S")
        if isinstance(typed, date):
            return typed.strftime("%d.%m.%Y")
        if isinstance(typed, Decimal):
            return format(typed, "f")
        return str(typed)

    def from_wire_text(self, text: str | None, *, tz: ZoneInfo | None = None) -> FieldValue | None:
        """Parse enaio's text form (or ISO dates/datetimes); empty text is ``None``. Type check only."""
        if text is None:
            return None
        value = text.strip() if self.value_type is not ValueType.TEXT else text
        if value.strip() == "":
            return None
        zone = tz or _default_zone()
        vt = self.value_type
        if vt is ValueType.TEXT:
            return value
        if vt is ValueType.DATE:
            try:
                if "T" in value:
                    # ISO date-time from the DMS service for a date field: its local calendar day
                    return timeutil.localize(
                        datetime.fromisoformat(value.replace("Z", "+00:00")), zone
                    ).date()
                return timeutil.parse_date(value)
            except ValueError as exc:
                raise self._error(f"{text!r} is not a date (dd.mm.yyyy or yyyy-mm-dd)") from exc
        if vt is ValueType.DATETIME:
            try:
                moment = timeutil.parse_datetime(value, zone)
            except ValueError as exc:
                raise self._error(f"{text!r} is not a date-time (dd.mm.yyyy HH:MM:SS or ISO)") from exc
            return moment.astimezone(zone).replace(microsecond=0)
        if vt is ValueType.INTEGER:
            try:
                number = int(value)
            except ValueError as exc:
                raise self._error(f"{text!r} is not an integer") from exc
            return self._check_checkbox(number)
        if vt is ValueType.DECIMAL:
            return self._decimal(value)
        raise self._error("table fields have no text form; send rows")

    def coerce(self, value: FieldValue | bool | None, *, tz: ZoneInfo | None = None) -> FieldValue | None:
        """Bring a Python or text value to the field's type (no catalogue/length check)."""
        if value is None:
            return None
        if isinstance(value, str):
            return self.from_wire_text(value, tz=tz)
        vt = self.value_type
        if vt is ValueType.TEXT:
            raise self._error(f"expected text, got {type(value).__name__}")
        if vt is ValueType.DATE:
            if isinstance(value, datetime) or not isinstance(value, date):
                raise self._error(f"expected a date, got {type(value).__name__}")
            return value
        if vt is ValueType.DATETIME:
            if not isinstance(value, datetime):
                raise self._error(f"expected a datetime, got {type(value).__name__}")
            if value.tzinfo is None:
                raise self._error("naive datetime given; datetimes must be aware")
            return value.astimezone(tz or _default_zone()).replace(microsecond=0)
        if vt is ValueType.INTEGER:
            if isinstance(value, bool):
                return self._check_checkbox(int(value))
            if isinstance(value, int):
                return self._check_checkbox(value)
            if isinstance(value, Decimal) and value == value.to_integral_value():
                return self._check_checkbox(int(value))
            raise self._error(f"expected an integer, got {type(value).__name__}")
        if vt is ValueType.DECIMAL:
            if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
                raise self._error(f"expected a decimal, got {type(value).__name__}")
            if isinstance(value, float) and not math.isfinite(value):
                raise self._error(f"{value!r} is not a finite number")
            return self._decimal(str(value))
        raise self._error("table fields have no scalar value")

    def check(self, value: FieldValue) -> None:
        """Catalogue membership (each part of a multi-value) and input length, as the server checks them."""
        if not isinstance(value, str):
            return
        if self.input_length > 0 and len(value) > self.input_length:
            raise self._error(f"value longer than {self.input_length} characters ({len(value)})")
        if self.allowed_keys is None:
            return
        parts = value.split(self.valuesep) if self.valuesep else [value]
        for part in parts:
            if part not in self.allowed_keys:
                raise self._error(f"{part!r} is not a key of the catalogue")

    def normalize(self, value: FieldValue | bool | None, *, tz: ZoneInfo | None = None) -> FieldValue | None:
        """``coerce`` + ``check``: what the server stores for a client's value; ``None`` for empty."""
        typed = self.coerce(value, tz=tz)
        if typed is not None:
            self.check(typed)
        return typed

    def _check_checkbox(self, number: int) -> int:
        if self.is_checkbox and number not in (0, 1):
            raise self._error(f"checkbox value must be 0 or 1, got {number}")
        return number

    def _decimal(self, text: str) -> Decimal:
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise self._error(f"{text!r} is not a decimal ('.' as separator)") from exc
        if not number.is_finite():
            raise self._error(f"{text!r} is not a finite number")
        return number


def _default_zone() -> ZoneInfo:
    return ZoneInfo(timeutil.DEFAULT_ZONE)


@dataclass(frozen=True, eq=False)
class Language:
    lang_id: str
    name: str
    active: bool = True


@dataclass(frozen=True, eq=False)
class CatalogueRow:
    key: str
    index: int
    labels: Mapping[str, str]
    """Label per language id; the row text is the default language's label."""


@dataclass(frozen=True, eq=False)
class Catalogue:
    internal: str
    name: str
    names: Mapping[str, str]
    os_guid: str
    rows: Mapping[str, CatalogueRow]
    """Rows by key (the stored value), in document order."""

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(self.rows)

    def label(self, key: str, lang: str = DEFAULT_LANGUAGE) -> str:
        try:
            row = self.rows[key]
        except KeyError:
            raise UnknownCatalogueError(key, scope=f"catalogue {self.internal}") from None
        return row.labels.get(lang) or row.labels.get(DEFAULT_LANGUAGE) or key


@dataclass(frozen=True, eq=False)
class TableColumn(_ValueCodec):
    """A column of a table field (``listctrl``)."""

    table_field: str
    internal: str
    name: str
    names: Mapping[str, str]
    fieldname: str
    type: str
    """dt code of the column (``listctrl@type``)."""
    colpos: int
    length: int
    required: bool
    readonly: bool
    catalogue: str | None
    allowed_keys: frozenset[str] | None
    os_guid: str
    valuesep: str | None = None
    is_checkbox: bool = False

    @cached_property
    def value_type(self) -> ValueType:  # type: ignore[override]
        return ValueType.from_dt(self.type)

    @cached_property
    def input_length(self) -> int:  # type: ignore[override]
        # date/number columns carry a display length, not a limit on text
        return self.length if self.value_type is ValueType.TEXT else 0

    @property
    def qualified_name(self) -> str:
        return f"{self.table_field}.{self.internal}"


@dataclass(frozen=True, eq=False)
class FieldDef(_ValueCodec):
    """An index field of an object type."""

    type_name: str
    internal: str
    name: str
    names: Mapping[str, str]
    fieldname: str
    """DB column (``feld1``, ``datum1``, ``zahl1``, ``list1``)."""
    os_guid: str
    taborder: int
    dt: str
    control_type: str
    datatype: str
    required: bool
    readonly: bool
    input_length: int
    catalogue: str | None
    allowed_keys: frozenset[str] | None
    """Catalogue keys a value (each part of a multi-value) must be one of; ``None`` = free text."""
    multiselection: bool
    valuesep: str | None
    """Separator of a multi-value field (E5); ``None`` for single-valued fields."""
    key_field: bool
    columns: tuple[TableColumn, ...] = ()
    """Columns of a table field (``dt`` W), ordered by ``colpos``."""

    @cached_property
    def value_type(self) -> ValueType:  # type: ignore[override]
        return ValueType.from_dt(self.dt, self.datatype)

    @cached_property
    def is_checkbox(self) -> bool:  # type: ignore[override]
        return self.control_type == "checkbox"

    @cached_property
    def is_table(self) -> bool:
        return self.value_type is ValueType.TABLE

    @property
    def qualified_name(self) -> str:
        return f"{self.type_name}.{self.internal}"

    @cached_property
    def columns_by_name(self) -> Mapping[str, TableColumn]:
        return _frozen_map({c.internal: c for c in self.columns})

    def column(self, name: str) -> TableColumn:
        try:
            return self.columns_by_name[name]
        except KeyError:
            raise UnknownFieldError(name, scope=f"table field {self.qualified_name}") from None


@dataclass(frozen=True, eq=False)
class ObjectType:
    cabinet: str
    """Internal name of the cabinet."""
    internal: str
    name: str
    names: Mapping[str, str]
    maintype: int
    cotype: int
    type_id: int
    table_name: str
    os_guid: str
    fields: tuple[FieldDef, ...]
    """In document order."""
    parent_type_ids: tuple[int, ...] = ()
    """From ``relations/parent`` (E12); empty for folders."""

    @property
    def kind(self) -> ObjectKind:
        return ObjectKind.from_maintype(self.maintype)

    @cached_property
    def fields_by_name(self) -> Mapping[str, FieldDef]:
        return _frozen_map({f.internal: f for f in self.fields})

    @cached_property
    def _field_aliases(self) -> Mapping[str, FieldDef]:
        aliases: dict[str, FieldDef] = {}
        for f in self.fields:
            for alias in (f.os_guid, f.fieldname, f.name, *f.names.values()):
                aliases.setdefault(alias.casefold(), f)
        for f in self.fields:  # internal names win over any alias
            aliases[f.internal.casefold()] = f
        return _frozen_map(aliases)

    def field(self, name: str) -> FieldDef:
        """The field with this internal name."""
        try:
            return self.fields_by_name[name]
        except KeyError:
            raise UnknownFieldError(name, scope=f"object type {self.internal}") from None

    def resolve_field(self, ref: str) -> FieldDef:
        """A field addressed any way enaio allows: internal name, DB column, os_guid or display name."""
        found = self.fields_by_name.get(ref) or self._field_aliases.get(ref.casefold())
        if found is None:
            raise UnknownFieldError(ref, scope=f"object type {self.internal}")
        return found

    def allows_parent(self, parent: ObjectType | None) -> bool:
        """Whether an object of this type may be filed under ``parent`` (``None`` = top level)."""
        if self.kind is ObjectKind.FOLDER:
            return parent is None
        if parent is None or parent.kind is ObjectKind.DOCUMENT:
            return False
        if self.parent_type_ids:
            return parent.type_id in self.parent_type_ids
        # no relations element: enaio's default, any folder or register of the same cabinet
        return parent.cabinet == self.cabinet


@dataclass(frozen=True, eq=False)
class Cabinet:
    internal: str
    name: str
    names: Mapping[str, str]
    cotype: int
    type_names: tuple[str, ...]
    """Internal names of the object types in this cabinet, folder type first as in the XML."""


@dataclass(frozen=True, eq=False)
class ObjectDefinition:
    version: str
    created: str
    languages: tuple[Language, ...]
    cabinets: Mapping[str, Cabinet]
    types_by_name: Mapping[str, ObjectType]
    types_by_id: Mapping[int, ObjectType]
    catalogues: Mapping[str, Catalogue]
    source_bytes: bytes = field(repr=False)
    etag: str = ""
    """sha256 hex of ``source_bytes``: changes exactly when the definition's bytes change."""

    @property
    def types(self) -> tuple[ObjectType, ...]:
        return tuple(self.types_by_name.values())

    @property
    def default_language(self) -> str:
        ids = [lang.lang_id for lang in self.languages]
        return DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in ids or not ids else ids[0]

    def type_by_name(self, name: str) -> ObjectType:
        try:
            return self.types_by_name[name]
        except KeyError:
            raise UnknownObjectTypeError(name) from None

    def type_by_id(self, object_type_id: int) -> ObjectType:
        try:
            return self.types_by_id[object_type_id]
        except KeyError:
            raise UnknownObjectTypeError(object_type_id) from None

    def resolve_type(self, ref: str | int) -> ObjectType:
        """A type addressed by id, internal name, table name, os_guid or display name."""
        if isinstance(ref, int):
            return self.type_by_id(ref)
        if ref in self.types_by_name:
            return self.types_by_name[ref]
        if ref.isdigit():
            return self.type_by_id(int(ref))
        wanted = ref.casefold()
        for t in self.types_by_name.values():
            if wanted in {t.internal.casefold(), t.table_name.casefold(), t.os_guid.casefold()} or any(
                wanted == n.casefold() for n in (t.name, *t.names.values())
            ):
                return t
        raise UnknownObjectTypeError(ref)

    def field(self, type_name: str, field_name: str) -> FieldDef:
        return self.type_by_name(type_name).field(field_name)

    def cabinet(self, name: str) -> Cabinet:
        try:
            return self.cabinets[name]
        except KeyError:
            raise UnknownCabinetError(name) from None

    def catalogue(self, name: str) -> Catalogue:
        try:
            return self.catalogues[name]
        except KeyError:
            raise UnknownCatalogueError(name) from None

    def children_of(self, parent: ObjectType | None) -> tuple[ObjectType, ...]:
        """Types that may be filed directly under ``parent`` (``None``: the folder types)."""
        return tuple(t for t in self.types_by_name.values() if t.allows_parent(parent))
