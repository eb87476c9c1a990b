"""Progress on a terminal: one line on stderr, redrawn in place, only when stderr is a terminal.

Under cron, systemd or the Task Scheduler stderr is a file or the journal: nothing is written there, so
scheduled runs stay quiet (their logs say what happened). Counts only — never a record's content.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Final, TextIO

__all__ = ["Progress"]

_INTERVAL: Final = 0.25
"""Seconds between redraws; counting stays cheap for large counties."""


class Progress:
    """``progress.record("klient")`` per record read (or ``progress("klient", 1200)``, the extraction job's
    callback form); ``progress.phase("writing")`` between steps.

    `enabled` defaults to whether `stream` (stderr) is a terminal; `clock` is injectable for tests.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = _INTERVAL,
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self._clock = clock
        self._interval = interval
        self._started = clock()
        self._drawn = float("-inf")
        self._width = 0
        self.counts: Counter[str] = Counter()
        self.label = "reading"

    def record(self, entity: str) -> None:
        self.counts[entity] += 1
        if self.enabled and self._clock() - self._drawn >= self._interval:
            self._draw()

    def __call__(self, entity: str, read: int) -> None:
        """The extraction job's progress callback: `read` records of `entity` so far."""
        self.counts[entity] = read
        if self.enabled and self._clock() - self._drawn >= self._interval:
            self._draw()

    def phase(self, label: str) -> None:
        self.label = label
        if self.enabled:
            self._draw()

    def close(self) -> None:
        """End the progress line so the next output starts on a fresh line."""
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    def line(self) -> str:
        seconds = self._clock() - self._started
        counts = ", ".join(f"{entity} {n}" for entity, n in self.counts.items())
        return f"{self.label}: {counts or '…'} ({seconds:.0f} s)"

    def _draw(self) -> None:
        text = self.line()
        padding = " " * max(0, self._width - len(text))
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()
        self._width = len(text)
        self._drawn = self._clock()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
