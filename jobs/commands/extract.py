"""`extract` command: a thin click layer over `jobs.extract.run_extract`.

Exit codes: 0 ok · 4 finished, some records quarantined · 2 usage or configuration error · 3 another run
holds the lock · 5 server unreachable (after the retries) · 1 failure.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from connector.config import load_settings
from connector.errors import EnaioError, PartialFailureError, TransientError
from jobs.commands.options import config_option, interface_option, objdef_option
from jobs.kennzahlen.periods import parse_cli_date

__all__ = ["ServerUnreachableError", "extract"]


class ServerUnreachableError(EnaioError):
    """enaio could not be reached even after the retries (exit code 5); the next scheduled run catches up."""

    exit_code = 5


class _Progress:
    """A one-line progress display on a terminal; JSON lines (one per stream step) otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._last: tuple[str, int] | None = None

    def __call__(self, entity: str, read: int) -> None:
        if self.tty:
            click.echo(f"\r{entity:<28} {read:>8} Datensätze gelesen", nl=False, err=True)
        elif self._last is None or self._last[0] != entity:
            click.echo(json.dumps({"event": "stream", "entity": entity, "read": read}), err=True)
        self._last = (entity, read)

    def done(self) -> None:
        if self.tty and self._last is not None:
            click.echo("", err=True)


def _day(value: str | None, option: str) -> date | None:
    return parse_cli_date(value, option) if value else None


@click.command("extract")
@config_option
@click.option(
    "--sink",
    default="sqlite:///out/records.db",
    show_default=True,
    envvar="ENAIO_SINK",
    help="sqlite:///PATH, postgresql://…, parquet:DIR, csv:DIR or jsonl:DIR.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Bookmarks, run lock, last run summary (default: ENAIO_STATE_DIR or the platform's state dir).",
)
@click.option("--entities", default=None, help="Comma-separated entities (default: every mapped one).")
@click.option("--full", is_flag=True, default=False, help="Re-read everything; vanished objects are deleted.")
@click.option("--since", default=None, help="Backfill from this day (modified_at), without moving bookmarks.")
@click.option("--until", default=None, help="Backfill up to this day, inclusive.")
@click.option("--dry-run", is_flag=True, default=False, help="Read and count, write nothing.")
@click.option(
    "--export-identifiers",
    is_flag=True,
    default=False,
    help="Export names, birth dates, free text and identifiers unpseudonymized (writes an audit line).",
)
@click.option(
    "--lookback",
    type=click.IntRange(min=0),
    default=600,
    show_default=True,
    help="Seconds re-read before the bookmark (clock skew, same-second changes).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Rows per sink commit (memory bound; a killed run repeats at most one chunk).",
)
@interface_option("read through")
@objdef_option
@click.option(
    "--allow-quarantine", is_flag=True, default=False, help="Exit 0 even when records were quarantined."
)
def extract(
    config_file: Path | None,
    sink: str,
    state_dir: Path | None,
    entities: str | None,
    full: bool,
    since: str | None,
    until: str | None,
    dry_run: bool,
    export_identifiers: bool,
    lookback: int,
    chunk_size: int,
    interface: str | None,
    allow_quarantine: bool,
) -> None:
    """Extract normalized, pseudonymized records into a sink, incrementally (docs/extraction.md)."""
    from jobs.extract import ExtractOptions, run_extract

    overrides: dict[str, Any] = {"interface": interface} if interface else {}
    settings = load_settings(config_file, overrides=overrides)
    options = ExtractOptions(
        sink=sink,
        state_dir=state_dir,
        entities=tuple(e.strip() for e in entities.split(",") if e.strip()) if entities else (),
        full=full,
        since=_day(since, "--since"),
        until=_day(until, "--until"),
        dry_run=dry_run,
        identifiers=export_identifiers,
        lookback=timedelta(seconds=lookback),
        chunk_size=chunk_size,
    )
    progress = _Progress()
    try:
        summary = run_extract(settings, options, progress=progress)
    except TransientError as exc:
        raise ServerUnreachableError(f"enaio not reachable: {exc}") from None
    finally:
        progress.done()
    click.echo(json.dumps(summary.to_json(), ensure_ascii=False, sort_keys=True))
    if summary.quarantined and not allow_quarantine:
        raise PartialFailureError(
            f"{summary.quarantined} records quarantined: {', '.join(sorted(summary.quarantine))}",
            failed=summary.quarantined,
            succeeded=summary.totals()["read"],
        )
