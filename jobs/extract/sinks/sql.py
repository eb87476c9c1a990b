"""SQLite and PostgreSQL sinks through SQLAlchemy 2 Core (PostgreSQL via psycopg 3).

Tables: one per entity (primary key ``enaio_id``), ``_enaio_schema`` (entity, version, columns) and
``_enaio_deletions`` (tombstones). Each ``apply`` is one transaction. A PostgreSQL URL may carry
``?schema=NAME``: the tables then live in that schema (created when missing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError

from connector.errors import ConfigurationError
from jobs.extract.rows import PRIMARY_KEY, Column, TableSpec
from jobs.extract.sinks.base import Deletion, Sink, migration

__all__ = ["SqlSink"]

Row = dict[str, Any]
_TYPES: Mapping[str, Any] = {"int": sa.BigInteger, "bool": sa.Boolean, "date": sa.Date, "text": sa.Text}
_CHUNK = 500


class SqlSink(Sink):
    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.schema: str | None = None
        if parsed.get_backend_name() == "postgresql":
            query = dict(parsed.query)
            schema = query.pop("schema", None)
            self.schema = schema if isinstance(schema, str) else None
            parsed = parsed.set(drivername="postgresql+psycopg", query=query)
        elif parsed.get_backend_name() == "sqlite":
            if parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        else:  # pragma: no cover - open_sink only builds sqlite and postgresql
            raise ConfigurationError(f"unsupported database {parsed.get_backend_name()}", key="--sink")
        self.location = parsed.render_as_string(hide_password=True)
        self.engine = sa.create_engine(parsed)
        self.meta = sa.MetaData(schema=self.schema)
        self.tables: dict[str, sa.Table] = {}
        self._schema_table = sa.Table(
            "_enaio_schema",
            self.meta,
            sa.Column("entity", sa.Text, primary_key=True),
            sa.Column("version", sa.Text, nullable=False),
            sa.Column("columns", sa.Text, nullable=False),
        )
        self._deletions = sa.Table(
            "_enaio_deletions",
            self.meta,
            sa.Column("entity", sa.Text, primary_key=True),
            sa.Column("enaio_id", sa.BigInteger, primary_key=True),
            sa.Column("deleted_at", sa.Text, primary_key=True),
            sa.Column("reason", sa.Text, nullable=False),
        )

    def _table(self, spec: TableSpec) -> sa.Table:
        columns = [
            sa.Column(c.name, _TYPES[c.kind], primary_key=c.name == PRIMARY_KEY, autoincrement=False)
            for c in spec.columns
        ]
        return sa.Table(spec.entity, self.meta, *columns, extend_existing=True)

    def open(self, specs: Mapping[str, TableSpec]) -> set[str]:
        migrated: set[str] = set()
        try:
            with self.engine.begin() as conn:
                if self.schema:
                    conn.execute(sa.schema.CreateSchema(self.schema, if_not_exists=True))
                self._schema_table.create(conn, checkfirst=True)
                self._deletions.create(conn, checkfirst=True)
                recorded = {
                    row.entity: (row.version, row.columns)
                    for row in conn.execute(sa.select(self._schema_table))
                }
                inspector = sa.inspect(conn)
                for entity, spec in specs.items():
                    table = self._table(spec)
                    self.tables[entity] = table
                    if entity not in recorded:
                        if inspector.has_table(entity, schema=self.schema):
                            raise ConfigurationError(
                                f"sink {self.location} has a table {entity} this connector did not create",
                                key="--sink",
                            )
                        table.create(conn)
                        self._record(conn, spec)
                        continue
                    version, columns_json = recorded[entity]
                    old = [Column(name, kind) for name, kind in json.loads(columns_json)]
                    added = migration(self.location, spec, version, old)
                    if version != spec.version:
                        preparer = self.engine.dialect.identifier_preparer
                        for column in added:
                            ddl_type = _TYPES[column.kind]().compile(dialect=self.engine.dialect)
                            conn.execute(
                                sa.text(
                                    f"ALTER TABLE {preparer.format_table(table)} "
                                    f"ADD COLUMN {preparer.quote(column.name)} {ddl_type}"
                                )
                            )
                        conn.execute(
                            sa.delete(self._schema_table).where(self._schema_table.c.entity == entity)
                        )
                        self._record(conn, spec)
                        migrated.add(entity)
        except SQLAlchemyError as exc:
            raise ConfigurationError(
                f"cannot use sink {self.location}: {type(getattr(exc, 'orig', None) or exc).__name__}",
                key="--sink",
            ) from None
        return migrated

    def _record(self, conn: Connection, spec: TableSpec) -> None:
        columns = json.dumps([[c.name, c.kind] for c in spec.columns])
        conn.execute(
            sa.insert(self._schema_table).values(entity=spec.entity, version=spec.version, columns=columns)
        )

    def keys(self, entity: str) -> dict[int, str]:
        table = self.tables[entity]
        with self.engine.connect() as conn:
            return {int(pk): str(h) for pk, h in conn.execute(sa.select(table.c[PRIMARY_KEY], table.c._hash))}

    def _insert(self, table: sa.Table) -> Any:
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def apply(self, entity: str, upserts: Sequence[Row], deletions: Sequence[Deletion]) -> None:
        table = self.tables[entity]
        with self.engine.begin() as conn:
            for start in range(0, len(upserts), _CHUNK):
                chunk = list(upserts[start : start + _CHUNK])
                stmt = self._insert(table)
                update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != PRIMARY_KEY}
                conn.execute(stmt.on_conflict_do_update(index_elements=[PRIMARY_KEY], set_=update), chunk)
            ids = [d.enaio_id for d in deletions]
            for start in range(0, len(ids), _CHUNK):
                conn.execute(sa.delete(table).where(table.c[PRIMARY_KEY].in_(ids[start : start + _CHUNK])))
            if deletions:
                conn.execute(
                    sa.insert(self._deletions),
                    [
                        {
                            "entity": d.entity,
                            "enaio_id": d.enaio_id,
                            "deleted_at": d.deleted_at,
                            "reason": d.reason,
                        }
                        for d in deletions
                    ],
                )

    def rows(self, entity: str) -> Iterator[Row]:
        table = self.tables[entity]
        with self.engine.connect() as conn:
            for row in conn.execute(sa.select(table).order_by(table.c[PRIMARY_KEY])):
                yield dict(row._mapping)

    def tombstones(self) -> list[Deletion]:
        t = self._deletions
        with self.engine.connect() as conn:
            result = conn.execute(sa.select(t).order_by(t.c.entity, t.c.enaio_id, t.c.deleted_at))
            return [Deletion(r.entity, int(r.enaio_id), r.deleted_at, r.reason) for r in result]

    def close(self) -> None:
        self.engine.dispose()
