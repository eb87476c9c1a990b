"""A small hand-built county for the Kennzahlen tests; every expected value is worked out in the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from jobs.kennzahlen import KennzahlenInput, KennzahlenParams
from schemas import Beratungsfall, Einwilligung, Integrationsplan, Klient, Kontakt, Mitarbeitende, Ziel

STAMP = datetime(2018, 11, 30, 12, 0, tzinfo=UTC)
FORMULA_KOMMUNE = '=HYPERLINK("http://x")'
_ids = {"IM-A1": 1, "IM-A2": 2, "IM-B1": 3, "IM-C1": 4, "IM-D1": 5, "IM-E1": 6, "IM-V1": 7, "IM-G1": 8}


def params(
    threshold: int = 5, nenner: int | None = None, labels: dict[str, dict[str, str]] | None = None
) -> KennzahlenParams:
    return KennzahlenParams.model_validate(
        {
            "rule_version": "test.1",
            "zielgruppe": {"cutoff": "2017-09-15"},
            "foerderung": {"start": "2018-04-01"},
            "suppression": {"threshold": threshold},
            "breakdowns": {
                "nationality_top_n": 2,
                "age_bands": [{"from": 0, "to": 17}, {"from": 18, "to": 64}, {"from": 65, "to": None}],
                "adult_from": 18,
            },
            "k14_betreuungsquote": {"nenner": nenner},
            "labels": labels or {},
        }
    )


def klient(akz: str, **kw: Any) -> Klient:
    base: dict[str, Any] = {
        "enaio_id": _ids[akz],
        "enaio_type": "IM_KLIENT",
        "modified_at": STAMP,
        "aktenzeichen": akz,
        "familienname": "X",
        "vornamen": "Y",
        "geschlecht": "WEIBLICH",
        "unterbringungsart": "ANSCHLUSSUNTERBRINGUNG",
        "wohnkommune": "Mössingen",
    }
    base.update(kw)
    return Klient(**base)


def fall(
    fid: int, akz: str, beginn: str, im: str | None = "P1", team: str | None = "MOESSINGEN", **kw: Any
) -> Beratungsfall:
    return Beratungsfall(
        enaio_id=fid,
        enaio_type="IM_FALL",
        modified_at=STAMP,
        klient_enaio_id=_ids[akz],
        aktenzeichen=akz,
        fallbeginn=beginn,
        fallstatus=kw.pop("fallstatus", "AKTIV"),
        integrationsmanager=im,
        regionalteam=team,
        **kw,
    )


def _link(fid: int, akz: str) -> dict[str, Any]:
    return {"fall_enaio_id": fid, "klient_enaio_id": _ids[akz], "aktenzeichen": akz, "modified_at": STAMP}


def kontakt(kid: int, fid: int, akz: str, datum: str, art: str, im: str = "P1", **kw: Any) -> Kontakt:
    return Kontakt(
        enaio_id=kid,
        enaio_type="IM_KONTAKT",
        **_link(fid, akz),
        datum=datum,
        kontaktart=art,
        integrationsmanager=im,
        **kw,
    )


def plan(
    pid: int, fid: int, akz: str, version: int, status: str, vereinbart: str | None, **kw: Any
) -> Integrationsplan:
    return Integrationsplan(
        enaio_id=pid,
        enaio_type="IM_PLAN",
        **_link(fid, akz),
        planart="INTEGRATIONSZIELVEREINBARUNG",
        planversion=version,
        erstellt_am="2017-01-01",
        vereinbart_am=vereinbart,
        planstatus=status,
        **kw,
    )


def ziel(feld: str, status: str, statusdatum: str) -> Ziel:
    return Ziel(handlungsfeld=feld, ziel="geheim", zielstatus=status, statusdatum=statusdatum)


def staff(
    number: str,
    vzae: str,
    ab: str,
    bis: str | None = None,
    ok: bool = True,
    team: str = "MOESSINGEN",
    traeger: str | None = "LANDRATSAMT",
) -> Mitarbeitende:
    return Mitarbeitende(
        enaio_id=900 + len(number) + int(Decimal(vzae) * 100) + int(ab[5:7]),
        enaio_type="ORG_MITARBEITENDE",
        modified_at=STAMP,
        personalnummer=number,
        name="Name",
        regionalteam=team,
        vzae=Decimal(vzae),
        gueltig_ab=ab,
        gueltig_bis=bis,
        traeger=traeger,
        foerderfaehig=ok,
    )


def dataset() -> KennzahlenInput:
    """Period 2018-Q2 (01.04.–30.06.2018), Stichtag 30.06.2018, Zielgruppen-Stichtag 15.09.2017."""
    klienten = [
        # A1 + A2: one household in AU since 2017, IM transferred -> Zielgruppe
        klient("IM-A1", geburtsdatum="1990-05-01", staatsangehoerigkeit="SYR", zuzug_au="2017-01-01",
               im_uebertragen=True, haushaltsnummer="H1", sprachniveau_deutsch="B1",
               sprachniveau_datum="2018-01-01", aufenthaltsstatus="AE_FLUECHTLING"),
        klient("IM-A2", geburtsdatum="2010-01-01", geschlecht="MAENNLICH", staatsangehoerigkeit="SYR",
               zuzug_au="2017-01-01", im_uebertragen=True, haushaltsnummer="H1",
               aufenthaltsstatus="AE_FLUECHTLING"),
        # B1: moved into AU exactly on the cut-off (counts), out on 01.05.2018 into a flat (K17)
        klient("IM-B1", geburtsdatum="1980-07-01", geschlecht="MAENNLICH", staatsangehoerigkeit="AFG",
               zuzug_au="2017-09-15", auszug_au="2018-05-01", im_uebertragen=True,
               unterbringungsart="PRIVATWOHNUNG", unterbringung_seit="2018-05-01", sprachniveau_deutsch="A2",
               wohnkommune="Rottenburg am Neckar", aufenthaltsstatus="AE_SUBSIDIAER"),
        # C1: into AU a day after the cut-off -> not Zielgruppe; no birth date, nationality, residence status
        klient("IM-C1", zuzug_au="2017-09-16", im_uebertragen=True, wohnkommune=FORMULA_KOMMUNE),
        # D1: Tübingen did not transfer IM -> not Zielgruppe
        klient("IM-D1", geburtsdatum="1970-01-01", staatsangehoerigkeit="ERI", zuzug_au="2016-01-01",
               wohnkommune="Tübingen", aufenthaltsstatus="DULDUNG"),
        # E1: left AU on the cut-off day itself -> not Zielgruppe
        klient("IM-E1", geburtsdatum="1985-01-01", zuzug_au="2016-01-01", auszug_au="2017-09-15",
               im_uebertragen=True, unterbringungsart="PRIVATWOHNUNG", unterbringung_seit="2017-09-15"),
        # V1: VU, turns 18 on the Stichtag
        klient("IM-V1", geburtsdatum="2000-06-30", unterbringungsart="VORLAEUFIGE_UNTERBRINGUNG",
               unterbringung_seit="2018-06-30", wohnkommune="Tübingen"),
        # G1: Zielgruppe, but no case and no Sondierung
        klient("IM-G1", zuzug_au="2017-01-01", im_uebertragen=True),
    ]  # fmt: skip
    faelle = [
        fall(101, "IM-A1", "2017-03-01"),
        fall(102, "IM-A2", "2017-03-01"),
        fall(103, "IM-B1", "2016-01-01", im="P2", team="ROTTENBURG", fallende="2016-12-31",
             fallstatus="ABGESCHLOSSEN", abschlussgrund="KEIN_KONTAKT_8_MONATE"),
        fall(104, "IM-B1", "2018-04-01", im="P2", team="ROTTENBURG"),
        fall(105, "IM-C1", "2015-01-10", team="TUEBINGEN"),
        fall(106, "IM-D1", "2015-03-01", team="TUEBINGEN", verlaengert_bis="2019-03-01",
             begruendung_verlaengerung="Ausbildung"),
        fall(107, "IM-E1", "2017-01-01", fallende="2018-06-30", fallstatus="ABGESCHLOSSEN",
             abschlussgrund="ZIELE_ERREICHT_SELBSTSTAENDIG"),
        fall(108, "IM-V1", "2018-06-30", im="P3", team="TUEBINGEN"),
    ]  # fmt: skip
    kontakte = [
        kontakt(201, 101, "IM-A1", "2018-04-01", "SONDIERUNG", themen=("SPRACHE", "WOHNEN"),
                weitere_teilnehmende=("IM-A2",)),
        kontakt(202, 101, "IM-A1", "2018-06-30", "BERATUNG", themen=("SPRACHE",),
                weitere_teilnehmende=("IM-A2",)),
        kontakt(203, 101, "IM-A1", "2018-03-31", "BERATUNG", themen=("SPRACHE",)),
        kontakt(204, 101, "IM-A1", "2018-07-01", "BERATUNG", themen=("SPRACHE",)),
        kontakt(205, 104, "IM-B1", "2018-05-02", "KURZKONTAKT", im="P2", themen=("WOHNEN",)),
        kontakt(206, 104, "IM-B1", "2018-05-03", "SONDIERUNG", im="P2", themen=("ARBEIT_BESCHAEFTIGUNG",)),
        kontakt(207, 105, "IM-C1", "2018-05-04", "BERATUNG", weitere_teilnehmende=("IM-A1",)),
        kontakt(208, 106, "IM-D1", "2018-05-05", "GRUPPENANGEBOT", themen=("SPRACHE",)),
    ]  # fmt: skip
    plaene = [
        plan(301, 101, "IM-A1", 0, "VEREINBART", "2018-06-30", weitere_personen=("IM-A2",),
             integrationsmanager="P1",
             ziele=(ziel("SPRACHE", "ERREICHT", "2018-06-01"), ziel("WOHNEN", "NICHT_ERREICHT", "2018-06-15"),
                    ziel("ARBEIT_BESCHAEFTIGUNG", "ERREICHT", "2018-07-15"))),
        plan(302, 104, "IM-B1", 0, "VEREINBART", "2018-07-01", integrationsmanager="P2"),
        plan(303, 106, "IM-D1", 0, "FORTGESCHRIEBEN", "2017-05-01"),
        plan(304, 106, "IM-D1", 1, "VEREINBART", "2018-05-15",
             ziele=(ziel("SPRACHE", "TEILWEISE_ERREICHT", "2018-05-20"),)),
        plan(305, 105, "IM-C1", 0, "ENTWURF", None),
    ]  # fmt: skip
    einwilligungen = [
        Einwilligung(enaio_id=401, enaio_type="IM_EINWILLIGUNG", **_link(101, "IM-A1"),
                     zweck="AUSTAUSCH_JOBCENTER",
                     erteilt_am="2018-04-01"),
        Einwilligung(enaio_id=402, enaio_type="IM_EINWILLIGUNG", **_link(106, "IM-D1"),
                     zweck="AUSTAUSCH_JOBCENTER",
                     erteilt_am="2018-04-01", widerrufen_am="2018-06-30"),
    ]  # fmt: skip
    mitarbeitende = [
        staff("P1", "1.00", "2018-01-01"),
        staff("P2", "0.40", "2016-01-01", "2018-04-30", ok=False, team="ROTTENBURG"),
        staff("P2", "0.50", "2018-05-01", team="ROTTENBURG"),
        staff("P3", "1.00", "2017-01-01", ok=False, team="TUEBINGEN"),
        staff("P4", "0.80", "2018-06-16", "2018-06-30", team="TUEBINGEN"),
    ]
    return KennzahlenInput(mitarbeitende, klienten, faelle, kontakte, plaene, einwilligungen)
