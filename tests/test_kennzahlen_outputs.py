"""Output files of the Kennzahlen job and the CLI's argument errors."""

from __future__ import annotations

import csv
import importlib.util
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from connector.errors import ConfigurationError, UsageError
from connector.pseudonym import DEMO_KEY, Pseudonymizer
from jobs.cli import main
from jobs.kennzahlen import KennzahlenResult, compute, load_params, parse_period
from jobs.kennzahlen.breakdowns import DIMENSION_LABELS
from jobs.kennzahlen.outputs import DEFAULT_FORMATS, parse_csv_dialect, parse_formats, write_outputs
from jobs.kennzahlen.outputs.fmt import de_number, neutralize_formula
from jobs.kennzahlen.outputs.html import render_html
from jobs.kennzahlen.outputs.tabular import csv_columns
from jobs.kennzahlen.outputs.xlsx import (
    SHEET_AUSWERTUNG,
    SHEET_ERLAEUTERUNGEN,
    SHEET_KENNZAHLEN,
    breakdown_sheet_name,
)
from jobs.kennzahlen.params import default_params_path
from schemas import Kennzahlwert
from tests.kennzahlen_data import FORMULA_KOMMUNE, dataset, params

CREATED = datetime(2018, 7, 2, 8, 30, tzinfo=UTC)


def _result() -> KennzahlenResult:
    got = compute(dataset(), parse_period("2018-Q2"), params(threshold=2), Pseudonymizer(DEMO_KEY))
    return replace(got, created_at=CREATED)  # a fixed creation time: identical input, identical report


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kennzahlen")
    write_outputs(_result(), out, DEFAULT_FORMATS)
    return out


def test_json_is_schema_valid_and_ordered(written: Path) -> None:
    records = [
        Kennzahlwert.model_validate(item) for item in json.loads((written / "kennzahlen.json").read_text())
    ]
    assert records[0].code == "Z01"
    assert records[0].dimensions == {}
    b01 = [r for r in records if r.code == "B01"]
    assert b01[0].dimensions == {}
    assert b01[0].value == 6
    assert all(r.rule_version == "test.1" for r in records)
    assert not any("P1" in r.dimensions.values() for r in records)  # Personalnummern only pseudonymous


def test_csv_rfc4180_for_programs(tmp_path: Path) -> None:
    result = _result()
    write_outputs(result, tmp_path, ["csv"], csv_dialect="rfc4180")
    data = (tmp_path / "kennzahlen.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    with (tmp_path / "kennzahlen.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == csv_columns(result.values)
    total = next(r for r in rows if r["code"] == "K03" and not any(r[d] for d in DIMENSION_LABELS))
    assert total["value"] == "4"
    assert total["suppressed"] == "false"
    suppressed = next(r for r in rows if r["code"] == "B01" and r["unterbringungsart"] == "PRIVATWOHNUNG")
    assert suppressed["value"] == ""
    assert suppressed["suppressed"] == "true"
    vzae = next(r for r in rows if r["code"] == "K01" and not any(r[d] for d in DIMENSION_LABELS))
    assert vzae["value"] == "1.47"  # decimal point for programs
    assert any(r["integrationsmanager"].startswith("v1_") for r in rows)  # the JSON's pseudonyms


def test_csv_dialect_names() -> None:
    assert parse_csv_dialect("RFC4180") == "rfc4180"
    assert parse_csv_dialect("excel") == "excel"
    with pytest.raises(UsageError, match="--csv-dialect"):
        parse_csv_dialect("tsv")


def test_xlsx_layout_text_and_formats(written: Path) -> None:
    book = load_workbook(written / "kennzahlen.xlsx")
    assert book.sheetnames[:2] == [SHEET_AUSWERTUNG, SHEET_KENNZAHLEN]
    assert breakdown_sheet_name("kommune") in book.sheetnames
    assert breakdown_sheet_name("integrationsmanager") not in book.sheetnames  # names staff: no pseudonyms
    assert SHEET_ERLAEUTERUNGEN in book.sheetnames
    sheet = book[SHEET_AUSWERTUNG]
    rows = list(sheet.iter_rows())
    header = next(r for r in rows if r[0].value == "Personalnummer")
    assert [c.value for c in header[:5]] == [
        "Personalnummer",
        "Regionalteam",
        "VZÄ",
        "beratene Personen",
        "Beratungsgespräche",
    ]
    p1 = next(r for r in rows if r[0].value == "P1")
    assert p1[2].value == 1.0
    assert p1[2].number_format == "#,##0.00"
    assert p1[4].value == 3
    assert p1[4].number_format == "#,##0"
    total = next(r for r in rows if r[0].value == "Gesamt")
    assert total[2].value == pytest.approx(1.47)
    assert total[4].value == 4
    kommune = [c for row in book[breakdown_sheet_name("kommune")].iter_rows() for c in row]
    formula = next(c for c in kommune if c.value == FORMULA_KOMMUNE)
    assert formula.data_type == "s"  # stored as text, never as a formula
    stichtag = next(r for r in book[SHEET_KENNZAHLEN].iter_rows() if r[0].value == "Stichtag")
    assert stichtag[1].value.date() == date(2018, 6, 30)
    assert stichtag[1].number_format == "DD.MM.YYYY"
    assert stichtag[1].value.tzinfo is None
    # no other sheet shows Personalnummern
    for name in book.sheetnames[1:]:
        assert not any(c.value == "P1" for row in book[name].iter_rows() for c in row)


def test_html_german_deterministic_with_rule_version(written: Path) -> None:
    html = (written / "kennzahlen.html").read_text(encoding="utf-8")
    assert "Regelversion" in html
    assert "test.1" in html
    assert "01.04.2018 – 30.06.2018" in html
    assert html.count("<svg") == 3
    assert "=HYPERLINK(&#34;http://x&#34;)" in html or "=HYPERLINK(&quot;http://x&quot;)" in html
    assert render_html(_result()) == render_html(_result()) == html
    assert "P1" not in html.replace("SPRACHE", "")


def test_german_numbers_and_formula_neutralizing() -> None:
    assert de_number(1045) == "1.045"
    assert de_number(1234567.891, 2) == "1.234.567,89"
    assert de_number(None) == "–"
    assert neutralize_formula("=1+1") == "'=1+1"
    assert neutralize_formula("@SUM") == "'@SUM"
    assert neutralize_formula("Mössingen") == "Mössingen"


def test_pdf_without_extra_is_a_clear_error() -> None:
    if importlib.util.find_spec("weasyprint") is not None:  # pragma: no cover - only with the extra
        assert parse_formats("pdf") == ("pdf",)
        return
    with pytest.raises(ConfigurationError, match=r"enaio-connector\[pdf\]"):
        parse_formats("html,pdf")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2018-06-31", "--to", "2018-07-31"], "--from"),
        (["--from", "01.04.2018", "--to", "31.06.2018"], "--to"),
        (["--from", "2018-06-30", "--to", "2018-04-01"], "before --from"),
        (["--period", "2018-Q5"], "unknown period"),
        (["--period", "0000"], "year must lie between 1900 and 9999"),  # was "internal error", exit 1
        (["--period", "10000"], "year must lie between 1900 and 9999"),
        (["--period", "2018-13"], "a month is 01 to 12"),
        (["--period", "2018-H3"], "a half-year is H1 or H2"),
        (["--from", "0001-01-01", "--to", "2018-12-31"], "--from: 0001-01-01 is out of range"),
        (["--period", "2018-Q2", "--stichtag", "2018-02-30"], "--stichtag"),
        (["--period", "2018-Q2", "--from", "2018-04-01"], "either --period"),
        (["--from", "2018-04-01"], "give --period"),
        (["--period", "2018-Q2", "--format", "xlsx,docx"], "unknown format"),
    ],
)
def test_cli_usage_errors_exit_2_and_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["kennzahlen", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_cli_without_pseudonym_key_generates_the_installations_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No key configured: one is generated once into the state directory (owner-only) with a warning, so
    # pseudonyms stay stable for the installation; an unreachable server still writes nothing.
    monkeypatch.delenv("ENAIO_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("ENAIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ENAIO_PASSWORD", "x")
    monkeypatch.setenv("ENAIO_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "out"
    args = ["kennzahlen", "--period", "2018-Q2", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code not in (0, 4), result.output
    key_file = tmp_path / "state" / "pseudonym.key"
    assert key_file.is_file()
    assert key_file.stat().st_mode & 0o077 == 0
    key = key_file.read_text(encoding="utf-8")
    assert not (out / "kennzahlen_2018-Q2").exists()
    CliRunner().invoke(main, args)
    assert key_file.read_text(encoding="utf-8") == key  # generated once, then kept


def test_site_labels_and_zielgruppe_title_come_from_parameters(tmp_path: Path) -> None:
    custom = params(threshold=1, labels={"regionalteam": {"MOESSINGEN": "Team Steinlach"}})
    custom = custom.model_copy(
        update={"zielgruppe": custom.zielgruppe.model_copy(update={"cutoff": date(2016, 1, 31)})}
    )
    got = compute(dataset(), parse_period("2018-Q2"), custom, Pseudonymizer(DEMO_KEY))
    html = render_html(got)
    assert "<td>Team Steinlach</td>" in html
    assert "Nach Zielgruppe (Stichtag 31.01.2016)" in html
    assert "15.09.2017" not in html
    write_outputs(got, tmp_path, ["xlsx"])
    staff = load_workbook(tmp_path / "kennzahlen.xlsx")[SHEET_AUSWERTUNG]
    p1 = next(row for row in staff.iter_rows(values_only=True) if row[0] == "P1")
    assert p1[1] == "Team Steinlach"
    # without a site label the catalogue key is shown as it is (no county names in code)
    plain = compute(dataset(), parse_period("2018-Q2"), params(threshold=1), Pseudonymizer(DEMO_KEY))
    assert "<td>MOESSINGEN</td>" in render_html(plain)  # the key itself, not a made-up "Moessingen"


def test_unknown_label_dimension_is_a_configuration_error(tmp_path: Path) -> None:
    source = tmp_path / "kennzahlen.yaml"
    text = default_params_path().read_text(encoding="utf-8").replace("labels: {}", "labels: {team: {A: B}}")
    source.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="labels for unknown dimension"):
        load_params(source)
