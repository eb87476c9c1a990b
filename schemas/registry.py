"""Entity name → model class; the names are the file stems of the JSON Schema files and of exports."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pydantic import BaseModel

from schemas.beratungsfall import Beratungsfall
from schemas.einwilligung import Einwilligung
from schemas.integrationsplan import Integrationsplan
from schemas.jobcenter_datenweitergabe import JobcenterDatenweitergabe
from schemas.kennzahlwert import Kennzahlwert
from schemas.klient import Klient
from schemas.kontakt import Kontakt
from schemas.mitarbeitende import Mitarbeitende

__all__ = ["ENTITIES"]

ENTITIES: Mapping[str, type[BaseModel]] = MappingProxyType(
    {
        "klient": Klient,
        "beratungsfall": Beratungsfall,
        "kontakt": Kontakt,
        "integrationsplan": Integrationsplan,
        "einwilligung": Einwilligung,
        "jobcenter_datenweitergabe": JobcenterDatenweitergabe,
        "mitarbeitende": Mitarbeitende,
        "kennzahlwert": Kennzahlwert,
    }
)
