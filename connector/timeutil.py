"""Time at the boundary: enaio speaks local time; inside the connector every datetime is aware."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Berlin"

_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_GERMAN_DATETIME = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def zone(name: str) -> ZoneInfo:
    """The named IANA zone; ``ValueError`` naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def now(tz: ZoneInfo) -> datetime:
    return datetime.now(tz).replace(microsecond=0)


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Attach the server's zone to a naive local datetime read from the wire."""
    if naive.tzinfo is not None:
        return naive.astimezone(tz)
    return naive.replace(tzinfo=tz)


def to_local_naive(moment: datetime, tz: ZoneInfo) -> datetime:
    """The local wall-clock time enaio expects on the wire."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; the connector only handles aware datetimes")
    return moment.astimezone(tz).replace(tzinfo=None)


def from_epoch_seconds(seconds: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).astimezone(tz)


def from_epoch_millis(millis: float, tz: ZoneInfo) -> datetime:
    return from_epoch_seconds(millis / 1000.0, tz)


def to_epoch_seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; the connector only handles aware datetimes")
    return int(moment.timestamp())


def parse_date(text: str) -> date:
    """A calendar date given as ISO ``2018-06-30`` or German ``30.06.2018``; impossible dates are refused."""
    value = text.strip()
    match = _GERMAN_DATE.match(value)
    if match:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _ISO_DATE.match(value)
        if not match:
            raise ValueError(f"{text!r} is not a date (expected YYYY-MM-DD or DD.MM.YYYY)")
        year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date: {exc}") from exc


def parse_datetime(text: str, tz: ZoneInfo) -> datetime:
    """A point in time as enaio's interfaces send it: ISO-8601 (with or without offset),
    ``dd.MM.yyyy[ HH:mm[:ss]]`` or epoch milliseconds. Naive forms are local time in ``tz``."""
    value = text.strip()
    if value.lstrip("-").isdigit():
        return from_epoch_millis(int(value), tz)
    match = _GERMAN_DATETIME.match(value)
    if match:
        day, month, year, hour, minute = (int(part) for part in match.groups()[:5])
        second = int(match.group(6) or 0)
        return localize(datetime(year, month, day, hour, minute, second), tz)  # noqa: DTZ001 - localized at once
    if _GERMAN_DATE.match(value):
        day_value = parse_date(value)
        return datetime(day_value.year, day_value.month, day_value.day, tzinfo=tz)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date-time") from exc
    return localize(parsed, tz)


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    return start_of_day(day, tz) + timedelta(days=1) - timedelta(seconds=1)
