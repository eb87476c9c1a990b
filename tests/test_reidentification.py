"""No output pairs a Personalnummer with a figure its pseudonymous twin also shows (issue 12, item 3).

Before: kennzahlen.xlsx had "Auswertung Zeitraum" (Personalnummer, VZÄ, …) and "nach IM (Pseudonym)" (the
same VZÄ per pseudonym): matching the two sheets undid every pseudonym for whoever held the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from connector.pseudonym import DEMO_KEY, Pseudonymizer, readable, readable_names
from jobs.demo import run_demo
from jobs.kennzahlen import compute, parse_period
from jobs.kennzahlen.compute import PSEUDONYM_FIELD
from jobs.kennzahlen.outputs import DEFAULT_FORMATS, write_outputs
from jobs.kennzahlen.outputs.xlsx import SHEET_AUSWERTUNG
from tests.kennzahlen_data import dataset, params

PSEUDO = Pseudonymizer(DEMO_KEY)
_LOOKS_PSEUDONYMOUS = re.compile(r"^(v\d+_[0-9a-f]{8,}|IM [0-9A-Z]{4,})$")


def _cells(path: Path) -> Iterator[tuple[str, tuple[object, ...]]]:
    book = load_workbook(path, read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            yield sheet.title, row


def _assert_no_pairing(out: Path) -> list[str]:
    """Every Personalnummer of the staff sheet; none of their pseudonyms (either form) anywhere in the
    workbook, and no cell of it looks like a pseudonym at all."""
    staff = load_workbook(out / "kennzahlen.xlsx", read_only=True)[SHEET_AUSWERTUNG]
    rows = list(staff.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "Personalnummer") + 1
    end = next(i for i, row in enumerate(rows) if row and row[0] == "Gesamt")
    numbers = [str(row[0]) for row in rows[start:end] if row and row[0]]
    assert numbers  # the staff sheet does name staff: that is the Verwendungsnachweis
    twins = {PSEUDO.of(n, PSEUDONYM_FIELD) for n in numbers}
    twins |= {readable(t) for t in twins}
    for title, row in _cells(out / "kennzahlen.xlsx"):
        for value in row:
            assert value not in twins, (title, row)
            assert not (isinstance(value, str) and _LOOKS_PSEUDONYMOUS.match(value)), (title, row)
    # the outputs that carry pseudonyms never carry a Personalnummer
    for name in ("kennzahlen.json", "kennzahlen.csv", "kennzahlen.html"):
        text = (out / name).read_text(encoding="utf-8-sig")
        for number in numbers:
            assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(number)}(?![0-9A-Za-z])", text), (name, number)
    return numbers


def test_hand_built_workbook_never_pairs_a_personalnummer_with_its_pseudonym(tmp_path: Path) -> None:
    result = compute(dataset(), parse_period("2018-Q2"), params(threshold=1), PSEUDO)
    write_outputs(result, tmp_path, DEFAULT_FORMATS)
    numbers = _assert_no_pairing(tmp_path)
    assert set(numbers) >= {"P1", "P2"}
    # the pseudonymous twin exists, in the machine outputs only: P1's VZÄ (1,00) per pseudonym in the JSON
    records = json.loads((tmp_path / "kennzahlen.json").read_text(encoding="utf-8"))
    p1 = PSEUDO.of("P1", PSEUDONYM_FIELD)
    assert any(r["code"] == "K01" and r["dimensions"] == {PSEUDONYM_FIELD: p1} for r in records)
    csv_text = (tmp_path / "kennzahlen.csv").read_text(encoding="utf-8-sig")
    assert readable(p1) in csv_text
    assert p1 not in csv_text


@pytest.mark.slow
def test_demo_workbook_never_pairs_a_personalnummer_with_its_pseudonym(tmp_path: Path) -> None:
    run_demo("dms", tmp_path, lambda _line: None)
    numbers = _assert_no_pairing(tmp_path)
    assert len(numbers) >= 19


def test_readable_names_are_stable_and_unique() -> None:
    one = PSEUDO.of("730001", PSEUDONYM_FIELD)
    assert readable(one) == readable(PSEUDO.of("730001", PSEUDONYM_FIELD))  # same key, same name
    assert re.fullmatch(r"IM [0-9A-HJKMNP-TV-Z]{4}", readable(one))
    # two pseudonyms sharing their first 20 bits: both get longer names, still distinct and stable
    a, b = "v1_abcde" + "1" * 27, "v1_abcde" + "2" * 27
    names = readable_names([a, b, one])
    assert names[one] == readable(one)
    assert names[a] != names[b]
    assert len(names[a]) == len(names[b]) > len(names[one])
    assert readable("not-a-pseudonym") == "not-a-pseudonym"
