"""Einwilligung: a consent given by the person (purpose, recipient, validity)."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import ConfigDict, Field, model_validator

from schemas.base import FallDokument, describing, identifying
from schemas.enums import Einwilligungszweck
from schemas.types import Datum

__all__ = ["Einwilligung"]


class Einwilligung(FallDokument):
    """A consent document; `gilt_am` answers whether it covers a given day.

    `erteilt_am` places it in time (identifying); a consent without `zweck` is kept, and K18 reports it as not
    countable where it could decide the figure.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    zweck: Einwilligungszweck | None = describing()
    empfaenger: str | None = Field(
        default=None, min_length=1, max_length=254, json_schema_extra={"personal": True}
    )
    erteilt_am: Datum = identifying()
    widerrufen_am: Datum | None = None
    gueltig_bis: Datum | None = None

    @model_validator(mode="after")
    def _check_dates(self) -> Self:
        for name in ("widerrufen_am", "gueltig_bis"):
            value: date | None = getattr(self, name)
            if value is not None and value < self.erteilt_am:
                raise ValueError(f"{name} {value} is before erteilt_am {self.erteilt_am}")
        return self

    def gilt_am(self, stichtag: date) -> bool:
        """True if the consent was given on or before `stichtag`, not yet withdrawn and not expired.

        A withdrawal takes effect on its day; `gueltig_bis` is inclusive.
        """
        if stichtag < self.erteilt_am:
            return False
        if self.widerrufen_am is not None and stichtag >= self.widerrufen_am:
            return False
        return self.gueltig_bis is None or stichtag <= self.gueltig_bis
