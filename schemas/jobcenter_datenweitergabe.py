"""JobcenterDatenweitergabe: one transfer of profile data to the Jobcenter (county form)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from schemas.base import FallDokument, identifying
from schemas.enums import Anerkennungsverfahren, Schulabschluss, Sprachniveau
from schemas.types import Datum

__all__ = ["JobcenterDatenweitergabe"]


class JobcenterDatenweitergabe(FallDokument):
    """The transfer itself is a fact to count; its free-text answers are personal.

    Whether a consent AUSTAUSCH_JOBCENTER covered the day is a cross-record check of the data-quality job.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    uebermittelt_am: Datum = identifying()
    schulabschluss: Schulabschluss | None = None
    berufsausbildung: str | None = Field(
        default=None, min_length=1, max_length=254, json_schema_extra={"personal": True}
    )
    berufserfahrung: str | None = Field(
        default=None, min_length=1, max_length=254, json_schema_extra={"personal": True}
    )
    anerkennungsverfahren: Anerkennungsverfahren | None = None
    sprachniveau: Sprachniveau | None = None
    arbeitswunsch: str | None = Field(
        default=None, min_length=1, max_length=254, json_schema_extra={"personal": True}
    )
