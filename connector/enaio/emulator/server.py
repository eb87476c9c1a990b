"""Serve the emulator with waitress (keep-alive, threads), in the foreground or in a background thread."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from types import TracebackType

import waitress
from waitress import wasyncore
from waitress.server import BaseWSGIServer, MultiSocketServer

from connector.enaio.emulator.app import create_app
from connector.enaio.emulator.faults import FaultInjector, FaultRule
from connector.enaio.emulator.state import VARIANTS, EmulatorState, Variant
from connector.enaio.emulator.store import Store
from connector.enaio.objdef import ObjectDefinition, default_site_path, load_objdef
from connector.errors import ConfigurationError, EnaioError
from connector.timeutil import DEFAULT_ZONE, zone

log = logging.getLogger(__name__)

DEMO_USERS = {"demo": "demo"}


def build_state(
    *,
    site: Path | None = None,
    data: Path | None = None,
    users: dict[str, str] | None = None,
    demo: bool = False,
    scale: int = 1,
    timezone: str = DEFAULT_ZONE,
    faults: list[FaultRule] | None = None,
    seed: int | None = None,
    variant: Variant = "default",
) -> EmulatorState:
    """Everything an emulator needs; with ``demo`` the demo county is loaded and user demo/demo exists."""
    if variant not in VARIANTS:
        raise ConfigurationError(
            f"unknown emulator variant {variant!r} (one of: {', '.join(VARIANTS)})", key="--variant"
        )
    site_path = site or default_site_path()
    try:
        objdef: ObjectDefinition = load_objdef(site_path)
    except (OSError, EnaioError) as exc:
        raise ConfigurationError(
            f"cannot load site object definition {site_path}: {_reason(exc)}",
            key="--site",
            source=str(site_path),
        ) from exc
    try:
        tz = zone(timezone)
    except ValueError as exc:
        raise ConfigurationError(str(exc), key="--timezone") from exc
    try:
        store = Store(objdef, path=data, tz=tz)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigurationError(
            f"cannot open emulator data file {data}: {_reason(exc)}", key="--data", source=str(data)
        ) from exc
    all_users = dict(users or {})
    if demo:
        all_users.update(DEMO_USERS)
        if store.max_seq() == 0:
            from connector.enaio.emulator.demo import generate
            from connector.enaio.emulator.loader import load_seed

            summary = load_seed(
                store, generate(scale=scale) if seed is None else generate(scale=scale, seed=seed)
            )
            log.info("demo county loaded: %s", summary)
    return EmulatorState(
        store=store,
        objdef=objdef,
        users=all_users,
        tz=tz,
        faults=FaultInjector(faults or [], seed=0),
        variant=variant,
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


class EmulatorServer:
    """A running emulator on ``host:port`` (port 0 picks a free one); use as a context manager."""

    def __init__(
        self, state: EmulatorState, host: str = "127.0.0.1", port: int = 0, threads: int = 4
    ) -> None:
        self.state = state
        self.app = create_app(state)
        server = waitress.create_server(
            self.app, host=host, port=port, threads=threads, ident="enaio-emulator", asyncore_loop_timeout=0.1
        )
        if isinstance(server, MultiSocketServer):
            raise RuntimeError("emulator listens on one address only")
        self._server: BaseWSGIServer = server
        self.host = host
        self.port = int(server.effective_port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.run, name="enaio-emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.run()

    def close(self) -> None:
        """Stop serving. Every socket is closed inside waitress's loop thread: closing one from outside
        races its ``select()`` (EBADF) and lets a reused file descriptor leak into another server."""
        server = self._server
        if self._thread is None or not self._thread.is_alive():
            server.close()
            return

        def stop_accepting() -> None:
            wasyncore.dispatcher.close(server)  # the listening socket only; the trigger stays
            for channel in list(server.active_channels.values()):
                channel.will_close = True  # idle keep-alive channels close on the next loop turn

        def finish() -> None:
            for channel in list(server.active_channels.values()):
                channel.handle_close()
            server.trigger.close()

        server.trigger.pull_trigger(stop_accepting)
        deadline = time.monotonic() + 2.0
        while len(server._map) > 1 and time.monotonic() < deadline:  # only the trigger left
            time.sleep(0.01)
        server.task_dispatcher.shutdown(timeout=2)
        server.trigger.pull_trigger(finish)
        self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
