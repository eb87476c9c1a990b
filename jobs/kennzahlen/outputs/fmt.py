"""German display of numbers, dates and catalogue values, without locale (servers rarely have de_DE).

`LABELS` holds the labels of the normalized schemas' own values (enums, ISO nationality codes), which are the
same for every site. Site values (Regionalteam, Kommune) are labelled from data: the catalogue labels of the
site's object definition and `labels` in mappings/kennzahlen.yaml, carried by the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from jobs.kennzahlen.breakdowns import DIMENSION_LABELS

__all__ = [
    "LABELS",
    "SUPPRESSED",
    "de_date",
    "de_number",
    "dimension_title",
    "label",
    "neutralize_formula",
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
    """The display text of a value: the site's label if given, else the schema's, else the value itself."""
    if site_labels and value in site_labels:
        return site_labels[value]
    return LABELS.get(value, value.replace("_", " ").capitalize() if value.isupper() else value)


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


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(text: str) -> str:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text
