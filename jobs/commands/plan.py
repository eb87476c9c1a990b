"""`plan put` and `plan template`: Integrationspläne from a YAML file into enaio (docs/writeback.md).

Exit codes besides 0/1/2: 6 a plan document is checked out by someone (nothing written), 7 it changed in
enaio since it was read (nothing overwritten).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from connector.config import Settings, load_settings
from connector.enaio.client import EnaioClient
from connector.timeutil import now, zone
from jobs.commands.options import config_option, interface_option, objdef_option, profile_option
from mappings import MappingProfile, load_profile

_CONFIG = config_option
_INTERFACE = interface_option("write through")
_PROFILE = profile_option


def _setup(
    config_file: Path | None, interface: str | None, profile_ref: str | None
) -> tuple[Settings, MappingProfile]:
    settings = load_settings(config_file, overrides={"interface": interface} if interface else None)
    return settings, load_profile(profile_ref or settings.mapping_profile)


@click.group("plan")
def plan_group() -> None:
    """Integrationspläne: file a plan from a YAML file (with Fortschreibung), or print a starting file."""


@plan_group.command("put")
@click.argument("plan_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, default=False, help="Print the exact payload as JSON; write nothing."
)
@click.option(
    "--template",
    "template",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="ENAIO_PLAN_TEMPLATE",
    help="DOCX template of the plan document (default: the packaged German one).",
)
@_CONFIG
@_INTERFACE
@objdef_option
@_PROFILE
def put(
    plan_file: Path,
    dry_run: bool,
    template: Path | None,
    config_file: Path | None,
    interface: str | None,
    profile_ref: str | None,
) -> None:
    """File the plan in PLAN_FILE under the client's folder and case: a first plan, the next version
    (Fortschreibung: the agreed previous plan becomes FORTGESCHRIEBEN) or an update of a draft."""
    from jobs.writeback import load_plan_file, put_plan

    plan = load_plan_file(plan_file)
    settings, profile = _setup(config_file, interface, profile_ref)
    with EnaioClient(settings) as client:
        action = put_plan(client, profile, plan, dry_run=dry_run, template=template)
    if dry_run:
        click.echo(json.dumps(action.payload(), ensure_ascii=False, indent=2))
        return
    where = f"Beratungsfall {action.case.case.id} (Aktenzeichen {action.case.aktenzeichen})"
    if action.kind == "unchanged":
        click.echo(
            f"unverändert: der Plan liegt schon als Dokument {action.document_id} "
            f"(Version {action.version}) in {where}"
        )
    elif action.kind == "update_draft":
        click.echo(
            f"Entwurf aktualisiert: Dokument {action.document_id} (Version {action.version}) in {where}"
        )
    else:
        click.echo(f"abgelegt: Dokument {action.document_id}, Version {action.version}, in {where}")
        if action.previous is not None and action.previous_change:
            click.echo(
                f"fortgeschrieben: Dokument {action.previous.id} hat jetzt den Planstatus FORTGESCHRIEBEN"
            )


@plan_group.command("template")
@click.option("--aktenzeichen", required=True, help="Aktenzeichen of the client.")
@_CONFIG
@_INTERFACE
@objdef_option
@_PROFILE
def template_cmd(
    aktenzeichen: str, config_file: Path | None, interface: str | None, profile_ref: str | None
) -> None:
    """Print a valid plan file (YAML, German comments) for the client's open case; goals of the case's latest
    plan are filled in as a starting point for a Fortschreibung."""
    from jobs.writeback.template import plan_template

    settings, profile = _setup(config_file, interface, profile_ref)
    today: date = now(zone(settings.timezone)).date()
    with EnaioClient(settings) as client:
        text = plan_template(client, profile, aktenzeichen, today)
    click.echo(text, nl=False)


__all__ = ["plan_group"]
