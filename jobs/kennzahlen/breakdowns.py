"""Breakdown dimensions: keys, German labels, and the per-person / per-case cell values.

A counted unit carries one value per dimension; every breakdown is one-dimensional (plus the two-key cells of
K09). The Integrationsmanager*in dimension holds the Personalnummer while counting and is pseudonymized only
when the values are turned into records (compute.py), so the staff sheet can still use the number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Final

__all__ = [
    "DIMENSION_LABELS",
    "ORG_DIMS",
    "PERSON_DIMS",
    "SONSTIGE",
    "UNBEKANNT",
    "Dims",
    "cell",
    "top_nationalities",
]

UNBEKANNT: Final = "unbekannt"
SONSTIGE: Final = "Sonstige"

Dims = tuple[tuple[str, str], ...]
"""Sorted (dimension, value) pairs of one cell; () is the total."""

PERSON_DIMS: Final = (
    "geschlecht",
    "altersgruppe",
    "staatsangehoerigkeit",
    "aufenthaltsstatus",
    "unterbringungsart",
    "kommune",
    "zielgruppe",
)
ORG_DIMS: Final = ("regionalteam", "integrationsmanager")

DIMENSION_LABELS: Final[Mapping[str, str]] = {
    "regionalteam": "Regionalteam",
    "kommune": "Kommune",
    "integrationsmanager": "Integrationsmanager*in",
    "geschlecht": "Geschlecht",
    "altersgruppe": "Altersgruppe",
    "staatsangehoerigkeit": "Staatsangehörigkeit",
    "aufenthaltsstatus": "Aufenthaltsstatus",
    "unterbringungsart": "Unterbringungsart",
    "zielgruppe": "Zielgruppe",  # the outputs add the county's Zielgruppen-Stichtag (kennzahlen.yaml)
    "handlungsfeld": "Handlungsfeld",
    "zielstatus": "Zielstatus",
    "abschlussgrund": "Abschlussgrund",
    "verlaengerung": "Verlängerung",
}


def cell(**values: str) -> Dims:
    return tuple(sorted(values.items()))


def top_nationalities(codes: Iterable[str | None], top_n: int) -> frozenset[str]:
    """The `top_n` most frequent codes (ties broken by code, so the choice is deterministic)."""
    counts = Counter(code for code in codes if code is not None)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return frozenset(code for code, _ in ranked[:top_n])
