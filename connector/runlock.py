"""A run lock, so that two runs never write into the same place at once (exit code 3 for the second).

The lock itself is the `filelock` package (``flock`` on POSIX, ``LockFileEx`` on Windows): the operating
system drops it when the holding process ends, however it ends (SIGKILL, power loss), so a lock left behind
by a dead run is never stale. The lock file is kept after release on purpose: deleting it would open a race
between a releasing holder and a new one (the old hand-written lock needed a retry loop for that).

Who holds the lock (pid, host, start time, command) is written into a small JSON file beside it,
``<lock>.holder.json``, so the second run's message can name the holder. The holder file is only
information: it is read when the lock is busy and removed on release.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Final

from filelock import FileLock, Timeout

from connector.errors import ConfigurationError, EnaioError, Recovery

__all__ = ["HOLDER_SUFFIX", "LockHolder", "RunLock", "RunLockedError", "holder_path", "read_holder"]

HOLDER_SUFFIX: Final = ".holder.json"
_MAX_INFO: Final = 4096
_MAX_COMMAND: Final = 200


def holder_path(lock_path: Path) -> Path:
    """The file beside the lock that names its holder."""
    return lock_path.with_name(lock_path.name + HOLDER_SUFFIX)


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock, as far as its holder file says (any part may be unknown)."""

    pid: int | None = None
    host: str | None = None
    started: str | None = None
    command: str | None = None

    def describe(self) -> str:
        parts = []
        if self.pid is not None:
            parts.append(f"pid {self.pid}")
        if self.host:
            parts.append(f"on {self.host}")
        if self.started:
            parts.append(f"since {self.started}")
        if self.command:
            parts.append(f"running '{self.command}'")
        return " ".join(parts) or "holder unknown"


class RunLockedError(EnaioError):
    """Another run holds the lock; wait for it to finish (exit code 3)."""

    recovery = Recovery.FAIL
    exit_code = 3

    def __init__(self, path: Path, holder: LockHolder) -> None:
        super().__init__(f"another run holds the lock {path} ({holder.describe()}); wait for it to finish")
        self.path = path
        self.holder = holder


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def read_holder(path: Path) -> LockHolder | None:
    """The holder recorded beside the lock `path` (None without a holder file); does not say whether the
    lock is still held."""
    try:
        with holder_path(path).open("rb") as handle:
            raw = handle.read(_MAX_INFO)
    except OSError:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        return LockHolder()
    if not isinstance(data, dict):
        return LockHolder()
    pid = data.get("pid")
    return LockHolder(
        pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        _text(data.get("host")),
        _text(data.get("started")),
        _text(data.get("command")),
    )


def _command() -> str:
    """The program and its sub-command, without options or their values (a value could be a path)."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    words: list[str] = []
    skip_value = False
    for arg in sys.argv[1:]:
        if arg.startswith("-"):
            skip_value = "=" not in arg
        elif skip_value:
            skip_value = False
        else:
            words.append(arg)
    return " ".join([program, *words[:2]])[:_MAX_COMMAND]


class RunLock:
    """``with RunLock(path): ...`` holds the lock for the block; a second holder gets ``RunLockedError``.

    `command` is recorded for the second run's message (default: the program and its sub-command).
    """

    def __init__(self, path: Path, *, command: str | None = None) -> None:
        self.path = path
        self.command = command
        self._lock: FileLock | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def acquire(self) -> RunLock:
        if self._lock is not None:
            raise RunLockedError(self.path, self.holder())
        # One FileLock per acquisition and not thread-local: a second RunLock on the same path, even in
        # this process, must see the lock as taken (filelock's own locks are re-entrant).
        lock = FileLock(self.path, timeout=0, thread_local=False, is_singleton=False)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            raise RunLockedError(self.path, self.holder()) from None
        except OSError as exc:
            raise self._unusable(exc) from None
        try:
            self._record()
        except OSError as exc:
            lock.release()
            raise self._unusable(exc) from None
        self._lock = lock
        return self

    def holder(self) -> LockHolder:
        return read_holder(self.path) or LockHolder()

    def release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is None:
            return
        try:
            with contextlib.suppress(OSError):
                holder_path(self.path).unlink()
        finally:
            lock.release()

    def _unusable(self, exc: OSError) -> ConfigurationError:
        return ConfigurationError(
            f"cannot use lock file {self.path}: {exc.strerror or type(exc).__name__}",
            key="--lock-file",
            source=str(self.path),
        )

    def _record(self) -> None:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": self.command or _command(),
        }
        target = holder_path(self.path)
        temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(info) + "\n", encoding="utf-8")
        os.replace(temporary, target)  # a reader sees the old holder file or the new one, never half of it

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
