"""Local time at the boundary, aware datetimes inside."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connector.timeutil import (
    end_of_day,
    from_epoch_millis,
    localize,
    parse_date,
    parse_datetime,
    start_of_day,
    to_epoch_seconds,
    to_local_naive,
    zone,
)

BERLIN = zone("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2018-06-30", date(2018, 6, 30)), ("30.06.2018", date(2018, 6, 30)), (" 1.4.2018 ", date(2018, 4, 1))],
)
def test_parse_date_accepts_iso_and_german(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2018-06-31", "31.06.2018", "29.02.2018", "2018/06/30", "30.6.18", ""])
def test_parse_date_refuses_impossible_or_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        parse_date(text)


def test_parse_datetime_forms_are_aware_in_the_server_zone() -> None:
    summer = datetime(2018, 7, 31, 14, 5, 0, tzinfo=BERLIN)
    assert parse_datetime("31.07.2018 14:05:00", BERLIN) == summer
    assert parse_datetime("31.07.2018 14:05", BERLIN) == summer
    assert parse_datetime("2018-07-31T14:05:00", BERLIN) == summer
    assert parse_datetime("2018-07-31T12:05:00Z", BERLIN) == summer
    assert parse_datetime("2018-07-31T14:05:00+02:00", BERLIN) == summer
    assert parse_datetime(str(int(summer.timestamp() * 1000)), BERLIN) == summer
    assert parse_datetime("31.07.2018", BERLIN) == datetime(2018, 7, 31, tzinfo=BERLIN)
    for value in ("31.07.2018 14:05:00", "1533038700000"):
        assert parse_datetime(value, BERLIN).tzinfo is not None
    with pytest.raises(ValueError, match="not a date-time"):
        parse_datetime("yesterday", BERLIN)


def test_round_trip_through_local_wall_clock() -> None:
    moment = datetime(2018, 10, 28, 1, 30, tzinfo=UTC)  # the night the clocks go back
    local = to_local_naive(moment, BERLIN)
    assert local == datetime(2018, 10, 28, 2, 30)  # noqa: DTZ001 - the wire form is naive local time
    assert localize(local, BERLIN).utcoffset() is not None
    # PEP 495: an ambiguous local time (fold=1) never compares equal across zones, so compare instants.
    assert from_epoch_millis(to_epoch_seconds(moment) * 1000, BERLIN).timestamp() == moment.timestamp()
    with pytest.raises(ValueError, match="naive"):
        to_local_naive(datetime(2018, 1, 1), BERLIN)  # noqa: DTZ001 - testing the refusal


def test_day_bounds_and_zone_errors() -> None:
    day = date(2018, 6, 30)
    assert start_of_day(day, BERLIN).hour == 0
    assert (end_of_day(day, BERLIN) - start_of_day(day, BERLIN)).total_seconds() == 86399
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("Europe/Atlantis")
