"""Base classes shared by all record models, and the personal-field marker."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.types import Aktenzeichen, AwareDatetime, EnaioId

__all__ = ["FallDokument", "Record", "SchemaModel", "personal_fields"]


class SchemaModel(BaseModel):
    """Immutable, closed record: unknown keys are an error, not silently dropped."""

    # Serialized records always carry every key, so the exported schema marks defaulted fields required too.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)


class Record(SchemaModel):
    """A record read from one enaio object, with the provenance incremental jobs need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enaio_id: EnaioId
    enaio_type: str = Field(
        min_length=1, description="Internal name of the enaio object type, e.g. IM_KLIENT"
    )
    modified_at: AwareDatetime = Field(
        description="enaio modification stamp; incremental jobs bookmark on it"
    )


class FallDokument(Record):
    """A document filed in a Beratungsfall, with links to the case and to the person's folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fall_enaio_id: EnaioId = Field(description="enaio id of the Beratungsfall register")
    klient_enaio_id: EnaioId = Field(description="enaio id of the Klientenakte folder")
    aktenzeichen: Aktenzeichen = Field(description="Aktenzeichen of the person whose folder holds the case")


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
