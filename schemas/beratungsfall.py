"""Beratungsfall: a counselling case, one enaio register inside the Klientenakte."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import ConfigDict, Field, model_validator

from schemas.base import Record, describing, identifying
from schemas.enums import Abschlussgrund, Fallstatus
from schemas.types import Aktenzeichen, Datum, EnaioId, Personalnummer, Regionalteam

__all__ = ["HOECHSTDAUER_JAHRE", "Beratungsfall", "hoechstdauer_bis"]

HOECHSTDAUER_JAHRE = 3
"""Regular maximum duration of a case (VwV IMG); extensions up to 4 years need a reason."""


def hoechstdauer_bis(fallbeginn: date) -> date:
    """`fallbeginn` + 3 years; a case starting on 29 February ends on 28 February."""
    year = fallbeginn.year + HOECHSTDAUER_JAHRE
    try:
        return fallbeginn.replace(year=year)
    except ValueError:
        return fallbeginn.replace(year=year, day=28)


class Beratungsfall(Record):
    """A case of one person; natural key `enaio_id` (a person may have several cases over time).

    The person link and `fallbeginn` identify and place the case; status, Integrationsmanager*in and
    Regionalteam describe it (a case without them is still active and counts under "unbekannt").
    Deliberately not enforced here, because such data must still reach the data-quality report: an extension
    beyond 4 years, ABGESCHLOSSEN without `fallende`, an Abschlussgrund on an open case.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    klient_enaio_id: EnaioId = identifying(description="enaio id of the Klientenakte folder")
    aktenzeichen: Aktenzeichen = identifying(description="Aktenzeichen of the person")
    fallbeginn: Datum = identifying()
    fallende: Datum | None = None
    fallstatus: Fallstatus | None = describing()
    abschlussgrund: Abschlussgrund | None = None
    integrationsmanager: Personalnummer | None = describing()
    regionalteam: Regionalteam | None = describing()
    hoechstdauer_bis: Datum | None = Field(
        default=None, description="fallbeginn + 3 years; filled by the mapping (see hoechstdauer_bis())"
    )
    verlaengert_bis: Datum | None = None
    begruendung_verlaengerung: str | None = Field(
        default=None, min_length=1, max_length=254, json_schema_extra={"personal": True}
    )

    @model_validator(mode="after")
    def _check_dates(self) -> Self:
        if self.fallende is not None and self.fallende < self.fallbeginn:
            raise ValueError(f"fallende {self.fallende} is before fallbeginn {self.fallbeginn}")
        if self.verlaengert_bis is not None:
            if self.verlaengert_bis < self.fallbeginn:
                raise ValueError(
                    f"verlaengert_bis {self.verlaengert_bis} is before fallbeginn {self.fallbeginn}"
                )
            if self.begruendung_verlaengerung is None or not self.begruendung_verlaengerung.strip():
                raise ValueError("verlaengert_bis requires begruendung_verlaengerung")
        return self
