"""Figures that stay right when index data is incomplete (issue 11), on hand-built data with the arithmetic in
the comments (the county of tests/kennzahlen_data.py, period 2018-Q2, Stichtag 30.06.2018), and once through
the wire: emulator -> RecordReader -> compute -> run summary and quality report.

A describing field (Träger, Regionalteam, Geschlecht, Wohnkommune, …) missing keeps the record in every
figure that does not need the field and puts it under "unbekannt" in a breakdown by it. A record a figure
truly cannot count (a contact without date or Kontaktart, a plan without Planstatus) is reported in
`nicht_zaehlbar`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from connector.enaio.client import EnaioClient
from connector.enaio.emulator.demo import SeedObject
from connector.enaio.emulator.loader import load_seed
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.query import Query
from connector.pseudonym import DEMO_KEY, Pseudonymizer
from jobs.cli import main
from jobs.kennzahlen import KennzahlenInput, KennzahlenResult, compute, parse_period
from jobs.kennzahlen.breakdowns import UNBEKANNT
from jobs.kennzahlen.job import run_kennzahlen
from mappings import Quarantine, QuarantineEntry
from schemas import Einwilligung, Klient
from tests.conftest import TEST_USERS, make_settings
from tests.kennzahlen_data import STAMP, _link, dataset, fall, kontakt, params, plan, staff, ziel

PSEUDO = Pseudonymizer(DEMO_KEY)
Q2 = parse_period("2018-Q2")


def _run(data: KennzahlenInput) -> KennzahlenResult:
    return compute(data, Q2, params(threshold=1), PSEUDO)


def _with_klient(data: KennzahlenInput, akz: str, **changes: object) -> KennzahlenInput:
    klienten = [k.model_copy(update=changes) if k.aktenzeichen == akz else k for k in data.klienten]
    return replace(data, klienten=klienten)


def _with_fall(data: KennzahlenInput, fid: int, **changes: object) -> KennzahlenInput:
    faelle = [f.model_copy(update=changes) if f.enaio_id == fid else f for f in data.faelle]
    return replace(data, faelle=faelle)


def _totals(result: KennzahlenResult) -> dict[str, object]:
    return {v.code: v.value for v in result.values if not v.dimensions}


# --- K01: a staff record without Träger still counts its VZÄ ----------------------------------------------


def _staff(traeger_of_first: str | None) -> KennzahlenInput:
    # Six funded IMs valid the whole quarter: 1.00 + 1.00 + 1.00 + 0.80 + 0.80 + 0.70 = 5.30 VZÄ
    return KennzahlenInput(
        mitarbeitende=[
            staff("S1", "1.00", "2018-01-01", traeger=traeger_of_first),
            staff("S2", "1.00", "2018-01-01"),
            staff("S3", "1.00", "2018-01-01", team="ROTTENBURG"),
            staff("S4", "0.80", "2018-01-01", team="ROTTENBURG"),
            staff("S5", "0.80", "2018-01-01", team="TUEBINGEN"),
            staff("S6", "0.70", "2018-01-01", team="TUEBINGEN"),
        ]
    )


def test_staff_record_without_traeger_still_counts_its_vzae() -> None:
    complete = _run(_staff("LANDRATSAMT"))
    incomplete = _run(_staff(None))
    assert complete.total("K01") == Decimal("5.30")
    assert incomplete.total("K01") == Decimal("5.30")  # not 4.30: the record is kept without Träger
    assert incomplete.total("K01n") == 6
    # Mössingen S1 + S2 = 2.00, Rottenburg 1.00 + 0.80 = 1.80, Tübingen 0.80 + 0.70 = 1.50
    assert incomplete.cells("K01", "regionalteam") == {
        "MOESSINGEN": Decimal("2.00"),
        "ROTTENBURG": Decimal("1.80"),
        "TUEBINGEN": Decimal("1.50"),
    }
    assert incomplete.nicht_zaehlbar == {}
    # what quarantining the whole record did before: the county under-reported by a fifth
    dropped = _run(replace(_staff(None), mitarbeitende=list(_staff(None).mitarbeitende)[1:]))
    assert dropped.total("K01") == Decimal("4.30")


# --- K11 and others: a case without Regionalteam still counts as active ------------------------------------


def test_case_without_regionalteam_counts_as_active_under_unbekannt() -> None:
    complete = _run(dataset())
    incomplete = _run(_with_fall(dataset(), 105, regionalteam=None))
    # Active on 30.06.: 101, 102 (Mössingen), 104 (Rottenburg), 105, 106, 108 (Tübingen) -> 6
    assert complete.total("K11") == incomplete.total("K11") == 6
    assert complete.cells("K11", "regionalteam") == {"MOESSINGEN": 2, "ROTTENBURG": 1, "TUEBINGEN": 3}
    # 105 (C1, since 2015) moves from Tübingen to "unbekannt"; nothing is lost
    assert incomplete.cells("K11", "regionalteam") == {
        "MOESSINGEN": 2,
        "ROTTENBURG": 1,
        "TUEBINGEN": 2,
        UNBEKANNT: 1,
    }
    assert incomplete.total("K11p") == incomplete.total("B01") == 6
    # K13: 105 (over 3 years, no extension) and 106 (extended) -> still 2; 105 under "unbekannt"
    assert incomplete.total("K13") == 2
    assert incomplete.cells("K13", "regionalteam") == {"TUEBINGEN": 1, UNBEKANNT: 1}
    # K03: contact 207 of case 105 is a Gespräch in the period, counted under "unbekannt" by team
    assert incomplete.total("K03") == 4
    assert incomplete.cells("K03", "regionalteam") == {"MOESSINGEN": 2, "ROTTENBURG": 1, UNBEKANNT: 1}
    assert incomplete.nicht_zaehlbar == {}


def test_case_without_integrationsmanager_is_unbekannt_not_a_pseudonym() -> None:
    got = _run(_with_fall(dataset(), 108, integrationsmanager=None))
    # 108 (V1, begins 30.06.) was P3's only active case: now "unbekannt", shown as such (no pseudonym of it)
    by_im = got.cells("K11", "integrationsmanager")
    assert by_im[UNBEKANNT] == 1
    assert PSEUDO.of("P3", "integrationsmanager") not in by_im
    assert sum(v for v in by_im.values() if isinstance(v, int)) == 6


# --- B01: a person without Wohnkommune or Geschlecht keeps her Unterbringungsart ----------------------------


def test_person_without_wohnkommune_or_geschlecht_keeps_unterbringungsart() -> None:
    incomplete = _run(_with_klient(dataset(), "IM-D1", geschlecht=None, wohnkommune=None))
    # D1 (case 106, AU since 2016) still counts in AU: A1, A2, C1, D1 = 4; B1 privat, V1 VU
    assert incomplete.total("B01") == 6
    assert incomplete.cells("B01", "unterbringungsart") == {
        "ANSCHLUSSUNTERBRINGUNG": 4,
        "PRIVATWOHNUNG": 1,
        "VORLAEUFIGE_UNTERBRINGUNG": 1,
    }
    # K11p by Geschlecht: A1, C1, V1 weiblich (3), A2, B1 männlich (2), D1 unbekannt (1)
    assert incomplete.cells("K11p", "geschlecht") == {"WEIBLICH": 3, "MAENNLICH": 2, UNBEKANNT: 1}
    # by Kommune: D1 leaves Tübingen (V1 stays there) for "unbekannt"
    assert incomplete.cells("K11p", "kommune")["Tübingen"] == 1
    assert incomplete.cells("K11p", "kommune")[UNBEKANNT] == 1


def test_person_without_unterbringungsart_is_unbekannt_in_b01_and_not_countable_in_k17() -> None:
    incomplete = _run(_with_klient(dataset(), "IM-B1", unterbringungsart=None))
    # B1 (case 104) since 01.05.2018 in a flat; enaio now lacks the type: B01 "unbekannt", total still 6
    assert incomplete.total("B01") == 6
    assert incomplete.cells("B01", "unterbringungsart") == {
        "ANSCHLUSSUNTERBRINGUNG": 4,
        "VORLAEUFIGE_UNTERBRINGUNG": 1,
        UNBEKANNT: 1,
    }
    # K17 (out of AU in the period into a flat): B1 left AU on 01.05., whether into a flat is unknown
    assert incomplete.total("K17") == 0
    assert incomplete.nicht_zaehlbar["K17"] == {"Klientenakte ohne Unterbringungsart": 1}
    with_nenner = compute(
        _with_klient(dataset(), "IM-B1", unterbringungsart=None), Q2, params(threshold=1, nenner=8), PSEUDO
    )
    assert with_nenner.nicht_zaehlbar["K14"] == {"Klientenakte ohne Unterbringungsart": 1}


# --- nicht_zaehlbar: records a figure cannot count --------------------------------------------------------


def test_contact_without_kontaktart_is_nicht_zaehlbar() -> None:
    base = dataset()
    kontakte = [c.model_copy(update={"kontaktart": None}) if c.enaio_id == 207 else c for c in base.kontakte]
    got = _run(replace(base, kontakte=kontakte))
    # 207 (C1, 04.05., with A1) could be a Sondierung or a Kurzkontakt: Gespräche 201, 202, 206 = 3 (was 4)
    assert got.total("K03") == 3
    # persons: A1, A2 (201/202), B1 (206) = 3; C1 was reached only by 207
    assert got.total("K02") == 3
    reason = {"Gesprächsvermerk ohne Kontaktart": 1}
    assert got.nicht_zaehlbar["K03"] == reason
    assert got.nicht_zaehlbar["K02"] == reason
    assert got.nicht_zaehlbar["K04"] == reason  # it might have been a Sondierung
    assert got.nicht_zaehlbar["K04p"] == reason
    assert got.nicht_zaehlbar["Z02"] == reason  # A1, a further participant, is in the Zielgruppe
    assert "K08" not in got.nicht_zaehlbar  # 207 names no topic: K08 cannot change
    assert got.total("K04") == 2  # 201, 206 as before


def test_contact_without_date_is_nicht_zaehlbar() -> None:
    # The reader quarantines a contact without DATUM (it cannot be placed in any period); the figures that
    # count contacts report it instead of silently counting fewer.
    quarantine = Quarantine()
    quarantine.add(
        QuarantineEntry(
            entity="kontakt",
            enaio_id=299,
            enaio_type="IM_KONTAKT",
            field="datum",
            reason="missing: required value is missing",
        )
    )
    got = _run(replace(dataset(), quarantine=quarantine))
    assert got.total("K03") == 4  # the dated contacts as before
    reason = {"Gesprächsvermerk ohne gültiges Datum (Quarantäne)": 1}
    for code in ("Z02", "K02", "K03", "K04", "K04p", "K08"):
        assert got.nicht_zaehlbar[code] == reason, code
    assert list(got.nicht_zaehlbar) == ["Z02", "K02", "K03", "K04", "K04p", "K08"]  # in the order of §2


def test_plan_without_status_and_consent_without_purpose_are_nicht_zaehlbar() -> None:
    base = dataset()
    undecided = plan(306, 104, "IM-B1", 0, "VEREINBART", "2018-05-10").model_copy(update={"planstatus": None})
    consent = Einwilligung(
        enaio_id=403, enaio_type="IM_EINWILLIGUNG", **_link(104, "IM-B1"), zweck=None, erteilt_am="2018-04-01"
    )
    got = _run(
        replace(base, plaene=[*base.plaene, undecided], einwilligungen=[*base.einwilligungen, consent])
    )
    assert got.total("K05d") == 1  # 301 only, as before
    status = {"Integrationsplan ohne Planstatus": 1}
    # agreed 10.05. (in the period), version 0 -> K05d/K05p; case 104 active on and running up to 30.06.
    assert got.nicht_zaehlbar["K05d"] == got.nicht_zaehlbar["K05p"] == status
    assert got.nicht_zaehlbar["K07"] == got.nicht_zaehlbar["K09"] == status
    assert "K06" not in got.nicht_zaehlbar
    # B1 is an adult with an active case and no Jobcenter consent; an undecided consent might be one
    assert got.total("K18") == Decimal("25.0")  # 1 of 4, as before
    assert got.nicht_zaehlbar["K18"] == {"Einwilligung ohne Zweck": 1}


def test_goal_without_handlungsfeld_is_unbekannt_in_k09() -> None:
    base = dataset()
    plaene = [
        p.model_copy(update={"ziele": (ziel("SPRACHE", "TEILWEISE_ERREICHT", "2018-05-20").model_copy(
            update={"handlungsfeld": None}),)})
        if p.enaio_id == 304
        else p
        for p in base.plaene
    ]  # fmt: skip
    got = _run(replace(base, plaene=plaene))
    assert got.total("K09") == 4  # 301's three goals + 304's one
    assert got.cells("K09", "handlungsfeld") == {
        "SPRACHE": 1,
        "WOHNEN": 1,
        "ARBEIT_BESCHAEFTIGUNG": 1,
        UNBEKANNT: 1,
    }
    assert got.total("K09q") == Decimal("33.3")  # the status is known: 1 / 3 as before


# --- the done-when: totals equal, "unbekannt" holds exactly the records missing the attribute -------------


def _stripped() -> tuple[KennzahlenInput, dict[tuple[str, str], int]]:
    """dataset() with describing fields removed, and how many units each (code, dimension) moves to
    "unbekannt" (worked out by hand)."""
    data = _with_klient(dataset(), "IM-D1", geschlecht=None, wohnkommune=None)
    data = _with_fall(data, 105, regionalteam=None)
    data = _with_fall(data, 108, integrationsmanager=None)
    data = replace(
        data,
        mitarbeitende=[
            s.model_copy(update={"traeger": None}) if s.personalnummer == "P4" else s
            for s in data.mitarbeitende
        ],
    )
    moved = {
        # D1 (case 106 active, plan 304 = K06 and K07): Geschlecht and Kommune
        ("K11", "geschlecht"): 1, ("K11p", "geschlecht"): 1,
        ("K06", "geschlecht"): 1, ("K07", "geschlecht"): 1,
        ("K11", "kommune"): 1, ("K11p", "kommune"): 1, ("K06", "kommune"): 1, ("K07", "kommune"): 1,
        # case 105 (C1, active, over 3 years, contact 207): Regionalteam
        ("K11", "regionalteam"): 1, ("K11p", "regionalteam"): 1, ("K13", "regionalteam"): 1,
        ("K03", "regionalteam"): 1, ("K02", "regionalteam"): 2,  # 207 reached C1 and A1
        # case 108 (V1, begins 30.06.): Integrationsmanager*in
        ("K11", "integrationsmanager"): 1, ("K11p", "integrationsmanager"): 1,
        ("K10", "integrationsmanager"): 1,
    }  # fmt: skip
    return data, moved


def test_incomplete_describing_fields_keep_every_total() -> None:
    complete, (data, moved) = _run(dataset()), _stripped()
    incomplete = _run(data)
    assert _totals(incomplete) == _totals(complete)
    assert incomplete.nicht_zaehlbar == {}
    dims = {
        (v.code, d)
        for v in complete.values + incomplete.values
        if len(v.dimensions) == 1
        for d in v.dimensions
    }
    checked = 0
    for code, dim in sorted(dims):
        before = complete.cells(code, dim)
        after = incomplete.cells(code, dim)
        left = {k: before[k] for k in before if k != UNBEKANNT and after.get(k) != before[k]}
        shift = sum(int(before[k] or 0) - int(after.get(k) or 0) for k in left)
        gained = int(after.get(UNBEKANNT) or 0) - int(before.get(UNBEKANNT) or 0)
        # the "unbekannt" row gained exactly the units that left their row, and exactly as many as worked out
        assert gained == shift == moved.get((code, dim), 0), (code, dim, before, after)
        assert all(k in before for k in after if k != UNBEKANNT), (code, dim)  # no new rows but "unbekannt"
        checked += 1
    assert checked > 40


# --- through the wire: reader, job, exit code 4, quality report ---------------------------------------------


def _seed(key: str, type_name: str, parent: str | None, **fields: object) -> SeedObject:
    moment = datetime(2018, 7, 20, 10, 0, tzinfo=UTC)
    return SeedObject(key, type_name, parent, fields, {}, moment, "im01", moment, "im01")  # type: ignore[arg-type]


def _insert(server: EmulatorServer) -> dict[str, int]:
    """Legacy-style objects without some required index data, written past the API's required-field check
    (as the demo loader does), and their enaio ids."""
    staff_fields = {
        "NAME": "Name",
        "REGIONALTEAM": "MOESSINGEN",
        "GUELTIG_AB": date(2018, 1, 1),
        "FOERDERFAEHIG": 1,
    }
    seeds = [
        # s1 without TRAEGER; s2 complete
        _seed("s1", "ORG_MITARBEITENDE", None, PERSONALNUMMER="730001", VZAE=Decimal("1.00"), **staff_fields),
        _seed("s2", "ORG_MITARBEITENDE", None, PERSONALNUMMER="730002", VZAE=Decimal("0.50"),
              TRAEGER="LANDRATSAMT", **staff_fields),
        # a person without GESCHLECHT and WOHNKOMMUNE, her case without REGIONALTEAM
        _seed("k1", "IM_KLIENT", None, AKTENZEICHEN="IM-W-1", FAMILIENNAME="X", VORNAMEN="Y",
              UNTERBRINGUNGSART="AU"),
        _seed("f1", "IM_FALL", "k1", FALLBEGINN=date(2018, 4, 3), FALLSTATUS="AKTIV",
              INTEGRATIONSMANAGER="730001"),
        # c1 a dated Sondierung, c2 without DATUM (cannot be placed in any period)
        _seed("c1", "IM_KONTAKT", "f1", DATUM=date(2018, 4, 3), KONTAKTART="SONDIERUNG",
              INTEGRATIONSMANAGER="730001"),
        _seed("c2", "IM_KONTAKT", "f1", KONTAKTART="BERATUNG", INTEGRATIONSMANAGER="730001"),
    ]  # fmt: skip
    summary = load_seed(server.state.store, seeds)
    assert set(summary.incomplete) == {"s1", "k1", "f1", "c2"}
    with EnaioClient(make_settings(server, "dms")) as client:
        staff = {str(o.fields["PERSONALNUMMER"]): o.id for o in client.search(Query("ORG_MITARBEITENDE"))}
        (person,) = (o.id for o in client.search(Query("IM_KLIENT")))
        (case,) = (o.id for o in client.search(Query("IM_FALL")))
        contacts = {("c1" if "DATUM" in o.fields else "c2"): o.id for o in client.search(Query("IM_KONTAKT"))}
    return {"s1": staff["730001"], "s2": staff["730002"], "k1": person, "f1": case, **contacts}


def test_incomplete_records_through_the_job(any_emulator: EmulatorServer, tmp_path: Path) -> None:
    # both emulator personalities: nothing here may depend on an emulator choice
    settings = make_settings(any_emulator, "dms", pseudonym_key="k" * 32)
    ids = _insert(any_emulator)
    out = tmp_path / "out"
    outcome = run_kennzahlen(settings, Q2, out, ("json",), params=params(threshold=1), quality=True)
    result = outcome.result
    assert result is not None
    # 730001 without Träger: 1.00 + 0.50 = 1.50 VZÄ, both persons counted
    assert result.total("K01") == Decimal("1.50")
    assert result.total("K01n") == 2
    # the case without Regionalteam is active on 30.06., its person without Geschlecht and Wohnkommune in B01
    assert result.total("K11") == 1
    assert result.cells("K11", "regionalteam") == {UNBEKANNT: 1}
    assert result.cells("B01", "unterbringungsart") == {"ANSCHLUSSUNTERBRINGUNG": 1}
    assert result.cells("K11p", "geschlecht") == {UNBEKANNT: 1}
    # the contact without DATUM is the only quarantined record; the figures say they could not count it
    assert outcome.quarantined == {"kontakt": 1}
    assert result.total("K04") == 1
    assert result.nicht_zaehlbar["K03"] == {"Gesprächsvermerk ohne gültiges Datum (Quarantäne)": 1}
    assert outcome.findings
    summary = outcome.quarantine_summary()
    assert "1 records quarantined (kontakt: 1)" in summary
    assert "records not countable in Z02 (1), K02 (1), K03 (1), K04 (1), K04p (1), K08 (1)" in summary
    # the quality report lists each gap by field and Integrationsmanager*in, with the site's labels
    with (out / "quality.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    gaps = {
        (r["integrationsmanager"], r["enaio_id"], r["hinweis"])
        for r in rows
        if r["pruefung"].startswith("Beschr")
    }
    assert (("730001", str(ids["s1"]), "Träger fehlt")) in gaps
    assert ("730001", str(ids["f1"]), "Regionalteam fehlt") in gaps
    assert ("730001", str(ids["k1"]), "Geschlecht fehlt") in gaps  # the person's case assigns her IM
    assert ("730001", str(ids["k1"]), "Wohnkommune fehlt") in gaps
    pflicht = [r for r in rows if r["pruefung"].startswith("Pflichtangaben")]
    assert [(r["enaio_id"], r["hinweis"], r["aktenzeichen"]) for r in pflicht] == [
        (str(ids["c2"]), "Datum fehlt", "IM-W-1")
    ]


def test_cli_exit_4_names_the_figures(emulator: EmulatorServer, tmp_path: Path) -> None:
    _insert(emulator)
    env = {
        "ENAIO_URL": emulator.url,
        "ENAIO_INTERFACE": "dms",
        "ENAIO_USERNAME": "alice",
        "ENAIO_PASSWORD": TEST_USERS["alice"],
        "ENAIO_PSEUDONYM_KEY": "k" * 32,
        "ENAIO_MAPPING_PROFILE": None,
        "ENAIO_SECRETS_DIR": None,
        "CREDENTIALS_DIRECTORY": None,
    }
    args = ["kennzahlen", "--period", "2018-Q2", "--format", "json", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 4, result.output
    assert "records not countable in Z02 (1), K02 (1), K03 (1)" in result.stderr
    assert "Traceback" not in result.output
    manifest = json.loads(
        (tmp_path / "out" / "kennzahlen_2018-Q2" / "manifest.json").read_text(encoding="utf-8")
    )
    assert manifest["status"] == "findings"
    assert manifest["counts"]["nicht_zaehlbar"]["K03"] == 1


def test_klient_schema_allows_describing_gaps() -> None:
    person = Klient(enaio_id=1, enaio_type="IM_KLIENT", modified_at=STAMP, aktenzeichen="IM-1")
    assert (person.geschlecht, person.wohnkommune, person.unterbringungsart) == (None, None, None)
    assert kontakt(1, 2, "IM-A1", "2018-04-01", "BERATUNG").kontaktart is not None
    assert fall(1, "IM-A1", "2018-04-01", team="X").regionalteam == "X"


# --- the demo county: seed figures unchanged, its legacy records are findings, not lost ----------------


def test_demo_county_keeps_its_figures_and_lists_its_legacy_records(
    demo_emulator: EmulatorServer, tmp_path: Path
) -> None:
    settings = make_settings(demo_emulator, "dms", pseudonym_key="k" * 32)
    outcome = run_kennzahlen(
        settings, parse_period("2018-Q2", date(2018, 7, 31)), tmp_path, ("json",), quality=True
    )
    result = outcome.result
    assert result is not None
    assert (result.total("Z01"), result.total("K04"), result.total("K05d"), result.total("B01")) == (
        1045,
        501,
        130,
        2258,
    )
    assert result.cells("B01", "unterbringungsart") == {
        "VORLAEUFIGE_UNTERBRINGUNG": 436,
        "ANSCHLUSSUNTERBRINGUNG": 1028,
        "PRIVATWOHNUNG": 794,
    }
    assert (result.total("K01n"), result.total("K01")) == (19, Decimal("13.00"))
    # of the 8 legacy records only the contact without DATUM cannot be placed; the 7 others are read
    assert outcome.quarantined == {"kontakt": 1}
    # ... and what the figures could not count is said: the undated contact (in every contact figure), the
    # contact without Kontaktart (dated in the period), the plan without Planstatus (version 0, agreed in it)
    assert result.nicht_zaehlbar["K03"] == {
        "Gesprächsvermerk ohne Kontaktart": 1,
        "Gesprächsvermerk ohne gültiges Datum (Quarantäne)": 1,
    }
    assert result.nicht_zaehlbar["K05d"] == {"Integrationsplan ohne Planstatus": 1}
    # the JSON output carries them as records of the figure (dimension nicht_zaehlbar = reason)
    written = json.loads((tmp_path / "kennzahlen.json").read_text(encoding="utf-8"))
    uncounted = {
        (r["code"], r["dimensions"]["nicht_zaehlbar"]): r["value"]
        for r in written
        if "nicht_zaehlbar" in r["dimensions"]
    }
    assert uncounted[("K03", "Gesprächsvermerk ohne Kontaktart")] == 1
    assert uncounted[("K05d", "Integrationsplan ohne Planstatus")] == 1
    # every legacy record is a line of the quality report, with its Aktenzeichen
    with (tmp_path / "quality.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    legacy = {(r["objekttyp"], r["hinweis"]) for r in rows if "-ALT-" in r["aktenzeichen"]}
    assert legacy == {
        ("IM_KLIENT", "Geschlecht fehlt"),
        ("IM_KLIENT", "Unterbringungsart fehlt"),
        ("IM_KLIENT", "Wohnkommune fehlt"),
        ("IM_FALL", "Regionalteam fehlt"),
        ("IM_FALL", "Integrationsmanager/in (Personalnummer) fehlt"),
        ("IM_KONTAKT", "Kontaktart fehlt"),
        ("IM_KONTAKT", "Datum fehlt"),
        ("IM_PLAN", "Planstatus fehlt"),
        ("IM_EINWILLIGUNG", "Zweck fehlt"),
    }
    assert len({r["enaio_id"] for r in rows if "-ALT-" in r["aktenzeichen"]}) == 8
