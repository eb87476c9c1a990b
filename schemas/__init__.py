"""Normalized record schemas (pydantic v2, closed and immutable) and their generated JSON Schema files.

Imports nothing else of the project. Entities: see `schemas.registry.ENTITIES`.
"""

from __future__ import annotations

from schemas.base import (
    DESCRIBING,
    IDENTIFYING,
    FallDokument,
    Record,
    SchemaModel,
    describing_fields,
    identifying_fields,
    personal_fields,
)
from schemas.beratungsfall import Beratungsfall, hoechstdauer_bis
from schemas.einwilligung import Einwilligung
from schemas.integrationsplan import Integrationsplan, Ziel
from schemas.jobcenter_datenweitergabe import JobcenterDatenweitergabe
from schemas.kennzahlwert import Kennzahlwert
from schemas.klient import Klient
from schemas.kontakt import Kontakt
from schemas.mitarbeitende import Mitarbeitende
from schemas.registry import ENTITIES
from schemas.types import Datum

__all__ = [
    "DESCRIBING",
    "ENTITIES",
    "IDENTIFYING",
    "Beratungsfall",
    "Datum",
    "Einwilligung",
    "FallDokument",
    "Integrationsplan",
    "JobcenterDatenweitergabe",
    "Kennzahlwert",
    "Klient",
    "Kontakt",
    "Mitarbeitende",
    "Record",
    "SchemaModel",
    "Ziel",
    "describing_fields",
    "hoechstdauer_bis",
    "identifying_fields",
    "personal_fields",
]
