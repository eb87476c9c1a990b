"""The emulator's SQLite store: cabinet -> folder -> register -> document, validated like enaio validates.

One connection guarded by an ``RLock`` serves every thread of the WSGI server. Files use WAL. System
times are stored as UTC epoch seconds and returned as aware datetimes in the store's zone, whole seconds.
``seq`` is a store-wide modification stamp that only grows (persisted, never reused, not even after a
hard delete of the newest object); ids come from a persisted sequence too and are never reused.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from connector.enaio.emulator.store.errors import (
    Conflict,
    InvalidValue,
    Locked,
    MissingRequired,
    NotEmpty,
    NotFound,
    NotLocked,
    UnknownType,
    WrongParent,
)
from connector.enaio.emulator.store.sql import Compiler, json_path
from connector.enaio.emulator.store.values import (
    Stored,
    decode_fields,
    decode_row,
    dumps,
    missing_required,
    prepare_fields,
    prepare_tables,
)
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import ObjectDefinition, ObjectType
from connector.enaio.query import Query
from connector.timeutil import DEFAULT_ZONE

log = logging.getLogger(__name__)

FIRST_ID = 1000
_CHUNK = 500  # ids per IN (...) when loading tables/files of a page

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    id INTEGER PRIMARY KEY,
    type_id INTEGER NOT NULL,
    parent_id INTEGER,
    folder_id INTEGER,
    register_id INTEGER,
    created INTEGER NOT NULL,
    creator TEXT NOT NULL,
    modified INTEGER NOT NULL,
    modifier TEXT NOT NULL,
    owner TEXT NOT NULL,
    lock_user TEXT,
    lock_time INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    deleted_root INTEGER,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_type ON objects (type_id, deleted, id);
CREATE INDEX IF NOT EXISTS objects_type_modified ON objects (type_id, modified);
CREATE INDEX IF NOT EXISTS objects_parent ON objects (parent_id);
CREATE INDEX IF NOT EXISTS objects_folder ON objects (folder_id);
CREATE INDEX IF NOT EXISTS objects_seq ON objects (seq);
CREATE INDEX IF NOT EXISTS objects_lock ON objects (lock_user) WHERE lock_user IS NOT NULL;
CREATE TABLE IF NOT EXISTS table_rows (
    object_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    rowpos INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (object_id, field, rowpos)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    object_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (object_id, idx)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    object_id INTEGER NOT NULL,
    type_id INTEGER NOT NULL,
    action INTEGER NOT NULL,
    user TEXT NOT NULL,
    at INTEGER NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_object ON history (object_id);
"""

_COLUMNS = (
    "id, type_id, parent_id, folder_id, register_id, created, creator, modified, modifier, owner, "
    "lock_user, lock_time, deleted, deleted_root, seq, data"
)

_COLUMN_NAMES = tuple(c.strip() for c in _COLUMNS.split(","))
_INSERT_HISTORY = (
    "INSERT INTO history (object_id, type_id, action, user, at, description) VALUES (?, ?, ?, ?, ?, ?)"
)


class HistoryAction(IntEnum):
    """History action codes (server api §6.5) the store writes."""

    CREATED = 2
    INDEX_DATA_CHANGED = 3
    DOCUMENT_CHANGED = 4
    DELETED = 6
    LOCATION_CHANGED = 21
    RESTORED = 28
    PERMANENTLY_DELETED = 29


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    object_id: int
    type_id: int
    action: HistoryAction
    user: str
    timestamp: datetime
    description: str


class FileSource(Protocol):
    """Anything with a name, a MIME type and the bytes (``NewFile``, the demo's ``SeedFile``)."""

    @property
    def name(self) -> str: ...
    @property
    def mime_type(self) -> str: ...
    @property
    def data(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class NewFile:
    name: str
    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SearchPage:
    objects: list[EnaioObject]
    total: int
    """All hits of the query, independent of offset/limit."""


@dataclass(frozen=True, slots=True)
class CheckedOut:
    object: EnaioObject
    since: datetime


@dataclass(slots=True)
class _Row:
    id: int
    type_id: int
    parent_id: int | None
    folder_id: int | None
    register_id: int | None
    created: int
    creator: str
    modified: int
    modifier: str
    owner: str
    lock_user: str | None
    lock_time: int | None
    deleted: int
    deleted_root: int | None
    seq: int
    data: str


@dataclass(slots=True)
class _Counters:
    next_id: int
    seq: int
    dirty: bool = field(default=False)


def _default_clock(tz: ZoneInfo) -> Callable[[], datetime]:
    return lambda: datetime.now(tz)


class Store:
    """The emulator's object store. All public methods are thread-safe."""

    def __init__(
        self,
        objdef: ObjectDefinition,
        *,
        path: str | Path | None = None,
        tz: ZoneInfo | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.objdef = objdef
        self.tz = tz or ZoneInfo(DEFAULT_ZONE)
        self._clock = clock or _default_clock(self.tz)
        self._lock = threading.RLock()
        self.path = None if path is None or str(path) == ":memory:" else Path(path)
        self._conn = sqlite3.connect(
            ":memory:" if self.path is None else str(self.path), check_same_thread=False, isolation_level=None
        )
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=OFF")
        self._conn.executescript(_SCHEMA)
        self._conn.execute("INSERT OR IGNORE INTO counters VALUES ('next_id', ?), ('seq', 0)", (FIRST_ID,))
        stored_etag = self._conn.execute("SELECT value FROM meta WHERE key = 'objdef_etag'").fetchone()
        if stored_etag is None:
            self._conn.execute("INSERT INTO meta VALUES ('objdef_etag', ?)", (objdef.etag,))
        elif stored_etag[0] != objdef.etag:
            log.warning("store %s was filled under another object definition", self.path)
        self._counters = self._read_counters()

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_counters(self) -> _Counters:
        values = dict(self._conn.execute("SELECT name, value FROM counters").fetchall())
        return _Counters(next_id=int(values["next_id"]), seq=int(values["seq"]))

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                if self._counters.dirty:
                    self._conn.executemany(
                        "UPDATE counters SET value = ? WHERE name = ?",
                        [(self._counters.next_id, "next_id"), (self._counters.seq, "seq")],
                    )
                    self._counters.dirty = False
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                # counters stay advanced: a gap in ids/seq is harmless, reuse would not be
                raise

    def _next_id(self) -> int:
        value = self._counters.next_id
        self._counters.next_id += 1
        self._counters.dirty = True
        return value

    def _next_seq(self) -> int:
        self._counters.seq += 1
        self._counters.dirty = True
        return self._counters.seq

    def _now(self) -> int:
        moment = self._clock()
        if moment.tzinfo is None:
            raise ValueError("the store's clock returned a naive datetime")
        return int(moment.timestamp())

    def _dt(self, epoch: int) -> datetime:
        return datetime.fromtimestamp(epoch, UTC).astimezone(self.tz)

    def _type(self, name: str) -> ObjectType:
        found = self.objdef.types_by_name.get(name)
        if found is None:
            raise UnknownType(name)
        return found

    def _type_of(self, row: _Row) -> ObjectType:
        found = self.objdef.types_by_id.get(row.type_id)
        if found is None:
            raise UnknownType(row.type_id)
        return found

    def _fetch(self, object_id: int) -> _Row | None:
        found = self._conn.execute(f"SELECT {_COLUMNS} FROM objects WHERE id = ?", (object_id,)).fetchone()  # noqa: S608
        return _Row(*found) if found else None

    def _row(self, object_id: int, *, include_deleted: bool = False) -> _Row:
        row = self._fetch(object_id)
        if row is None or (row.deleted and not include_deleted):
            state = "in the recycle bin" if row is not None else "not found"
            raise NotFound(f"object {object_id} {state}", object_id=object_id)
        return row

    def _history(self, row: _Row, action: HistoryAction, user: str, at: int, description: str = "") -> None:
        self._conn.execute(
            _INSERT_HISTORY,
            (row.id, row.type_id, int(action), user, at, description),
        )

    def _descendants(self, object_id: int) -> list[_Row]:
        """Every object below ``object_id`` (in the recycle bin or not), parents before children."""
        rows = self._conn.execute(
            "WITH RECURSIVE d(id, depth) AS (SELECT id, 1 FROM objects WHERE parent_id = ? "  # noqa: S608
            "UNION ALL SELECT o.id, d.depth + 1 FROM objects o JOIN d ON o.parent_id = d.id) "
            f"SELECT {_COLUMNS} FROM objects JOIN d USING (id) ORDER BY d.depth, id",
            (object_id,),
        ).fetchall()
        return [_Row(*r) for r in rows]

    @staticmethod
    def _check_lock(row: _Row, user: str) -> None:
        if row.lock_user is not None and row.lock_user != user:
            raise Locked(row.id, row.lock_user)

    # ------------------------------------------------------------------ reading

    def _to_objects(self, rows: Sequence[_Row]) -> list[EnaioObject]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        tables: dict[int, dict[str, list[str]]] = {}
        files: dict[int, list[FileInfo]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for object_id, fname, data in self._conn.execute(
                f"SELECT object_id, field, data FROM table_rows WHERE object_id IN ({marks}) "  # noqa: S608
                "ORDER BY object_id, field, rowpos",
                chunk,
            ):
                tables.setdefault(object_id, {}).setdefault(fname, []).append(data)
            for object_id, idx, name, mime, size in self._conn.execute(
                f"SELECT object_id, idx, name, mime_type, size FROM files WHERE object_id IN ({marks}) "  # noqa: S608
                "ORDER BY object_id, idx",
                chunk,
            ):
                files.setdefault(object_id, []).append(
                    FileInfo(index=idx, name=name, mime_type=mime, size=size)
                )
        return [self._to_object(r, tables.get(r.id, {}), files.get(r.id, [])) for r in rows]

    def _to_object(
        self, row: _Row, tables: Mapping[str, list[str]], files: Sequence[FileInfo]
    ) -> EnaioObject:
        otype = self._type_of(row)
        decoded_tables: dict[str, list[dict[str, FieldValue]]] = {}
        for fname, rows in tables.items():
            fdef = otype.fields_by_name.get(fname)
            if fdef is not None:
                decoded_tables[fname] = [decode_row(fdef.columns, data, self.tz) for data in rows]
        return EnaioObject(
            id=row.id,
            type_id=row.type_id,
            type_name=otype.internal,
            kind=otype.kind,
            parent_id=row.parent_id,
            folder_id=row.folder_id,
            fields=decode_fields(otype, row.data, self.tz),
            tables=decoded_tables,
            created=self._dt(row.created),
            creator=row.creator,
            modified=self._dt(row.modified),
            modifier=row.modifier,
            owner=row.owner,
            locked_by=row.lock_user,
            deleted=bool(row.deleted),
            files=tuple(files),
        )

    def get(self, object_id: int, *, include_deleted: bool = False) -> EnaioObject:
        with self._lock:
            return self._to_objects([self._row(object_id, include_deleted=include_deleted)])[0]

    def search(self, query: Query, *, offset: int = 0, limit: int | None = None) -> SearchPage:
        """Evaluate ``query`` in SQL; hits ordered by ``order_by`` then id (stable paging).

        ``query.max_hits`` caps how far paging reaches; ``total`` is the full hit count.
        """
        if offset < 0 or (limit is not None and limit < 0):
            raise InvalidValue("offset and limit must not be negative")
        compiler = Compiler(self.objdef, self.tz)
        _, where, order = compiler.compile(query)
        if query.max_hits is not None:
            room = max(query.max_hits - offset, 0)
            limit = room if limit is None else min(limit, room)
        with self._lock:
            count_sql = f"SELECT COUNT(*) FROM objects o WHERE {where}"  # noqa: S608
            total = self._conn.execute(count_sql, compiler.params).fetchone()[0]
            if limit == 0:
                return SearchPage(objects=[], total=total)
            sql = f"SELECT {_prefixed()} FROM objects o WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"  # noqa: S608
            params = [*compiler.params, *compiler.order_params, -1 if limit is None else limit, offset]
            rows = [_Row(*r) for r in self._conn.execute(sql, params)]
            return SearchPage(objects=self._to_objects(rows), total=total)

    def iter_all(
        self, type_name: str, *, include_deleted: bool = False, batch: int = 1000
    ) -> Iterator[EnaioObject]:
        """Every object of a type by id, fetched in batches (the lock is released between batches)."""
        otype = self._type(type_name)
        last = -1
        deleted_sql = "" if include_deleted else " AND deleted = 0"
        while True:
            with self._lock:
                rows = [
                    _Row(*r)
                    for r in self._conn.execute(
                        f"SELECT {_COLUMNS} FROM objects WHERE type_id = ? AND id > ?{deleted_sql} "  # noqa: S608
                        "ORDER BY id LIMIT ?",
                        (otype.type_id, last, batch),
                    )
                ]
                objects = self._to_objects(rows)
            if not objects:
                return
            yield from objects
            last = rows[-1].id

    def count(self, type_name: str | None = None, *, include_deleted: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM objects WHERE 1 = 1"
        params: list[Any] = []
        if type_name is not None:
            sql += " AND type_id = ?"
            params.append(self._type(type_name).type_id)
        if not include_deleted:
            sql += " AND deleted = 0"
        with self._lock:
            return int(self._conn.execute(sql, params).fetchone()[0])

    def max_seq(self) -> int:
        """The newest modification stamp (0 for a store that was never written)."""
        with self._lock:
            return self._counters.seq

    def history(self, object_id: int) -> list[HistoryEntry]:
        """History entries, oldest first; kept after a hard delete (action 29)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT object_id, type_id, action, user, at, description FROM history "
                "WHERE object_id = ? ORDER BY id",
                (object_id,),
            ).fetchall()
        if not rows:
            raise NotFound(f"object {object_id} not found", object_id=object_id)
        return [
            HistoryEntry(
                object_id=o, type_id=t, action=HistoryAction(a), user=u, timestamp=self._dt(at), description=d
            )
            for o, t, a, u, at, d in rows
        ]

    def file_content(self, object_id: int, index: int) -> tuple[FileInfo, bytes]:
        """The ``index``-th (1-based) content file of a document."""
        with self._lock:
            self._row(object_id)
            found = self._conn.execute(
                "SELECT idx, name, mime_type, size, content FROM files WHERE object_id = ? AND idx = ?",
                (object_id, index),
            ).fetchone()
        if found is None:
            raise NotFound(f"object {object_id} has no file {index}", object_id=object_id)
        idx, name, mime, size, content = found
        return FileInfo(index=idx, name=name, mime_type=mime, size=size), bytes(content)

    def checked_out(self, user: str) -> list[CheckedOut]:
        """Documents checked out by ``user`` (recycle bin excluded), by id."""
        with self._lock:
            rows = [
                _Row(*r)
                for r in self._conn.execute(
                    f"SELECT {_COLUMNS} FROM objects WHERE lock_user = ? AND deleted = 0 ORDER BY id",  # noqa: S608
                    (user,),
                )
            ]
            objects = self._to_objects(rows)
        return [
            CheckedOut(object=o, since=self._dt(r.lock_time or r.modified))
            for o, r in zip(objects, rows, strict=True)
        ]

    # ------------------------------------------------------------------ writing

    def _parent_for(
        self, otype: ObjectType, parent_id: int | None
    ) -> tuple[_Row | None, int | None, int | None]:
        """``(parent row, folder_id, register_id)`` for a new location of ``otype``; refuses wrong ones."""
        if otype.kind is ObjectKind.FOLDER:
            if parent_id is not None:
                raise WrongParent(
                    f"{otype.internal} is a folder type; folders are top-level (got parent {parent_id})"
                )
            return None, None, None
        if parent_id is None:
            raise WrongParent(f"{otype.internal} needs a parent folder or register")
        parent = self._row(parent_id)
        ptype = self._type_of(parent)
        if not otype.allows_parent(ptype):
            allowed = ", ".join(
                self.objdef.types_by_id[i].internal
                for i in otype.parent_type_ids
                if i in self.objdef.types_by_id
            )
            raise WrongParent(
                f"{otype.internal} may not be filed under {ptype.internal} (object {parent_id})"
                + (f"; allowed: {allowed}" if allowed else "")
            )
        if ptype.kind is ObjectKind.FOLDER:
            return parent, parent.id, None
        return parent, parent.folder_id, parent.id

    def _check_key_fields(
        self, otype: ObjectType, data: Mapping[str, Stored | None], own_id: int | None
    ) -> None:
        for f in otype.fields:
            value = data.get(f.internal)
            if not f.key_field or value is None:
                continue
            clash = self._conn.execute(
                "SELECT id FROM objects "
                "WHERE type_id = ? AND deleted = 0 AND id <> ? AND json_extract(data, ?) = ?",
                (otype.type_id, own_id or -1, json_path(f.internal), value),
            ).fetchone()
            if clash:
                raise Conflict(
                    f"key field {f.qualified_name} value already used by object {clash[0]}",
                    object_id=clash[0],
                )

    def _write_tables(self, object_id: int, tables: Mapping[str, list[dict[str, Stored]]]) -> None:
        for fname, rows in tables.items():
            self._conn.execute("DELETE FROM table_rows WHERE object_id = ? AND field = ?", (object_id, fname))
            self._conn.executemany(
                "INSERT INTO table_rows VALUES (?, ?, ?, ?)",
                [(object_id, fname, pos, dumps(cells)) for pos, cells in enumerate(rows)],
            )

    def _write_files(self, object_id: int, files: Sequence[FileSource], *, replace: bool) -> None:
        if replace:
            self._conn.execute("DELETE FROM files WHERE object_id = ?", (object_id,))
            start = 1
        else:
            start = (
                1
                + self._conn.execute(
                    "SELECT COALESCE(MAX(idx), 0) FROM files WHERE object_id = ?", (object_id,)
                ).fetchone()[0]
            )
        self._conn.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)",
            [
                (object_id, start + i, f.name, f.mime_type, len(f.data), sqlite3.Binary(f.data))
                for i, f in enumerate(files)
            ],
        )

    @staticmethod
    def _check_files(otype: ObjectType, files: Sequence[FileSource] | None) -> None:
        if files and otype.kind is not ObjectKind.DOCUMENT:
            raise InvalidValue(f"{otype.internal} is not a document type; only documents have files")

    def insert(
        self,
        type_name: str,
        parent_id: int | None,
        fields: Mapping[str, Any],
        tables: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
        files: Sequence[FileSource] | None = None,
        *,
        user: str,
        check_key_fields: bool = False,
    ) -> int:
        """Create an object; returns its id. Empty values are ignored; required fields must be present."""
        otype = self._type(type_name)
        prepared = prepare_fields(otype, fields, self.tz)
        data = {k: v for k, v in prepared.items() if v is not None}
        prepared_tables = prepare_tables(otype, tables or {}, self.tz)
        missing = missing_required(otype, data, {k: len(v) for k, v in prepared_tables.items()})
        if missing:
            raise MissingRequired(missing)
        self._check_files(otype, files)
        with self._write():
            _, folder_id, register_id = self._parent_for(otype, parent_id)
            if check_key_fields:
                self._check_key_fields(otype, data, None)
            now = self._now()
            row = _Row(
                id=self._next_id(),
                type_id=otype.type_id,
                parent_id=parent_id,
                folder_id=folder_id,
                register_id=register_id,
                created=now,
                creator=user,
                modified=now,
                modifier=user,
                owner=user,
                lock_user=None,
                lock_time=None,
                deleted=0,
                deleted_root=None,
                seq=self._next_seq(),
                data=dumps(data),
            )
            self._insert_row(row)
            self._write_tables(row.id, prepared_tables)
            if files:
                self._write_files(row.id, files, replace=True)
            self._history(row, HistoryAction.CREATED, user, now)
            return row.id

    def _insert_row(self, row: _Row) -> None:
        self._conn.execute(
            f"INSERT INTO objects ({_COLUMNS}) VALUES ({', '.join('?' for _ in _COLUMN_NAMES)})",  # noqa: S608
            tuple(getattr(row, name) for name in _COLUMN_NAMES),
        )

    def update(
        self,
        object_id: int,
        fields: Mapping[str, Any] | None = None,
        tables: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
        files: Sequence[FileSource] | None = None,
        replace_files: bool = False,
        *,
        user: str,
        expected_modified: datetime | None = None,
        check_key_fields: bool = False,
    ) -> None:
        """Change index data (``None`` clears a field), replace the given tables, add or replace files.

        ``expected_modified`` is the ``modified`` the caller read; if the object changed since -> Conflict.
        """
        with self._write():
            row = self._row(object_id)
            otype = self._type_of(row)
            self._check_lock(row, user)
            if expected_modified is not None:
                if expected_modified.tzinfo is None:
                    raise InvalidValue("expected_modified must be aware")
                if int(expected_modified.timestamp()) != row.modified:
                    changed = self._dt(row.modified).isoformat()
                    raise Conflict(
                        f"object {object_id} was modified at {changed} by {row.modifier}",
                        object_id=object_id,
                    )
            changes = prepare_fields(otype, fields or {}, self.tz)
            cleared = [
                otype.field(k).qualified_name
                for k, v in changes.items()
                if v is None and otype.field(k).required
            ]
            prepared_tables = prepare_tables(otype, tables or {}, self.tz)
            cleared += [
                otype.field(k).qualified_name
                for k, v in prepared_tables.items()
                if not v and otype.field(k).required
            ]
            if cleared:
                raise MissingRequired(cleared)
            self._check_files(otype, files)
            data: dict[str, Stored] = json.loads(row.data)
            for name, value in changes.items():
                if value is None:
                    data.pop(name, None)
                else:
                    data[name] = value
            if check_key_fields:
                self._check_key_fields(otype, data, object_id)
            index_changed = bool(changes or prepared_tables)
            files_changed = bool(files) or replace_files
            if not index_changed and not files_changed:
                return
            now = self._now()
            self._conn.execute(
                "UPDATE objects SET data = ?, modified = ?, modifier = ?, seq = ? WHERE id = ?",
                (dumps(data), now, user, self._next_seq(), object_id),
            )
            self._write_tables(object_id, prepared_tables)
            if files_changed:
                self._write_files(object_id, files or [], replace=replace_files)
            if index_changed:
                names = sorted([*changes, *prepared_tables])
                self._history(row, HistoryAction.INDEX_DATA_CHANGED, user, now, ", ".join(names))
            if files_changed:
                self._history(row, HistoryAction.DOCUMENT_CHANGED, user, now, f"{len(files or [])} file(s)")

    def delete(self, object_id: int, *, hard: bool = False, cascade: bool = False, user: str) -> None:
        """Move to the recycle bin (default) or delete permanently (``hard``, also from the bin).

        A folder or register with children needs ``cascade``; its children go (and come back) with it.
        """
        with self._write():
            row = self._row(object_id, include_deleted=hard)
            self._check_lock(row, user)
            below = self._descendants(object_id)
            if not hard:
                below = [r for r in below if not r.deleted]
            direct = sum(1 for r in below if r.parent_id == object_id)
            if direct and not cascade:
                raise NotEmpty(object_id, direct)
            for r in below:
                self._check_lock(r, user)
            now = self._now()
            if hard:
                for r in [*reversed(below), row]:
                    self._conn.execute("DELETE FROM objects WHERE id = ?", (r.id,))
                    self._conn.execute("DELETE FROM table_rows WHERE object_id = ?", (r.id,))
                    self._conn.execute("DELETE FROM files WHERE object_id = ?", (r.id,))
                    self._next_seq()
                    self._history(r, HistoryAction.PERMANENTLY_DELETED, user, now)
                return
            for r in [row, *below]:
                self._conn.execute(
                    "UPDATE objects SET deleted = 1, deleted_root = ?, modified = ?, modifier = ?, seq = ? "
                    "WHERE id = ?",
                    (object_id, now, user, self._next_seq(), r.id),
                )
                self._history(r, HistoryAction.DELETED, user, now, "" if r is row else f"with {object_id}")

    def restore(self, object_id: int, *, user: str) -> None:
        """Bring an object back from the recycle bin, with the children that were deleted with it."""
        with self._write():
            row = self._row(object_id, include_deleted=True)
            if not row.deleted:
                raise InvalidValue(f"object {object_id} is not in the recycle bin")
            if row.parent_id is not None:
                parent = self._fetch(row.parent_id)
                if parent is None or parent.deleted:
                    raise WrongParent(
                        f"cannot restore object {object_id}: its parent {row.parent_id} is "
                        + ("gone" if parent is None else "in the recycle bin; restore that first")
                    )
            now = self._now()
            rows = [
                row,
                *(r for r in self._descendants(object_id) if r.deleted and r.deleted_root == object_id),
            ]
            for r in rows:
                self._conn.execute(
                    "UPDATE objects SET deleted = 0, deleted_root = NULL, modified = ?, modifier = ?, "
                    "seq = ? WHERE id = ?",
                    (now, user, self._next_seq(), r.id),
                )
                self._history(r, HistoryAction.RESTORED, user, now)

    def move(self, object_id: int, new_parent_id: int, *, user: str) -> None:
        """File a register or document under another parent (history: location changed)."""
        with self._write():
            row = self._row(object_id)
            otype = self._type_of(row)
            self._check_lock(row, user)
            if otype.kind is ObjectKind.FOLDER:
                raise WrongParent(f"{otype.internal} is a folder type; folders are top-level and cannot move")
            below = self._descendants(object_id)
            if new_parent_id == object_id or any(r.id == new_parent_id for r in below):
                raise WrongParent(f"cannot move object {object_id} below itself")
            _, folder_id, register_id = self._parent_for(otype, new_parent_id)
            now = self._now()
            self._conn.execute(
                "UPDATE objects SET parent_id = ?, folder_id = ?, register_id = ?, "
                "modified = ?, modifier = ?, seq = ? WHERE id = ?",
                (new_parent_id, folder_id, register_id, now, user, self._next_seq(), object_id),
            )
            if folder_id != row.folder_id:
                for r in below:  # the folder (SDSTA_ID) of everything below changes too
                    self._conn.execute(
                        "UPDATE objects SET folder_id = ?, seq = ? WHERE id = ?",
                        (folder_id, self._next_seq(), r.id),
                    )
            self._history(
                row, HistoryAction.LOCATION_CHANGED, user, now, f"{row.parent_id} -> {new_parent_id}"
            )

    def checkout(self, object_id: int, *, user: str) -> None:
        """Check a document out for ``user``; Locked (naming the holder) if anyone holds it already."""
        with self._write():
            row = self._row(object_id)
            if self._type_of(row).kind is not ObjectKind.DOCUMENT:
                raise InvalidValue(f"object {object_id} is not a document; only documents can be checked out")
            if row.lock_user is not None:
                raise Locked(object_id, row.lock_user)
            self._conn.execute(
                "UPDATE objects SET lock_user = ?, lock_time = ?, seq = ? WHERE id = ?",
                (user, self._now(), self._next_seq(), object_id),
            )

    def undo_checkout(self, object_id: int, *, user: str, force: bool = False) -> None:
        """Release a check-out; another user's only with ``force`` (enaio's flag 1)."""
        with self._write():
            row = self._row(object_id)
            if row.lock_user is None:
                raise NotLocked(object_id)
            if row.lock_user != user and not force:
                raise Locked(object_id, row.lock_user)
            self._conn.execute(
                "UPDATE objects SET lock_user = NULL, lock_time = NULL, seq = ? WHERE id = ?",
                (self._next_seq(), object_id),
            )

    def checkin(self, object_id: int, files: Sequence[FileSource], *, user: str) -> None:
        """Replace the files of a document checked out by ``user`` and release the lock."""
        with self._lock:  # re-entrant: no other thread gets between the two steps
            row = self._row(object_id)
            if row.lock_user is None:
                raise NotLocked(object_id)
            self._check_lock(row, user)
            self.update(object_id, files=files, replace_files=True, user=user)
            self.undo_checkout(object_id, user=user)

    # ------------------------------------------------------------------ bulk loading (seed data)

    def bulk_writer(self, *, batch_size: int = 5000) -> BulkWriter:
        return BulkWriter(self, batch_size=batch_size)


def _prefixed() -> str:
    return ", ".join(f"o.{c}" for c in _COLUMN_NAMES)


class BulkWriter:
    """Fast path for seed data: pre-validated rows written with ``executemany``, one transaction per batch.

    Use as a context manager; leaving it flushes. The caller validates (see ``emulator.loader``).
    """

    def __init__(self, store: Store, *, batch_size: int) -> None:
        self.store = store
        self.batch_size = batch_size
        self._objects: list[tuple[Any, ...]] = []
        self._tables: list[tuple[int, str, int, str]] = []
        self._files: list[tuple[int, int, str, str, int, bytes]] = []
        self._history: list[tuple[int, int, int, str, int, str]] = []
        self.written = 0

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.flush()

    def add(
        self,
        *,
        type_id: int,
        parent_id: int | None,
        folder_id: int | None,
        register_id: int | None,
        data: Mapping[str, Stored],
        tables: Mapping[str, Sequence[Mapping[str, Stored]]],
        files: Sequence[FileSource],
        created: datetime,
        creator: str,
        modified: datetime,
        modifier: str,
    ) -> int:
        store = self.store
        with store._lock:
            object_id = store._next_id()
            seq = store._next_seq()
        c, m = int(created.timestamp()), int(modified.timestamp())
        self._objects.append(
            (
                object_id,
                type_id,
                parent_id,
                folder_id,
                register_id,
                c,
                creator,
                m,
                modifier,
                creator,
                seq,
                dumps(data),
            )
        )
        for fname, rows in tables.items():
            self._tables.extend((object_id, fname, pos, dumps(cells)) for pos, cells in enumerate(rows))
        self._files.extend(
            (object_id, i, f.name, f.mime_type, len(f.data), f.data) for i, f in enumerate(files, 1)
        )
        self._history.append((object_id, type_id, int(HistoryAction.CREATED), creator, c, ""))
        if m != c or modifier != creator:
            self._history.append((object_id, type_id, int(HistoryAction.INDEX_DATA_CHANGED), modifier, m, ""))
        if len(self._objects) >= self.batch_size:
            self.flush()
        return object_id

    def flush(self) -> None:
        if not self._objects:
            return
        store = self.store
        with store._write() as conn:
            store._counters.dirty = True
            conn.executemany(
                "INSERT INTO objects (id, type_id, parent_id, folder_id, register_id, created, creator, "
                "modified, modifier, owner, seq, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._objects,
            )
            conn.executemany("INSERT INTO table_rows VALUES (?, ?, ?, ?)", self._tables)
            conn.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)", self._files)
            conn.executemany(
                _INSERT_HISTORY,
                self._history,
            )
        self.written += len(self._objects)
        self._objects.clear()
        self._tables.clear()
        self._files.clear()
        self._history.clear()
