"""Reporting periods: `2018`, `2018-H1`, `2018-Q2`, `2018-05`, or explicit from/to dates (inclusive)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from connector.errors import UsageError
from connector.timeutil import parse_date

__all__ = ["Period", "parse_cli_date", "parse_period", "period_from_dates"]

_YEAR = re.compile(r"(\d{4})")
_HALF = re.compile(r"(\d{4})-H([12])", re.IGNORECASE)
_QUARTER = re.compile(r"(\d{4})-Q([1-4])", re.IGNORECASE)
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Period:
    """`start` and `end` inclusive; `stichtag` is the day Stichtag metrics look at (default: `end`)."""

    start: date
    end: date
    stichtag: date
    label: str

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str, stichtag: date | None = None) -> Period:
    """A named period; anything else is a UsageError listing the accepted forms."""
    value = text.strip()
    if match := _YEAR.fullmatch(value):
        year = int(match.group(1))
        start, end = date(year, 1, 1), date(year, 12, 31)
    elif match := _HALF.fullmatch(value):
        year, half = int(match.group(1)), int(match.group(2))
        start = date(year, 1 + 6 * (half - 1), 1)
        end = _last_day(year, 6 * half)
    elif match := _QUARTER.fullmatch(value):
        year, quarter = int(match.group(1)), int(match.group(2))
        start = date(year, 3 * quarter - 2, 1)
        end = _last_day(year, 3 * quarter)
    elif (match := _MONTH.fullmatch(value)) and 1 <= int(match.group(2)) <= 12:
        year, month = int(match.group(1)), int(match.group(2))
        start, end = date(year, month, 1), _last_day(year, month)
    else:
        raise UsageError(
            f"unknown period {text!r}: use a year (2018), half-year (2018-H1), quarter (2018-Q2) "
            "or month (2018-05), or --from/--to"
        )
    if start.year < 1900:
        raise UsageError(f"unknown period {text!r}: year out of range")
    return Period(start, end, stichtag or end, value.upper())


def period_from_dates(start: date, end: date, stichtag: date | None = None) -> Period:
    if end < start:
        raise UsageError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    return Period(start, end, stichtag or end, f"{start.isoformat()}..{end.isoformat()}")


def parse_cli_date(text: str, option: str) -> date:
    """An ISO or German date from the command line; an impossible date is a UsageError naming the option."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None
