"""The demo end to end through each interface: one demo run per interface (each reads the whole county)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.config import Interface
from jobs.cli import main
from jobs.demo import run_demo
from schemas import Kennzahlwert
from tests.conftest import INTERFACES

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
    assert "Regelversion 2026.1" in text
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
