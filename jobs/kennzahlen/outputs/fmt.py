"""German display of numbers, dates and catalogue values, without locale (servers rarely have de_DE).

`LABELS` holds the labels of the normalized schemas' own values (enums, ISO nationality codes), which are the
same for every site. Site values (Regionalteam, Kommune) are labelled from data: the catalogue labels of the
site's object definition and `labels` in mappings/kennzahlen.yaml, carried by the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from connector.timeutil import DEFAULT_ZONE, zone
from jobs.kennzahlen.breakdowns import DIMENSION_LABELS, SONSTIGE, UNBEKANNT

__all__ = [
    "LABELS",
    "SUPPRESSED",
    "de_date",
    "de_datetime",
    "de_number",
    "dimension_title",
    "label",
    "neutralize_formula",
    "ordered",
]

SUPPRESSED: Final = "•"
"""Shown instead of a suppressed cell (small, or hidden so a small one cannot be recovered)."""

LABELS: Final[dict[str, str]] = {
    "VORLAEUFIGE_UNTERBRINGUNG": "Vorläufige Unterbringung",
    "ANSCHLUSSUNTERBRINGUNG": "Anschlussunterbringung",
    "PRIVATWOHNUNG": "Privatunterkunft",
    "JUGENDHILFE": "Jugendhilfe",
    "SONSTIGE": "Sonstige",
    "WEIBLICH": "weiblich",
    "MAENNLICH": "männlich",
    "DIVERS": "divers",
    "OHNE_ANGABE": "ohne Angabe",
    "UNBEKANNT": "unbekannt",
    "unbekannt": "unbekannt",
    "ja": "ja",
    "nein": "nein",
    "SPRACHE": "Sprache",
    "KINDER_FAMILIE_KITA": "Kinder, Familie, Kita",
    "SCHULE_BILDUNG": "Schule, Bildung",
    "AUSBILDUNG_STUDIUM": "Ausbildung, Studium",
    "ARBEIT_BESCHAEFTIGUNG": "Arbeit, Beschäftigung",
    "WOHNEN": "Wohnen",
    "GESUNDHEIT": "Gesundheit",
    "FINANZEN_LEISTUNGEN_BEHOERDEN": "Finanzen, Leistungen, Behörden",
    "AUFENTHALT_RECHT": "Aufenthalt, Recht",
    "SOZIALE_TEILHABE_EHRENAMT_FREIZEIT": "Teilhabe, Ehrenamt, Freizeit",
    "SONSTIGES": "Sonstiges",
    "OFFEN": "offen",
    "IN_BEARBEITUNG": "in Bearbeitung",
    "ERREICHT": "erreicht",
    "TEILWEISE_ERREICHT": "teilweise erreicht",
    "NICHT_ERREICHT": "nicht erreicht",
    "VERWORFEN": "verworfen",
    "mit_begruendung": "mit begründeter Verlängerung",
    "ohne": "ohne begründete Verlängerung",
    "SYR": "Syrien",
    "AFG": "Afghanistan",
    "IRQ": "Irak",
    "ERI": "Eritrea",
    "NGA": "Nigeria",
    "GMB": "Gambia",
    "SOM": "Somalia",
    "IRN": "Iran",
    "PAK": "Pakistan",
    "TUR": "Türkei",
    "UKR": "Ukraine",
    "GEO": "Georgien",
    "MKD": "Nordmazedonien",
    "XXA": "staatenlos",
    "XXX": "ungeklärt",
}


def label(value: str, site_labels: Mapping[str, str] | None = None) -> str:
    """The display text of a value: the site's label (catalogue of the object definition, `labels` in
    kennzahlen.yaml) if given, else the schema's; a key without any label is shown as it is."""
    if value.casefold() == UNBEKANNT:
        return UNBEKANNT  # one "unbekannt", whatever a catalogue calls its own UNBEKANNT entry
    if site_labels and value in site_labels:
        return site_labels[value]
    return LABELS.get(value, value)


_FIXED_ORDER: Final[Mapping[str, tuple[str, ...]]] = {
    "unterbringungsart": (
        "VORLAEUFIGE_UNTERBRINGUNG",
        "ANSCHLUSSUNTERBRINGUNG",
        "PRIVATWOHNUNG",
        "JUGENDHILFE",
        "SONSTIGE",
    ),
    "zielgruppe": ("ja", "nein"),
    "geschlecht": ("WEIBLICH", "MAENNLICH", "DIVERS", "OHNE_ANGABE"),
    "zielstatus": (
        "OFFEN",
        "IN_BEARBEITUNG",
        "ERREICHT",
        "TEILWEISE_ERREICHT",
        "NICHT_ERREICHT",
        "VERWORFEN",
    ),
}
_AGE_BAND: Final = re.compile(r"^(\d+)\s*(?:[–-]|\+)")


def _sort_key(dimension: str, value: str, site_labels: Mapping[str, str] | None) -> tuple[int, int, str]:
    if value.casefold() in (UNBEKANNT, "ohne_angabe"):
        return (3, 0 if value.casefold() == "ohne_angabe" else 1, "")  # rows without an attribute come last
    if value == SONSTIGE or value == "SONSTIGE":
        return (2, 0, "")
    fixed = _FIXED_ORDER.get(dimension, ())
    if value in fixed:
        return (0, fixed.index(value), "")
    band = _AGE_BAND.match(value) if dimension == "altersgruppe" else None
    if band:
        return (0, int(band.group(1)), "")
    return (1, 0, label(value, site_labels).casefold())


def ordered(dimension: str, values: Iterable[str], site_labels: Mapping[str, str] | None = None) -> list[str]:
    """Rows in the reader's order: fixed orders (Unterbringungsart as the county reports it), age groups by
    age, everything else by its label; "Sonstige", then "ohne Angabe" and "unbekannt" last."""
    return sorted(values, key=lambda v: (_sort_key(dimension, v, site_labels), v))


def dimension_title(dimension: str, zielgruppe_cutoff: date | None = None) -> str:
    """`Zielgruppe (Stichtag 15.09.2017)`: the cut-off comes from the parameters, not from code."""
    title = DIMENSION_LABELS.get(dimension, dimension)
    if dimension == "zielgruppe" and zielgruppe_cutoff is not None:
        return f"{title} (Stichtag {de_date(zielgruppe_cutoff)})"
    return title


def de_number(value: int | Decimal | float | None, decimals: int = 0, suppressed: bool = False) -> str:
    """`1.045`, `13,00`, `47,9`; a suppressed cell reads `•`, None (no value) `–`."""
    if suppressed:
        return SUPPRESSED
    if value is None:
        return "–"
    quantum = Decimal(1).scaleb(-decimals)
    number = Decimal(str(value)).quantize(quantum, ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = sign + ".".join(groups)
    return f"{text},{fraction}" if decimals > 0 else text


def de_date(day: date | None) -> str:
    return "" if day is None else f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def de_datetime(moment: datetime | None, zone_name: str = DEFAULT_ZONE) -> str:
    """`06.12.2026, 09:31 Uhr` in the county's local time."""
    if moment is None:
        return ""
    local = moment.astimezone(zone(zone_name))
    return f"{de_date(local.date())}, {local.hour:02d}:{local.minute:02d} Uhr"


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(text: str) -> str:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text
