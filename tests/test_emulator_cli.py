"""`enaio-connector emulator serve|seed`: argument errors, a seeded file, a real `serve` in a subprocess."""

from __future__ import annotations

import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from jobs.cli import main

ENTRY = "from jobs.cli import main; main(prog_name='enaio-connector')"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["emulator", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--user", "alice"], "expected NAME:PASSWORD"),
        (["--user", "alice:"], "expected NAME:PASSWORD"),
        (["--user", ":secret"], "expected NAME:PASSWORD"),
        (["--user", "a:x", "--user", "a:y"], "user 'a' given twice"),
        (["--faults", "503:p=2"], "fault rule 1 '503:p=2': probability must be between 0 and 1"),
        (["--faults", "reset;boom:every=2"], "fault rule 2 'boom:every=2'"),
        (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--port", "70000"], "70000 is not in the range"),
        (["--scale", "0"], "0 is not in the range"),
    ],
)
def test_serve_argument_errors(args: list[str], fragment: str) -> None:
    code, output = _run("serve", *args)
    assert code == 2
    assert fragment in output
    assert "Traceback" not in output


def test_bad_user_value_is_not_echoed() -> None:
    code, output = _run("serve", "--user", "alice-without-colon-topsecret")
    assert code == 2
    assert "topsecret" not in output


def test_serve_reports_a_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code, output = _run("serve", "--port", str(busy.getsockname()[1]), "--user", "a:b")
    assert code == 1
    assert "cannot listen on 127.0.0.1:" in output


def test_seed_argument_errors(tmp_path: Path) -> None:
    code, output = _run("seed", "--data", str(tmp_path / "x.sqlite"))
    assert code == 2
    assert "nothing to seed: pass --demo" in output
    existing = tmp_path / "old.sqlite"
    existing.write_bytes(b"")
    code, output = _run("seed", "--demo", "--data", str(existing))
    assert code == 2
    assert "exists; pass --force" in output
    code, output = _run("seed", "--demo")
    assert code == 2
    assert "--data" in output


def test_seed_writes_the_demo_county(tmp_path: Path) -> None:
    data = tmp_path / "county.sqlite"
    code, output = _run("seed", "--demo", "--data", str(data))
    assert code == 0, output
    assert f"written to {data}" in output
    counts = {line.split()[0]: int(line.split()[1]) for line in output.splitlines()[1:]}
    assert counts["objects"] == sum(
        count for name, count in counts.items() if name not in ("objects", "files")
    )
    assert counts["IM_KLIENT"] > 0
    assert data.stat().st_size > 0


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        process.kill()
        pytest.fail(f"emulator serve printed nothing within {timeout} s")
    return process.stdout.readline()


@pytest.mark.skipif(sys.platform == "win32", reason="select on pipes and SIGTERM are POSIX")
def test_serve_runs_until_terminated(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "emulator", "serve", "--port", "0", "--demo", "--user", "alice:secret"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        first = _first_line(process, timeout=60)
        assert first.startswith("enaio emulator on http://127.0.0.1:"), first
        url = first.split()[3]
        deadline = time.monotonic() + 10
        while True:
            try:
                health = requests.get(url + "/_emulator/health", timeout=2)
                break
            except requests.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        for user in (("alice", "secret"), ("demo", "demo")):
            assert requests.get(url + "/api/dms/info", auth=user, timeout=5).json()["user"] == user[0]
        assert requests.get(url + "/api/dms/info", auth=("alice", "wrong"), timeout=5).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "stopped" in stdout
    assert "secret" not in stdout + stderr
