"""File sinks: CSV (German Excel dialect), JSONL and Parquet, one directory each.

Upsert semantics on files: the entity's rows are loaded, changed, and written back through a temporary file
renamed over the old one (per file atomic). ``_schema.json`` records the schema version per entity,
``_deletions.<ext>`` the tombstones. Sized for a county (tens of thousands of rows per entity), not for
billions; use the SQL sinks for more.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from connector.errors import ConfigurationError
from jobs.extract.rows import HASH_COLUMN, PRIMARY_KEY, REPLICATION_KEY, Column, TableSpec
from jobs.extract.sinks.base import Deletion, Sink, migration

__all__ = ["CsvSink", "JsonlSink", "ParquetSink", "neutralize"]

Row = dict[str, Any]
_SCHEMA_FILE = "_schema.json"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DELETION_FIELDS = ("entity", "enaio_id", "deleted_at", "reason")


def neutralize(text: str) -> str:
    """A text cell Excel would read as a formula gets a leading apostrophe (OWASP CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _FileSink(Sink):
    ext: str

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.location = f"{self.ext}:{directory}"
        self.specs: dict[str, TableSpec] = {}
        self._cache: dict[str, dict[int, Row]] = {}

    def open(self, specs: Mapping[str, TableSpec]) -> set[str]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            meta_path = self.directory / _SCHEMA_FILE
            recorded: dict[str, Any] = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot use sink {self.location}: {exc}", key="--sink") from None
        migrated: set[str] = set()
        for entity, spec in specs.items():
            self.specs[entity] = spec
            entry = recorded.get(entity)
            if entry is not None:
                old = [Column(name, kind) for name, kind in entry["columns"]]
                migration(self.location, spec, entry["version"], old)
                if entry["version"] != spec.version:
                    migrated.add(entity)
            recorded[entity] = {"version": spec.version, "columns": [[c.name, c.kind] for c in spec.columns]}
        _atomic_write(meta_path, (json.dumps(recorded, indent=2, sort_keys=True) + "\n").encode())
        return migrated

    def _rows(self, entity: str) -> dict[int, Row]:
        if entity not in self._cache:
            self._cache[entity] = {int(r[PRIMARY_KEY]): r for r in self._load(entity)}
        return self._cache[entity]

    def keys(self, entity: str) -> dict[int, str]:
        return {pk: str(row[HASH_COLUMN]) for pk, row in self._rows(entity).items()}

    def apply(self, entity: str, upserts: Sequence[Row], deletions: Sequence[Deletion]) -> None:
        if not upserts and not deletions:
            return
        current = dict(self._rows(entity))
        spec = self.specs[entity]
        for row in upserts:
            current[int(row[PRIMARY_KEY])] = self._encode(spec, row)
        for deletion in deletions:
            current.pop(deletion.enaio_id, None)
        ordered = [current[pk] for pk in sorted(current)]
        self._dump(entity, ordered)
        self._cache[entity] = current
        if deletions:
            self._dump_deletions([*self.tombstones(), *deletions])

    def rows(self, entity: str) -> Iterator[Row]:
        rows = self._rows(entity)
        for pk in sorted(rows):
            yield rows[pk]

    @abstractmethod
    def _load(self, entity: str) -> list[Row]: ...

    @abstractmethod
    def _dump(self, entity: str, rows: list[Row]) -> None: ...

    @abstractmethod
    def _encode(self, spec: TableSpec, row: Row) -> Row: ...

    @abstractmethod
    def _dump_deletions(self, deletions: list[Deletion]) -> None: ...


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


class JsonlSink(_FileSink):
    """``DIR/<entity>.jsonl``: one JSON object per line, dates ISO."""

    ext = "jsonl"

    def _path(self, entity: str) -> Path:
        return self.directory / f"{entity}.jsonl"

    def _load(self, entity: str) -> list[Row]:
        path = self._path(entity)
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def _encode(self, spec: TableSpec, row: Row) -> Row:
        return {c.name: _json_value(row.get(c.name)) for c in spec.columns}

    def _dump(self, entity: str, rows: list[Row]) -> None:
        text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
        _atomic_write(self._path(entity), text.encode("utf-8"))

    def tombstones(self) -> list[Deletion]:
        path = self.directory / "_deletions.jsonl"
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as handle:
            return [Deletion(**json.loads(line)) for line in handle if line.strip()]

    def _dump_deletions(self, deletions: list[Deletion]) -> None:
        text = "".join(
            json.dumps({f: getattr(d, f) for f in _DELETION_FIELDS}, sort_keys=True) + "\n" for d in deletions
        )
        _atomic_write(self.directory / "_deletions.jsonl", text.encode("utf-8"))


class CsvSink(_FileSink):
    """``DIR/<entity>.csv`` for Excel in German locales: ``;``, UTF-8 with BOM, formulas neutralized."""

    ext = "csv"

    def _path(self, entity: str) -> Path:
        return self.directory / f"{entity}.csv"

    def _read(self, path: Path) -> list[Row]:
        if not path.exists():
            return []
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle, delimiter=";"))

    def _write(self, path: Path, names: Sequence[str], rows: list[Row]) -> None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(names), delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        _atomic_write(path, buffer.getvalue().encode("utf-8-sig"))

    def _load(self, entity: str) -> list[Row]:
        return self._read(self._path(entity))

    def _encode(self, spec: TableSpec, row: Row) -> Row:
        out: Row = {}
        for column in spec.columns:
            value = row.get(column.name)
            if value is None:
                out[column.name] = ""
            elif column.kind == "bool":
                out[column.name] = "ja" if value else "nein"
            elif column.kind == "date":
                out[column.name] = value.isoformat()
            elif column.kind == "text":
                out[column.name] = neutralize(str(value))
            else:
                out[column.name] = str(value)
        return out

    def _dump(self, entity: str, rows: list[Row]) -> None:
        self._write(self._path(entity), self.specs[entity].names, rows)

    def tombstones(self) -> list[Deletion]:
        rows = self._read(self.directory / "_deletions.csv")
        return [Deletion(r["entity"], int(r["enaio_id"]), r["deleted_at"], r["reason"]) for r in rows]

    def _dump_deletions(self, deletions: list[Deletion]) -> None:
        rows = [{f: getattr(d, f) for f in _DELETION_FIELDS} for d in deletions]
        self._write(self.directory / "_deletions.csv", _DELETION_FIELDS, rows)


class ParquetSink(_FileSink):
    """``DIR/<entity>/month=YYYY-MM/part.parquet``: partitioned by entity and month of ``modified_at``."""

    ext = "parquet"

    def _arrow_schema(self, spec: TableSpec) -> Any:
        import pyarrow as pa  # type: ignore[import-untyped]

        types = {"int": pa.int64(), "bool": pa.bool_(), "date": pa.date32(), "text": pa.string()}
        return pa.schema([(c.name, types[c.kind]) for c in spec.columns])

    def _load(self, entity: str) -> list[Row]:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        rows: list[Row] = []
        for path in sorted((self.directory / entity).glob("month=*/part.parquet")):
            rows.extend(pq.read_table(path).to_pylist())
        return rows

    def _encode(self, spec: TableSpec, row: Row) -> Row:
        return {c.name: row.get(c.name) for c in spec.columns}

    def _dump(self, entity: str, rows: list[Row]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = self._arrow_schema(self.specs[entity])
        months: dict[str, list[Row]] = {}
        for row in rows:
            months.setdefault(str(row[REPLICATION_KEY])[:7], []).append(row)
        base = self.directory / entity
        for old in base.glob("month=*") if base.exists() else ():
            if old.name.removeprefix("month=") not in months:
                shutil.rmtree(old)
        for month, part in months.items():
            table = pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in part], schema=schema)
            buffer = pa.BufferOutputStream()
            pq.write_table(table, buffer)
            _atomic_write(base / f"month={month}" / "part.parquet", buffer.getvalue().to_pybytes())

    def tombstones(self) -> list[Deletion]:
        import pyarrow.parquet as pq

        path = self.directory / "_deletions.parquet"
        if not path.exists():
            return []
        return [Deletion(**r) for r in pq.read_table(path).to_pylist()]

    def _dump_deletions(self, deletions: list[Deletion]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema(
            [
                ("entity", pa.string()),
                ("enaio_id", pa.int64()),
                ("deleted_at", pa.string()),
                ("reason", pa.string()),
            ]
        )
        table = pa.Table.from_pylist(
            [{f: getattr(d, f) for f in _DELETION_FIELDS} for d in deletions], schema=schema
        )
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer)
        _atomic_write(self.directory / "_deletions.parquet", buffer.getvalue().to_pybytes())
