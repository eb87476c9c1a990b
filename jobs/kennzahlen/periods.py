"""Reporting periods: `2018`, `2018-H1`, `2018-Q2`, `2018-05`, explicit from/to dates (inclusive), or a period
relative to today for scheduled runs: `last-quarter`, `last-month`, `last-year`, `current-quarter`.

"Today" is the caller's: the command passes the date in the configured zone (an injectable clock), so a
timer at 00:30 on 1 October in Berlin reports the third quarter even while UTC is still in September.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from connector.errors import UsageError
from connector.timeutil import parse_date

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "RELATIVE_PERIODS",
    "Period",
    "check_against_today",
    "parse_cli_date",
    "parse_period",
    "period_from_dates",
    "relative_period",
]

_FORM = re.compile(r"(?P<year>\d{1,9})(?:-(?P<part>[HQ]?)(?P<number>\d{1,2}))?", re.IGNORECASE)
MIN_YEAR = 1900
MAX_YEAR = 9999
"""Years a period or a date on the command line may lie in (checked before any date is built)."""
RELATIVE_PERIODS = ("last-quarter", "last-month", "last-year", "current-quarter")
_FORMS = (
    "use a year (2018), half-year (2018-H1), quarter (2018-Q2), month (2018-05), "
    f"{', '.join(RELATIVE_PERIODS)}, or --from/--to"
)


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


def relative_period(name: str, today: date) -> str:
    """`last-quarter` on 2018-07-01 → `2018-Q2`; the named period a scheduled run means today."""
    quarter = (today.month - 1) // 3 + 1
    if name == "last-quarter":
        year, quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
        return f"{year}-Q{quarter}"
    if name == "current-quarter":
        return f"{today.year}-Q{quarter}"
    if name == "last-month":
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return f"{year}-{month:02d}"
    if name == "last-year":
        return str(today.year - 1)
    raise UsageError(f"unknown period {name!r}: {_FORMS}")


def parse_period(text: str, stichtag: date | None = None, *, today: date | None = None) -> Period:
    """A named period; anything else is a UsageError listing the accepted forms.

    Every part is range-checked before a date is built, so `0000`, `10000`, `2018-13`, `2018-Q5` or `2018-H3`
    are usage errors, never an internal error. A relative name (`last-quarter`, …) needs `today`.
    """
    value = text.strip()
    if value.lower() in RELATIVE_PERIODS:
        if today is None:
            raise UsageError(f"period {text!r} is relative to today, but no date for today was given")
        value = relative_period(value.lower(), today)
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


def check_against_today(period: Period, today: date, *, allow_open: bool = False) -> None:
    """Refuse what cannot be reported yet, with a message saying what to do.

    A period that starts after today is always refused; one that ends after today (still running) and a
    Stichtag after today only with `allow_open` (the figures would change as enaio fills up). A Stichtag
    before the period's first day makes no sense and is refused.
    """
    if period.stichtag < period.start:
        raise UsageError(
            f"--stichtag {period.stichtag.isoformat()} is before the first day of the period "
            f"{period.label} ({period.start.isoformat()}); give a Stichtag inside or after the period"
        )
    if period.start > today:
        raise UsageError(
            f"period {period.label} starts on {period.start.isoformat()}, after today ({today.isoformat()}): "
            "there is nothing to report yet"
        )
    if allow_open:
        return
    if period.end > today:
        raise UsageError(
            f"period {period.label} ends on {period.end.isoformat()}, after today ({today.isoformat()}): "
            "its figures are not final; use --allow-open-period to report it anyway, or --period last-quarter"
        )
    if period.stichtag > today:
        raise UsageError(
            f"--stichtag {period.stichtag.isoformat()} is after today ({today.isoformat()}): "
            "use --allow-open-period to report it anyway"
        )


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
