"""Load seed objects (the demo county) into the emulator store in bulk.

Emulator choice: seed data is written with the seed's own created/modified times and users, and
required-field validation is BYPASSED, because the demo deliberately contains a few legacy records
that lack required index data (migrated records exist in real systems; the mapping layer must
quarantine them). Types, catalogue keys, input lengths, read-only fields (the seed brings server-derived
values such as IM_FALL.HOECHSTDAUER_BIS), parent relations and files-only-on-documents are still checked.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from connector.enaio.emulator.store import FileSource, InvalidValue, NotFound, Store, UnknownType, WrongParent
from connector.enaio.emulator.store.values import missing_required, prepare_fields, prepare_tables
from connector.enaio.model import FieldValue, ObjectKind
from connector.enaio.objdef import ObjectType

__all__ = ["LoadSummary", "SeedLike", "load_seed"]


class SeedLike(Protocol):
    """The shape of ``emulator.demo.seed.SeedObject`` (structural, so tests can use doubles)."""

    @property
    def key(self) -> str: ...
    @property
    def type_name(self) -> str: ...
    @property
    def parent_key(self) -> str | None: ...
    @property
    def fields(self) -> Mapping[str, FieldValue]: ...
    @property
    def tables(self) -> Mapping[str, Sequence[Mapping[str, FieldValue]]]: ...
    @property
    def created(self) -> datetime: ...
    @property
    def creator(self) -> str: ...
    @property
    def modified(self) -> datetime: ...
    @property
    def modifier(self) -> str: ...
    @property
    def files(self) -> Sequence[FileSource]: ...


@dataclass(frozen=True)
class LoadSummary:
    objects: int
    by_type: Mapping[str, int]
    files: int
    table_rows: int
    incomplete: tuple[str, ...] = field(default=())
    """Seed keys of objects written without some required index data."""
    seconds: float = 0.0

    def __str__(self) -> str:
        types = ", ".join(f"{k}={v}" for k, v in sorted(self.by_type.items()))
        return (
            f"{self.objects} objects ({types}), {self.files} files, {self.table_rows} table rows, "
            f"{len(self.incomplete)} incomplete, {self.seconds:.1f} s"
        )


@dataclass(slots=True)
class _Parent:
    id: int
    type: ObjectType
    folder_id: int | None


def load_seed(store: Store, objects: Iterable[SeedLike], *, batch_size: int = 5000) -> LoadSummary:
    """Write ``objects`` (parents before children) into ``store``; one transaction per ``batch_size`` objects.

    Errors name the seed key. Objects written before an error stay (batches already committed).
    """
    started = time.perf_counter()
    objdef = store.objdef
    tz = store.tz
    parents: dict[str, _Parent] = {}  # only folders and registers can be parents
    by_type: dict[str, int] = {}
    incomplete: list[str] = []
    n_files = n_rows = 0
    with store.bulk_writer(batch_size=batch_size) as writer:
        for seed in objects:
            otype = objdef.types_by_name.get(seed.type_name)
            if otype is None:
                raise UnknownType(seed.type_name)
            parent = _parent(seed, otype, parents)
            try:
                prepared = prepare_fields(otype, seed.fields, tz, allow_readonly=True)
                tables = prepare_tables(otype, seed.tables, tz, check_required=False)
            except InvalidValue as exc:
                raise InvalidValue(f"seed object {seed.key}: {exc.message}", field=exc.field) from exc
            data = {k: v for k, v in prepared.items() if v is not None}
            if missing_required(otype, data, {k: len(v) for k, v in tables.items()}):
                incomplete.append(seed.key)
            if seed.files and otype.kind is not ObjectKind.DOCUMENT:
                raise InvalidValue(f"seed object {seed.key}: {otype.internal} is not a document; no files")
            if seed.created.tzinfo is None or seed.modified.tzinfo is None:
                raise InvalidValue(f"seed object {seed.key}: naive created/modified")
            if parent is None:
                folder_id = register_id = None
            elif parent.type.kind is ObjectKind.FOLDER:
                folder_id, register_id = parent.id, None
            else:
                folder_id, register_id = parent.folder_id, parent.id
            object_id = writer.add(
                type_id=otype.type_id,
                parent_id=parent.id if parent else None,
                folder_id=folder_id,
                register_id=register_id,
                data=data,
                tables=tables,
                files=seed.files,
                created=seed.created,
                creator=seed.creator,
                modified=seed.modified,
                modifier=seed.modifier,
            )
            if otype.kind is not ObjectKind.DOCUMENT:
                parents[seed.key] = _Parent(object_id, otype, folder_id)
            by_type[otype.internal] = by_type.get(otype.internal, 0) + 1
            n_files += len(seed.files)
            n_rows += sum(len(rows) for rows in tables.values())
    return LoadSummary(
        objects=sum(by_type.values()),
        by_type=by_type,
        files=n_files,
        table_rows=n_rows,
        incomplete=tuple(incomplete),
        seconds=time.perf_counter() - started,
    )


def _parent(seed: SeedLike, otype: ObjectType, parents: Mapping[str, _Parent]) -> _Parent | None:
    if seed.parent_key is None:
        if otype.kind is not ObjectKind.FOLDER:
            raise WrongParent(f"seed object {seed.key}: {otype.internal} needs a parent")
        return None
    parent = parents.get(seed.parent_key)
    if parent is None:
        raise NotFound(
            f"seed object {seed.key}: parent {seed.parent_key} not loaded (parents must come first; "
            "documents cannot be parents)"
        )
    if not otype.allows_parent(parent.type):
        raise WrongParent(
            f"seed object {seed.key}: {otype.internal} may not be filed under {parent.type.internal}"
        )
    return parent
