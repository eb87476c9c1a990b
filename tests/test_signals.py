"""SIGTERM (what systemd and `timeout` send) is handled like Ctrl-C: the unpublished run directory is removed,
the lock released, exit code 143. SIGKILL cannot be handled: its leftovers are removed by the next run.

A real subprocess runs `enaio-connector kennzahlen` against an emulator whose every answer is delayed, so
the signal arrives while the run waits for enaio. The same set-up shows the progress display on a real
terminal (a pseudo-terminal) and its absence under cron."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer, build_state
from connector.pseudonym import DEMO_KEY
from connector.runlock import RunLock, holder_path, read_holder
from jobs.kennzahlen.staging import LOCK_NAME, RUNS_DIR
from tests.conftest import TEST_USERS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

_ROOT = Path(__file__).resolve().parents[1]
_MAIN = "from jobs.cli import main; main(prog_name='enaio-connector')"


@pytest.fixture
def slow_emulator() -> Iterator[EmulatorServer]:
    """An empty store; every request waits 0.5 s (a slow county server)."""
    state = build_state(users=dict(TEST_USERS), faults=[FaultRule("delay", delay=0.5)])
    with EmulatorServer(state) as server:
        yield server


def _start(url: str, out: Path, *, stderr: int = subprocess.PIPE) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(_ROOT),
        "ENAIO_URL": url,
        "ENAIO_INTERFACE": "dms",
        "ENAIO_USERNAME": "alice",
        "ENAIO_PASSWORD": TEST_USERS["alice"],
        "ENAIO_PSEUDONYM_KEY": DEMO_KEY.decode("utf-8"),
        "ENAIO_TODAY": "2018-07-31",
    }
    for name in ("ENAIO_SECRETS_DIR", "CREDENTIALS_DIRECTORY", "ENAIO_MAPPING_PROFILE", "ENAIO_CONFIG"):
        env.pop(name, None)
    args = ["kennzahlen", "--period", "last-quarter", "--format", "json", "--out", str(out)]
    return subprocess.Popen(
        [sys.executable, "-c", _MAIN, *args],
        env=env,
        cwd=_ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def _wait_until_running(process: subprocess.Popen[str], out: Path) -> Path:
    """The run's own directory, once the run holds the lock and waits for enaio."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = list((out / RUNS_DIR).glob("kennzahlen_2018-Q2.*")) if (out / RUNS_DIR).is_dir() else []
        holder = read_holder(out / LOCK_NAME)
        if runs and holder is not None and holder.pid == process.pid:
            return runs[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the run did not start within 60 s")


def test_sigterm_cleans_up_releases_the_lock_and_exits_143(
    slow_emulator: EmulatorServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    process = _start(slow_emulator.url, out)
    run_dir = _wait_until_running(process, out)
    time.sleep(0.2)  # inside a request to the slow server
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert stderr.strip().splitlines()[-1] == "terminated (SIGTERM); unpublished files removed, lock released"
    assert "Traceback" not in stderr
    assert stdout == ""  # nothing was published
    assert not run_dir.exists()
    assert list((out / RUNS_DIR).iterdir()) == []
    assert not (out / "kennzahlen_2018-Q2").exists()
    assert not holder_path(out / LOCK_NAME).exists()
    with RunLock(out / LOCK_NAME) as lock:  # released: the next run gets it at once
        assert lock.held


def test_sigkill_leftovers_are_removed_by_the_next_run(
    slow_emulator: EmulatorServer, emulator: EmulatorServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    process = _start(slow_emulator.url, out)
    run_dir = _wait_until_running(process, out)
    process.kill()  # SIGKILL: no handler runs, the run directory and the holder file stay behind
    process.communicate(timeout=60)
    assert run_dir.exists()
    assert holder_path(out / LOCK_NAME).exists()
    # The next run (a healthy server) takes the lock the operating system released and removes the leftovers
    again = _start(emulator.url, out)
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert not run_dir.exists()
    published = out / "kennzahlen_2018-Q2"
    assert published.is_symlink()
    assert [p.name for p in (out / RUNS_DIR).iterdir()] == [published.resolve().name]
    assert str(published / "kennzahlen_2018-Q2.json") in stdout.splitlines()


def test_progress_on_a_terminal_and_quiet_otherwise(emulator: EmulatorServer, tmp_path: Path) -> None:
    # A person at a terminal sees the run progress on stderr; under cron (stderr a pipe or file) nothing.
    import pty

    out = tmp_path / "out"
    leader, follower = pty.openpty()
    try:
        process = _start(emulator.url, out, stderr=follower)
        os.close(follower)
        stdout, _ = process.communicate(timeout=120)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
    assert process.returncode == 0, seen
    terminal = seen.decode("utf-8")
    assert "\rreading: " in terminal
    assert "\rwriting: " in terminal
    assert str(out / "kennzahlen_2018-Q2") in stdout.splitlines()
    # the same run under cron: stderr is a pipe, nothing is written to it
    quiet = _start(emulator.url, tmp_path / "cron")
    _, stderr = quiet.communicate(timeout=120)
    assert quiet.returncode == 0, stderr
    assert stderr == ""
