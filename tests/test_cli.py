"""The command line as an operator meets it: help lists the commands; misuse gives one line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from connector.enaio.emulator.server import EmulatorServer
from jobs.cli import main

COMMANDS = ("check", "config", "demo", "emulator", "kennzahlen", "quality", "schema")


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:", 1)[1]
    for command in COMMANDS:
        assert f"  {command} " in listed, f"{command} missing from --help"


def test_every_command_has_help() -> None:
    for command in COMMANDS:
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage:" in result.output


def test_emulator_serve_bad_inputs_exit_2(tmp_path: Path) -> None:
    broken_site = tmp_path / "site.xml"
    broken_site.write_text("<asobjdef><cabinet", encoding="utf-8")
    cases = [
        (["emulator", "serve", "--data", "/proc/no/such/dir/store.db"], "cannot open emulator data file"),
        (["emulator", "serve", "--site", str(broken_site)], "cannot load site object definition"),
        (["emulator", "serve", "--user", "no-colon"], "NAME:PASSWORD"),
        (["emulator", "serve", "--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["schema", "export", "--out", "/proc/no/such/dir"], "cannot write JSON Schema files"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_check_takes_interface_option(demo_emulator: EmulatorServer) -> None:
    env = {"ENAIO_URL": demo_emulator.url, "ENAIO_USERNAME": "demo", "ENAIO_PASSWORD": "demo"}
    for interface in ("dms", "osrest", "soap"):
        result = CliRunner().invoke(main, ["check", "--interface", interface], env=env)
        assert result.exit_code == 0, result.output
        assert f"interface: {interface}" in result.output


_HEAVY = ("matplotlib", "openpyxl", "jinja2", "zeep", "docxtpl")


def test_help_and_config_show_import_no_renderer() -> None:
    # Before: every command imported matplotlib and openpyxl at start (about a second); now only a run that
    # renders imports them. Measured with `python -X importtime -c "import jobs.cli"`: 1.2 s -> 0.4 s.
    script = (
        "import sys, io, contextlib\n"
        "from jobs.cli import main\n"
        "for args in (['--help'], ['kennzahlen', '--help'], ['config', 'show']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            main(args, prog_name='enaio-connector')\n"
        "        except SystemExit as exit:\n"
        "            assert exit.code == 0, (args, exit.code)\n"
        f"print(sorted(m for m in {_HEAVY!r} if m in sys.modules))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "ENAIO_URL": "https://enaio.example:8443",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
