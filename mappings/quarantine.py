"""Quarantine: records that could not be mapped or validated, kept out of the output but never lost.

Only a record without an *identifying* field (schemas: ``"identifying": true``) is quarantined. A record whose
*describing* field is missing or unconvertible is kept with that field empty; the gap is noted in
:attr:`Quarantine.kept` (same entry shape, not written to the JSONL file) for the data-quality report.

An entry names the enaio object (id, type), the schema field and the reason as an error *type*; it never
carries a field value, because values may be personal. The file is JSONL, one entry per line.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import IO

from pydantic import BaseModel, ConfigDict

__all__ = ["Quarantine", "QuarantineEntry"]


class QuarantineEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: str
    enaio_id: int
    enaio_type: str
    field: str | None
    """Schema field (dotted for nested items, e.g. ``ziele.0.zielstatus``); None for whole-record rules."""
    reason: str
    """Error type and a fixed phrase, e.g. ``missing: required value is missing``; never a value."""

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.entity, self.enaio_id, self.field or "", self.reason)


def _undotted(path: str) -> str:
    return ".".join(part for part in path.split(".") if not part.isdigit())


class Quarantine:
    """Collects entries in memory (for the run summary) and, with ``path``, appends them to a JSONL file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: list[QuarantineEntry] = []
        self.kept: list[QuarantineEntry] = []
        """Describing fields left empty in records that were kept (one entry per field)."""
        self._file: IO[str] | None = None

    def add(self, entry: QuarantineEntry) -> None:
        self.entries.append(entry)
        if self.path is not None:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(json.dumps(entry.model_dump(), ensure_ascii=False) + "\n")
            self._file.flush()

    def keep(self, entry: QuarantineEntry) -> None:
        """Note a describing field left empty in a record that was kept (not a quarantined record)."""
        self.kept.append(entry)

    def kept_summary(self) -> dict[str, int]:
        """Counts of describing gaps by ``entity.field: reason`` (item indices dropped)."""
        counts = Counter(
            f"{e.entity}.{_undotted(e.field or '*')}: {e.reason.split(':')[0]}" for e in self.kept
        )
        return dict(sorted(counts.items()))

    def __len__(self) -> int:
        return len(self.entries)

    def objects(self) -> set[tuple[str, int]]:
        """(entity, enaio id) of every quarantined object."""
        return {(entry.entity, entry.enaio_id) for entry in self.entries}

    def summary(self) -> dict[str, int]:
        """Counts by ``entity.field: reason`` (no ids, no values): what a run report prints."""
        counts = Counter(f"{e.entity}.{e.field or '*'}: {e.reason}" for e in self.entries)
        return dict(sorted(counts.items()))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Quarantine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
