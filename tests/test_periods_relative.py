"""Relative periods for scheduled runs and the checks against today, with an injected clock."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from connector.config import load_settings
from connector.errors import UsageError
from jobs.commands.kennzahlen import DEFAULT_FORMATS, resolve_period, today_in
from jobs.kennzahlen.job import period_file_label
from jobs.kennzahlen.periods import check_against_today, parse_period, relative_period


@pytest.mark.parametrize(
    ("name", "today", "expected"),
    [
        # the quarter before the one today lies in; January rolls back into the previous year
        ("last-quarter", date(2018, 7, 1), "2018-Q2"),
        ("last-quarter", date(2018, 9, 30), "2018-Q2"),
        ("last-quarter", date(2018, 10, 1), "2018-Q3"),
        ("last-quarter", date(2019, 1, 2), "2018-Q4"),
        ("last-quarter", date(2019, 3, 31), "2018-Q4"),
        ("last-month", date(2018, 8, 1), "2018-07"),
        ("last-month", date(2019, 1, 15), "2018-12"),
        ("last-year", date(2019, 1, 1), "2018"),
        ("current-quarter", date(2018, 7, 31), "2018-Q3"),
        ("current-quarter", date(2018, 12, 31), "2018-Q4"),
    ],
)
def test_relative_period_names(name: str, today: date, expected: str) -> None:
    assert relative_period(name, today) == expected
    period = parse_period(name, today=today)
    assert period.label == expected
    assert period == parse_period(expected)


def test_last_quarter_bounds_and_file_label() -> None:
    period = parse_period("LAST-QUARTER", today=date(2018, 7, 1))
    assert (period.start, period.end, period.stichtag) == (
        date(2018, 4, 1),
        date(2018, 6, 30),
        date(2018, 6, 30),
    )
    assert period_file_label(period) == "2018-Q2"
    explicit = resolve_period(None, "2018-01-01", "31.03.2018", None, today=date(2018, 7, 1))
    assert period_file_label(explicit) == "2018-01-01_2018-03-31"


def test_relative_period_needs_today() -> None:
    with pytest.raises(UsageError, match="relative to today"):
        parse_period("last-quarter")


def test_resolve_period_with_today() -> None:
    today = date(2018, 7, 31)
    # The county report: Q2, Stichtag a month after its end (allowed: after the end, not after today)
    county = resolve_period("2018-Q2", None, None, "31.07.2018", today=today)
    assert (county.label, county.stichtag) == ("2018-Q2", date(2018, 7, 31))
    # current-quarter is open by its name; its Stichtag is today unless given
    current = resolve_period("current-quarter", None, None, None, today=today)
    assert (current.label, current.start, current.end, current.stichtag) == (
        "2018-Q3",
        date(2018, 7, 1),
        date(2018, 9, 30),
        today,
    )
    # an open period only with the option
    with pytest.raises(UsageError, match="--allow-open-period"):
        resolve_period("2018-Q3", None, None, None, today=today)
    opened = resolve_period("2018-Q3", None, None, None, today=today, allow_open=True)
    assert opened.end == date(2018, 9, 30)
    # a period that has not started is refused even with the option
    with pytest.raises(UsageError, match="nothing to report yet"):
        resolve_period("2030-Q1", None, None, None, today=today, allow_open=True)
    with pytest.raises(UsageError, match="after today"):
        resolve_period(None, "2018-07-01", "2018-08-31", None, today=today)


def test_stichtag_before_the_period_is_refused_even_when_open() -> None:
    period = parse_period("2018-Q2", date(2018, 3, 31))
    with pytest.raises(UsageError, match="before the first day of the period 2018-Q2"):
        check_against_today(period, date(2020, 1, 1), allow_open=True)
    check_against_today(parse_period("2018-Q2", date(2018, 4, 1)), date(2018, 7, 1))  # first day is fine


def test_today_in_the_configured_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(overrides={"url": "http://h", "timezone": "Europe/Berlin"})
    assert today_in(settings, lambda: date(2018, 10, 1)) == date(2018, 10, 1)  # injected clock
    monkeypatch.setenv("ENAIO_TODAY", "01.10.2018")
    assert today_in(settings) == date(2018, 10, 1)
    monkeypatch.delenv("ENAIO_TODAY")
    # the real clock, read in the configured zone (not UTC, not the machine's zone)
    berlin = ZoneInfo("Europe/Berlin")
    before = datetime.now(berlin).date()
    got = today_in(settings)
    assert got in {before, datetime.now(berlin).date()}
    monkeypatch.setenv("ENAIO_TODAY", "2018-13-01")
    with pytest.raises(UsageError, match="ENAIO_TODAY"):
        today_in(settings)


def test_command_default_formats_mirror_the_renderers() -> None:
    from jobs.kennzahlen.outputs import DEFAULT_FORMATS as RENDERED

    assert DEFAULT_FORMATS == RENDERED  # the command keeps a copy so --help imports no renderer
