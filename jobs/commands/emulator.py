"""`emulator` command group: run the local enaio emulator, or write the demo county into a SQLite file."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from connector.enaio.emulator.faults import FaultRule, FaultSpecError, parse_fault_spec
from connector.extras import require
from connector.timeutil import DEFAULT_ZONE, zone

if TYPE_CHECKING:
    from connector.enaio.emulator.store import Store

INTERFACE_PATHS = (("dms", "/api/dms"), ("osrest", "/osrest/api"), ("soap", "/osws/services/EcmWsMtom"))


def _users(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    users: dict[str, str] = {}
    for value in values:
        name, sep, password = value.partition(":")
        if not sep or not name.strip() or not password:
            # Never echo the value: it holds a password.
            raise click.BadParameter("expected NAME:PASSWORD with a non-empty name and password", ctx, param)
        if name in users:
            raise click.BadParameter(f"user {name!r} given twice", ctx, param)
        users[name.strip()] = password
    return users


def _faults(ctx: click.Context, param: click.Parameter, value: str | None) -> list[FaultRule]:
    if value is None:
        return []
    try:
        return parse_fault_spec(value)
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _timezone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        zone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
    return value


_site_option = click.option(
    "--site",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The site's object definition (asobjdef XML); default: the packaged county site.",
)
_scale_option = click.option(
    "--scale",
    type=click.IntRange(min=1, max=1000),
    default=1,
    show_default=True,
    help="Size of the demo county (1 is the real county's size).",
)
_timezone_option = click.option(
    "--timezone",
    default=DEFAULT_ZONE,
    show_default=True,
    callback=_timezone,
    help="The server's local time zone (enaio speaks local time).",
)


@click.group()
def emulator() -> None:
    """The local enaio emulator: dms, osrest and soap interfaces over one store."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8050,
    show_default=True,
    help="Port (0 picks a free one).",
)
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file of the store (kept between runs); default: in memory.",
)
@_site_option
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME:PASSWORD",
    callback=_users,
    help="A login of the emulator; repeat for more. --demo adds demo:demo.",
)
@click.option(
    "--demo", is_flag=True, help="Load the demo county (if the store is empty); adds user demo/demo."
)
@_scale_option
@click.option(
    "--faults",
    metavar="SPEC",
    callback=_faults,
    help="Fault rules, e.g. '503:p=0.2:path=/api/dms;reset:every=25' (docs/emulator-choices.md).",
)
@_timezone_option
@click.option(
    "--variant",
    type=click.Choice(["default", "documented"]),
    default="default",
    show_default=True,
    help="Personality: 'documented' serves only what the public record documents and takes the other "
    "plausible choice where it is silent (docs/emulator-choices.md).",
)
def serve(
    host: str,
    port: int,
    data: Path | None,
    site: Path | None,
    users: dict[str, str],
    demo: bool,
    scale: int,
    faults: list[FaultRule],
    timezone: str,
    variant: str,
) -> None:
    """Serve the emulator in the foreground until Ctrl-C."""
    require("flask", "waitress", extra="emulator", purpose="the emulator", key="emulator")
    from connector.enaio.emulator.server import EmulatorServer, build_state

    started = time.perf_counter()
    state = build_state(
        site=site,
        data=data,
        users=users,
        demo=demo,
        scale=scale,
        timezone=timezone,
        faults=faults,
        variant="documented" if variant == "documented" else "default",
    )
    try:
        server = EmulatorServer(state, host=host, port=port)
    except OSError as exc:
        _close_store(state.store)
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"enaio emulator on {server.url} (ready in {time.perf_counter() - started:.1f} s)")
    for name, path in INTERFACE_PATHS:
        click.echo(f"  {name:<7} {server.url}{path}")
    click.echo(f"  variant {state.variant}")
    click.echo(f"  users   {', '.join(sorted(state.users)) or '(none: pass --user NAME:PASSWORD)'}")
    if faults:
        click.echo(f"  faults  {'; '.join(rule.spec() for rule in faults)}")
    click.echo("Ctrl-C stops.")

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
        _close_store(state.store)
    click.echo("stopped")


@emulator.command()
@click.option("--demo", is_flag=True, help="Write the demo county (the only source so far).")
@_scale_option
@click.option(
    "--data",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file to write.",
)
@click.option("--force", is_flag=True, help="Replace an existing file.")
@_site_option
@_timezone_option
def seed(demo: bool, scale: int, data: Path, force: bool, site: Path | None, timezone: str) -> None:
    """Write seed data into a SQLite store file for `emulator serve --data`."""
    if not demo:
        raise click.UsageError("nothing to seed: pass --demo")
    if data.exists():
        if not force:
            raise click.UsageError(f"{data} exists; pass --force to replace it")
        for leftover in (data, data.with_name(data.name + "-wal"), data.with_name(data.name + "-shm")):
            leftover.unlink(missing_ok=True)
    from connector.enaio.emulator.demo import generate
    from connector.enaio.emulator.loader import load_seed
    from connector.enaio.emulator.store import Store
    from connector.enaio.objdef import default_site_path, load_objdef

    started = time.perf_counter()
    objdef = load_objdef(site or default_site_path())
    store = Store(objdef, path=data, tz=zone(timezone))
    try:
        summary = load_seed(store, generate(scale=scale))
    finally:
        _close_store(store)
    seconds = time.perf_counter() - started
    click.echo(f"demo county (scale {scale}) written to {data} in {seconds:.1f} s")
    click.echo(f"  {'objects':<24} {summary.objects:>8}")
    for type_name, count in sorted(summary.by_type.items()):
        click.echo(f"    {type_name:<22} {count:>8}")
    click.echo(f"  {'files':<24} {summary.files:>8}")


def _close_store(store: Store) -> None:
    close = getattr(store, "close", None)
    if callable(close):
        close()
