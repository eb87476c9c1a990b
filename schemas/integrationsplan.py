"""Integrationsplan (or Integrationszielvereinbarung) with its goals (Ziel rows of the table field ZIELE)."""

from __future__ import annotations

from typing import Self

from pydantic import ConfigDict, Field, model_validator

from schemas.base import FallDokument, SchemaModel, describing, identifying
from schemas.enums import Handlungsfeld, Planart, Planstatus, Verantwortlich, Zielstatus
from schemas.types import AktenzeichenListe, Datum, Personalnummer

__all__ = ["Integrationsplan", "Ziel"]


class Ziel(SchemaModel):
    """One goal row of a plan; its text and step are free text and personal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    handlungsfeld: Handlungsfeld | None = describing()
    ziel: str | None = describing(min_length=1, personal=True)
    massnahme: str | None = Field(default=None, min_length=1, json_schema_extra={"personal": True})
    verantwortlich: Verantwortlich | None = None
    frist: Datum | None = None
    zielstatus: Zielstatus | None = describing()
    statusdatum: Datum | None = None


class Integrationsplan(FallDokument):
    """A plan version; version 0 is the Erstplan, ≥ 1 a Fortschreibung (superseding the previous version).

    A plan without goals is valid here on purpose: the data-quality report lists such plans. The version
    identifies the plan among its case's plans; `vereinbart_am` places it in a period (empty for a draft).
    Art, Status and creation date describe it: a plan without Planstatus is kept, and the figures that need
    the status report it as not countable.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    planart: Planart | None = describing()
    planversion: int = identifying(ge=0, description="0 = Erstplan, ≥ 1 = Fortschreibung")
    erstellt_am: Datum | None = describing()
    vereinbart_am: Datum | None = None
    planstatus: Planstatus | None = describing()
    naechste_ueberpruefung: Datum | None = None
    unterschrift_klient: bool = False
    integrationsmanager: Personalnummer | None = describing()
    weitere_personen: AktenzeichenListe = Field(
        default=(), description="Aktenzeichen of further persons covered by the plan (household)"
    )
    ziele: tuple[Ziel, ...] = ()

    @model_validator(mode="after")
    def _check_vereinbart(self) -> Self:
        if self.planstatus is Planstatus.VEREINBART and self.vereinbart_am is None:
            raise ValueError("planstatus VEREINBART requires vereinbart_am")
        return self
