"""`schema` command group: generate and check the JSON Schema files of the normalized records."""

from __future__ import annotations

from pathlib import Path

import click

from connector.errors import UsageError
from schemas.export import JSON_DIR, export_json_schemas, stale_json_schemas


@click.group()
def schema() -> None:
    """Normalized record schemas."""


@schema.command("export")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, dir_okay=True, writable=True, path_type=Path),
    default=JSON_DIR,
    show_default="the packaged schemas/json",
    help="Directory for the <entity>.schema.json files.",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 and list the files that differ from the models."
)
def export(out: Path, check: bool) -> None:
    """Write the JSON Schema of every entity, or check that the files are current."""
    if check:
        stale = stale_json_schemas(out)
        if stale:
            click.echo(f"JSON Schema files out of date in {out}:", err=True)
            for name in stale:
                click.echo(f"  {name}", err=True)
            click.echo("Run `enaio-connector schema export` to regenerate them.", err=True)
            raise SystemExit(1)
        click.echo(f"JSON Schema files in {out} are up to date.")
        return
    try:
        written = export_json_schemas(out)
    except OSError as exc:
        raise UsageError(f"cannot write JSON Schema files to {out}: {exc.strerror or exc}") from exc
    for path in written:
        click.echo(str(path))
