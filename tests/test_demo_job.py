"""The demo end to end through each interface: one demo run per interface (each reads the whole county)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from connector.config import DEFAULT_PATHS, Interface, Settings
from connector.pseudonym import DEMO_KEY, Pseudonymizer
from jobs.cli import main
from jobs.demo import demo_settings, run_demo
from jobs.kennzahlen.outputs.xlsx import SHEET_AUSWERTUNG
from schemas import Kennzahlwert
from tests.conftest import INTERFACES

# A user's environment that would break or bend the demo if it were read.
HOSTILE_ENV = {
    "ENAIO_URL": "http://127.0.0.1:9",
    "ENAIO_INTERFACE": "soap",
    "ENAIO_DMS_PATH": "/x",
    "ENAIO_OSREST_PATH": "/x",
    "ENAIO_SOAP_PATH": "/x",
    "ENAIO_USERNAME": "mallory",
    "ENAIO_PASSWORD": "wrong",
    "ENAIO_PSEUDONYM_KEY": "a real county key",
    "ENAIO_MAPPING_PROFILE": "/nonexistent/profile.yaml",
    "ENAIO_TIMEZONE": "Mars/Olympus_Mons",
    "ENAIO_RETRY__MAX_ATTEMPTS": "not a number",
    "ENAIO_UNKNOWN_SETTING": "1",
}

EXPECTED_LINES = (
    ("Personen in der Zielgruppe", "1.045"),
    ("Sondierungs-/Clearinggespräche im Zeitraum", "501"),
    ("Integrationszielvereinbarungen", "130"),
    ("Anteil der Zielgruppe erreicht", "47,9 %"),
    ("Betreute Personen am 31.07.2018", "2.258"),
    ("davon Vorläufige Unterbringung", "436"),
    ("davon Anschlussunterbringung", "1.028"),
    ("davon Privatunterkunft", "794"),
    ("Integrationsmanager*innen", "19"),
    ("Vollzeitäquivalente (VZÄ)", "13,00"),
)


@pytest.mark.slow
@pytest.mark.parametrize("interface", INTERFACES)
def test_demo_reproduces_county_report(interface: Interface, tmp_path: Path) -> None:
    lines: list[str] = []
    started = time.monotonic()
    run = run_demo(interface, tmp_path, lines.append)
    elapsed = time.monotonic() - started
    text = "\n".join(lines)
    for name, value in EXPECTED_LINES:
        line = next(line for line in text.splitlines() if name in line)
        assert line.rstrip().endswith(value), line
    assert "Regelversion 2026.3" in text
    assert elapsed < 60, f"demo via {interface} took {elapsed:.1f} s"
    for name in ("kennzahlen.xlsx", "kennzahlen.csv", "kennzahlen.json", "kennzahlen.html", "quality.html"):
        assert (tmp_path / name).is_file()
    records = [Kennzahlwert.model_validate(r) for r in json.loads((tmp_path / "kennzahlen.json").read_text())]
    totals = {r.code: r.value for r in records if not r.dimensions}
    assert (totals["Z01"], totals["K04"], totals["K05d"], totals["B01"], totals["K01n"]) == (
        1045,
        501,
        130,
        2258,
        19,
    )
    with (tmp_path / "quality.csv").open(encoding="utf-8", newline="") as handle:
        quality = list(csv.DictReader(handle))
    assert any(row["pruefung"].startswith("Pflichtangaben") for row in quality)
    assert all("/osweb/#/entry?osid=" in row["link"] for row in quality)
    assert run.outcome.quarantine  # the legacy records without required data


def test_demo_command_is_registered() -> None:
    result = CliRunner().invoke(main, ["demo", "--help"])
    assert result.exit_code == 0
    assert "--interface" in result.output


def test_demo_settings_ignore_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in HOSTILE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ENAIO_SECRETS_DIR", str(tmp_path))
    (tmp_path / "enaio_password").write_text("from-secrets", encoding="utf-8")
    settings = demo_settings("http://127.0.0.1:4711", "osrest")
    assert isinstance(settings, Settings)
    assert settings.url == "http://127.0.0.1:4711"
    assert settings.interface == "osrest"  # --interface, not ENAIO_INTERFACE
    assert (settings.dms_path, settings.osrest_path, settings.soap_path) == (
        DEFAULT_PATHS["dms"],
        DEFAULT_PATHS["osrest"],
        DEFAULT_PATHS["soap"],
    )
    assert settings.username == "demo"
    assert settings.password is not None
    assert settings.password.get_secret_value() == "demo"
    assert settings.mapping_profile == "default"
    assert settings.timezone == "Europe/Berlin"
    assert settings.retry.max_attempts == 5


@pytest.mark.slow
def test_demo_command_end_to_end(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The real command, one interface, in a hostile environment: it must neither break nor change.
    for name, value in HOSTILE_ENV.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["demo", "--interface", "dms", "--out", str(out)])
    assert result.exit_code == 0, result.output  # quarantined legacy records do not fail the demo
    text = result.stdout
    assert "Demo-Landkreis (Schnittstelle dms)" in text
    assert "Zeitraum 01.04.2018 – 30.06.2018, Stichtag 31.07.2018, Regelversion 2026.3" in text
    for name, value in (
        *EXPECTED_LINES,
        ("Personen in der Zielgruppe (Stichtag 15.09.2017)", "1.045"),
        ("Zielgruppe durch Sondierung erreicht (Personen)", "501"),
        ("Beratene Personen im Zeitraum", "977"),
        ("Beratungsgespräche im Zeitraum", "1.131"),
        ("Betreuungsschlüssel (Personen je VZÄ)", "173,7"),  # 2.258 / 13,00
    ):
        line = next(line for line in text.splitlines() if name in line)
        assert line.rstrip().endswith(value), line
    # 8 legacy records: 7 kept with describing gaps (8 lines), the undated contact quarantined (issue 11);
    # plus 12 persons without nationality and the 13 plan/duration findings
    assert "Datenqualität: 34 Hinweise (quality.html), 1 fehlende Pflichtangaben" in text
    assert "(1 Datensätze in quarantine.jsonl)" in text
    written = sorted(p.name for p in out.iterdir())
    assert written == [
        "kennzahlen.csv",
        "kennzahlen.html",
        "kennzahlen.json",
        "kennzahlen.xlsx",
        "quality.csv",
        "quality.html",
        "quarantine.jsonl",
    ]
    for name in written:
        assert f"  {name}" in text
    assert len((out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()) == 1
    # pseudonyms with the public demo key, not ENAIO_PSEUDONYM_KEY
    staff = load_workbook(out / "kennzahlen.xlsx")[SHEET_AUSWERTUNG]
    number = next(row[0] for row in staff.iter_rows(values_only=True) if row[1] == "Mössingen")
    records = [Kennzahlwert.model_validate(r) for r in json.loads((out / "kennzahlen.json").read_text())]
    pseudonyms = {
        r.dimensions["integrationsmanager"] for r in records if "integrationsmanager" in r.dimensions
    }
    assert Pseudonymizer(DEMO_KEY).of(str(number), "integrationsmanager") in pseudonyms
