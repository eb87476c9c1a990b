"""What every surface of the emulator shares: the store, the site's object definition, users, clock zone."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from connector.enaio.emulator.faults import FaultInjector
    from connector.enaio.emulator.store import Store
    from connector.enaio.objdef import ObjectDefinition


Variant = Literal["default", "documented"]
"""The emulator's personality. ``default`` makes the choices listed in ``docs/emulator-choices.md``;
``documented`` serves only what the public record documents and, where it is silent, takes the *other*
plausible choice, so a client that depends on one emulator guess fails a test."""

VARIANTS: tuple[Variant, ...] = ("default", "documented")


@dataclass
class EmulatorState:
    store: Store
    objdef: ObjectDefinition
    users: dict[str, str]
    """login -> password"""
    tz: ZoneInfo
    faults: FaultInjector
    server_version: str = "10.10 (emulator)"
    variant: Variant = "default"
    _sessions: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def documented(self) -> bool:
        """True for the ``documented`` personality."""
        return self.variant == "documented"

    def check_password(self, user: str | None, password: str | None) -> bool:
        if user is None or password is None:
            return False
        expected = self.users.get(user)
        return expected is not None and secrets.compare_digest(expected, password)

    def open_session(self, user: str) -> str:
        """A new session id (osrest JSESSIONID / sessionguid) bound to ``user``."""
        session_id = secrets.token_hex(16).upper()
        with self._lock:
            self._sessions[session_id] = user
        return session_id

    def session_user(self, session_id: str | None) -> str | None:
        if not session_id:
            return None
        with self._lock:
            return self._sessions.get(session_id)

    def expire_sessions(self) -> None:
        """Forget every session (fault injection: 'expired session')."""
        with self._lock:
            self._sessions.clear()
