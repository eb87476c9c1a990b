"""Small-cell suppression, primary and secondary (docs/kennzahlen.md, "Kleine Zellen", rule version 2026.2),
and how the report shows suppressed cells."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from connector.pseudonym import DEMO_KEY, Pseudonymizer
from jobs.kennzahlen import KennzahlenResult, compute, parse_period
from jobs.kennzahlen.breakdowns import Dims, cell
from jobs.kennzahlen.outputs.charts import bar_chart
from jobs.kennzahlen.outputs.html import render_html
from jobs.kennzahlen.outputs.view import public_values
from jobs.kennzahlen.suppression import audience_values, is_unknown, suppressed_cells
from tests.kennzahlen_data import dataset, params

PSEUDO = Pseudonymizer(DEMO_KEY)


def _result(threshold: int) -> KennzahlenResult:
    return compute(dataset(), parse_period("2018-Q2"), params(threshold=threshold), PSEUDO)


def test_single_small_cell_takes_the_next_smallest_with_it() -> None:
    # total 20 = W 3 + M 10 + D 7. Only W < 5: shown M and D would give W = 20 - 10 - 7.
    # Secondary: the next-smallest non-zero cell (D, 7) is hidden too; then W + D = 10 is all one can learn.
    cells: dict[Dims, int | Decimal | None] = {
        (): 20,
        cell(geschlecht="W"): 3,
        cell(geschlecht="M"): 10,
        cell(geschlecht="D"): 7,
    }
    assert suppressed_cells(cells, 5) == {cell(geschlecht="W"), cell(geschlecht="D")}


def test_two_small_cells_need_nothing_more_and_zeros_stay() -> None:
    cells: dict[Dims, int | Decimal | None] = {
        (): 14,
        cell(kommune="A"): 2,
        cell(kommune="B"): 2,
        cell(kommune="C"): 10,
        cell(kommune="D"): 0,
    }
    assert suppressed_cells(cells, 5) == {cell(kommune="A"), cell(kommune="B")}
    # nothing small: nothing hidden; threshold 1: nothing hidden
    assert suppressed_cells({(): 12, cell(kommune="C"): 12}, 5) == frozenset()
    assert suppressed_cells(cells, 1) == frozenset()


def test_only_zeros_besides_the_small_cell() -> None:
    # The hidden cell equals the Kreis total, shown by rule: nothing else to hide (zeros reveal nothing)
    cells: dict[Dims, int | Decimal | None] = {(): 3, cell(kommune="A"): 3, cell(kommune="B"): 0}
    assert suppressed_cells(cells, 5) == {cell(kommune="A")}


def test_breakdowns_of_one_metric_are_independent() -> None:
    cells: dict[Dims, int | Decimal | None] = {
        (): 20,
        cell(geschlecht="W"): 3,
        cell(geschlecht="M"): 17,
        cell(kommune="A"): 10,
        cell(kommune="B"): 10,
    }
    assert suppressed_cells(cells, 5) == {cell(geschlecht="W"), cell(geschlecht="M")}


def test_two_dimensional_cells_and_their_margins() -> None:
    # K09-like: Handlungsfeld × Zielstatus with the one-dimensional margins.
    # SPRACHE = 3 (ERREICHT) + 8 (OFFEN) = 11; WOHNEN = 9 (ERREICHT) + 9 (OFFEN) = 18; total 29.
    # Primary: SPRACHE×ERREICHT (3). Group "SPRACHE row" (sum = SPRACHE cell 11): hide SPRACHE×OFFEN (8) too.
    # Group "ERREICHT column" (sum = ERREICHT cell 12): hide WOHNEN×ERREICHT (9) too; then the "WOHNEN row"
    # has one hidden cell: hide WOHNEN×OFFEN (9). Margins stay: 11 = ? + ?, 12 = ? + ? reveal no single cell.
    cells: dict[Dims, int | Decimal | None] = {
        (): 29,
        cell(handlungsfeld="SPRACHE"): 11,
        cell(handlungsfeld="WOHNEN"): 18,
        cell(zielstatus="ERREICHT"): 12,
        cell(zielstatus="OFFEN"): 17,
        cell(handlungsfeld="SPRACHE", zielstatus="ERREICHT"): 3,
        cell(handlungsfeld="SPRACHE", zielstatus="OFFEN"): 8,
        cell(handlungsfeld="WOHNEN", zielstatus="ERREICHT"): 9,
        cell(handlungsfeld="WOHNEN", zielstatus="OFFEN"): 9,
    }
    hidden = suppressed_cells(cells, 5)
    assert hidden == {
        cell(handlungsfeld="SPRACHE", zielstatus="ERREICHT"),
        cell(handlungsfeld="SPRACHE", zielstatus="OFFEN"),
        cell(handlungsfeld="WOHNEN", zielstatus="ERREICHT"),
        cell(handlungsfeld="WOHNEN", zielstatus="OFFEN"),
    }


def test_hidden_margin_with_shown_parts_hides_a_part() -> None:
    # Handlungsfeld breakdown: SPRACHE 12, WOHNEN 4, ARBEIT 30; total 46. WOHNEN < 5 is hidden (primary),
    # the next-smallest SPRACHE (12) too (secondary). But SPRACHE = 6 (OFFEN) + 6 (ERREICHT), both shown,
    # would give it back: in that group the margin is the one hidden cell, so a part goes too (tie: ERREICHT).
    # Then SPRACHE and SPRACHE×ERREICHT are unknown, SPRACHE×OFFEN shown: one equation, two unknowns.
    cells: dict[Dims, int | Decimal | None] = {
        (): 46,
        cell(handlungsfeld="SPRACHE"): 12,
        cell(handlungsfeld="WOHNEN"): 4,
        cell(handlungsfeld="ARBEIT"): 30,
        cell(handlungsfeld="SPRACHE", zielstatus="OFFEN"): 6,
        cell(handlungsfeld="SPRACHE", zielstatus="ERREICHT"): 6,
    }
    assert suppressed_cells(cells, 5) == {
        cell(handlungsfeld="WOHNEN"),
        cell(handlungsfeld="SPRACHE"),
        cell(handlungsfeld="SPRACHE", zielstatus="ERREICHT"),
    }


def test_dataset_single_small_cell_is_not_recoverable() -> None:
    # K02 by Zielgruppe: ja 3 (A1, A2, B1), nein 1 (C1); total 4. With threshold 2 only "nein" is small;
    # before 2026.2 "ja" was shown and "nein" = 4 - 3 = 1 could be read off.
    got = _result(threshold=2)
    assert got.total("K02") == 4
    assert got.cells("K02", "zielgruppe") == {"ja": None, "nein": None}
    assert all(v.suppressed for v in got.breakdown("K02", "zielgruppe").values())


@pytest.mark.parametrize("threshold", [2, 3, 5])
def test_no_breakdown_has_exactly_one_hidden_cell(threshold: int) -> None:
    got = _result(threshold)
    groups: defaultdict[tuple[str, str], list[tuple[bool, int | Decimal | None]]] = defaultdict(list)
    raw = {(v.code, tuple(sorted(v.dimensions.items()))): v for v in _result(1).values}
    for value in got.values:
        if len(value.dimensions) == 1 and got.metrics[value.code].kind == "count":
            (dimension,) = value.dimensions
            unhidden = raw[(value.code, tuple(sorted(value.dimensions.items())))].value
            groups[(value.code, dimension)].append((value.suppressed, unhidden))
    assert groups
    for key, members in groups.items():
        hidden = [n for suppressed, n in members if suppressed]
        others = [n for suppressed, n in members if not suppressed and n]
        assert len(hidden) != 1 or not others, key


def test_chart_leaves_suppressed_cells_out_and_marks_them() -> None:
    shown = bar_chart("t", ["a", "b"], [("n", [5.0, 7.0])])
    hidden = bar_chart("t", ["a", "b"], [("n", [5.0, None])])
    patches = re.compile(r'<g id="patch_\d+">')
    assert len(patches.findall(hidden)) == len(patches.findall(shown)) - 1  # one bar fewer, not a 0-bar
    font = FT2Font(font_manager.findfont("DejaVu Sans"))
    bullet = f'id="DejaVuSans-{font.get_char_index(ord("•")):x}"'  # glyph ids are font indices in hex
    assert bullet in hidden  # the suppression mark at the place of the missing bar
    assert bullet not in shown


def test_report_never_shows_a_suppressed_cell_as_zero() -> None:
    # Threshold 5: every B01 cell (4, 1, 1) is hidden; the report shows "•", never "0" or "–" for them.
    got = _result(threshold=5)
    html = render_html(got)
    for name in ("Anschlussunterbringung", "Privatunterkunft", "Vorläufige Unterbringung"):
        row = re.search(rf"davon {name}</td><td class=\"n\">([^<]*)</td>", html)
        assert row is not None, name
        assert row.group(1) == "•"
    assert "zurückrechnen" in html  # the note explains the secondary suppression


def test_unknown_cells_are_not_suppressed_for_being_small() -> None:
    # Geschlecht: W 10 + M 8 + ohne Angabe 2 = 20. "ohne Angabe" (2 < 5) tells nothing about anyone: shown,
    # and so nothing needs a complement (before: "ohne Angabe" hidden, then "weiblich" with it).
    cells: dict[Dims, int | Decimal | None] = {
        (): 20,
        cell(geschlecht="WEIBLICH"): 10,
        cell(geschlecht="MAENNLICH"): 8,
        cell(geschlecht="OHNE_ANGABE"): 2,
    }
    assert suppressed_cells(cells, 5) == frozenset()
    cells[cell(geschlecht="unbekannt")] = 1
    cells[()] = 21
    assert suppressed_cells(cells, 5) == frozenset()


def test_complement_is_the_smallest_attribute_cell_never_unknown_if_avoidable() -> None:
    # 30 = D 2 + W 12 + M 10 + unbekannt 6. D (2) is hidden; its complement is M (10), the smallest cell with
    # an attribute, not "unbekannt" (6), which stays shown. D + M = 30 - 12 - 6 = 12: D is not recoverable.
    cells: dict[Dims, int | Decimal | None] = {
        (): 30,
        cell(geschlecht="DIVERS"): 2,
        cell(geschlecht="WEIBLICH"): 12,
        cell(geschlecht="MAENNLICH"): 10,
        cell(geschlecht="unbekannt"): 6,
    }
    assert suppressed_cells(cells, 5) == {cell(geschlecht="DIVERS"), cell(geschlecht="MAENNLICH")}
    # Only "unbekannt" left beside the small cell: 8 = D 2 + unbekannt 6 would give D back, so it goes too.
    only: dict[Dims, int | Decimal | None] = {
        (): 8,
        cell(geschlecht="DIVERS"): 2,
        cell(geschlecht="unbekannt"): 6,
    }
    assert suppressed_cells(only, 5) == {cell(geschlecht="DIVERS"), cell(geschlecht="unbekannt")}


def test_published_b01_cells_are_never_hidden_as_complement() -> None:
    # The case: 2.258 = 436 VU + 1.020 AU + 794 privat + 8 unbekannt. Before, "unbekannt" was hidden
    # and then VU (the smallest neighbour) with it. Now "unbekannt" is shown and nothing is hidden.
    b01: dict[Dims, int | Decimal | None] = {
        (): 2258,
        cell(unterbringungsart="VORLAEUFIGE_UNTERBRINGUNG"): 436,
        cell(unterbringungsart="ANSCHLUSSUNTERBRINGUNG"): 1020,
        cell(unterbringungsart="PRIVATWOHNUNG"): 794,
        cell(unterbringungsart="unbekannt"): 8,
    }
    assert suppressed_cells(b01, 5, code="B01") == frozenset()
    # A small attribute cell (Jugendhilfe 3) with only published neighbours (and "unbekannt" 0): it is hidden,
    # but no published figure is hidden for it (it follows from the county's own figures anyway).
    b01[cell(unterbringungsart="unbekannt")] = 0
    b01[cell(unterbringungsart="JUGENDHILFE")] = 3
    b01[()] = 2253
    assert suppressed_cells(b01, 5, code="B01") == {cell(unterbringungsart="JUGENDHILFE")}
    # The same cells in another Kennzahl are not published: there the smallest neighbour goes too.
    assert suppressed_cells(b01, 5, code="K11p") == {
        cell(unterbringungsart="JUGENDHILFE"),
        cell(unterbringungsart="VORLAEUFIGE_UNTERBRINGUNG"),
    }


def test_public_report_threshold_builds_on_the_state_threshold() -> None:
    # Computed with threshold 2 (state report), shown with 5 (committee): the hidden cells of 2 stay hidden,
    # cells below 5 and their complements are hidden too, no breakdown has exactly one hidden non-zero cell.
    state = _result(2)
    public = audience_values(state.values, 5)
    before = {(v.code, tuple(sorted(v.dimensions.items()))) for v in state.values if v.suppressed}
    after = {(v.code, tuple(sorted(v.dimensions.items()))) for v in public if v.suppressed}
    assert before < after
    raw = {(v.code, tuple(sorted(v.dimensions.items()))): v.value for v in _result(1).values}
    for v in public:
        metric = state.metrics[v.code]
        countable = metric.suppressible and metric.kind == "count"
        if not v.suppressed and v.dimensions and countable and not is_unknown(tuple(v.dimensions.items())):
            assert not 0 < (raw[(v.code, tuple(sorted(v.dimensions.items())))] or 0) < 5, v
    assert {v.code for v in public if not v.dimensions and v.suppressed} == set()  # totals always shown
    k08 = {tuple(sorted(v.dimensions.items())) for v in public if v.code == "K08" and v.suppressed}
    k08q = {tuple(sorted(v.dimensions.items())) for v in public if v.code == "K08q" and v.suppressed}
    assert k08q == k08  # shares are hidden exactly like their counts
    # the committee report uses public_threshold from the result
    assert [v for v in public_values(replace(state, public_threshold=5)) if v.suppressed]
