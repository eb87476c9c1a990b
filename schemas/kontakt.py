"""Kontakt: one Gesprächsvermerk (contact note), including the Sondierungs-/Clearinggespräch."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field

from schemas.base import FallDokument, describing, identifying
from schemas.enums import Handlungsfeld, Kanal, Kontaktart
from schemas.types import AktenzeichenListe, Datum, Personalnummer, unique_in_order

__all__ = ["Kontakt"]


class Kontakt(FallDokument):
    """A contact event of a case. The person of the case's folder is the primary participant.

    `kontaktart` SONDIERUNG is the Sondierungs-/Clearinggespräch (domain ERSTGESPRAECH, Kennzahl K04).
    `datum` places the contact in a period (identifying); a contact without `kontaktart` is kept, and the
    figures that depend on the kind report it as not countable.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    datum: Datum = identifying()
    kontaktart: Kontaktart | None = describing()
    kanal: Kanal | None = None
    dauer_min: int | None = Field(default=None, ge=0, le=24 * 60)
    themen: Annotated[tuple[Handlungsfeld, ...], AfterValidator(unique_in_order)] = Field(
        default=(), description="Handlungsfelder discussed (multi-response)"
    )
    dolmetschung: bool = False
    integrationsmanager: Personalnummer | None = describing()
    weitere_teilnehmende: AktenzeichenListe = Field(
        default=(), description="Aktenzeichen of further persons reached by this contact (household)"
    )
