"""Klient: the person, one per Klientenakte (enaio folder)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from schemas.base import Record, describing, identifying
from schemas.enums import Aufenthaltsstatus, Erwerbsstatus, Geschlecht, Rolle, Sprachniveau, Unterbringungsart
from schemas.types import Aktenzeichen, Datum, Staatsangehoerigkeit, Wohnkommune

__all__ = ["Klient"]


class Klient(Record):
    """A person in the Integrationsmanagement; natural key `aktenzeichen`.

    Only the Aktenzeichen identifies the person. Name, sex, nationality (XXX = ungeklärt), accommodation and
    municipality describe her: a folder without them is kept (the field empty) and counts under "unbekannt"
    in a breakdown by it. Birth date and residence status may legitimately be unknown (optional, no marker).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    aktenzeichen: Aktenzeichen = identifying()
    familienname: str | None = describing(min_length=1, max_length=100, personal=True)
    vornamen: str | None = describing(min_length=1, max_length=100, personal=True)
    geburtsdatum: Datum | None = Field(default=None, json_schema_extra={"personal": True})
    geschlecht: Geschlecht | None = describing()
    staatsangehoerigkeit: Staatsangehoerigkeit | None = describing()
    aufenthaltsstatus: Aufenthaltsstatus | None = None
    aufenthaltsstatus_seit: Datum | None = None
    unterbringungsart: Unterbringungsart | None = describing()
    unterbringung_seit: Datum | None = None
    wohnkommune: Wohnkommune | None = describing()
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
