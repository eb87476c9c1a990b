"""Every Kennzahl on the hand-built county of tests/kennzahlen_data.py; the arithmetic is in the comments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from connector.errors import UsageError
from connector.pseudonym import DEMO_KEY, Pseudonymizer
from jobs.kennzahlen import KennzahlenResult, compute, load_params, parse_period, period_from_dates
from jobs.kennzahlen.periods import parse_cli_date
from tests.kennzahlen_data import dataset, fall, params

PSEUDO = Pseudonymizer(DEMO_KEY)


@pytest.fixture(scope="module")
def result() -> KennzahlenResult:
    # threshold 1 = nothing suppressed, so every cell can be checked
    return compute(dataset(), parse_period("2018-Q2"), params(threshold=1), PSEUDO)


def test_target_group_and_reach(result: KennzahlenResult) -> None:
    # Zielgruppe: A1, A2 (AU since 2017), B1 (zuzug = cut-off, auszug after it), G1 -> 4.
    # Not: C1 (zuzug a day late), D1 (IM not transferred), E1 (auszug on the cut-off day), V1 (never in AU).
    assert result.total("Z01") == 4
    # Sondierungen in the period: 201 (A1 + household member A2), 206 (B1) -> 3 target-group persons
    assert result.total("Z02") == 3
    assert result.total("Z02q") == Decimal("75.0")  # 3 / 4
    z01 = next(v for v in result.values if v.code == "Z01")
    assert z01.stichtag == date(2017, 9, 15)


def test_cared_for_on_stichtag_by_accommodation(result: KennzahlenResult) -> None:
    # Active on 30.06.2018: 101 A1, 102 A2, 104 B1 (103 closed 2016), 105 C1, 106 D1, 108 V1 (begins then);
    # 107 E1 ends on the Stichtag -> no longer cared for.
    assert result.total("B01") == 6
    assert result.total("K11") == 6
    assert result.total("K11p") == 6
    # AU: A1, A2, C1, D1 = 4; PRIVAT: B1 (since 01.05.2018); VU: V1
    assert result.cells("B01", "unterbringungsart") == {
        "ANSCHLUSSUNTERBRINGUNG": 4,
        "PRIVATWOHNUNG": 1,
        "VORLAEUFIGE_UNTERBRINGUNG": 1,
    }


def test_vzae_and_staff_count(result: KennzahlenResult) -> None:
    # P1 1.00 all three months = 1.00; P2 funded 0.50 from May: (0 + 1 + 1) / 3 * 0.50 = 0.3333;
    # P4 0.80 for 15 of 30 June days: (0 + 0 + 0.5) / 3 * 0.80 = 0.1333; P3 and P2's old record not funded.
    assert result.total("K01") == Decimal("1.47")
    assert result.total("K01n") == 3
    assert result.cells("K01", "regionalteam") == {
        "MOESSINGEN": Decimal("1.00"),
        "ROTTENBURG": Decimal("0.33"),
        "TUEBINGEN": Decimal("0.13"),
    }
    assert result.total("K15") == Decimal("4.1")  # 6 persons / 1.47 VZÄ = 4.08


def test_contacts_period_boundaries_and_households(result: KennzahlenResult) -> None:
    # In the period: 201 (01.04., first day), 202 (30.06., last day), 206, 207; not 203 (31.03.), 204 (1.7.),
    # 205 KURZKONTAKT, 208 GRUPPENANGEBOT -> 4 Gespräche, a household contact counts once.
    assert result.total("K03") == 4
    # Persons: A1 (201, 202, and as further participant of 207 -> once), A2 (via 201/202), B1, C1 -> 4
    assert result.total("K02") == 4
    assert result.total("K04") == 2  # 201, 206
    assert result.total("K04p") == 3  # A1, A2, B1
    # Topics of the 4 Gespräche: SPRACHE+WOHNEN, SPRACHE, ARBEIT, none -> 4 mentions
    assert result.total("K08") == 4
    assert result.cells("K08", "handlungsfeld") == {"SPRACHE": 2, "WOHNEN": 1, "ARBEIT_BESCHAEFTIGUNG": 1}
    assert result.cells("K08q", "handlungsfeld")["SPRACHE"] == Decimal("50.0")  # 2 / 4 Gespräche


def test_person_counted_once_per_cell_and_total(result: KennzahlenResult) -> None:
    # P1: A1, A2 (201/202), C1 and A1 again (207) -> 3 persons; P2: B1 -> 1
    p1, p2 = (PSEUDO.of(number, "integrationsmanager") for number in ("P1", "P2"))
    assert result.cells("K02", "integrationsmanager") == {p1: 3, p2: 1}
    assert result.cells("K02", "zielgruppe") == {"ja": 3, "nein": 1}  # A1, A2, B1 | C1


def test_plans(result: KennzahlenResult) -> None:
    assert result.total("K05d") == 1  # 301 (agreed on the last day); 302 after the period; 305 a draft
    assert result.total("K05p") == 2  # A1 + A2 (WEITERE_PERSONEN)
    assert result.total("K06") == 1  # 304 version 1 agreed 15.05.
    # valid plan on the Stichtag: case 101 -> 301 (A1, A2); 106 -> 304 (D1); 104's plan only from 01.07.
    assert result.total("K07") == 3
    assert result.total("K07q") == Decimal("50.0")  # 3 / 6


def test_goals(result: KennzahlenResult) -> None:
    # Current plans at 30.06.: 301 (3 goals), 304 (1 goal). ARBEIT reached only on 15.07. -> in Bearbeitung.
    assert result.total("K09") == 4
    assert result.cells("K09", "zielstatus") == {
        "ERREICHT": 1,
        "NICHT_ERREICHT": 1,
        "IN_BEARBEITUNG": 1,
        "TEILWEISE_ERREICHT": 1,
    }
    assert result.total("K09q") == Decimal("33.3")  # 1 / (1 + 1 + 1)
    crossed = [v for v in result.values if v.code == "K09" and len(v.dimensions) == 2]
    assert {(v.dimensions["handlungsfeld"], v.dimensions["zielstatus"]): v.value for v in crossed}[
        ("SPRACHE", "ERREICHT")
    ] == 1


def test_cases(result: KennzahlenResult) -> None:
    assert result.total("K10") == 2  # 104 (01.04.) and 108 (30.06.)
    assert result.total("K12") == 1  # 107 ends 30.06.
    assert result.cells("K12", "abschlussgrund") == {"ZIELE_ERREICHT_SELBSTSTAENDIG": 1}
    # Over 3 years on 30.06.: 105 (since 10.01.2015, no extension), 106 (extended to 2019 with reason)
    assert result.total("K13") == 2
    assert result.cells("K13", "verlaengerung") == {"ohne": 1, "mit_begruendung": 1}


def test_stichtag_shares(result: KennzahlenResult) -> None:
    # Adults with an active case: A1, B1, D1, V1 (18 on the Stichtag); C1 has no birth date.
    # Known level: A1 B1, B1 A2 -> 1 of 2 = 50 %
    assert result.total("K16") == Decimal("50.0")
    # Jobcenter consent valid on 30.06.: A1; D1 withdrew on 30.06. (effective that day) -> 1 of 4
    assert result.total("K18") == Decimal("25.0")
    assert result.total("K17") == 1  # B1 left AU on 01.05.2018 into a flat; E1 left in 2017
    with pytest.raises(KeyError):
        result.total("K14")  # no external denominator configured


def test_k14_with_configured_denominator() -> None:
    got = compute(dataset(), parse_period("2018-Q2"), params(threshold=1, nenner=8), PSEUDO)
    assert got.total("K14") == Decimal("50.0")  # 4 cared-for persons in AU / 8


def test_suppression_outside_totals() -> None:
    got = compute(dataset(), parse_period("2018-Q2"), params(threshold=5), PSEUDO)
    assert got.total("B01") == 6  # totals are never suppressed
    cells = [v for v in got.values if v.code == "B01" and v.dimensions]
    assert cells
    assert all(v.suppressed and v.value is None for v in cells)  # 4, 1, 1 < 5
    two = compute(dataset(), parse_period("2018-Q2"), params(threshold=2), PSEUDO)
    assert two.cells("B01", "unterbringungsart") == {
        "ANSCHLUSSUNTERBRINGUNG": 4,
        "PRIVATWOHNUNG": None,
        "VORLAEUFIGE_UNTERBRINGUNG": None,
    }
    vzae = [v for v in got.values if v.code == "K01" and v.dimensions]
    assert not any(v.suppressed for v in vzae)  # staff figures are not client data


def test_stichtag_override_moves_stichtag_figures_only() -> None:
    got = compute(dataset(), parse_period("2018-Q2", date(2018, 7, 1)), params(threshold=1), PSEUDO)
    assert got.total("K03") == 4  # period unchanged
    assert got.total("K07") == 4  # 104's plan of 01.07. now counts: + B1


def test_every_record_carries_rule_version_and_period(result: KennzahlenResult) -> None:
    assert {v.rule_version for v in result.values} == {"test.1"}
    assert {(v.period_from, v.period_to) for v in result.values} == {(date(2018, 4, 1), date(2018, 6, 30))}
    assert all(v.dimensions.get("integrationsmanager", "v1_").startswith("v1_") for v in result.values)


def test_default_parameters_file() -> None:
    loaded = load_params()
    assert loaded.rule_version == "2026.3"  # 2026.2: secondary suppression; 2026.3: incomplete records
    assert loaded.zielgruppe.cutoff == date(2017, 9, 15)
    assert loaded.suppression.threshold == 5


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2018", date(2018, 1, 1), date(2018, 12, 31)),
        ("2018-H1", date(2018, 1, 1), date(2018, 6, 30)),
        ("2018-h2", date(2018, 7, 1), date(2018, 12, 31)),
        ("2018-Q2", date(2018, 4, 1), date(2018, 6, 30)),
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29)),
    ],
)
def test_periods(text: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.start, period.end, period.stichtag) == (start, end, end)


@pytest.mark.parametrize(
    "text",
    ["2018-Q5", "2018-Q0", "2018-13", "2018-00", "2018-5", "2018-H3", "2018-H0", "Q2", "2018-04-01", "x"],
)
def test_unknown_period(text: str) -> None:
    with pytest.raises(UsageError, match="unknown period"):
        parse_period(text)


@pytest.mark.parametrize("text", ["0000", "0001", "1899", "10000", "0000-Q1", "0000-01", "10000-H1"])
def test_period_year_out_of_range_is_a_usage_error(text: str) -> None:
    # year 0 used to reach date(0, 1, 1) -> ValueError -> "internal error"
    with pytest.raises(UsageError, match="year must lie between 1900 and 9999"):
        parse_period(text)


@pytest.mark.parametrize("text", ["0001-01-01", "01.01.1899", "0000-01-01"])
def test_cli_date_out_of_range_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--from"):
        parse_cli_date(text, "--from")


def test_last_possible_year_computes() -> None:
    # The month walk of K01 used to build 10000-01-01 after December 9999.
    got = compute(dataset(), parse_period("9999-Q4"), params(threshold=1), PSEUDO)
    assert got.period.end == date(9999, 12, 31)
    assert got.total("K03") == 0
    assert parse_period("9999").end == date(9999, 12, 31)


def test_nationality_breakdown_top_n_sonstige_unbekannt(result: KennzahlenResult) -> None:
    # nationality_top_n = 2 over all 8 persons read: SYR 2 (A1, A2), AFG 1 (B1), ERI 1 (D1), none 4.
    # Tie AFG/ERI broken by code -> top = {SYR, AFG}; ERI -> "Sonstige"; missing -> "unbekannt".
    # K11p persons on 30.06.: A1, A2 (SYR), B1 (AFG), D1 (ERI -> Sonstige), C1, V1 (none -> unbekannt).
    assert result.cells("K11p", "staatsangehoerigkeit") == {"SYR": 2, "AFG": 1, "Sonstige": 1, "unbekannt": 2}
    # Z01 (A1, A2, B1, G1): SYR 2, AFG 1, G1 without nationality
    assert result.cells("Z01", "staatsangehoerigkeit") == {"SYR": 2, "AFG": 1, "unbekannt": 1}


def test_age_group_at_stichtag(result: KennzahlenResult) -> None:
    # Bands 0–17, 18–64, 65+; age in full years on 30.06.2018:
    # A1 *01.05.1990 -> 28; A2 *01.01.2010 -> 8; B1 *01.07.1980 -> 37 (birthday the day after the Stichtag);
    # D1 *01.01.1970 -> 48; V1 *30.06.2000 -> 18 on the Stichtag itself; C1 no Geburtsdatum -> unbekannt.
    assert result.cells("K11p", "altersgruppe") == {"0–17": 1, "18–64": 4, "unbekannt": 1}
    # Z01 counts at the Zielgruppen-Stichtag 15.09.2017: A1 27, A2 7, B1 37, G1 without birth date
    assert result.cells("Z01", "altersgruppe") == {"0–17": 1, "18–64": 2, "unbekannt": 1}


@pytest.mark.parametrize(
    ("born", "day", "group"),
    [
        (date(2000, 6, 30), date(2018, 6, 30), "18–64"),  # 18th birthday on the Stichtag
        (date(2000, 6, 30), date(2018, 6, 29), "0–17"),  # the day before
        (date(2000, 2, 29), date(2018, 2, 28), "0–17"),  # leap-day birthday: 18 only on 1 March
        (date(2000, 2, 29), date(2018, 3, 1), "18–64"),
        (date(1953, 6, 30), date(2018, 6, 30), "65+"),
        (None, date(2018, 6, 30), "unbekannt"),
        (date(2018, 7, 1), date(2018, 6, 30), "unbekannt"),  # born after the Stichtag: a data error
    ],
)
def test_age_group_edges(born: date | None, day: date, group: str) -> None:
    assert params().age_group(born, day) == group


def test_aufenthaltsstatus_breakdown(result: KennzahlenResult) -> None:
    # A1, A2 AE_FLUECHTLING; B1 AE_SUBSIDIAER; D1 DULDUNG; C1 and V1 without status -> unbekannt
    assert result.cells("K11p", "aufenthaltsstatus") == {
        "AE_FLUECHTLING": 2,
        "AE_SUBSIDIAER": 1,
        "DULDUNG": 1,
        "unbekannt": 2,
    }
    # Beratene Personen K02 (A1, A2, B1, C1): the household member A2 with her own status
    assert result.cells("K02", "aufenthaltsstatus") == {
        "AE_FLUECHTLING": 2,
        "AE_SUBSIDIAER": 1,
        "unbekannt": 1,
    }


def test_cases_vs_persons_with_two_active_cases() -> None:
    # A1 gets a second active case 109 (Rottenburg, P2) from 01.05.2018 next to 101 (Mössingen, P1).
    base = dataset()
    data = replace(base, faelle=[*base.faelle, fall(109, "IM-A1", "2018-05-01", im="P2", team="ROTTENBURG")])
    got = compute(data, parse_period("2018-Q2"), params(threshold=1), PSEUDO)
    # cases active on 30.06.: 101, 102, 104, 105, 106, 108, 109 -> 7; persons: A1 once -> 6
    assert got.total("K11") == 7
    assert got.total("K11p") == 6
    assert got.total("B01") == 6  # B01 counts persons, like K11p
    # by team, cases: Mössingen 101, 102; Rottenburg 104, 109; Tübingen 105, 106, 108 (sum 7 = K11)
    assert got.cells("K11", "regionalteam") == {"MOESSINGEN": 2, "ROTTENBURG": 2, "TUEBINGEN": 3}
    # by team, persons: A1 is in Mössingen and Rottenburg, so the rows add up to 7 > K11p 6
    assert got.cells("K11p", "regionalteam") == {"MOESSINGEN": 2, "ROTTENBURG": 2, "TUEBINGEN": 3}
    assert got.cells("K11p", "zielgruppe") == {"ja": 3, "nein": 3}  # A1, A2, B1 | C1, D1, V1 (A1 once)
    assert got.total("K10") == 3  # 104, 108 and the new 109
    assert got.total("K07q") == Decimal("50.0")  # 3 persons with a plan / 6 persons (not 7 cases)
    p2 = next(row for row in got.staff if row.personalnummer == "P2")
    assert p2.aktive_faelle_stichtag == 2  # 104 and 109


def test_entities_not_mapped_are_not_computed() -> None:
    # A site without einwilligung and kontakt (e.g. tests/sites/second has no einwilligung)
    base = dataset()
    data = replace(base, kontakte=(), einwilligungen=())
    got = compute(
        data, parse_period("2018-Q2"), params(threshold=1), PSEUDO, unavailable=("einwilligung", "kontakt")
    )
    codes = {v.code for v in got.values}
    assert "K18" not in codes
    assert not codes & {"Z02", "Z02q", "K02", "K03", "K04", "K04p", "K08", "K08q"}
    assert "einwilligung" in got.not_computed["K18"]
    assert "kontakt" in got.not_computed["K03"]
    assert "K14" in got.not_computed  # no denominator configured
    assert got.total("K11p") == 6  # everything else as before
    assert got.total("K05d") == 1


def test_to_before_from() -> None:
    with pytest.raises(UsageError, match="before"):
        period_from_dates(date(2018, 6, 30), date(2018, 4, 1))
