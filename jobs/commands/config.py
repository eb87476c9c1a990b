"""``enaio-connector config show``: the effective settings and where each came from, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import click

from connector.config import load_settings


@click.group("config")
def config_group() -> None:
    """Inspect the configuration (file, ENAIO_* environment, secrets directory)."""


@config_group.command("show")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="ENAIO_CONFIG",
    help="TOML config file.",
)
@click.option("--secrets-dir", type=click.Path(path_type=Path, file_okay=False), help="One file per secret.")
def show(config_file: Path | None, secrets_dir: Path | None) -> None:
    """Print the effective settings as JSON; secrets print as ********."""
    settings = load_settings(config_file, secrets_dir=secrets_dir)
    data = json.loads(settings.model_dump_json())
    data["endpoint"] = settings.endpoint()
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))
