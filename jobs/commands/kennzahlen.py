"""`kennzahlen` and `quality` commands: thin click layers over jobs.kennzahlen.job.

Order of a run: every argument and setting is checked, then the output directory (exit code 2 for all of
these, before enaio is read), then the run lock is taken (exit code 3 if another run holds it) and held until
all outputs are in place. Quarantined records give exit code 4 after all outputs were written, unless
--allow-quarantine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from connector.config import Settings, load_settings
from connector.errors import UsageError
from connector.pseudonym import Pseudonymizer
from connector.runlock import RunLock
from connector.timeutil import now, zone
from jobs.kennzahlen.outputs import DEFAULT_FORMATS, parse_formats
from jobs.kennzahlen.params import load_params
from jobs.kennzahlen.periods import Period, parse_cli_date, parse_period, period_from_dates
from jobs.kennzahlen.staging import LOCK_NAME, check_out_dir

if TYPE_CHECKING:
    from jobs.kennzahlen.job import JobOutcome

_CONFIG = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML config file (otherwise ENAIO_* environment variables).",
)
_INTERFACE = click.option(
    "--interface",
    type=click.Choice(["dms", "osrest", "soap"]),
    default=None,
    help="Interface to read through (default: the configured one).",
)
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


def resolve_period(period: str | None, start: str | None, end: str | None, stichtag: str | None) -> Period:
    """Exactly one of --period or --from/--to; every date ISO or German; errors are UsageErrors (exit 2)."""
    day = parse_cli_date(stichtag, "--stichtag") if stichtag else None
    if period is not None:
        if start or end:
            raise UsageError("use either --period or --from/--to, not both")
        return parse_period(period, day)
    if not start or not end:
        raise UsageError("give --period (e.g. 2018-Q2) or both --from and --to")
    return period_from_dates(parse_cli_date(start, "--from"), parse_cli_date(end, "--to"), day)


def _settings(config_file: Path | None, interface: str | None) -> Settings:
    overrides: dict[str, Any] = {"interface": interface} if interface else {}
    return load_settings(config_file, overrides=overrides)


def _finish(outcome: JobOutcome, allow_quarantine: bool, note: str | None = None) -> None:
    """Paths (and `note`) on stdout; quarantined records: a one-line summary, exit code 4 unless allowed."""
    for path in outcome.paths:
        click.echo(str(path))
    if note:
        click.echo(note)
    if outcome.quarantined_total and allow_quarantine:
        click.echo(outcome.quarantine_summary(), err=True)
    elif not allow_quarantine:
        outcome.raise_for_quarantine()


@click.command("kennzahlen")
@_CONFIG
@click.option("--period", default=None, help="2018, 2018-H1, 2018-Q2 or 2018-05.")
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
@_OUT
@_INTERFACE
@_LOCK_FILE
@_ALLOW_QUARANTINE
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
) -> None:
    """Compute the Kennzahlen (docs/kennzahlen.md) for a period and write the reports to --out."""
    from jobs.kennzahlen.job import entities_to_read, job_output_names, run_kennzahlen
    from mappings import load_profile

    chosen = resolve_period(period, start, end, stichtag)
    names = parse_formats(formats)
    params = load_params(params_file)
    settings = _settings(config_file, interface)
    pseudonymizer = Pseudonymizer.from_secret(settings.pseudonym_key)
    profile = load_profile(settings.mapping_profile)
    entities_to_read(profile)
    check_out_dir(out_dir, job_output_names(names))
    with RunLock(lock_file or out_dir / LOCK_NAME):
        outcome = run_kennzahlen(
            settings, chosen, out_dir, names, params=params, pseudonymizer=pseudonymizer, profile=profile
        )
    _finish(outcome, allow_quarantine)


@click.command("quality")
@_CONFIG
@click.option("--stichtag", default=None, help="Day for the maximum-duration check (default: today).")
@_OUT
@_INTERFACE
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
    """Data-quality report for staff (quality.html, quality.csv), per Integrationsmanager*in."""
    from jobs.kennzahlen.job import job_output_names, run_quality
    from mappings import load_profile

    settings = _settings(config_file, interface)
    day: date = parse_cli_date(stichtag, "--stichtag") if stichtag else now(zone(settings.timezone)).date()
    profile = load_profile(settings.mapping_profile)
    check_out_dir(out_dir, job_output_names(quality=True))
    with RunLock(lock_file or out_dir / LOCK_NAME):
        outcome = run_quality(settings, day, out_dir, profile=profile)
    _finish(outcome, allow_quarantine, f"{outcome.issues} Hinweise")
