"""The ``enaio-connector`` command: a thin click layer over plain job functions.

Exit codes (for cron, systemd timers and the Windows Task Scheduler):
0 ok · 1 failed · 2 usage or configuration error · 3 another run holds the lock ·
4 finished with findings (some records quarantined; every file was written) · 130 interrupted (Ctrl-C) ·
143 terminated (SIGTERM, as systemd and ``timeout`` send it).

SIGTERM is handled like Ctrl-C: it raises inside the running job, so every ``with`` block unwinds — the
run's unpublished directory is removed and the run lock released — before the process exits with 143.

Sub-commands import their heavy dependencies (matplotlib, openpyxl, zeep) only when they run, so ``--help``
and ``config show`` start fast.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click

from connector.errors import EnaioError, PartialFailureError
from connector.logs import configure_logging, redact_text

log = logging.getLogger("enaio_connector")


EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException like KeyboardInterrupt, so no ``except Exception`` swallows it."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While the command runs, SIGTERM raises `Terminated` in the main thread (then restored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Main(click.Group):
    """Turns the connector's typed errors into one clear line and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with sigterm_raises():
                return super().invoke(ctx)
        except PartialFailureError as exc:
            # Exit 4: the run finished and wrote everything; a warning, not an error (cron still mails it).
            click.echo(f"WARNING: finished with findings: {redact_text(exc.message)}", err=True)
            ctx.exit(exc.exit_code)
        except EnaioError as exc:
            click.echo(f"error: {redact_text(str(exc))}", err=True)
            log.debug("command failed", exc_info=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted; unpublished files removed, lock released", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Terminated:
            click.echo("terminated (SIGTERM); unpublished files removed, lock released", err=True)
            ctx.exit(EXIT_TERMINATED)
        except Exception as exc:
            # A bug, not a user error: one line on stderr, the redacted traceback only in the DEBUG log.
            click.echo(f"internal error: {type(exc).__name__}: {redact_text(str(exc))}", err=True)
            log.debug("internal error", exc_info=True)
            ctx.exit(1)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="WARNING",
    show_default=True,
    envvar="ENAIO_LOG_LEVEL",
    help="Log level (logs go to stderr).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="ENAIO_LOG_FORMAT",
    help="json writes one JSON object per line, for log collectors.",
)
@click.version_option(package_name="enaio-connector")
def main(log_level: str, log_format: str) -> None:
    """enaio-connector: read, report and write the enaio case data of the Integrationsmanagement."""
    configure_logging(log_level.upper(), "json" if log_format == "json" else "text", _personal_field_names())


def _personal_field_names() -> set[str]:
    """Schema fields marked personal; their values are redacted wherever a log record names them."""
    from schemas import ENTITIES, personal_fields

    return {name.rsplit(".", 1)[-1] for model in ENTITIES.values() for name in personal_fields(model)}


def _register() -> None:
    from jobs.commands.config import config_group
    from jobs.commands.schema import schema

    main.add_command(config_group)
    main.add_command(schema)
    main.add_command(__import__("jobs.commands.emulator", fromlist=["emulator"]).emulator)
    main.add_command(__import__("jobs.commands.check", fromlist=["check"]).check)
    from jobs.commands.demo import demo
    from jobs.commands.kennzahlen import kennzahlen
    from jobs.commands.quality import quality

    main.add_command(kennzahlen)
    main.add_command(quality)
    main.add_command(demo)
    main.add_command(__import__("jobs.commands.plan", fromlist=["plan_group"]).plan_group)
    main.add_command(__import__("jobs.commands.jobcenter", fromlist=["jobcenter_group"]).jobcenter_group)
    main.add_command(__import__("jobs.commands.extract", fromlist=["extract"]).extract)


_register()


def run() -> None:  # pragma: no cover - console entry for python -m
    main(prog_name="enaio-connector")
    sys.exit(0)
