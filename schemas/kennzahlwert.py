"""Kennzahlwert: one value of one Kennzahl for one period and dimension cell (output of the Kennzahlen job).

The keys are English because the job's output contract fixes them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Self

from pydantic import ConfigDict, Field, field_validator, model_validator

from schemas.base import SchemaModel
from schemas.types import Datum

__all__ = ["Kennzahlwert"]


class Kennzahlwert(SchemaModel):
    """`value` is None when the cell is suppressed (small cells) or undefined (e.g. a ratio of 0 ÷ 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, description="Kennzahl code, e.g. K03 or K05p")
    name: str = Field(min_length=1)
    value: Decimal | int | None
    unit: str = Field(min_length=1, description="e.g. Personen, Gespräche, VZÄ, Prozent")
    period_from: Datum
    period_to: Datum
    stichtag: Datum | None
    dimensions: dict[str, str] = Field(
        description="Breakdown cell, e.g. {'geschlecht': 'WEIBLICH'}; {} = total"
    )
    suppressed: bool
    rule_version: str = Field(min_length=1)

    @field_validator("value", mode="before")
    @classmethod
    def _refuse_bool(cls, value: Any) -> Any:
        # bool is an int subclass; a True count is a bug upstream, not 1.
        if isinstance(value, bool):
            raise ValueError("value must be a number, not a boolean")
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.period_to < self.period_from:
            raise ValueError(f"period_to {self.period_to} is before period_from {self.period_from}")
        if self.suppressed and self.value is not None:
            raise ValueError("a suppressed value must be None")
        return self
