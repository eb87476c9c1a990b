"""Every check the quality report promises fires on hand-built records (Stichtag 30.06.2018), with the
site's labels (the reference object definition and the default profile) and German notes in quality.csv."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from connector.enaio.objdef import default_objdef
from jobs.quality import CHECKS, UNBEKANNT, QualityCollector, QualityIssue, QualityLabels, write_quality
from mappings import Quarantine, QuarantineEntry, load_profile
from schemas import Record
from tests.kennzahlen_data import fall, klient, kontakt, plan, staff, ziel

STICHTAG = date(2018, 6, 30)


def _collector(records: list[Record], quarantine: Quarantine | None = None) -> QualityCollector:
    collector = QualityCollector(STICHTAG, labels=QualityLabels(default_objdef(), load_profile()))
    for record in records:
        collector.add(record)
    collector.add_quarantine(quarantine if quarantine is not None else Quarantine(), None, load_profile())
    return collector


def _found(collector: QualityCollector, check: str) -> list[tuple[str, str, str, str]]:
    return sorted(
        (i.integrationsmanager, i.aktenzeichen, i.regionalteam, i.hinweis)
        for i in collector.issues
        if i.pruefung == check
    )


def test_missing_describing_fields_by_field_and_integrationsmanager() -> None:
    records: list[Record] = [
        staff("P4", "0.80", "2018-06-16", traeger=None),  # VZÄ counted, Träger missing
        # person read before her cases (the job's order): assigned to the IM of her latest case, 104 (P2)
        klient("IM-B1", geschlecht=None, wohnkommune=None, staatsangehoerigkeit="AFG"),
        fall(103, "IM-B1", "2016-01-01", im="P1", fallende="2016-12-31"),
        fall(104, "IM-B1", "2018-04-01", im="P2", team=None),
        kontakt(206, 104, "IM-B1", "2018-05-03", "SONDIERUNG", im="P2").model_copy(
            update={"kontaktart": None}
        ),
        klient("IM-A1", staatsangehoerigkeit="SYR"),  # complete: no finding
    ]
    found = _found(_collector(records), "beschreibende_angaben")
    assert found == [
        # case 104 has no team, so the person's and the contact's lines carry none either
        ("P2", "IM-B1", "", "Geschlecht fehlt"),
        ("P2", "IM-B1", "", "Kontaktart fehlt"),
        ("P2", "IM-B1", "", "Regionalteam fehlt"),
        ("P2", "IM-B1", "", "Wohnkommune fehlt"),
        ("P4", "", "MOESSINGEN", "Träger fehlt"),
    ]


def test_invalid_describing_value_is_named_as_invalid() -> None:
    quarantine = Quarantine()
    quarantine.keep(
        QuarantineEntry(
            entity="klient",
            enaio_id=1,
            enaio_type="IM_KLIENT",
            field="geschlecht",
            reason="enum: value is not an allowed member",
        )
    )
    # an optional field whose server value did not convert is left empty by the reader and listed too
    quarantine.keep(
        QuarantineEntry(
            entity="klient",
            enaio_id=1,
            enaio_type="IM_KLIENT",
            field="geburtsdatum",
            reason="invalid_value: not a valid date",
        )
    )
    records: list[Record] = [
        klient("IM-A1", geschlecht=None, staatsangehoerigkeit="SYR"),
        fall(101, "IM-A1", "2017-03-01"),
    ]
    found = _found(_collector(records, quarantine), "beschreibende_angaben")
    assert found == [
        ("P1", "IM-A1", "MOESSINGEN", "Geburtsdatum: ungültiger Wert"),
        ("P1", "IM-A1", "MOESSINGEN", "Geschlecht: kein zulässiger Katalogwert"),
    ]


def test_goal_rows_without_status_are_listed_per_goal() -> None:
    goal = ziel("SPRACHE", "ERREICHT", "2018-06-01").model_copy(update={"zielstatus": None})
    records: list[Record] = [
        fall(101, "IM-A1", "2017-03-01"),
        plan(
            301,
            101,
            "IM-A1",
            0,
            "VEREINBART",
            "2018-06-01",
            integrationsmanager="P1",
            ziele=(ziel("WOHNEN", "ERREICHT", "2018-06-01"), goal),
        ),
    ]
    assert _found(_collector(records), "beschreibende_angaben") == [
        ("P1", "IM-A1", "MOESSINGEN", "Ziel 2: Zielstatus fehlt")
    ]


def test_contact_outside_any_case_is_listed_not_dropped() -> None:
    # case 999 was never read (missing, or quarantined): before, the contact vanished from the report
    records: list[Record] = [
        fall(101, "IM-A1", "2017-03-01"),
        kontakt(250, 999, "IM-A1", "2018-05-01", "BERATUNG"),
    ]
    collector = _collector(records)
    assert _found(collector, "kontakt_ohne_fall") == [
        ("P1", "IM-A1", "", "Beratungsfall (enaio-ID 999) fehlt oder ist nicht auswertbar")
    ]
    assert _found(collector, "kontakt_ausserhalb_fall") == []


def test_contact_outside_the_running_time_of_its_case() -> None:
    records: list[Record] = [
        fall(107, "IM-E1", "2017-01-01", fallende="2018-06-30"),
        kontakt(251, 107, "IM-E1", "2016-12-31", "BERATUNG"),  # a day before the case began
        kontakt(252, 107, "IM-E1", "2018-07-01", "BERATUNG"),  # a day after it ended
        kontakt(253, 107, "IM-E1", "2018-06-30", "BERATUNG"),  # on the last day: fine
    ]
    assert _found(_collector(records), "kontakt_ausserhalb_fall") == [
        ("P1", "IM-E1", "MOESSINGEN", "Datum nach Fallende 30.06.2018"),
        ("P1", "IM-E1", "MOESSINGEN", "Datum vor Fallbeginn 01.01.2017"),
    ]


def test_agreed_plan_without_goals_with_the_status_label() -> None:
    records: list[Record] = [
        fall(104, "IM-B1", "2018-04-01", im="P2", team="ROTTENBURG"),
        plan(302, 104, "IM-B1", 0, "VEREINBART", "2018-05-01"),  # agreed, no goals -> finding
        plan(305, 104, "IM-B1", 0, "ENTWURF", None),  # a draft may have none
        plan(
            306,
            104,
            "IM-B1",
            1,
            "VEREINBART",
            "2018-06-01",
            ziele=(ziel("WOHNEN", "ERREICHT", "2018-06-01"),),
        ),
    ]
    assert _found(_collector(records), "plan_ohne_ziele") == [
        ("P2", "IM-B1", "ROTTENBURG", "Version 0, Status vereinbart")  # catalogue label, not VEREINBART
    ]


def test_cases_past_the_maximum_without_justified_extension() -> None:
    records: list[Record] = [
        fall(105, "IM-C1", "2015-01-10", team="TUEBINGEN"),  # 3 years ended 10.01.2018, no extension
        fall(
            106, "IM-D1", "2015-03-01", verlaengert_bis="2019-03-01", begruendung_verlaengerung="Ausbildung"
        ),
        fall(
            109, "IM-E1", "2015-02-01", verlaengert_bis="2018-06-29", begruendung_verlaengerung="Sprachkurs"
        ),
        fall(110, "IM-V1", "2015-07-01"),  # exactly 3 years on 01.07.2018: not yet over on 30.06.
        fall(111, "IM-G1", "2014-01-01", fallende="2018-06-30"),  # ended on the Stichtag: no longer active
    ]
    assert _found(_collector(records), "hoechstdauer") == [
        (
            "P1",
            "IM-C1",
            "TUEBINGEN",
            "Höchstdauer bis 10.01.2018 überschritten, keine Verlängerung eingetragen",
        ),
        ("P1", "IM-E1", "MOESSINGEN", "Verlängerung bis 29.06.2018 abgelaufen"),
    ]


def test_quarantined_object_without_client_is_not_assignable_and_german() -> None:
    quarantine = Quarantine()
    for field, reason in (
        ("datum", "missing: required value is missing"),
        ("aktenzeichen", "ancestor_missing: x"),
    ):
        quarantine.add(
            QuarantineEntry(
                entity="kontakt", enaio_id=77, enaio_type="IM_KONTAKT", field=field, reason=reason
            )
        )
    found = _found(_collector([], quarantine), "pflichtdaten")
    assert found == [
        (UNBEKANNT, "", "", "Datum fehlt; Aktenzeichen: keiner Klientenakte bzw. keinem Fall zugeordnet")
    ]


def test_quality_csv_has_labels_and_german_notes(tmp_path: Path) -> None:
    quarantine = Quarantine()
    quarantine.add(
        QuarantineEntry(
            entity="beratungsfall",
            enaio_id=7,
            enaio_type="IM_FALL",
            field="fallbeginn",
            reason="missing: required value is missing",
        )
    )
    records: list[Record] = [
        klient("IM-A1", geschlecht=None),
        fall(101, "IM-A1", "2017-03-01"),
        fall(105, "IM-C1", "2015-01-10", team="TUEBINGEN"),
        kontakt(250, 999, "IM-A1", "2018-05-01", "BERATUNG"),
        plan(302, 101, "IM-A1", 0, "VEREINBART", "2018-05-01"),
        kontakt(251, 101, "IM-A1", "2017-01-01", "BERATUNG"),
    ]
    collector = _collector(records, quarantine)
    write_quality(collector, tmp_path, "https://enaio.example", {"IM_KLIENT": 6, "IM_FALL": 31})
    with (tmp_path / "quality.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["pruefung"] for row in rows} == set(CHECKS.values())  # every check fired once at least
    teams = {row["regionalteam"] for row in rows}
    assert {"Mössingen", "Tübingen"} <= teams  # catalogue labels
    assert not teams & {"MOESSINGEN", "TUEBINGEN", "ROTTENBURG"}  # never the keys
    notes = " ".join(row["hinweis"] for row in rows)
    for english in ("missing", "required", "value", "ancestor", "VEREINBART"):
        assert english not in notes
    assert "Fallbeginn fehlt" in notes
    person = next(row for row in rows if row["objekttyp"] == "IM_KLIENT")
    assert person["link"] == "https://enaio.example/osweb/#/entry?osid=1&objecttypeid=6"
    html = (tmp_path / "quality.html").read_text(encoding="utf-8")
    assert "Geschlecht fehlt" in html
    assert "Beschreibende Angaben fehlen oder sind ungültig" in html


def test_describing_field_the_site_does_not_map_is_no_finding() -> None:
    profile = load_profile()
    mapping = profile.entities["mitarbeitende"]
    fields = {name: fm for name, fm in mapping.fields.items() if name != "traeger"}
    site = profile.model_copy(
        update={
            "entities": {**profile.entities, "mitarbeitende": mapping.model_copy(update={"fields": fields})}
        }
    )
    collector = QualityCollector(STICHTAG, labels=QualityLabels(default_objdef(), site))
    collector.add(staff("P4", "0.80", "2018-06-16", traeger=None))
    collector.add_quarantine(Quarantine(), None, site)
    assert collector.issues == []


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_every_check_has_a_german_title(check: str) -> None:
    assert CHECKS[check][0].isupper()
    assert QualityIssue("P1", check, "", 1, "X").pruefung == check
