"""Reporting periods: `2018`, `2018-H1`, `2018-Q2`, `2018-05`, or explicit from/to dates (inclusive)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from connector.errors import UsageError
from connector.timeutil import parse_date

__all__ = ["MAX_YEAR", "MIN_YEAR", "Period", "parse_cli_date", "parse_period", "period_from_dates"]

_FORM = re.compile(r"(?P<year>\d{1,9})(?:-(?P<part>[HQ]?)(?P<number>\d{1,2}))?", re.IGNORECASE)
MIN_YEAR = 1900
MAX_YEAR = 9999
"""Years a period or a date on the command line may lie in (checked before any date is built)."""
_FORMS = "use a year (2018), half-year (2018-H1), quarter (2018-Q2) or month (2018-05), or --from/--to"


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
    """A named period; anything else is a UsageError listing the accepted forms.

    Every part is range-checked before a date is built, so `0000`, `10000`, `2018-13`, `2018-Q5` or `2018-H3`
    are usage errors, never an internal error.
    """
    value = text.strip()
    match = _FORM.fullmatch(value)
    if match is None:
        raise UsageError(f"unknown period {text!r}: {_FORMS}")
    year = int(match["year"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise UsageError(f"unknown period {text!r}: the year must lie between {MIN_YEAR} and {MAX_YEAR}")
    part, number = (match["part"] or "").upper(), match["number"]
    if number is None:
        start, end = date(year, 1, 1), date(year, 12, 31)
    elif part == "H":
        half = int(number)
        if half not in (1, 2):
            raise UsageError(f"unknown period {text!r}: a half-year is H1 or H2")
        start, end = date(year, 1 + 6 * (half - 1), 1), _last_day(year, 6 * half)
    elif part == "Q":
        quarter = int(number)
        if not 1 <= quarter <= 4:
            raise UsageError(f"unknown period {text!r}: a quarter is Q1 to Q4")
        start, end = date(year, 3 * quarter - 2, 1), _last_day(year, 3 * quarter)
    else:
        month = int(number)
        if len(number) != 2 or not 1 <= month <= 12:
            raise UsageError(f"unknown period {text!r}: a month is 01 to 12")
        start, end = date(year, month, 1), _last_day(year, month)
    return Period(start, end, stichtag or end, value.upper())


def period_from_dates(start: date, end: date, stichtag: date | None = None) -> Period:
    if end < start:
        raise UsageError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    for day, option in ((start, "--from"), (end, "--to"), (stichtag, "--stichtag")):
        if day is not None:
            _check_year(day, option)
    return Period(start, end, stichtag or end, f"{start.isoformat()}..{end.isoformat()}")


def _check_year(day: date, option: str) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise UsageError(f"{option}: {day.isoformat()} is out of range (years {MIN_YEAR} to {MAX_YEAR})")


def parse_cli_date(text: str, option: str) -> date:
    """An ISO or German date from the command line; an impossible date is a UsageError naming the option."""
    try:
        day = parse_date(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None
    _check_year(day, option)
    return day
