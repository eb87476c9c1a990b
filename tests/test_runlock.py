"""Run lock on `filelock`: one holder at a time (exit code 3 for the second, naming the holder), a dead
holder's lock taken over, release on error, holder information beside the lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from connector.errors import ConfigurationError, EnaioError, Recovery
from connector.runlock import LockHolder, RunLock, RunLockedError, holder_path, read_holder

_HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from connector.runlock import RunLock

    with RunLock(Path(sys.argv[1]), command="enaio-connector kennzahlen"):
        print("locked", flush=True)
        sys.stdin.readline()
    """
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def test_second_acquisition_fails_with_exit_code_3(tmp_path: Path) -> None:
    path = tmp_path / ".enaio-connector.lock"
    with RunLock(path, command="enaio-connector kennzahlen"):
        holder = read_holder(path)
        assert holder == LockHolder(
            os.getpid(),
            socket.gethostname(),
            holder.started if holder else None,
            "enaio-connector kennzahlen",
        )
        with pytest.raises(RunLockedError) as caught:
            RunLock(path).acquire()  # a second lock object in the same process is refused, too
    error = caught.value
    assert isinstance(error, EnaioError)
    assert error.exit_code == 3
    assert error.recovery is Recovery.FAIL
    assert f"pid {os.getpid()}" in str(error)
    assert "running 'enaio-connector kennzahlen'" in str(error)
    assert str(path) in str(error)
    # Released: the holder file is gone; the lock file stays on purpose (no unlink race)
    assert not holder_path(path).exists()
    assert path.exists()
    with RunLock(path) as again:
        assert again.held


def test_lock_held_by_another_process_then_killed(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError, match=f"pid {holder.pid} on ") as caught:
            RunLock(path).acquire()
        assert caught.value.exit_code == 3
        assert caught.value.holder.pid == holder.pid
        assert caught.value.holder.command == "enaio-connector kennzahlen"
    finally:
        holder.kill()  # SIGKILL: no release, its holder file stays behind with a dead pid
        holder.wait()
    assert holder_path(path).exists()
    with RunLock(path):  # the operating system dropped the dead holder's lock
        recorded = read_holder(path)
        assert recorded is not None
        assert recorded.pid == os.getpid()


def test_stale_holder_file_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    holder_path(path).write_text(
        json.dumps({"pid": 1, "host": "old", "started": "2018-07-31T02:00:00+00:00"})
    )
    with RunLock(path) as lock:
        assert lock.held
        recorded = read_holder(path)
        assert recorded is not None
        assert recorded.pid == os.getpid()


def test_lock_is_released_on_error(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    lock = RunLock(path)
    with pytest.raises(RuntimeError, match="boom"), lock:
        raise RuntimeError("boom")
    assert not lock.held
    assert not holder_path(path).exists()
    with RunLock(path) as again:
        assert again.held


def test_garbage_holder_file_reads_as_unknown(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    assert read_holder(path) is None
    holder_path(path).write_bytes(b"\x00not json")
    assert read_holder(path) == LockHolder()
    holder_path(path).write_text(json.dumps({"pid": "12", "host": 3, "command": ""}), encoding="utf-8")
    holder = read_holder(path)
    assert holder == LockHolder()
    assert holder.describe() == "holder unknown"
    holder_path(path).write_text("[1]", encoding="utf-8")
    assert read_holder(path) == LockHolder()


def test_unusable_lock_path_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot use lock file") as caught:
        RunLock(blocker / "run.lock").acquire()  # a file where the directory should be
    assert caught.value.exit_code == 2
    assert caught.value.key == "--lock-file"


def test_same_object_twice_and_double_release(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    lock = RunLock(path).acquire()
    try:
        with pytest.raises(RunLockedError):
            lock.acquire()
        assert lock.holder().host == socket.gethostname()
    finally:
        lock.release()
    lock.release()  # twice is harmless
    assert not lock.held


def test_default_command_leaves_out_option_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sys,
        "argv",
        ["/opt/bin/enaio-connector", "--log-level", "INFO", "kennzahlen", "--config", "/etc/x.toml", "--x=1"],
    )
    path = tmp_path / "run.lock"
    with RunLock(path):
        holder = read_holder(path)
    assert holder is not None
    assert holder.command == "enaio-connector kennzahlen"  # no option, no option value
