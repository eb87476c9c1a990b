"""A run lock, so that two runs never write into the same place at once (exit code 3 for the second).

The lock is an advisory lock of the operating system (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
Windows) on a small file that also records its holder (pid, host, start time) for the second run's message.
The operating system drops the lock when the holding process ends, however it ends; a lock file left behind
by a killed run (its pid gone) is therefore stale by construction and is simply taken over. The holder
removes the file when it releases the lock. Standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Final

from connector.errors import ConfigurationError, EnaioError, Recovery

__all__ = ["LockHolder", "RunLock", "RunLockedError"]

_ATTEMPTS: Final = 5
"""Re-tries when the file was replaced between our open and our lock (a holder releasing meanwhile)."""
_MAX_INFO: Final = 4096
_O_BINARY: Final[int] = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_WINDOWS_LOCK_OFFSET: Final = _MAX_INFO
"""Windows locks a byte range and blocks others from reading it: lock a byte after the holder info."""


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock, as far as its file says (any part may be unknown)."""

    pid: int | None = None
    host: str | None = None
    started: str | None = None

    def describe(self) -> str:
        parts = []
        if self.pid is not None:
            parts.append(f"pid {self.pid}")
        if self.host:
            parts.append(f"on {self.host}")
        if self.started:
            parts.append(f"since {self.started}")
        return " ".join(parts) or "holder unknown"


class RunLockedError(EnaioError):
    """Another run holds the lock; wait for it to finish (exit code 3)."""

    recovery = Recovery.FAIL
    exit_code = 3

    def __init__(self, path: Path, holder: LockHolder) -> None:
        super().__init__(f"another run holds the lock {path} ({holder.describe()}); wait for it to finish")
        self.path = path
        self.holder = holder


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    _REMOVE_WHILE_LOCKED: Final = False  # an open file cannot be removed on Windows

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # flock (not lockf): the lock belongs to this open file, so even a second open in the same
        # process conflicts with it.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    _REMOVE_WHILE_LOCKED: Final = True


def _read_holder(fd: int) -> LockHolder:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, _MAX_INFO).decode("utf-8"))
    except (OSError, ValueError):
        return LockHolder()
    if not isinstance(data, dict):
        return LockHolder()
    pid, host, started = data.get("pid"), data.get("host"), data.get("started")
    return LockHolder(
        pid if isinstance(pid, int) else None,
        host if isinstance(host, str) else None,
        started if isinstance(started, str) else None,
    )


def read_holder(path: Path) -> LockHolder | None:
    """The holder recorded in a lock file (None without a file); does not say whether it is still held."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_BINARY)
    except OSError:
        return None
    try:
        return _read_holder(fd)
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


class RunLock:
    """``with RunLock(path): ...`` holds the lock for the block; a second holder gets ``RunLockedError``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunLock:
        if self._fd is not None:
            raise RunLockedError(self.path, self.holder())
        for _ in range(_ATTEMPTS):
            fd = self._open()
            try:
                locked = _try_lock(fd)
            except OSError as exc:
                os.close(fd)
                raise self._unusable(exc) from None
            if not locked:
                holder = _read_holder(fd)
                os.close(fd)
                raise RunLockedError(self.path, holder)
            if _same_file(fd, self.path):
                try:
                    self._record(fd)
                except OSError as exc:
                    _unlock(fd)
                    os.close(fd)
                    raise self._unusable(exc) from None
                self._fd = fd
                return self
            # The holder removed the file between our open and our lock: lock the file now at the path.
            _unlock(fd)
            os.close(fd)
        raise RunLockedError(self.path, read_holder(self.path) or LockHolder())

    def holder(self) -> LockHolder:
        return read_holder(self.path) or LockHolder()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if _REMOVE_WHILE_LOCKED:
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
            _unlock(fd)
        finally:
            os.close(fd)
        if not _REMOVE_WHILE_LOCKED:  # pragma: no cover - Windows: fails harmlessly if another run opened it
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | _O_BINARY, 0o644)
        except OSError as exc:
            raise self._unusable(exc) from None

    def _unusable(self, exc: OSError) -> ConfigurationError:
        return ConfigurationError(
            f"cannot use lock file {self.path}: {exc.strerror or type(exc).__name__}",
            key="--lock-file",
            source=str(self.path),
        )

    @staticmethod
    def _record(fd: int) -> None:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        payload = (json.dumps(info) + "\n").encode("utf-8")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, payload)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
