"""The extraction job: one stream per normalized entity, incremental by ``modified_at``, deletion-aware.

Rules (docs/extraction.md): read ``>=`` bookmark minus the lookback window; de-duplicate by primary key
(``enaio_id``) and skip rows whose content hash the sink already holds; a changed child document re-emits its
parent; objects in the recycle bin (listed by every interface through ``Query.deleted``) and objects that
vanished in a full run reach the sink as deletes with a tombstone; the bookmark of a stream is written
atomically, and only after the sink committed everything of that stream.
"""

from __future__ import annotations

import getpass
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from connector.config import Settings
from connector.enaio.client import EnaioClient
from connector.enaio.query import Deleted, Expr, Query, System, is_in
from connector.errors import PermanentError, ResponseFormatError, UsageError
from connector.runlock import RunLock
from connector.timeutil import zone
from jobs.extract.rows import EXPORTED_ENTITIES, PRIMARY_KEY, RowBuilder
from jobs.extract.sinks import Deletion, Sink, open_sink
from jobs.extract.statedir import (
    LOCK_FILE,
    STATE_FILE,
    SUMMARY_FILE,
    Bookmarks,
    pseudonymizer_for,
    resolve_state_dir,
    write_json_atomic,
)
from jobs.extract.telemetry import RequestCounter
from mappings import MappingProfile, Quarantine, RecordReader, load_profile
from schemas import Record

__all__ = [
    "AUDIT_FILE",
    "DEFAULT_CHUNK",
    "DEFAULT_LOOKBACK",
    "ExtractOptions",
    "ExtractSummary",
    "StreamSummary",
    "run_extract",
]

log = logging.getLogger(__name__)

DEFAULT_LOOKBACK: Final = timedelta(minutes=10)
AUDIT_FILE: Final = "identifier-exports.log"
DEFAULT_CHUNK: Final = 2000

Progress = Callable[[str, int], None]
"""(entity, records read so far) - called as a stream advances."""


@dataclass(frozen=True)
class ExtractOptions:
    sink: str = "sqlite:///out/records.db"
    state_dir: Path | None = None
    entities: Sequence[str] = ()
    full: bool = False
    since: date | None = None
    until: date | None = None
    dry_run: bool = False
    identifiers: bool = False
    lookback: timedelta = DEFAULT_LOOKBACK
    chunk_size: int = DEFAULT_CHUNK
    """Rows per sink commit: bounds memory; a killed run loses at most one chunk's work."""


@dataclass
class StreamSummary:
    entity: str
    mode: str  # incremental | full | window
    read: int = 0
    written: int = 0
    deleted: int = 0
    quarantined: int = 0
    reemitted: int = 0
    bookmark: str | None = None


@dataclass
class ExtractSummary:
    sink: str
    started: str
    dry_run: bool
    identifiers: bool
    streams: list[StreamSummary] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    quarantine: dict[str, int] = field(default_factory=dict)

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined for s in self.streams)

    def totals(self) -> dict[str, int]:
        return {
            key: sum(getattr(s, key) for s in self.streams)
            for key in ("read", "written", "deleted", "quarantined", "reemitted")
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "sink": self.sink,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run,
            "identifiers_exported": self.identifiers,
            "totals": self.totals(),
            "requests": self.requests,
            "retries": self.retries,
            "streams": [vars(s) for s in self.streams],
            "quarantine": self.quarantine,
            "notes": self.notes,
        }


def _entities(profile: MappingProfile, requested: Sequence[str]) -> list[str]:
    unknown = [e for e in requested if e not in EXPORTED_ENTITIES]
    if unknown:
        raise UsageError(f"unknown entities: {', '.join(unknown)} (known: {', '.join(EXPORTED_ENTITIES)})")
    wanted = list(requested) or list(EXPORTED_ENTITIES)
    not_mapped = [e for e in requested if e not in profile.entities]
    if not_mapped:
        raise UsageError(f"mapping profile {profile.site} maps no {', '.join(not_mapped)}")
    return [e for e in EXPORTED_ENTITIES if e in wanted and e in profile.entities]


def _local_midnight(day: date, settings: Settings) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone(settings.timezone))


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


class _Extraction:
    def __init__(
        self,
        settings: Settings,
        options: ExtractOptions,
        profile: MappingProfile,
        sink: Sink,
        bookmarks: Bookmarks,
        builder: RowBuilder,
        summary: ExtractSummary,
        progress: Progress | None,
    ) -> None:
        self.settings = settings
        self.options = options
        self.profile = profile
        self.sink = sink
        self.bookmarks = bookmarks
        self.builder = builder
        self.summary = summary
        self.progress = progress
        self.run_at = datetime.now(UTC).isoformat(timespec="seconds")

    def run(self, client: EnaioClient, entities: Sequence[str], migrated: set[str]) -> None:
        quarantine = Quarantine()
        reader = RecordReader(client, self.profile, quarantine=quarantine)
        for entity in entities:
            before = len(quarantine.objects())
            stream = self._stream(client, reader, quarantine, entity, entity in migrated)
            stream.quarantined = len(quarantine.objects()) - before
            self.summary.streams.append(stream)
            log.info(
                "stream %s (%s): read %d, written %d, deleted %d, quarantined %d",
                entity,
                stream.mode,
                stream.read,
                stream.written,
                stream.deleted,
                stream.quarantined,
            )
        self.summary.quarantine = quarantine.summary()

    # --- one stream ---------------------------------------------------------------------------------

    def _stream(
        self, client: EnaioClient, reader: RecordReader, quarantine: Quarantine, entity: str, migrated: bool
    ) -> StreamSummary:
        options = self.options
        spec = self.builder.specs[entity]
        bookmark = self.bookmarks.get(entity)
        window = options.since is not None or options.until is not None
        if window:
            mode = "window"
            since = _local_midnight(options.since, self.settings) if options.since else None
        elif options.full or migrated or bookmark is None:
            mode, since = "full", None
        else:
            mode = "incremental"
            start = _parse(bookmark)
            since = start - options.lookback if start is not None else None
        until = _local_midnight(options.until + timedelta(days=1), self.settings) if options.until else None
        stream = StreamSummary(entity, mode, bookmark=bookmark)
        known = self.sink.keys(entity)
        seen: set[int] = set()
        newest = _parse(bookmark)
        pending: dict[int, dict[str, Any]] = {}

        def take(records: Iterable[Record], reemit: bool = False) -> None:
            nonlocal newest
            for record in records:
                if until is not None and record.modified_at >= until:
                    continue
                stream.read += 1
                stream.reemitted += int(reemit)
                seen.add(record.enaio_id)
                if newest is None or record.modified_at > newest:
                    newest = record.modified_at
                row = self.builder.row(entity, record)
                if known.get(record.enaio_id) != row["_hash"]:
                    pending[record.enaio_id] = row  # de-duplicated by primary key; the last read wins
                if len(pending) >= options.chunk_size:
                    self._flush(entity, stream, pending, known)
                if self.progress and stream.read % 200 == 0:
                    self.progress(entity, stream.read)

        take(reader.iter_records(entity, since=since))
        if mode != "full":
            parents = self._changed_parents(client, entity, since)
            if parents is not None:
                take(reader.iter_records(entity, where=parents), reemit=True)
        self._flush(entity, stream, pending, known)
        deletions: list[Deletion] = []
        if mode == "full":
            kept = {object_id for e, object_id in quarantine.objects() if e == entity}
            deletions = [
                Deletion(entity, pk, self.run_at, "vanished") for pk in sorted(set(known) - seen - kept)
            ]
        else:
            for pk in sorted(self._recycle_bin(client, entity, since) - seen):
                if pk in known:
                    deletions.append(Deletion(entity, pk, self.run_at, "recycle_bin"))
        if deletions and not options.dry_run:
            self.sink.apply(entity, [], deletions)
        stream.deleted = len(deletions)
        if self.progress:
            self.progress(entity, stream.read)
        new_bookmark = newest.isoformat() if newest is not None else None
        if mode != "window" and not options.dry_run:
            self.bookmarks.commit(entity, new_bookmark, spec.version)  # after the sink committed
            stream.bookmark = new_bookmark
        return stream

    def _flush(
        self, entity: str, stream: StreamSummary, pending: dict[int, dict[str, Any]], known: dict[int, str]
    ) -> None:
        if not pending:
            return
        rows = [pending[pk] for pk in sorted(pending)]
        if not self.options.dry_run:
            self.sink.apply(entity, rows, [])
        for row in rows:
            known[int(row[PRIMARY_KEY])] = str(row["_hash"])
        stream.written += len(rows)
        pending.clear()

    def _recycle_bin(self, client: EnaioClient, entity: str, since: datetime | None) -> set[int]:
        """Ids of the entity's type in the recycle bin, deleted (modified) at or after ``since``."""
        type_name = self.profile.entities[entity].type
        query = Query(type_name=type_name, modified_since=since, deleted=Deleted.ONLY)
        try:
            return {obj.id for obj in client.search(query, on_skipped=lambda _skipped: None)}
        except (PermanentError, ResponseFormatError) as exc:
            note = (
                f"{entity}: the recycle bin is not listed ({type(exc).__name__}); "
                "deletions show in --full runs"
            )
            if note not in self.summary.notes:
                self.summary.notes.append(note)
            log.warning("%s", note)
            return set()

    def _changed_parents(self, client: EnaioClient, entity: str, since: datetime | None) -> Expr | None:
        """A filter for the parents of child documents changed (or deleted) since ``since``; None if none."""
        mapping = self.profile.entities[entity]
        conditions: list[Expr] = []
        for fm in mapping.fields.values():
            if fm.children is None or fm.link is None:
                continue
            keys: set[Any] = set()
            for deleted in (Deleted.EXCLUDE, Deleted.ONLY):
                query = Query(type_name=fm.children, modified_since=since, deleted=deleted)
                try:
                    for child in client.search(query, on_skipped=lambda _skipped: None):
                        value = child.fields.get(fm.link.field)
                        if value is not None:
                            keys.add(value)
                except (PermanentError, ResponseFormatError):
                    if deleted is Deleted.EXCLUDE:
                        raise
            if not keys:
                continue
            values = sorted(keys, key=str)
            if fm.link.parent_system == "id":
                conditions.append(is_in(System.OBJECT_ID.value, [int(v) for v in values], system=True))
            elif fm.link.parent_field is not None:
                conditions.append(is_in(fm.link.parent_field, values))
        if not conditions:
            return None
        if len(conditions) == 1:
            return conditions[0]
        from connector.enaio.query import any_of

        return any_of(*conditions)


def _audit(state_dir: Path, summary: ExtractSummary, builder: RowBuilder) -> None:
    """One line per identifier export: who, when, which fields, how many records."""
    from schemas import personal_fields
    from schemas.registry import ENTITIES

    fields = sorted(
        f"{s.entity}.{name}" for s in summary.streams for name in personal_fields(ENTITIES[s.entity])
    )
    line = {
        "who": getpass.getuser(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "sink": summary.sink,
        "fields": fields,
        "records": summary.totals()["written"],
    }
    with (state_dir / AUDIT_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    log.warning("identifiers exported (audit line written to %s)", state_dir / AUDIT_FILE)


def run_extract(
    settings: Settings,
    options: ExtractOptions,
    *,
    profile: MappingProfile | None = None,
    progress: Progress | None = None,
) -> ExtractSummary:
    """The plain job function (cron, systemd, Task Scheduler, or an Airflow task wrapping it)."""
    started = time.monotonic()
    if options.since and options.until and options.since > options.until:
        raise UsageError("--since is after --until")
    if (options.since or options.until) and options.full:
        raise UsageError("use either --full or --since/--until")
    state_dir = resolve_state_dir(options.state_dir)
    profile = profile or load_profile(settings.mapping_profile)
    entities = _entities(profile, options.entities)
    pseudonymizer = None if options.identifiers else pseudonymizer_for(settings, state_dir)
    builder = RowBuilder(pseudonymizer, identifiers=options.identifiers)
    sink = open_sink(options.sink)
    summary = ExtractSummary(
        sink.location, datetime.now(UTC).isoformat(timespec="seconds"), options.dry_run, options.identifiers
    )
    lock = RunLock(state_dir / LOCK_FILE, command="enaio-connector extract")
    with lock, sink, RequestCounter() as counter:
        migrated = sink.open({e: builder.specs[e] for e in entities})
        bookmarks = Bookmarks.load(state_dir / STATE_FILE, sink.location)
        extraction = _Extraction(settings, options, profile, sink, bookmarks, builder, summary, progress)
        try:
            with EnaioClient(settings) as client:
                extraction.run(client, entities, migrated)
        finally:
            summary.requests, summary.retries = counter.requests, counter.retries
            summary.seconds = time.monotonic() - started
            if not options.dry_run:
                write_json_atomic(state_dir / SUMMARY_FILE, summary.to_json())
        if options.identifiers and not options.dry_run:
            _audit(state_dir, summary, builder)
    return summary
