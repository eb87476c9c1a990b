"""`check` command: does the mapping profile fit the live server's object definition?"""

from __future__ import annotations

import time
from pathlib import Path

import click

from connector.config import load_settings
from connector.enaio.client import EnaioClient
from jobs.commands.options import config_option, interface_option, objdef_option, profile_option
from mappings import drift, load_profile, misfits


@click.command("check")
@config_option
@profile_option
@interface_option("check")
@objdef_option
def check(config_file: Path | None, profile_ref: str | None, interface: str | None) -> None:
    """Connect, log in, and list every mapped type, field, column or catalogue value the server lacks or
    types differently. Exit 0 when the profile fits, 1 otherwise."""
    started = time.monotonic()
    settings = load_settings(config_file, overrides={"interface": interface} if interface else None)
    profile = load_profile(profile_ref or settings.mapping_profile)
    with EnaioClient(settings) as client:
        info = client.server_info()
        click.echo(f"server:    {info.endpoint}")
        api = info.api_version or "-"
        click.echo(f"interface: {info.interface} (server {info.server_version}, api {api})")
        click.echo(f"user:      {info.user or settings.username or '-'}")
        objdef = client.object_definition()
    source = f", from file {settings.objdef_file}" if settings.objdef_file is not None else ""
    click.echo(
        f"objdef:    {len(objdef.types)} object types, {len(objdef.catalogues)} catalogues"
        f" (version {objdef.version or '-'}{source})"
    )
    click.echo(f"profile:   {profile.site} ({profile.source}), {len(profile.entities)} entities")
    problems = misfits(profile, objdef)
    unmapped = drift(profile, objdef)
    if unmapped:
        click.echo(f"not mapped on the server ({len(unmapped)}, informational):")
        for item in unmapped:
            click.echo(f"  {item}")
    elapsed = time.monotonic() - started
    if problems:
        click.echo(f"profile does NOT fit ({len(problems)} problems):", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        click.echo(f"checked in {elapsed:.1f} s", err=True)
        raise SystemExit(1)
    click.echo(f"profile fits: every mapped type, field, column and catalogue value exists ({elapsed:.1f} s)")
