"""Base classes shared by all record models, and the personal-field marker."""

from __future__ import annotations

import types
import typing
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from schemas.types import Aktenzeichen, AwareDatetime, EnaioId

__all__ = [
    "DESCRIBING",
    "IDENTIFYING",
    "FallDokument",
    "Record",
    "SchemaModel",
    "describing",
    "describing_fields",
    "identifying",
    "identifying_fields",
    "personal_fields",
]

IDENTIFYING: Final = "identifying"
"""Marker of a field that identifies or places a record (id, link to case/person, the date that puts it in a
period, Personalnummer and VZÄ): without it the record is quarantined."""
DESCRIBING: Final = "describing"
"""Marker of a field that only describes a record (Träger, Regionalteam, Geschlecht, …): without it the record
is kept with the field empty (None), counts in every figure that does not need it and is a quality finding."""


def identifying(*, personal: bool = False, **kwargs: Any) -> Any:
    """`Field(...)` of a required field that identifies or places the record (`"identifying": true`)."""
    extra: dict[str, Any] = {IDENTIFYING: True}
    if personal:
        extra["personal"] = True
    return Field(json_schema_extra=extra, **kwargs)


def describing(*, personal: bool = False, **kwargs: Any) -> Any:
    """`Field(default=None, ...)` of a describing field (`"describing": true`): expected, but a record without
    it stays in the data (the field's type must allow None)."""
    extra: dict[str, Any] = {DESCRIBING: True}
    if personal:
        extra["personal"] = True
    return Field(default=None, json_schema_extra=extra, **kwargs)


class SchemaModel(BaseModel):
    """Immutable, closed record: unknown keys are an error, not silently dropped."""

    # Serialized records always carry every key, so the exported schema marks defaulted fields required too.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)


class Record(SchemaModel):
    """A record read from one enaio object, with the provenance incremental jobs need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enaio_id: EnaioId = identifying()
    enaio_type: str = identifying(
        min_length=1, description="Internal name of the enaio object type, e.g. IM_KLIENT"
    )
    modified_at: AwareDatetime = identifying(
        description="enaio modification stamp; incremental jobs bookmark on it"
    )


class FallDokument(Record):
    """A document filed in a Beratungsfall, with links to the case and to the person's folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fall_enaio_id: EnaioId = identifying(description="enaio id of the Beratungsfall register")
    klient_enaio_id: EnaioId = identifying(description="enaio id of the Klientenakte folder")
    aktenzeichen: Aktenzeichen = identifying(
        description="Aktenzeichen of the person whose folder holds the case"
    )


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    """Models reachable inside an annotation such as `tuple[Ziel, ...]` or `Ziel | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        return [model for arg in typing.get_args(annotation) for model in _nested_models(arg)]
    return []


def personal_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the fields marked `json_schema_extra={"personal": True}`.

    Fields of nested models appear as dotted paths (`ziele.ziel`); a dotted path applies to every element of a
    nested sequence. Pseudonymization and log redaction use this instead of keeping their own lists.
    """
    names: set[str] = set()
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("personal") is True:
            names.add(name)
        for nested in _nested_models(info.annotation):
            names.update(f"{name}.{inner}" for inner in personal_fields(nested))
    return frozenset(names)


def _marked(model: type[BaseModel], marker: str) -> frozenset[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get(marker) is True:
            names.add(name)
        for nested in _nested_models(info.annotation):
            names.update(f"{name}.{inner}" for inner in _marked(nested, marker))
    return frozenset(names)


def identifying_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields marked `"identifying": true` (dotted for nested items, e.g. `ziele.handlungsfeld`)."""
    return _marked(model, IDENTIFYING)


def describing_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields marked `"describing": true` (dotted for nested items): missing or invalid, the record is kept
    with the field empty and the gap is a data-quality finding."""
    return _marked(model, DESCRIBING)
