"""A lean install for scheduled jobs (issue 15 item 9): without the extras [emulator] (Flask, waitress) and
[reports] (openpyxl, Jinja2, matplotlib, docxtpl), ``check``, ``extract`` and ``kennzahlen --format json,csv``
run; what needs an extra fails with one line naming it (exit 2).

The lean process is a real ``enaio-connector`` run in a subprocess whose import system refuses the extras'
packages, as a machine without them would; the emulator it talks to runs in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from connector.enaio.emulator.server import EmulatorServer
from connector.extras import EXTRAS

BLOCKED = sorted({*EXTRAS["emulator"], *EXTRAS["reports"]})

# Runs the CLI with the extras' top-level packages refused by the import system.
LEAN = f"""
import importlib.abc, sys
BLOCKED = {BLOCKED!r}
class _Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Refuse())
from jobs.cli import main
sys.argv[0] = "enaio-connector"
main()
"""


def _lean(args: list[str], server: EmulatorServer, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "ENAIO_URL": server.url,
        "ENAIO_INTERFACE": "dms",
        "ENAIO_USERNAME": "demo",
        "ENAIO_PASSWORD": "demo",
        "ENAIO_PSEUDONYM_KEY": "lean-install-test-key-0123456789",
        "ENAIO_STATE_DIR": str(tmp_path / "state"),
    }
    return subprocess.run(
        [sys.executable, "-c", LEAN, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )


def test_the_blocker_really_blocks(demo_emulator: EmulatorServer, tmp_path: Path) -> None:
    done = _lean(["emulator", "serve", "--demo", "--port", "0"], demo_emulator, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "[emulator]" in done.stderr
    assert "pip install 'enaio-connector[emulator]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_runs_without_extras(demo_emulator: EmulatorServer, tmp_path: Path) -> None:
    done = _lean(["check"], demo_emulator, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "profile fits" in done.stdout


@pytest.mark.slow
def test_kennzahlen_json_csv_run_without_extras(demo_emulator: EmulatorServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["kennzahlen", "--period", "2018-Q2", "--stichtag", "31.07.2018", "--format", "json,csv"]
    done = _lean([*args, "--out", str(out), "--allow-quarantine"], demo_emulator, tmp_path)
    assert done.returncode == 0, done.stderr
    published = out / "kennzahlen_2018-Q2"
    names = sorted(p.name for p in published.iterdir())
    assert any(n.endswith(".json") and n.startswith("kennzahlen") for n in names), names
    assert any(n.endswith(".csv") and n.startswith("kennzahlen") for n in names), names
    assert not any(n.endswith((".html", ".xlsx")) for n in names), names


@pytest.mark.parametrize("fmt", ["xlsx", "html"])
def test_rendered_formats_name_the_reports_extra(
    demo_emulator: EmulatorServer, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "out"
    done = _lean(
        ["kennzahlen", "--period", "2018-Q2", "--format", fmt, "--out", str(out)], demo_emulator, tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'enaio-connector[reports]'" in done.stderr
    assert len([line for line in done.stderr.splitlines() if line.strip()]) == 1, done.stderr
    assert not out.exists()  # nothing read, nothing written


@pytest.mark.slow
def test_extract_runs_without_extras(demo_emulator: EmulatorServer, tmp_path: Path) -> None:
    sink = tmp_path / "sink"
    args = ["extract", "--sink", f"jsonl:{sink}", "--entities", "mitarbeitende", "--allow-quarantine"]
    done = _lean(args, demo_emulator, tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for path in sink.rglob("*.jsonl") for line in path.read_text().splitlines()]
    assert rows, "no staff records extracted"
