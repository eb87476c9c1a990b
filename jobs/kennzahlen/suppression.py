"""Small-cell suppression: counts below the threshold are not shown outside the Kreis total.

Primary suppression hides every breakdown count 1 … threshold-1, except cells that say nothing about a person
("unbekannt", "ohne Angabe": a count of people whose attribute is not known reveals no attribute). Secondary
(complementary) suppression makes sure a hidden cell cannot be recovered by subtraction: cells that add up to
a published figure (the cells of one breakdown add up to the Kreis total; the K09 cells of one Handlungsfeld
add up to its K09 cell) form a group, and if exactly one cell of a group is hidden, a second cell of the group
is hidden as well, until no group has exactly one hidden cell. The second cell is the smallest other cell with
an attribute; never a Kreis total, never a cell the county publishes itself (`PUBLISHED`), and an
"unbekannt" cell only when nothing else is left (docs/kennzahlen.md, "Kleine Zellen").

The threshold depends on the audience (`audience_values`): the outputs for the state and the county's own
staff use `suppression.threshold`, the public committee report `suppression.public_threshold`, applied on top.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Final

from jobs.kennzahlen.breakdowns import Dims
from jobs.kennzahlen.rules import METRIC_BY_CODE, RATIO_BASIS
from schemas import Kennzahlwert

__all__ = [
    "PUBLISHED",
    "UNKNOWN_VALUES",
    "audience_values",
    "is_unknown",
    "primary",
    "suppress",
    "suppressed_cells",
]

Value = int | Decimal | None

UNKNOWN_VALUES: Final = frozenset({"unbekannt", "ohne_angabe", "ohne angabe"})
"""Breakdown values (case-folded) that carry no attribute of the people counted in the cell."""

PUBLISHED: Final[Mapping[str, frozenset[str]]] = {"B01": frozenset({"unterbringungsart"})}
"""Breakdowns the county publishes itself (Kreistagsdrucksache 084/18: 2.258 = 436 VU + 1.028 AU + 794 privat;
every report's summary shows them): their cells are never hidden to protect another cell."""


def is_unknown(dims: Dims) -> bool:
    """A breakdown cell whose every value is "unbekannt"/"ohne Angabe" (the total `()` is not such a cell)."""
    return bool(dims) and all(value.casefold() in UNKNOWN_VALUES for _, value in dims)


def primary(value: Value, *, is_total: bool, threshold: int, unknown: bool = False) -> bool:
    """A breakdown count 1 … threshold-1. Zero is shown (an empty cell reveals nothing about a person);
    totals and cells of unknown attribute are never suppressed for being small."""
    return not is_total and not unknown and value is not None and 0 < value < threshold


def suppress(value: Value, *, is_total: bool, threshold: int) -> tuple[Value, bool]:
    """`(value, suppressed)` of one cell under primary suppression only: `(None, True)` when it is small."""
    if primary(value, is_total=is_total, threshold=threshold):
        return None, True
    return value, False


def _groups(cells: Mapping[Dims, Value]) -> list[tuple[Dims, tuple[Dims, ...]]]:
    """(published sum, its parts): per dimension of a cell, the cells differing from it only there.

    The sum of the one-dimensional cells of a dimension is the total `()`; the sum of the K09 cells of one
    Handlungsfeld (over the Zielstatus) is that Handlungsfeld's one-dimensional cell. A group whose sum is not
    published itself is no equation anyone can solve, and is skipped.
    """
    groups: dict[tuple[str, Dims], list[Dims]] = {}
    for dims in cells:
        for index, (name, _) in enumerate(dims):
            groups.setdefault((name, dims[:index] + dims[index + 1 :]), []).append(dims)
    return [(rest, tuple(sorted(parts))) for (_, rest), parts in sorted(groups.items()) if rest in cells]


def _published(code: str | None, cells: Collection[Dims]) -> frozenset[Dims]:
    dimensions = PUBLISHED.get(code or "", frozenset())
    return frozenset(d for d in cells if len(d) == 1 and d[0][0] in dimensions)


def suppressed_cells(
    cells: Mapping[Dims, Value],
    threshold: int,
    *,
    code: str | None = None,
    hidden: Collection[Dims] = (),
) -> frozenset[Dims]:
    """The cells to hide: primary suppression, then secondary suppression to a fixed point.

    `code` names the Kennzahl (for `PUBLISHED`); `hidden` are cells already hidden (a stricter audience
    builds on the cells hidden for a wider one; their values may be None).
    """
    out = set(hidden) | {
        dims
        for dims, value in cells.items()
        if primary(value, is_total=not dims, threshold=threshold, unknown=is_unknown(dims))
    }
    protected = _published(code, cells)
    groups = _groups(cells)
    changed = bool(out)
    while changed:
        changed = False
        for total, parts in groups:
            members = (*parts, total) if total else parts  # the Kreis total is never hidden
            if sum(1 for dims in members if dims in out) != 1:
                continue
            shown = [
                dims
                for dims in members
                if dims not in out and dims not in protected and (cells[dims] or 0) > 0
            ]
            if not shown:
                # The hidden cell is the only non-zero part: it equals the Kreis total, which is shown by
                # rule (a one-dimensional sum cell would be as small as its only part, so hidden already); or
                # every other part is published by the county, so the cell follows from published figures.
                continue
            # the smallest cell with an attribute; an "unbekannt" cell only if no such cell is left
            out.add(min(shown, key=lambda dims: (is_unknown(dims), cells[dims] or 0, dims)))
            changed = True
    return frozenset(out)


def _dims(value: Kennzahlwert) -> Dims:
    return tuple(sorted(value.dimensions.items()))


def audience_values(values: Sequence[Kennzahlwert], threshold: int) -> list[Kennzahlwert]:
    """The records as an audience with a (higher) threshold sees them: cells already suppressed stay hidden,
    cells below `threshold` and the complements they need are hidden in addition (K01/K01n and ratios other
    than K08q, which follows K08, are not suppressed, as in the computation)."""
    by_code: dict[str, dict[Dims, Kennzahlwert]] = {}
    for value in values:
        by_code.setdefault(value.code, {})[_dims(value)] = value
    hide: dict[str, frozenset[Dims]] = {}
    for code, cells in by_code.items():
        metric = METRIC_BY_CODE.get(code)
        if metric is None or not metric.suppressible or metric.kind != "count":
            continue
        hide[code] = suppressed_cells(
            {dims: v.value for dims, v in cells.items()},
            threshold,
            code=code,
            hidden=[dims for dims, v in cells.items() if v.suppressed],
        )
    for ratio, basis in RATIO_BASIS.items():
        if basis in hide:
            hide[ratio] = hide[basis]
    out: list[Kennzahlwert] = []
    for value in values:
        if not value.suppressed and _dims(value) in hide.get(value.code, frozenset()):
            value = value.model_copy(update={"value": None, "suppressed": True})
        out.append(value)
    return out
