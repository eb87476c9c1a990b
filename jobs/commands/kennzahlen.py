"""`kennzahlen` and `quality` commands: thin click layers over jobs.kennzahlen.job.

Order of a run: every argument and setting is checked, then the output directory (exit code 2 for all of
these, before enaio is read), then the run lock is taken (exit code 3 if another run holds it) and held until
all outputs are in place; what dead runs left behind is removed under the lock. Each run is published as one
directory, atomically (`jobs.kennzahlen.staging`). Quarantined records give exit code 4 after all outputs
were written ("finished with findings", a WARNING line), unless --allow-quarantine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from connector.config import Settings, load_settings
from connector.errors import UsageError
from connector.runlock import RunLock
from connector.timeutil import now, zone
from jobs.commands.options import config_option, interface_option, objdef_option
from jobs.kennzahlen.periods import (
    RELATIVE_PERIODS,
    Period,
    check_against_today,
    parse_cli_date,
    parse_period,
    period_from_dates,
)
from jobs.kennzahlen.staging import LOCK_NAME, check_out_dir

if TYPE_CHECKING:
    from jobs.kennzahlen.job import JobOutcome
    from jobs.progress import Progress

DEFAULT_FORMATS = ("xlsx", "csv", "json", "html")
"""Mirrors jobs.kennzahlen.outputs.DEFAULT_FORMATS (checked by a test) so --help needs no renderer import."""
TODAY_VARIABLE = "ENAIO_TODAY"
"""Test and re-run hook: "today" for relative periods and the checks against today (ISO date)."""

_CONFIG = config_option
_INTERFACE = interface_option("read through")
_OUT = click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory (created if needed).",
)

_LOCK_FILE = click.option(
    "--lock-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Run lock held for the whole run (default: <out>/{LOCK_NAME}); a second run exits with code 3.",
)
_ALLOW_QUARANTINE = click.option(
    "--allow-quarantine",
    is_flag=True,
    default=False,
    help="Exit 0 even when records were quarantined (default: exit code 4 after writing all outputs).",
)


_ALLOW_OPEN = click.option(
    "--allow-open-period",
    is_flag=True,
    default=False,
    help="Report a period that has not ended yet, or a Stichtag after today (figures are not final).",
)


def today_in(settings: Settings, clock: Callable[[], date] | None = None) -> date:
    """Today in the configured zone; `clock`, or ENAIO_TODAY (ISO date), replaces the real clock."""
    if clock is not None:
        return clock()
    fixed = os.environ.get(TODAY_VARIABLE)
    if fixed:
        return parse_cli_date(fixed, TODAY_VARIABLE)
    return now(zone(settings.timezone)).date()


def resolve_period(
    period: str | None,
    start: str | None,
    end: str | None,
    stichtag: str | None,
    *,
    today: date | None = None,
    allow_open: bool = False,
) -> Period:
    """Exactly one of --period or --from/--to; every date ISO or German; errors are UsageErrors (exit 2).

    With `today`, relative periods resolve against it and the period is checked against it (nothing in the
    future, no Stichtag before the period); `current-quarter` is open by its name, its Stichtag is today.
    """
    day = parse_cli_date(stichtag, "--stichtag") if stichtag else None
    if period is not None:
        if start or end:
            raise UsageError("use either --period or --from/--to, not both")
        current = period.strip().lower() == "current-quarter"
        if current and day is None and today is not None:
            day = today
        chosen = parse_period(period, day, today=today)
        allow_open = allow_open or current
    else:
        if not start or not end:
            raise UsageError(f"give --period (e.g. 2018-Q2 or {RELATIVE_PERIODS[0]}) or both --from and --to")
        chosen = period_from_dates(parse_cli_date(start, "--from"), parse_cli_date(end, "--to"), day)
    if today is not None:
        check_against_today(chosen, today, allow_open=allow_open)
    return chosen


def _settings(config_file: Path | None, interface: str | None) -> Settings:
    overrides: dict[str, Any] = {"interface": interface} if interface else {}
    return load_settings(config_file, overrides=overrides)


def _finish(outcome: JobOutcome, allow_quarantine: bool, note: str | None = None) -> None:
    """Paths (and `note`) on stdout; findings: a WARNING line with the summary, exit code 4 unless allowed.

    Exit 4 means "finished with findings": every file was written, so the line is a warning, not an error.
    """
    if outcome.published is not None:
        click.echo(str(outcome.published))
    for path in outcome.paths:
        click.echo(str(path))
    if note:
        click.echo(note)
    if outcome.findings:
        click.echo(f"WARNING: finished with findings: {outcome.quarantine_summary()}", err=True)
        if not allow_quarantine:
            raise click.exceptions.Exit(4)


def _progress() -> Progress:
    """Counts on stderr while a person watches; nothing under cron, systemd or the Task Scheduler."""
    from jobs.progress import Progress

    return Progress()


@click.command("kennzahlen")
@_CONFIG
@click.option(
    "--period",
    default=None,
    help="2018, 2018-H1, 2018-Q2, 2018-05, or relative to today: last-quarter, last-month, last-year, "
    "current-quarter (for timers).",
)
@click.option("--from", "start", default=None, help="First day (YYYY-MM-DD or DD.MM.YYYY), inclusive.")
@click.option("--to", "end", default=None, help="Last day, inclusive.")
@click.option(
    "--stichtag", default=None, help="Day of the Stichtag figures (default: last day of the period)."
)
@click.option(
    "--format",
    "formats",
    default=",".join(DEFAULT_FORMATS),
    show_default=True,
    help="Comma-separated: xlsx, csv, json, html, pdf (pdf needs the [pdf] extra).",
)
@click.option(
    "--params",
    "params_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Kennzahlen parameters (default: mappings/kennzahlen.yaml).",
)
@click.option(
    "--csv-dialect",
    type=click.Choice(["excel", "rfc4180"]),
    default="excel",
    show_default=True,
    help="excel: German Excel (semicolon, BOM, decimal comma); rfc4180: comma, ISO dates, for programs.",
)
@click.option("--source", type=click.Choice(["live", "sink"]), default="live", help="enaio or a sink.")
@click.option("--sink", "sink_url", default=None, help="--source sink: sqlite:///PATH, postgresql://…")
@_OUT
@_INTERFACE
@objdef_option
@_LOCK_FILE
@_ALLOW_QUARANTINE
@_ALLOW_OPEN
def kennzahlen(
    config_file: Path | None,
    period: str | None,
    start: str | None,
    end: str | None,
    stichtag: str | None,
    formats: str,
    params_file: Path | None,
    out_dir: Path,
    interface: str | None,
    lock_file: Path | None,
    allow_quarantine: bool,
    allow_open_period: bool,
    csv_dialect: str = "excel",
    source: str = "live",
    sink_url: str | None = None,
) -> None:
    """Compute the Kennzahlen (docs/kennzahlen.md) for a period; publish the reports in one directory
    --out/kennzahlen_<period>/ (file names carry the period; manifest.json lists inputs and checksums)."""
    from jobs.extract.statedir import pseudonymizer_for
    from jobs.kennzahlen.job import entities_to_read, period_file_label, run_kennzahlen
    from jobs.kennzahlen.outputs import parse_csv_dialect, parse_formats
    from jobs.kennzahlen.params import load_params
    from jobs.kennzahlen.staging import check_publish_name
    from mappings import load_profile

    if period is None or period.strip().lower() not in RELATIVE_PERIODS:
        resolve_period(period, start, end, stichtag)  # syntax first: a typo is reported before the config
    names = parse_formats(formats)
    params = load_params(params_file)
    settings = _settings(config_file, interface)
    chosen = resolve_period(
        period, start, end, stichtag, today=today_in(settings), allow_open=allow_open_period
    )
    # the configured key, else the installation's own (generated once into the state directory)
    pseudonymizer = pseudonymizer_for(settings)
    if source == "sink":  # issue 13: the same figures from the extraction sink (jobs/extract/from_sink.py)
        from jobs.extract.from_sink import kennzahlen_from_sink

        run = kennzahlen_from_sink(
            sink_url, chosen, out_dir, names, pseudonymizer=pseudonymizer, params=params
        )
        _finish(run, allow_quarantine)
        return
    profile = load_profile(settings.mapping_profile)
    entities_to_read(profile)
    check_out_dir(out_dir)
    check_publish_name(out_dir, f"kennzahlen_{period_file_label(chosen)}")  # before the lock is taken
    inputs = {
        "formats": list(names),
        "params_file": str(params_file) if params_file else None,
        "config_file": str(config_file) if config_file else None,
        "period_argument": period,
        "csv_dialect": csv_dialect,
    }
    with RunLock(lock_file or out_dir / LOCK_NAME, command="enaio-connector kennzahlen") as lock:
        outcome = run_kennzahlen(
            settings,
            chosen,
            out_dir,
            names,
            params=params,
            pseudonymizer=pseudonymizer,
            profile=profile,
            publish=True,
            lock=lock,
            progress=_progress(),
            inputs=inputs,
            csv_dialect=parse_csv_dialect(csv_dialect),
        )
    _finish(outcome, allow_quarantine)


@click.command("quality")
@_CONFIG
@click.option("--stichtag", default=None, help="Day for the maximum-duration check (default: today).")
@_OUT
@_INTERFACE
@objdef_option
@_LOCK_FILE
@_ALLOW_QUARANTINE
def quality(
    config_file: Path | None,
    stichtag: str | None,
    out_dir: Path,
    interface: str | None,
    lock_file: Path | None,
    allow_quarantine: bool,
) -> None:
    """Data-quality report for staff (quality.html, quality.csv), per Integrationsmanager*in, published in
    one directory --out/quality_<stichtag>/."""
    from jobs.kennzahlen.job import run_quality
    from jobs.kennzahlen.staging import check_publish_name
    from mappings import load_profile

    settings = _settings(config_file, interface)
    day: date = parse_cli_date(stichtag, "--stichtag") if stichtag else today_in(settings)
    profile = load_profile(settings.mapping_profile)
    check_out_dir(out_dir)
    check_publish_name(out_dir, f"quality_{day.isoformat()}")
    with RunLock(lock_file or out_dir / LOCK_NAME, command="enaio-connector quality") as lock:
        outcome = run_quality(
            settings,
            day,
            out_dir,
            profile=profile,
            publish=True,
            lock=lock,
            progress=_progress(),
            inputs={"config_file": str(config_file) if config_file else None},
        )
    _finish(outcome, allow_quarantine, f"{outcome.issues} Hinweise")
