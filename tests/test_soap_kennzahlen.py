"""The demo county's Kennzahlen through SOAP against the documented personality: the seed's figures, and no
record put aside that the reference run (DMS, default personality) keeps, so no case loses its client."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from connector.config import Interface
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.state import Variant
from jobs.cli import main
from tests.conftest import TEST_USERS

# The county report (Kreistagsdrucksache 084/18); B01 = 436 + 1028 + 794 = 2258.
SEED_TOTALS = {"Z01": 1045, "K04": 501, "K05d": 130, "B01": 2258, "K01n": 19}
SEED_B01 = {"VORLAEUFIGE_UNTERBRINGUNG": 436, "ANSCHLUSSUNTERBRINGUNG": 1028, "PRIVATWOHNUNG": 794}


def _run(server: EmulatorServer, interface: Interface, out: Path) -> tuple[int, str, list[Any], list[Any]]:
    """(exit code, output, Kennzahl values, quarantine entries) of one Kennzahlen run."""
    env = {
        "ENAIO_URL": server.url,
        "ENAIO_INTERFACE": interface,
        "ENAIO_USERNAME": "alice",
        "ENAIO_PASSWORD": TEST_USERS["alice"],
        "ENAIO_PSEUDONYM_KEY": "soap-kennzahlen-test-key",
        "ENAIO_STATE_DIR": str(out / "state"),
    }
    args = ["kennzahlen", "--period", "2018-Q2", "--stichtag", "31.07.2018", "--format", "json"]
    result = CliRunner().invoke(main, [*args, "--out", str(out / "out")], env=env)
    values: list[Any] = []
    for path in (out / "out").rglob("kennzahlen*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        values = data if isinstance(data, list) else data.get("werte") or data.get("values") or []
    quarantine = [
        json.loads(line)
        for path in (out / "out").rglob("quarantine*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return result.exit_code, result.output, values, quarantine


def _number(value: object) -> float:
    if isinstance(value, str):
        return float(value.replace(",", "."))
    assert isinstance(value, int | float), value
    return float(value)


@pytest.mark.slow
def test_demo_kennzahlen_via_soap_against_documented(
    demo_emulators: Callable[[Variant], EmulatorServer], tmp_path: Path
) -> None:
    code, output, values, quarantine = _run(demo_emulators("documented"), "soap", tmp_path / "soap")
    assert code in (0, 4), output  # 4: finished, with the demo's own data-quality findings put aside
    totals = {v["code"]: _number(v["value"]) for v in values if not v.get("dimensions")}
    for key, expected in SEED_TOTALS.items():
        assert totals[key] == expected, key
    assert totals["K01"] == 13.0
    b01 = {
        v["dimensions"]["unterbringungsart"]: _number(v["value"])
        for v in values
        if v["code"] == "B01" and set(v.get("dimensions") or {}) == {"unterbringungsart"}
    }
    assert b01 == SEED_B01
    assert sum(b01.values()) == SEED_TOTALS["B01"]

    # the reference run puts aside exactly the same records: nothing for lack of a client or a folder
    ref_code, ref_output, ref_values, ref_quarantine = _run(
        demo_emulators("default"), "dms", tmp_path / "dms"
    )
    assert ref_code == code, ref_output

    def entries(found: list[Any]) -> list[tuple[Any, ...]]:
        return sorted((q["entity"], q["enaio_id"], q.get("field")) for q in found)

    assert entries(quarantine) == entries(ref_quarantine)
    assert not [q for q in quarantine if q["entity"] in ("beratungsfall", "klient")]
    assert values == ref_values
