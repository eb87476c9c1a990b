"""Schema values -> a site's index data, driven by the mapping profile (the reverse of ``mappings.reader``).

The code knows no county: field, column and catalogue names come from the profile, value types and
catalogue keys from the live object definition. Only ``field`` (and ``column``) sources are written; a
``const`` source must agree with the value; ``system``/``ancestor``/``derive`` sources are the server's or
the location's business and are never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from connector.enaio.interface import value_error
from connector.enaio.model import FieldValue
from connector.enaio.objdef import (
    FieldDef,
    FieldValueError,
    ObjectDefinition,
    ObjectType,
    TableColumn,
    UnknownObjectTypeError,
)
from connector.errors import ConfigurationError, ValidationError
from mappings import EntityMapping, FieldMapping, MappingProfile

__all__ = ["EncodedObject", "EntityEncoder"]

Row = dict[str, FieldValue]


@dataclass(frozen=True, slots=True)
class EncodedObject:
    """Index data to write: scalar fields and table fields, by the site's internal names."""

    type_name: str
    fields: dict[str, FieldValue]
    tables: dict[str, list[Row]]


class EntityEncoder:
    """Encodes schema values of one entity (``integrationsplan``, ``jobcenter_datenweitergabe``, ...)."""

    def __init__(self, profile: MappingProfile, objdef: ObjectDefinition, entity: str) -> None:
        self.entity = entity
        self.mapping: EntityMapping = profile.entity(entity)
        try:
            self.otype: ObjectType = objdef.type_by_name(self.mapping.type)
        except UnknownObjectTypeError as exc:
            raise ConfigurationError(
                f"profile {profile.site}: object type {self.mapping.type} of {entity} is not on the server",
                key=f"entities.{entity}.type",
            ) from exc
        self.objdef = objdef

    @property
    def type_name(self) -> str:
        return self.otype.internal

    def source_field(self, name: str) -> str | None:
        """The index field a schema field is written to (``None``: not writable from this entity)."""
        fm = self.mapping.fields.get(name)
        if fm is None or fm.field is None or fm.ancestor is not None:
            return None
        return fm.field

    def require_field(self, name: str) -> str:
        target = self.source_field(name)
        if target is None:
            raise ConfigurationError(
                f"profile: {self.entity}.{name} is not mapped to an index field; "
                "the connector cannot write it",
                key=f"entities.{self.entity}.fields.{name}",
            )
        return target

    def managed_fields(self) -> tuple[str, ...]:
        """Every index field (and table field) this entity's profile maps: the fields the connector owns."""
        names: list[str] = []
        for fm in self.mapping.fields.values():
            if fm.table is not None:
                names.append(fm.table)
            elif fm.field is not None and fm.ancestor is None:
                names.append(fm.field)
        return tuple(names)

    def check_writable(self) -> None:
        """Every field the site requires for a new object must be mapped, or a create cannot succeed; say so
        before anything is written (e.g. a plan number field the profile does not map)."""
        managed = set(self.managed_fields())
        missing = [
            f.internal
            for f in self.otype.fields
            if f.required and not f.readonly and f.internal not in managed
        ]
        if missing:
            raise ConfigurationError(
                f"profile: {self.entity} ({self.otype.internal}) cannot be written: the site requires "
                f"{', '.join(missing)}, which the profile does not map",
                key=f"entities.{self.entity}.fields",
            )

    def encode(self, values: Mapping[str, Any]) -> EncodedObject:
        """Encode the schema values given (``None`` and absent values are left out)."""
        fields: dict[str, FieldValue] = {}
        tables: dict[str, list[Row]] = {}
        for name, value in values.items():
            fm = self.mapping.fields.get(name)
            if fm is None:
                raise ConfigurationError(
                    f"profile: {self.entity}.{name} is not mapped",
                    key=f"entities.{self.entity}.fields.{name}",
                )
            if fm.children is not None:
                raise ConfigurationError(
                    f"profile: {self.entity}.{name} is mapped to child documents ({fm.children}); "
                    "writing them is not supported yet, only a table field",
                    key=f"entities.{self.entity}.fields.{name}",
                )
            if fm.table is not None:
                tables[fm.table] = self._rows(name, fm, value or ())
                continue
            if "const" in fm.model_fields_set:
                if value is not None and _plain(value) != _plain(fm.const):
                    raise ValidationError(
                        f"{self.entity}.{name}: this site only knows the value {fm.const}", field=name
                    )
                continue
            if value is None or value == () or value == []:
                continue
            target = self.require_field(name)
            spec = self.otype.field(target)
            fields[target] = self._scalar(spec, fm, value)
        return EncodedObject(self.otype.internal, fields, tables)

    def _rows(self, name: str, fm: FieldMapping, items: Any) -> list[Row]:
        spec = self.otype.field(fm.table or "")
        columns = fm.columns or {}
        rows: list[Row] = []
        for item in items:
            data = item.model_dump() if hasattr(item, "model_dump") else dict(item)
            row: Row = {}
            for key, value in data.items():
                cm = columns.get(key)
                if cm is None:
                    if value is None:
                        continue
                    raise ConfigurationError(
                        f"profile: {self.entity}.{name}.{key} is not mapped to a column",
                        key=f"entities.{self.entity}.fields.{name}.columns.{key}",
                    )
                if "const" in cm.model_fields_set or value is None:
                    continue
                if cm.column is None:
                    continue
                row[cm.column] = self._scalar(spec.column(cm.column), cm, value)
            rows.append(row)
        return rows

    def _scalar(self, spec: FieldDef | TableColumn, fm: FieldMapping, value: Any) -> FieldValue:
        sep = fm.separator(spec.valuesep)
        if sep is not None and isinstance(value, tuple | list):
            raw: FieldValue = sep.join(str(self._key(fm, _plain(part))) for part in value)
        elif isinstance(value, bool):
            raw = 1 if value else 0
        elif isinstance(value, Enum):
            raw = self._key(fm, str(value.value))
        else:
            raw = value
        try:
            typed = spec.normalize(raw, tz=None)
        except FieldValueError:
            raise value_error(spec, raw, operation="writeback") from None
        if typed is None:
            raise value_error(spec, raw, operation="writeback")
        return typed

    @staticmethod
    def _key(fm: FieldMapping, member: str) -> str:
        """The site's catalogue key for a schema enum member: the first key the profile maps to it, else the
        member itself (identity); a member that a listed key maps elsewhere and has no key of its own
        cannot be written."""
        if not fm.values:
            return member
        for key, target in fm.values.items():
            if target == member:
                return key
        if member in fm.values:
            raise ValidationError(f"the site has no catalogue key for {member}", field=fm.field or fm.column)
        return member


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def decode(encoder: EntityEncoder, fields: Mapping[str, FieldValue]) -> dict[str, Any]:
    """The schema values of the ``field`` sources of one object's index data (the reader's rules: catalogue
    keys through ``values``, multi-values split, checkboxes to bool, defaults for empty fields)."""
    values: dict[str, Any] = {}
    for name, fm in encoder.mapping.fields.items():
        if fm.field is None or fm.ancestor is not None:
            continue
        raw = fields.get(fm.field)
        if raw is None:
            if fm.has_default:
                values[name] = fm.default
            continue
        spec = encoder.otype.field(fm.field)
        sep = fm.separator(spec.valuesep)
        if sep is not None and isinstance(raw, str):
            parts = [fm.values.get(p, p) if fm.values else p for p in raw.split(sep) if p]
            values[name] = tuple(p for p in parts if p is not None)
        elif fm.type == "checkbox" or (spec.is_checkbox and isinstance(raw, int)):
            values[name] = bool(raw)
        elif isinstance(raw, str) and fm.values:
            mapped = fm.values.get(raw, raw)
            if mapped is not None:
                values[name] = mapped
        else:
            values[name] = raw
    return values
