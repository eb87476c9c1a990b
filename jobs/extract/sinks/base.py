"""The one sink interface: upsert by primary key, deletes as tombstones, a recorded schema version."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.errors import ConfigurationError
from jobs.extract.rows import Column, TableSpec

__all__ = ["Deletion", "Sink", "SinkSchemaError", "migration"]

Row = dict[str, Any]


@dataclass(frozen=True)
class Deletion:
    """A tombstone: the object was deleted on the server (or vanished in a full run)."""

    entity: str
    enaio_id: int
    deleted_at: str
    reason: str  # "recycle_bin" | "vanished"


class SinkSchemaError(ConfigurationError):
    """The sink holds an entity under another, incompatible schema version (exit code 2)."""


def migration(
    location: str, spec: TableSpec, recorded_version: str, recorded: Sequence[Column]
) -> list[Column]:
    """Columns to add when the recorded table is a prefix-compatible subset of ``spec``; else refuse.

    Only added columns are migrated (the entity is then re-read in full); a removed or retyped column, or
    another export mode (pseudonymized vs identifiers), is never silently mixed into existing rows.
    """
    if recorded_version == spec.version:
        return []
    old = {c.name: c.kind for c in recorded}
    new = {c.name: c.kind for c in spec.columns}
    changed = sorted(name for name, kind in old.items() if new.get(name) != kind)
    if changed:
        raise SinkSchemaError(
            f"sink {location} holds {spec.entity} in schema version {recorded_version}, this export writes "
            f"{spec.version}; columns removed or changed: {', '.join(changed)} (another export mode or "
            "connector version). Write into a new sink, or drop the table and run with --full",
            key="--sink",
            source=location,
        )
    return [c for c in spec.columns if c.name not in old]


class Sink(ABC):
    """Upsert semantics: ``apply`` writes changed rows and deletes for one entity in one commit."""

    location: str

    @abstractmethod
    def open(self, specs: Mapping[str, TableSpec]) -> set[str]:
        """Create or check the tables; returns the entities whose table was migrated (re-read in full)."""

    @abstractmethod
    def keys(self, entity: str) -> dict[int, str]:
        """Primary key → content hash of every row the sink holds for ``entity``."""

    @abstractmethod
    def apply(self, entity: str, upserts: Sequence[Row], deletions: Sequence[Deletion]) -> None:
        """Upsert ``upserts`` and delete (with tombstones) ``deletions``; committed before it returns."""

    @abstractmethod
    def rows(self, entity: str) -> Iterator[Row]:
        """The rows of ``entity`` ordered by primary key, values as the sink holds them."""

    @abstractmethod
    def tombstones(self) -> list[Deletion]:
        """Every recorded deletion, ordered."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
