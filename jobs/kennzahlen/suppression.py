"""Small-cell suppression: counts below the threshold are not shown outside the Kreis total.

Primary suppression hides every breakdown count 1 … threshold-1. Secondary (complementary) suppression makes
sure a hidden cell cannot be recovered by subtraction: cells that add up to a published figure (the cells of
one breakdown add up to the Kreis total; the K09 cells of one Handlungsfeld add up to its K09 cell) form a
group, and if exactly one cell of a group is hidden, the next-smallest non-zero shown cell of the group is
hidden as well, until no group has exactly one hidden cell (docs/kennzahlen.md, "Kleine Zellen").
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from jobs.kennzahlen.breakdowns import Dims

__all__ = ["primary", "suppress", "suppressed_cells"]

Value = int | Decimal | None


def primary(value: Value, *, is_total: bool, threshold: int) -> bool:
    """A breakdown count 1 … threshold-1. Zero is shown (an empty cell reveals nothing about a person);
    totals are never suppressed."""
    return not is_total and value is not None and 0 < value < threshold


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


def suppressed_cells(cells: Mapping[Dims, Value], threshold: int) -> frozenset[Dims]:
    """The cells to hide: primary suppression, then secondary suppression to a fixed point."""
    hidden = {dims for dims, value in cells.items() if primary(value, is_total=not dims, threshold=threshold)}
    groups = _groups(cells)
    changed = bool(hidden)
    while changed:
        changed = False
        for total, parts in groups:
            members = (*parts, total) if total else parts  # the Kreis total is never hidden
            if sum(1 for dims in members if dims in hidden) != 1:
                continue
            shown = [dims for dims in members if dims not in hidden and (cells[dims] or 0) > 0]
            if not shown:
                # The hidden cell is the only non-zero part: it equals the Kreis total, which is shown by
                # rule. (A one-dimensional sum cell would be as small as its only part, so hidden already.)
                continue
            hidden.add(min(shown, key=lambda dims: (cells[dims] or 0, dims)))
            changed = True
    return frozenset(hidden)
