"""Small-cell suppression: counts below the threshold are not shown outside the Kreis total."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["suppress"]


def suppress(
    value: int | Decimal | None, *, is_total: bool, threshold: int
) -> tuple[int | Decimal | None, bool]:
    """`(value, suppressed)`: a breakdown count 1 … threshold-1 becomes `(None, True)`.

    Zero is shown: an empty cell reveals nothing about a person. Totals are never suppressed.
    """
    if is_total or value is None:
        return value, False
    if 0 < value < threshold:
        return None, True
    return value, False
