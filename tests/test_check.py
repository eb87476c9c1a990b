"""`enaio-connector check` against the running emulator, for every interface in INTERFACES."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from connector.config import Interface
from connector.enaio.emulator.server import EmulatorServer
from jobs.cli import main
from mappings.profile import PROFILES_DIR
from tests.conftest import INTERFACES, TEST_USERS

DEFAULT = (PROFILES_DIR / "default.yaml").read_text(encoding="utf-8")


def _run(server: EmulatorServer, interface: Interface, *args: str, password: str | None = None) -> Result:
    env = {
        "ENAIO_URL": server.url,
        "ENAIO_INTERFACE": interface,
        "ENAIO_USERNAME": "alice",
        "ENAIO_PASSWORD": password or TEST_USERS["alice"],
        "ENAIO_CONNECT_TIMEOUT": "2",
        "ENAIO_RETRY__MAX_ATTEMPTS": "2",
        "ENAIO_RETRY__BACKOFF_INITIAL": "0.01",
    }
    return CliRunner().invoke(main, ["check", *args], env=env)


def _profile(tmp_path: Path, old: str, new: str) -> str:
    assert old in DEFAULT
    path = tmp_path / "profile.yaml"
    path.write_text(DEFAULT.replace(old, new), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("interface", INTERFACES)
def test_default_profile_fits_the_demo_county(demo_emulator: EmulatorServer, interface: Interface) -> None:
    started = time.monotonic()
    result = _run(demo_emulator, interface)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert f"interface: {interface}" in result.output
    assert "10.10 (emulator)" in result.output
    assert "profile fits" in result.output
    assert "LK Tübingen" in result.output
    assert elapsed < 15


@pytest.mark.parametrize("interface", INTERFACES)
def test_missing_field_and_wrong_type_fail(
    emulator: EmulatorServer, interface: Interface, tmp_path: Path
) -> None:
    profile = _profile(
        tmp_path,
        "geburtsdatum: {field: GEBURTSDATUM, personal: true}",
        "geburtsdatum: {field: GEBURTSDATUM_ALT, personal: true}",
    )
    result = _run(emulator, interface, "--profile", profile)
    assert result.exit_code == 1, result.output
    assert "IM_KLIENT.GEBURTSDATUM_ALT is missing on the server (profile expects date)" in result.output
    assert "klient.geburtsdatum" in result.output

    profile = _profile(
        tmp_path,
        "haushaltsnummer: {field: HAUSHALTSNUMMER}",
        "haushaltsnummer: {field: HAUSHALTSNUMMER, type: date}",
    )
    result = _run(emulator, interface, "--profile", profile)
    assert result.exit_code == 1, result.output
    assert "IM_KLIENT.HAUSHALTSNUMMER: type text on the server, profile expects date" in result.output


@pytest.mark.parametrize("interface", INTERFACES)
def test_catalogue_column_and_type_misfits(
    emulator: EmulatorServer, interface: Interface, tmp_path: Path
) -> None:
    profile = _profile(tmp_path, "PRIVAT: PRIVATWOHNUNG", "PRIVATWOHNUNG: PRIVATWOHNUNG")
    result = _run(emulator, interface, "--profile", profile)
    assert result.exit_code == 1, result.output
    assert (
        "catalogue value 'PRIVATWOHNUNG' of field IM_KLIENT.UNTERBRINGUNGSART is missing on the server"
        in result.output
    )
    assert (
        "catalogue value 'PRIVAT' of field IM_KLIENT.UNTERBRINGUNGSART maps to no Unterbringungsart"
        in result.output
    )

    profile = _profile(tmp_path, "frist: {column: FRIST}", "frist: {column: FRIST_NEU}")
    result = _run(emulator, interface, "--profile", profile)
    assert result.exit_code == 1
    assert "column IM_PLAN.ZIELE.FRIST_NEU is missing on the server (profile expects date)" in result.output

    profile = _profile(tmp_path, "type: IM_JC_DATEN", "type: IM_JOBCENTER")
    result = _run(emulator, interface, "--profile", profile)
    assert result.exit_code == 1
    assert "object type IM_JOBCENTER is missing on the server" in result.output


def test_broken_profile_and_bad_login(emulator: EmulatorServer, tmp_path: Path) -> None:
    interface = INTERFACES[0]
    original = "vornamen: {field: VORNAMEN, personal: true, required: describing}"
    profile = _profile(tmp_path, original, original.replace("personal:", "persnal:"))
    result = _run(emulator, interface, "--profile", profile)
    assert result.exit_code == 2
    line = DEFAULT.splitlines().index("      " + original) + 1
    assert f"{profile}:{line}: entities.klient.fields.vornamen.persnal: unknown key" in result.output
    assert "Traceback" not in result.output

    result = _run(emulator, interface, password="wrong")
    assert result.exit_code != 0
    assert "profile fits" not in result.output
    assert "wrong" not in result.output
