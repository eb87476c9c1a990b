"""Records → flat sink rows: the columns of each entity, pseudonymization, and the schema version.

By default (``identifiers=False``) a row carries no name, birth date or free text:

* identifiers (Aktenzeichen, Personalnummer, Haushaltsnummer) become keyed pseudonyms (HMAC-SHA256 with a
  versioned prefix, `connector.pseudonym`); one namespace per kind of identifier, so that a case's
  ``aktenzeichen`` still joins the person's and a contact's ``integrationsmanager`` the staff list;
* the birth date becomes ``altersgruppe`` (age bands of `mappings/kennzahlen.yaml`, age on the day of the
  record's ``modified_at``, so the row is a pure function of the record);
* every other field marked personal (names, free text) becomes ``<field>_vorhanden`` (value present yes/no).

With ``identifiers=True`` the values are exported as read. The two modes have different columns and therefore
different schema versions; a sink never mixes them.
"""

from __future__ import annotations

import hashlib
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final, Literal

from pydantic import BaseModel

from connector.pseudonym import Pseudonymizer
from jobs.kennzahlen.params import KennzahlenParams, load_params
from schemas import Record, personal_fields
from schemas.registry import ENTITIES

__all__ = [
    "EXPORTED_ENTITIES",
    "IDENTIFIERS",
    "PRIMARY_KEY",
    "REPLICATION_KEY",
    "Column",
    "Kind",
    "RowBuilder",
    "TableSpec",
    "table_spec",
]

Kind = Literal["int", "bool", "date", "text"]
Row = dict[str, Any]

PRIMARY_KEY: Final = "enaio_id"
REPLICATION_KEY: Final = "modified_at"
HASH_COLUMN: Final = "_hash"
EXPORTED_ENTITIES: Final = tuple(name for name, model in ENTITIES.items() if issubclass(model, Record))
"""Every entity read from enaio (Kennzahlwert is computed, not extracted)."""

IDENTIFIERS: Final[Mapping[str, str]] = {
    "aktenzeichen": "aktenzeichen",
    "weitere_teilnehmende": "aktenzeichen",
    "weitere_personen": "aktenzeichen",
    "haushaltsnummer": "haushaltsnummer",
    "personalnummer": "personalnummer",
    "integrationsmanager": "personalnummer",
}
"""Schema field → pseudonym namespace: identifying values that are not marked personal but name a person."""

_BIRTH_DATE: Final = "geburtsdatum"
_AGE_GROUP: Final = "altersgruppe"
_PRESENT: Final = "_vorhanden"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind


@dataclass(frozen=True)
class TableSpec:
    entity: str
    columns: tuple[Column, ...]
    identifiers: bool

    @property
    def version(self) -> str:
        """Fingerprint of the columns and the export mode; recorded by every sink."""
        text = json.dumps([self.identifiers, [(c.name, c.kind) for c in self.columns]])
        return "s" + hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _strip_optional(annotation: Any) -> Any:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _strip_optional(args[0])
    if typing.get_origin(annotation) is typing.Annotated:
        return _strip_optional(typing.get_args(annotation)[0])
    return annotation


def _kind(annotation: Any) -> Kind:
    inner = _strip_optional(annotation)
    if inner is bool:
        return "bool"
    if inner is int:
        return "int"
    if inner is date:
        return "date"
    return "text"  # str, enums, Decimal (exact as text), datetimes (ISO with offset), lists (JSON)


def _is_sequence(annotation: Any) -> bool:
    return typing.get_origin(_strip_optional(annotation)) in (tuple, list)


def table_spec(entity: str, *, identifiers: bool = False) -> TableSpec:
    model = ENTITIES[entity]
    personal = personal_fields(model)
    columns: list[Column] = []
    for name, info in model.model_fields.items():
        if not identifiers and name in personal:
            if name == _BIRTH_DATE:
                columns.append(Column(_AGE_GROUP, "text"))
            else:
                columns.append(Column(name + _PRESENT, "bool"))
            continue
        if _is_sequence(info.annotation):
            columns.append(Column(name, "text"))
        else:
            columns.append(Column(name, _kind(info.annotation)))
    columns.append(Column(HASH_COLUMN, "text"))
    return TableSpec(entity, tuple(columns), identifiers)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, tuple | list):
        return bool(value)
    return True


def _plain(value: Any) -> Any:
    """JSON-able form of a nested value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


class RowBuilder:
    """Turns records of one export mode into rows; ``pseudonymizer`` is needed unless ``identifiers``."""

    def __init__(
        self,
        pseudonymizer: Pseudonymizer | None,
        *,
        identifiers: bool = False,
        params: KennzahlenParams | None = None,
    ) -> None:
        if not identifiers and pseudonymizer is None:
            raise ValueError("a pseudonymized export needs a pseudonymizer")
        self.pseudonymizer = pseudonymizer
        self.identifiers = identifiers
        self.params = params or load_params()
        self.specs = {entity: table_spec(entity, identifiers=identifiers) for entity in EXPORTED_ENTITIES}

    def _pseudo(self, value: Any, namespace: str) -> Any:
        if value is None or self.pseudonymizer is None:
            return value
        if isinstance(value, tuple | list):
            return [self.pseudonymizer.of(str(v), namespace) for v in value]
        return self.pseudonymizer.of(str(value), namespace)

    def _nested(self, model: type[BaseModel], item: BaseModel) -> dict[str, Any]:
        personal = personal_fields(model)
        out: dict[str, Any] = {}
        for name in model.model_fields:
            value = getattr(item, name)
            if not self.identifiers and name in personal:
                out[name + _PRESENT] = _present(value)
            elif not self.identifiers and name in IDENTIFIERS:
                out[name] = self._pseudo(value, IDENTIFIERS[name])
            else:
                out[name] = _plain(value)
        return out

    def row(self, entity: str, record: Record) -> Row:
        model = ENTITIES[entity]
        personal = personal_fields(model)
        row: Row = {}
        for name, info in model.model_fields.items():
            value = getattr(record, name)
            if not self.identifiers and name in personal:
                if name == _BIRTH_DATE:
                    row[_AGE_GROUP] = self.params.age_group(value, record.modified_at.date())
                else:
                    row[name + _PRESENT] = _present(value)
                continue
            if not self.identifiers and name in IDENTIFIERS:
                value = self._pseudo(list(value) if isinstance(value, tuple) else value, IDENTIFIERS[name])
            if _is_sequence(info.annotation):
                nested = _nested_model(info.annotation)
                items = [self._nested(nested, v) for v in value] if nested else _plain(value)
                row[name] = json.dumps(items, ensure_ascii=False, sort_keys=True)
                continue
            row[name] = _scalar(value)
        row[HASH_COLUMN] = row_hash(row)
        return row


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    args = typing.get_args(_strip_optional(annotation))
    inner = _strip_optional(args[0]) if args else None
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def _scalar(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def row_hash(row: Mapping[str, Any]) -> str:
    """Content hash of a row (without its own hash): an unchanged record is never written again."""
    payload = {k: v for k, v in row.items() if k != HASH_COLUMN}
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
