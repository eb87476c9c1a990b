"""kennzahlen.csv opens in a German Excel: `;`, UTF-8 with BOM, decimal comma, one column per dimension,
and it says the same as kennzahlen.json (docs/kennzahlen.md §4)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from connector.pseudonym import DEMO_KEY, Pseudonymizer
from jobs.demo import run_demo
from jobs.kennzahlen import compute, parse_period
from jobs.kennzahlen.outputs import write_outputs
from tests.kennzahlen_data import FORMULA_KOMMUNE, dataset, params

BOM = b"\xef\xbb\xbf"


def _figure(text: str) -> Decimal | None:
    """A German Excel cell back to a number: `4,05` → 4.05; empty = no value."""
    return None if text == "" else Decimal(text.replace(",", "."))


def _check_csv_matches_json(out: Path) -> list[dict[str, str]]:
    data = (out / "kennzahlen.csv").read_bytes()
    assert data.startswith(BOM)
    header = data[len(BOM) :].split(b"\r\n", 1)[0].decode("utf-8")
    assert header.startswith("Code;Kennzahl;Wert;Einheit;")
    assert "," not in header
    assert "{" not in header
    rows = list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline=""), delimiter=";"))
    records = json.loads((out / "kennzahlen.json").read_text(encoding="utf-8"))
    assert len(rows) == len(records)
    fixed = {"Code", "Kennzahl", "Wert", "Einheit", "Zeitraum von", "Zeitraum bis", "Stichtag"}
    fixed |= {"unterdrückt", "Regelversion"}
    for row, record in zip(rows, records, strict=True):
        assert row["Code"] == record["code"]
        expected = None if record["value"] is None else Decimal(str(record["value"]))
        assert _figure(row["Wert"]) == expected, (row, record)
        assert "." not in row["Wert"]  # never a date in Excel, never a thousands separator
        assert row["unterdrückt"] == ("ja" if record["suppressed"] else "nein")
        filled = [name for name, text in row.items() if name not in fixed and text]
        assert len(filled) == len(record["dimensions"]), (row, record)  # one column per dimension
        assert not any(text.startswith("{") for text in row.values())  # no JSON in a cell
    return rows


def test_hand_built_csv_is_german_excel_and_matches_json(tmp_path: Path) -> None:
    result = compute(dataset(), parse_period("2018-Q2"), params(threshold=2), Pseudonymizer(DEMO_KEY))
    write_outputs(result, tmp_path, ["csv", "json"])
    rows = _check_csv_matches_json(tmp_path)
    # K01 Kreis total: P1 1,00 + P2 0,47 (see test_kennzahlen_rules) = 1,47 VZÄ, with a decimal comma
    k01 = next(r for r in rows if r["Code"] == "K01" and not r["Regionalteam"] and not r["Kommune"])
    assert k01["Wert"] == "1,47"
    # the county's text cannot become a formula (leading apostrophe), the label is used, not the key
    assert any(r["Kommune"] == "'" + FORMULA_KOMMUNE for r in rows)
    assert any(r["Unterbringungsart"] == "Anschlussunterbringung" for r in rows)
    assert any(r["Stichtag"] == "30.06.2018" for r in rows)
    # people read pseudonyms here: short ones, the same in every row of one person
    names = {r["Integrationsmanager*in (Pseudonym)"] for r in rows} - {""}
    assert names
    assert all(n.startswith("IM ") and len(n) == 7 for n in names)


@pytest.mark.slow
def test_demo_csv_is_german_excel_and_matches_json(tmp_path: Path) -> None:
    run_demo("dms", tmp_path, lambda _line: None)
    rows = _check_csv_matches_json(tmp_path)
    totals = {r["Code"]: r["Wert"] for r in rows if r["Kennzahl"] and _is_total(r)}
    assert (totals["Z01"], totals["K04"], totals["K05d"], totals["B01"], totals["K01n"]) == (
        "1045",
        "501",
        "130",
        "2258",
        "19",
    )
    assert totals["K01"] == "13,00"
    b01 = {r["Unterbringungsart"]: r["Wert"] for r in rows if r["Code"] == "B01" and r["Unterbringungsart"]}
    assert b01["Vorläufige Unterbringung"] == "436"
    assert b01["Anschlussunterbringung"] == "1028"
    assert b01["Privatunterkunft"] == "794"
    assert any(r["Regionalteam"] == "Mössingen" for r in rows)  # UTF-8 with BOM: no "MÃ¶ssingen"
    # the committee report's summary: the county report's figures, nothing suppressed
    html = (tmp_path / "kennzahlen.html").read_text(encoding="utf-8")
    summary = html[
        html.index("<h2>Auf einen Blick</h2>") : html.index("</table>", html.index("Auf einen Blick"))
    ]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary.replace("&nbsp;", " ")))
    for part in (
        "Zielgruppe (Pakt für Integration) 1.045",
        "Clearinggespräche im Zeitraum 501",
        "Integrationszielvereinbarungen 130",
        "betreute Personen am 31.07.2018 2.258",
        "davon Vorläufige Unterbringung 436",
        "davon Anschlussunterbringung 1.028",
        "davon Privatunterkunft 794",
        "Integrationsmanager*innen (VZÄ) 19 (13,00 VZÄ)",
    ):
        assert part in text, part
    assert "•" not in text


def _is_total(row: dict[str, str]) -> bool:
    fixed = {"Code", "Kennzahl", "Wert", "Einheit", "Zeitraum von", "Zeitraum bis", "Stichtag"}
    fixed |= {"unterdrückt", "Regelversion"}
    return not any(text for name, text in row.items() if name not in fixed)
