"""Kennzahlen job: counting rules (docs/kennzahlen.md) over normalized schema records, and their outputs."""

from __future__ import annotations

from jobs.kennzahlen.compute import KennzahlenInput, KennzahlenResult, StaffRow, compute
from jobs.kennzahlen.params import KennzahlenParams, load_params
from jobs.kennzahlen.periods import Period, parse_period, period_from_dates

__all__ = [
    "KennzahlenInput",
    "KennzahlenParams",
    "KennzahlenResult",
    "Period",
    "StaffRow",
    "compute",
    "load_params",
    "parse_period",
    "period_from_dates",
]
