"""The state directory: bookmarks, run lock, last run summary and the installation's pseudonym key.

Default per platform: ``%LOCALAPPDATA%\\enaio-connector`` on Windows, else ``$XDG_STATE_HOME/enaio-connector``
(``~/.local/state/enaio-connector``); ``--state-dir`` or ``ENAIO_STATE_DIR`` override it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from connector.config import Settings
from connector.errors import ConfigurationError
from connector.pseudonym import Pseudonymizer

__all__ = [
    "KEY_FILE",
    "LOCK_FILE",
    "STATE_FILE",
    "SUMMARY_FILE",
    "Bookmarks",
    "default_state_dir",
    "pseudonymizer_for",
    "resolve_state_dir",
    "write_json_atomic",
]

log = logging.getLogger(__name__)

STATE_FILE: Final = "extract-state.json"
LOCK_FILE: Final = "extract.lock"
SUMMARY_FILE: Final = "last-run.json"
KEY_FILE: Final = "pseudonym.key"
_APP: Final = "enaio-connector"


def default_state_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    env = os.environ if env is None else env
    if (platform or sys.platform) == "win32":
        base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / _APP
    xdg = env.get("XDG_STATE_HOME")
    return Path(xdg) / _APP if xdg else Path.home() / ".local" / "state" / _APP


def resolve_state_dir(option: Path | None, env: Mapping[str, str] | None = None) -> Path:
    """``--state-dir``, else ``ENAIO_STATE_DIR``, else the platform default; created (owner-only)."""
    env = os.environ if env is None else env
    path = option or (Path(env["ENAIO_STATE_DIR"]) if env.get("ENAIO_STATE_DIR") else default_state_dir(env))
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create state directory {path}: {exc.strerror or exc}",
            key="--state-dir",
            source=str(path),
        ) from None
    return path


def write_json_atomic(path: Path, data: Any) -> None:
    """JSON through a temporary file, fsync and rename: readers see the old or the new file, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pseudonymizer_for(settings: Settings, state_dir: Path | None = None) -> Pseudonymizer:
    """The configured key (``ENAIO_PSEUDONYM_KEY`` / secrets file); without one, the installation's own key.

    The fallback key is generated once into ``<state dir>/pseudonym.key`` with owner-only permissions and a
    warning, so pseudonyms stay stable for this installation. Used by ``extract`` and ``kennzahlen``.
    """
    secret = settings.pseudonym_key
    if secret is not None and secret.get_secret_value():
        return Pseudonymizer.from_secret(secret)
    directory = state_dir or resolve_state_dir(None)
    path = directory / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigurationError(
            f"no pseudonym key configured and cannot create {path}: {exc.strerror or exc}",
            key="pseudonym_key",
        ) from None
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        log.warning(
            "no pseudonym key configured (ENAIO_PSEUDONYM_KEY); generated one for this installation in %s - "
            "back it up: without it pseudonyms cannot be reproduced",
            path,
        )
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read pseudonym key {path}: {exc.strerror or exc}", key="pseudonym_key"
        ) from None
    return Pseudonymizer(key.encode("utf-8"))


@dataclass
class Bookmarks:
    """Per stream: the replication-key bookmark (ISO datetime) and the sink's schema version it belongs to."""

    path: Path
    streams: dict[str, dict[str, str]] = field(default_factory=dict)
    sink: str | None = None

    @classmethod
    def load(cls, path: Path, sink: str) -> Bookmarks:
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read state file {path}: {exc}", key="--state-dir") from None
        sinks = data.get("sinks", {}) if isinstance(data, dict) else {}
        return cls(path, dict(sinks.get(sink, {})), sink)

    def get(self, stream: str) -> str | None:
        return self.streams.get(stream, {}).get("bookmark")

    def commit(self, stream: str, bookmark: str | None, version: str) -> None:
        """Record ``bookmark`` for ``stream`` (only after the sink committed); written atomically."""
        if bookmark is None:
            self.streams.pop(stream, None)
        else:
            self.streams[stream] = {"bookmark": bookmark, "schema_version": version}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        except (OSError, ValueError):
            data = {}
        sinks = data.setdefault("sinks", {}) if isinstance(data, dict) else {}
        sinks[self.sink or ""] = self.streams
        write_json_atomic(self.path, {"sinks": sinks})
