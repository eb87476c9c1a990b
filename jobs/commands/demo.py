"""`demo` command: the demo county end to end (see jobs/demo.py)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from connector.config import Interface
from connector.enaio.emulator.state import Variant


@click.command("demo")
@click.option(
    "--interface",
    type=click.Choice(["dms", "osrest", "soap"]),
    default="dms",
    show_default=True,
    help="Interface the demo reads through.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output directory.",
)
@click.option(
    "--variant",
    type=click.Choice(["default", "documented"]),
    default="default",
    show_default=True,
    help="Emulator personality (docs/emulator-choices.md); 'documented' serves only what the public "
    "record documents.",
)
def demo(interface: str, out_dir: Path, variant: str) -> None:
    """Start the emulator with the demo county, compute the Kennzahlen of 2018-Q2 and write all reports."""
    from connector.extras import EXTRAS, require

    require(*EXTRAS["emulator"], extra="emulator", purpose="the demo", key="demo")
    require(*EXTRAS["reports"], extra="reports", purpose="the demo's reports", key="demo")
    from jobs.demo import run_demo

    run_demo(cast(Interface, interface), out_dir, click.echo, variant=cast(Variant, variant))
