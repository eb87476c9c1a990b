"""Mitarbeitende: one staff member for one validity period (VZÄ, team and Träger are fixed within it)."""

from __future__ import annotations

from typing import Self

from pydantic import ConfigDict, Field, model_validator

from schemas.base import Record, describing, identifying
from schemas.enums import Traeger
from schemas.types import Datum, Personalnummer, Regionalteam, Vzae

__all__ = ["Mitarbeitende"]


class Mitarbeitende(Record):
    """Natural key (`personalnummer`, `gueltig_ab`): a change of VZÄ, team or Träger opens a new period.

    Personalnummer, VZÄ and the validity start identify and place the record (K01 sums VZÄ over days); name
    and Träger describe it: a record without Träger still counts its VZÄ. The team is optional by nature
    (unfunded and VU staff work outside a regional team).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    personalnummer: Personalnummer = identifying()
    name: str | None = describing(min_length=1, max_length=100, personal=True)
    regionalteam: Regionalteam | None = Field(default=None, description="Empty outside a regional team")
    vzae: Vzae = identifying()
    gueltig_ab: Datum = identifying()
    gueltig_bis: Datum | None = Field(default=None, description="Inclusive; empty = open-ended")
    traeger: Traeger | None = describing()
    foerderfaehig: bool = False

    @model_validator(mode="after")
    def _check_period(self) -> Self:
        if self.gueltig_bis is not None and self.gueltig_bis < self.gueltig_ab:
            raise ValueError(f"gueltig_bis {self.gueltig_bis} is before gueltig_ab {self.gueltig_ab}")
        return self
