"""Options more than one command shares."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

OBJDEF_VARIABLE = "ENAIO_OBJDEF_FILE"

F = TypeVar("F", bound=Callable[..., Any])


def _use_objdef(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # The command line wins over ENAIO_OBJDEF_FILE and the config file: set the variable for the
    # command's run and put the previous value back when it ends.
    if value is None:
        return
    previous = os.environ.get(OBJDEF_VARIABLE)
    os.environ[OBJDEF_VARIABLE] = value

    def restore() -> None:
        if previous is None:
            os.environ.pop(OBJDEF_VARIABLE, None)
        else:
            os.environ[OBJDEF_VARIABLE] = previous

    ctx.call_on_close(restore)


def objdef_option(command: F) -> F:
    """``--objdef FILE``: the administrator's asobjdef export instead of the server's object definition
    (setting ``objdef_file``; needed where the interface delivers none the client reads, e.g. osrest)."""
    option = click.option(
        "--objdef",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        expose_value=False,
        callback=_use_objdef,
        help="asobjdef XML exported with enaio-editor, used instead of asking the server (objdef_file).",
    )
    return option(command)


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML config file (otherwise ENAIO_* environment variables).",
)
"""``--config FILE``: the one TOML file of an installation."""

profile_option = click.option(
    "--profile",
    "profile_ref",
    default=None,
    help="Mapping profile: a name under mappings/profiles/ or a YAML file (default: mapping_profile).",
)
"""``--profile NAME|FILE``: the site's mapping profile."""


def interface_option(purpose: str) -> Callable[[F], F]:
    """``--interface dms|osrest|soap``; ``purpose`` completes "Interface to …" in the help."""
    return click.option(
        "--interface",
        type=click.Choice(["dms", "osrest", "soap"]),
        default=None,
        help=f"Interface to {purpose} (default: the configured one).",
    )
