"""Run lock: one holder at a time (exit code 3 for the second), stale locks taken over, release on error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from connector.errors import EnaioError, Recovery
from connector.runlock import RunLock, RunLockedError, read_holder

_HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from connector.runlock import RunLock

    with RunLock(Path(sys.argv[1])):
        print("locked", flush=True)
        sys.stdin.readline()
    """
)


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_second_acquisition_fails_with_exit_code_3(tmp_path: Path) -> None:
    path = tmp_path / ".enaio-connector.lock"
    with RunLock(path):
        holder = read_holder(path)
        assert holder is not None
        assert holder.pid == os.getpid()
        with pytest.raises(RunLockedError) as caught:
            RunLock(path).acquire()
    error = caught.value
    assert isinstance(error, EnaioError)
    assert error.exit_code == 3
    assert error.recovery is Recovery.FAIL
    assert f"pid {os.getpid()}" in str(error)
    assert str(path) in str(error)
    assert not path.exists()  # released and removed


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError, match=f"pid {holder.pid}") as caught:
            RunLock(path).acquire()
        assert caught.value.exit_code == 3
        assert caught.value.holder.pid == holder.pid
    finally:
        holder.kill()  # dies without releasing: its lock file stays behind, with a dead pid
        holder.wait()
    assert path.exists()
    with RunLock(path):  # the operating system dropped the dead holder's lock
        recorded = read_holder(path)
        assert recorded is not None
        assert recorded.pid == os.getpid()


def test_stale_lock_of_a_dead_pid_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    dead = _dead_pid()
    path.write_text(json.dumps({"pid": dead, "host": "here", "started": "2018-07-31T02:00:00+00:00"}))
    with RunLock(path) as lock:
        assert lock.held
        recorded = read_holder(path)
        assert recorded is not None
        assert recorded.pid == os.getpid() != dead
    assert not path.exists()


def test_lock_is_released_on_error(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    lock = RunLock(path)
    with pytest.raises(RuntimeError, match="boom"), lock:
        raise RuntimeError("boom")
    assert not lock.held
    assert not path.exists()
    with RunLock(path) as again:
        assert again.held


def test_garbage_in_the_lock_file_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    path.write_bytes(b"\x00not json")
    with RunLock(path):
        assert read_holder(path) is not None


def test_unusable_lock_path_is_a_configuration_error(tmp_path: Path) -> None:
    from connector.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="cannot use lock file") as caught:
        RunLock(tmp_path / "missing-dir" / "run.lock").acquire()
    assert caught.value.exit_code == 2


def test_lock_file_replaced_between_open_and_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A releasing holder removes the file after we opened it and before we locked it: we would hold a lock on
    # a file nobody else can see. The lock must be taken again on the file now at the path.
    from connector import runlock

    path = tmp_path / "run.lock"
    real = runlock._try_lock
    calls: list[int] = []

    def racing(fd: int) -> bool:
        if not calls:
            path.unlink()
            path.write_text("", encoding="utf-8")
        calls.append(fd)
        return real(fd)

    monkeypatch.setattr(runlock, "_try_lock", racing)
    with RunLock(path):
        assert len(calls) == 2
        recorded = read_holder(path)
        assert recorded is not None
        assert recorded.pid == os.getpid()


def test_holder_details(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    assert read_holder(path) is None
    path.write_text(json.dumps({"pid": "12", "host": 3}), encoding="utf-8")
    holder = read_holder(path)
    assert holder is not None
    assert holder.describe() == "holder unknown"
    lock = RunLock(path).acquire()
    try:
        with pytest.raises(RunLockedError):
            lock.acquire()  # the same object twice
        assert lock.holder().host
    finally:
        lock.release()
    lock.release()  # twice is harmless
