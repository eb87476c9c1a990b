"""`jobcenter export`: the consent-gated hand-over to the Jobcenter (docs/writeback.md).

Exit codes besides 0/1/2: 8 no consent AUSTAUSCH_JOBCENTER covers the day (none, revoked, expired; nothing
handed over, the refusal is audited), 7 a different hand-over of that day is already filed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click
import yaml

from connector.config import load_settings
from connector.enaio.client import EnaioClient
from connector.errors import UsageError
from connector.timeutil import now, zone
from jobs.commands.options import config_option, interface_option, objdef_option, profile_option
from mappings import load_profile
from schemas.types import parse_datum

AUDIT_NAME = "jobcenter-audit.jsonl"


def _day(text: str | None, tz_name: str) -> date:
    if text is None:
        return now(zone(tz_name)).date()
    try:
        return parse_datum(text)
    except ValueError as exc:
        raise UsageError(f"--date: {exc}") from None


def _answers(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read form file {path}: {exc.strerror or type(exc).__name__}") from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise UsageError(f"form file {path} is not valid UTF-8 YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"form file {path}: expected a mapping of form fields")
    return {str(k): v for k, v in data.items()}


@click.group("jobcenter")
def jobcenter_group() -> None:
    """Jobcenter hand-over of labour-market data, only with the client's consent."""


@jobcenter_group.command("export")
@click.option("--aktenzeichen", required=True, help="Aktenzeichen of the client.")
@click.option(
    "--date", "day_text", default=None, help="Day of the hand-over (default: today), ISO or DD.MM.YYYY."
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--fall-id", type=int, default=None, help="enaio id of the case (default: the client's open case)."
)
@click.option(
    "--form",
    "form_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML with form answers (schulabschluss, berufsausbildung, ...) overriding the case file.",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="ENAIO_AUDIT_LOG",
    help=f"Audit log (JSON lines, appended; default: <out>/{AUDIT_NAME}).",
)
@config_option
@interface_option("read and write through")
@objdef_option
@profile_option
def export(
    aktenzeichen: str,
    day_text: str | None,
    out_dir: Path,
    fall_id: int | None,
    form_file: Path | None,
    audit_log: Path | None,
    config_file: Path | None,
    interface: str | None,
    profile_ref: str | None,
) -> None:
    """Write the hand-over record to OUT and file it as a Datenweitergabe document in the case, only when a
    consent AUSTAUSCH_JOBCENTER covers the day; every hand-over and every refusal goes to the audit log."""
    from jobs.writeback import AuditLog, FallRef, JobcenterExport

    given = _day(day_text, "UTC") if day_text is not None else None  # input errors before the configuration
    answers = _answers(form_file)
    settings = load_settings(config_file, overrides={"interface": interface} if interface else None)
    day = given or _day(None, settings.timezone)
    profile = load_profile(profile_ref or settings.mapping_profile)
    audit = AuditLog(audit_log or out_dir / AUDIT_NAME)
    with EnaioClient(settings) as client:
        handover = JobcenterExport(client, profile, audit).export(
            aktenzeichen, day, out_dir, fall=FallRef(enaio_id=fall_id), answers=answers
        )
    click.echo(str(handover.path))
    state = "war schon abgelegt" if handover.reused else "abgelegt"
    click.echo(
        f"Datenweitergabe {state}: Dokument {handover.document_id} im Beratungsfall {handover.case.case.id} "
        f"(Einwilligung {handover.consent_id})"
    )


__all__ = ["jobcenter_group"]
