"""Sinks of the extraction job, chosen by URL (docs/extraction.md)."""

from __future__ import annotations

from pathlib import Path

from connector.errors import ConfigurationError
from jobs.extract.sinks.base import Deletion, Sink, SinkSchemaError

__all__ = ["DEFAULT_SINK", "Deletion", "Sink", "SinkSchemaError", "open_sink"]

DEFAULT_SINK = "sqlite:///out/records.db"


def open_sink(url: str) -> Sink:
    """``sqlite:///PATH``, ``postgresql://…``, ``parquet:DIR``, ``csv:DIR``, ``jsonl:DIR``."""
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if not sep or not rest:
        raise ConfigurationError(
            f"sink {url!r} has no scheme (sqlite, postgresql, parquet, csv, jsonl)", key="--sink"
        )
    if scheme in ("sqlite", "postgresql", "postgres") or scheme.startswith("postgresql+"):
        from jobs.extract.sinks.sql import SqlSink

        if scheme == "postgres":
            url = "postgresql" + url[len("postgres") :]
        return SqlSink(url)
    directory = Path(rest.removeprefix("//"))
    if scheme == "csv":
        from jobs.extract.sinks.files import CsvSink

        return CsvSink(directory)
    if scheme == "jsonl":
        from jobs.extract.sinks.files import JsonlSink

        return JsonlSink(directory)
    if scheme == "parquet":
        try:
            import pyarrow  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            raise ConfigurationError(
                "the parquet sink needs pyarrow: pip install 'enaio-connector[parquet]'", key="--sink"
            ) from None
        from jobs.extract.sinks.files import ParquetSink

        return ParquetSink(directory)
    raise ConfigurationError(
        f"unknown sink scheme {scheme!r} (sqlite, postgresql, parquet, csv, jsonl)", key="--sink"
    )
