"""Klient: the person, one per Klientenakte (enaio folder)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from schemas.base import Record
from schemas.enums import Aufenthaltsstatus, Erwerbsstatus, Geschlecht, Rolle, Sprachniveau, Unterbringungsart
from schemas.types import Aktenzeichen, Datum, Staatsangehoerigkeit, Wohnkommune

__all__ = ["Klient"]


class Klient(Record):
    """A person in the Integrationsmanagement; natural key `aktenzeichen`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    aktenzeichen: Aktenzeichen
    familienname: str = Field(min_length=1, max_length=100, json_schema_extra={"personal": True})
    vornamen: str = Field(min_length=1, max_length=100, json_schema_extra={"personal": True})
    geburtsdatum: Datum | None = Field(default=None, json_schema_extra={"personal": True})
    geschlecht: Geschlecht
    staatsangehoerigkeit: Staatsangehoerigkeit | None = None
    aufenthaltsstatus: Aufenthaltsstatus | None = None
    aufenthaltsstatus_seit: Datum | None = None
    unterbringungsart: Unterbringungsart
    unterbringung_seit: Datum | None = None
    wohnkommune: Wohnkommune
    im_uebertragen: bool = Field(
        default=False, description="IM transferred to the county (target-group rule)"
    )
    zuzug_au: Datum | None = Field(default=None, description="Moved into Anschlussunterbringung")
    auszug_au: Datum | None = Field(default=None, description="Moved out of Anschlussunterbringung")
    haushaltsnummer: str | None = Field(default=None, min_length=1, max_length=20)
    rolle_im_haushalt: Rolle | None = None
    sprachniveau_deutsch: Sprachniveau | None = None
    sprachniveau_datum: Datum | None = None
    erwerbsstatus: Erwerbsstatus | None = None
    erwerbsstatus_seit: Datum | None = None
    zielgruppe_ukraine: bool = False
