"""Reports a reader understands without the docs (issue 12, item 4): catalogue labels, one "unbekannt" row,
age groups by age, worded column headings, explanations, head with county and times, records not counted."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from connector.enaio.objdef import default_objdef
from jobs.kennzahlen import KennzahlenResult
from jobs.kennzahlen.compute import StaffRow
from jobs.kennzahlen.live import catalogue_labels
from jobs.kennzahlen.outputs import DEFAULT_FORMATS, write_outputs
from jobs.kennzahlen.outputs.html import render_html
from jobs.kennzahlen.outputs.view import EXPLANATIONS
from jobs.kennzahlen.outputs.xlsx import SHEET_KENNZAHLEN
from jobs.kennzahlen.periods import period_from_dates
from jobs.kennzahlen.rules import METRICS
from mappings import load_profile
from schemas import Kennzahlwert

PERIOD = period_from_dates(date(2018, 4, 1), date(2018, 6, 30), date(2018, 7, 31))
AE = "Aufenthaltserlaubnis Flüchtlingseigenschaft (§ 25 Abs. 2 Alt. 1 AufenthG)"


def _value(code: str, value: int | Decimal | None, **dims: str) -> Kennzahlwert:
    metric = next(m for m in METRICS if m.code == code)
    return Kennzahlwert(
        code=code,
        name=metric.name,
        value=value,
        unit=metric.unit,
        period_from=PERIOD.start,
        period_to=PERIOD.end,
        stichtag=None,
        dimensions=dims,
        suppressed=False,
        rule_version="test.1",
    )


def _result() -> KennzahlenResult:
    # K02 = 20 persons: by Aufenthaltsstatus AE_FLUECHTLING 15 + catalogue UNBEKANNT 3 + missing value 2;
    # by Altersgruppe 0–5: 6, 6–17: 5, 18–26: 4 (small: hidden) … see the assertions for the sums.
    values = [
        _value("K02", 20),
        _value("K02", 15, aufenthaltsstatus="AE_FLUECHTLING"),
        _value("K02", 3, aufenthaltsstatus="UNBEKANNT"),
        _value("K02", 2, aufenthaltsstatus="unbekannt"),
        _value("K02", 6, altersgruppe="0–5"),
        _value("K02", 5, altersgruppe="18–26"),
        _value("K02", 5, altersgruppe="6–17"),
        _value("K02", 3, altersgruppe="unbekannt"),
        _value("K02", 1, altersgruppe="65+"),
    ]
    total = StaffRow("Gesamt", "", Decimal("0"), 20, 0, 0, 0, 0, 0, 0, 0, 0, True)
    return KennzahlenResult(
        PERIOD,
        "test.1",
        values,
        [],
        total,
        5,
        metrics={m.code: m for m in METRICS},
        labels={"aufenthaltsstatus": {"AE_FLUECHTLING": AE, "UNBEKANNT": "Unbekannt"}},
        county="Landkreis Tübingen",
        created_at=datetime(2018, 8, 1, 7, 5, tzinfo=UTC),
        data_as_of=datetime(2018, 8, 1, 7, 0, tzinfo=UTC),
        nicht_zaehlbar={"K02": {"Geburtsdatum fehlt": 4}},
    )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", html, flags=re.S)))


def test_catalogue_labels_of_the_object_definition() -> None:
    labels = catalogue_labels(default_objdef(), load_profile("default"))
    assert labels["aufenthaltsstatus"]["AE_FLUECHTLING"] == AE
    assert labels["abschlussgrund"]["KEIN_KONTAKT_8_MONATE"] == "kein Kontakt seit 8 Monaten"
    assert labels["abschlussgrund"]["AUSZUG_AUS_ZUSTAENDIGKEIT"] == "Auszug aus der Zuständigkeit"
    assert labels["geschlecht"]["WEIBLICH"] == "weiblich"


def test_html_labels_order_one_unknown_row_and_headings() -> None:
    html = render_html(_result())
    text = _text(html)
    assert AE in text
    assert "Ae fluechtling" not in text
    # one "unbekannt" row: catalogue UNBEKANNT 3 + missing 2 = 5 (never "Unbekannt" beside "unbekannt")
    assert '<td>unbekannt</td><td class="n">5</td>' in html
    assert "Unbekannt" not in text
    # age groups by age, "unbekannt" last; 65+ (1) is small and hidden, and with it the smallest cell with an
    # attribute: 18–26 (5, tie with 6–17 broken by key); "unbekannt" (3) stays shown
    ages = re.findall(r"<td>(0–5|6–17|18–26|65\+|unbekannt)</td><td class=\"n\">([^<]*)</td>", html)
    assert [age for age, _ in ages[:5]] == ["0–5", "6–17", "18–26", "65+", "unbekannt"]
    assert dict(ages[:5])["65+"] == "•"
    assert dict(ages[:5])["unbekannt"] == "3"
    assert dict(ages[:5])["18–26"] == "•"
    assert dict(ages[:5])["6–17"] == "5"
    # headings in words, the code as a small note
    assert 'Beratene Personen<br><small class="code">K02</small>' in html


def test_every_report_has_head_explanations_and_records_not_counted(tmp_path: Path) -> None:
    result = _result()
    html = _text(render_html(result))
    for part in (
        "Landkreis Landkreis Tübingen",
        "Datenstand 01.08.2018, 09:00 Uhr",  # 07:00 UTC = 09:00 summer time in Europe/Berlin
        "Erstellt am 01.08.2018, 09:05 Uhr",
        "Stichtag 31.07.2018",
        EXPLANATIONS["K02"],
        "Nicht gezählte Datensätze",
        "Geburtsdatum fehlt 4",
    ):
        assert part in html, part
    assert "docs/kennzahlen.md" not in html
    write_outputs(result, tmp_path, DEFAULT_FORMATS)
    book = load_workbook(tmp_path / "kennzahlen.xlsx")
    for sheet in book.worksheets:
        head = {row[0]: row[1] for row in sheet.iter_rows(max_row=9, values_only=True) if row}
        assert head["Landkreis"] == "Landkreis Tübingen", sheet.title
        assert head["Datenstand"].startswith("01.08.2018, 09:00 Uhr"), sheet.title
    totals = list(book[SHEET_KENNZAHLEN].iter_rows(values_only=True))
    assert any(row[1] == 4 and row[2] == "Geburtsdatum fehlt" and row[4] == "K02" for row in totals)
    records = json.loads((tmp_path / "kennzahlen.json").read_text(encoding="utf-8"))
    not_counted = [r for r in records if "nicht_zaehlbar" in r["dimensions"]]
    assert [(r["code"], r["value"], r["unit"], r["dimensions"]) for r in not_counted] == [
        ("K02", 4, "Datensätze", {"nicht_zaehlbar": "Geburtsdatum fehlt"})
    ]
    assert {r["dimensions"].get("aufenthaltsstatus") for r in records} >= {"unbekannt"}
    assert "UNBEKANNT" not in {r["dimensions"].get("aufenthaltsstatus") for r in records}
    text = (tmp_path / "kennzahlen.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert any(r["nicht zählbar (Grund)"] == "Geburtsdatum fehlt" and r["Wert"] == "4" for r in rows)


def test_without_county_the_head_says_so() -> None:
    html = _text(render_html(replace(_result(), county="")))
    assert "Landkreis (nicht angegeben)" in html
