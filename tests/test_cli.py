"""The command line as an operator meets it: help lists the commands; misuse gives one line and exit 2."""

from __future__ import annotations

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
