"""Reusable field types of the normalized records.

`Datum` is the one date type: it accepts `datetime.date`, ISO `YYYY-MM-DD` and the German `DD.MM.YYYY` that
enaio returns, and refuses impossible calendar dates with a message naming the value. Datetimes are always
aware (`AwareDatetime`), because a naive stamp cannot be bookmarked safely across DST changes.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

__all__ = [
    "Aktenzeichen",
    "AktenzeichenListe",
    "AwareDatetime",
    "Datum",
    "EnaioId",
    "Personalnummer",
    "Regionalteam",
    "Staatsangehoerigkeit",
    "Vzae",
    "Wohnkommune",
    "parse_datum",
    "unique_in_order",
]

_T = TypeVar("_T")

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_GERMAN = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})", re.ASCII)


def parse_datum(value: Any) -> date:
    """Turn an ISO or German date string into a `date`; refuse anything that is neither a date nor a string.

    Parsing is strict (full match, zero-padded, real calendar day), so `31.06.2018` and `2018-06-31` fail here
    instead of being rolled over or half-parsed.
    """
    if isinstance(value, datetime):
        # A datetime would silently lose its time and zone; dates are dates.
        raise ValueError("expected a date without time, got a datetime")
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        # pydantic would read an int as a Unix timestamp; enaio never sends dates that way.
        raise ValueError(f"expected a date or a date string, got {type(value).__name__}")
    text = value.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _GERMAN.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD or DD.MM.YYYY")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{text} is not a valid date") from None


Datum = Annotated[date, BeforeValidator(parse_datum)]
"""A calendar date; input `date`, `YYYY-MM-DD` or `DD.MM.YYYY`; serialized as ISO `YYYY-MM-DD`."""

EnaioId = Annotated[int, Field(gt=0, description="enaio object id")]

Aktenzeichen = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
"""The person's case number (key field of the client folder)."""


def unique_in_order(values: tuple[_T, ...]) -> tuple[_T, ...]:
    """Drop repeated entries of a multi-value field, keeping the first occurrence (counts stay honest)."""
    return tuple(dict.fromkeys(values))


AktenzeichenListe = Annotated[tuple[Aktenzeichen, ...], AfterValidator(unique_in_order)]
"""Further persons of a contact or plan, by Aktenzeichen; duplicates dropped, order kept."""

Personalnummer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
"""Staff number; the Integrationsmanager fields of cases, contacts and plans hold it."""

Staatsangehoerigkeit = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 3166-1 alpha-3 code, upper case; XXA = staatenlos, XXX = ungeklärt"),
]

Wohnkommune = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="Municipality name as in the site catalogue; the mapping layer owns name → AGS"),
]

Regionalteam = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="Regional team key; team names are county data, not an enumeration"),
]

Vzae = Annotated[
    Decimal, Field(ge=0, le=1, max_digits=3, decimal_places=2, description="Full-time equivalent")
]
