"""Deterministic inline SVG charts (matplotlib, Agg backend, fixed hash salt, no date metadata)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, cast

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt
from matplotlib.ticker import FuncFormatter

from jobs.kennzahlen.outputs.fmt import SUPPRESSED, de_number

__all__ = ["bar_chart"]

_RC: dict[str, Any] = {
    "svg.hashsalt": "enaio-connector-kennzahlen",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_COLOURS = ("#1f4e79", "#6a9fcb", "#c55a11", "#7f7f7f")


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    horizontal: bool = False,
    width_in: float = 6.5,
) -> str:
    """One (grouped) bar chart as an `<svg>` string; identical input gives byte-identical output.

    A None value is a suppressed cell: no bar is drawn (a bar of height 0 would claim "none"), only the
    suppression mark at its place.
    """
    with plt.rc_context(cast(Any, _RC)):
        height = max(2.4, 0.32 * len(categories) + 1.0) if horizontal else 3.0
        # constrained layout keeps room for a legend outside the axes: it never covers a bar
        fig, ax = plt.subplots(figsize=(width_in, height), layout="constrained")
        try:
            count = max(1, len(series))
            step = 0.8 / count
            positions = list(range(len(categories)))
            for index, (name, values) in enumerate(series):
                offsets = [p - 0.4 + step * (index + 0.5) for p in positions]
                colour = _COLOURS[index % len(_COLOURS)]
                drawn = [(o, v) for o, v in zip(offsets, values, strict=True) if v is not None]
                at = [o for o, _ in drawn]
                heights = [v for _, v in drawn]
                if horizontal:
                    bars = ax.barh(at, heights, height=step, label=name, color=colour)
                else:
                    bars = ax.bar(at, heights, width=step, label=name, color=colour)
                ax.bar_label(bars, labels=[de_number(v) for v in heights], padding=2, fontsize=8)
                for offset, value in zip(offsets, values, strict=True):
                    if value is None:
                        xy = (0.0, offset) if horizontal else (offset, 0.0)
                        ax.annotate(
                            SUPPRESSED,
                            xy,
                            xytext=(2, 0) if horizontal else (0, 2),
                            textcoords="offset points",
                            ha="left" if horizontal else "center",
                            va="center" if horizontal else "bottom",
                            fontsize=8,
                            color=colour,
                        )
            formatter = FuncFormatter(lambda x, _pos: de_number(x))
            if horizontal:
                ax.set_yticks(positions, labels=list(categories))
                ax.invert_yaxis()
                ax.xaxis.set_major_formatter(formatter)
            else:
                ax.set_xticks(positions, labels=list(categories))
                ax.yaxis.set_major_formatter(formatter)
            ax.set_title(title, loc="left", fontsize=10)
            if len(series) > 1:
                fig.legend(frameon=False, fontsize=8, loc="outside lower center", ncols=len(series))
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]
