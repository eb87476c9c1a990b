"""Mitarbeitende: one staff member for one validity period (VZÄ, team and Träger are fixed within it)."""

from __future__ import annotations

from typing import Self

from pydantic import ConfigDict, Field, model_validator

from schemas.base import Record
from schemas.enums import Traeger
from schemas.types import Datum, Personalnummer, Regionalteam, Vzae

__all__ = ["Mitarbeitende"]


class Mitarbeitende(Record):
    """Natural key (`personalnummer`, `gueltig_ab`): a change of VZÄ, team or Träger opens a new period."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    personalnummer: Personalnummer
    name: str = Field(min_length=1, max_length=100, json_schema_extra={"personal": True})
    regionalteam: Regionalteam | None = None
    vzae: Vzae
    gueltig_ab: Datum
    gueltig_bis: Datum | None = Field(default=None, description="Inclusive; empty = open-ended")
    traeger: Traeger
    foerderfaehig: bool = False

    @model_validator(mode="after")
    def _check_period(self) -> Self:
        if self.gueltig_bis is not None and self.gueltig_bis < self.gueltig_ab:
            raise ValueError(f"gueltig_bis {self.gueltig_bis} is before gueltig_ab {self.gueltig_ab}")
        return self
