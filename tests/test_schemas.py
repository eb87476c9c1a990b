"""Record models: valid and invalid input for every entity, dates, enums, cross-field rules, personal data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas import (
    ENTITIES,
    Beratungsfall,
    Einwilligung,
    Integrationsplan,
    Kennzahlwert,
    Klient,
    Kontakt,
    Mitarbeitende,
    Ziel,
    hoechstdauer_bis,
    personal_fields,
)
from schemas.base import Record
from schemas.enums import (
    Handlungsfeld,
    Kontaktart,
    Planstatus,
    Unterbringungsart,
    Verantwortlich,
    Zielstatus,
)
from schemas.types import parse_datum

STAMP = "2024-03-01T10:15:00+01:00"
FALL_DOC = {"fall_enaio_id": 5001, "klient_enaio_id": 4001, "aktenzeichen": "IM-2018-0042"}


def klient() -> dict[str, Any]:
    return {
        "enaio_id": 4001,
        "enaio_type": "IM_KLIENT",
        "modified_at": STAMP,
        "aktenzeichen": "IM-2018-0042",
        "familienname": "Haddad",
        "vornamen": "Lina",
        "geburtsdatum": "14.02.1990",
        "geschlecht": "WEIBLICH",
        "staatsangehoerigkeit": "SYR",
        "aufenthaltsstatus": "AE_FLUECHTLING",
        "aufenthaltsstatus_seit": "2017-05-02",
        "unterbringungsart": "ANSCHLUSSUNTERBRINGUNG",
        "unterbringung_seit": "01.09.2018",
        "wohnkommune": "Mössingen",
        "im_uebertragen": True,
        "zuzug_au": "01.09.2018",
        "haushaltsnummer": "HH-0007",
        "rolle_im_haushalt": "HAUPTPERSON",
        "sprachniveau_deutsch": "B1",
        "sprachniveau_datum": "2020-06-30",
        "erwerbsstatus": "SV_BESCHAEFTIGT",
        "erwerbsstatus_seit": "2021-01-01",
    }


def beratungsfall() -> dict[str, Any]:
    return {
        "enaio_id": 5001,
        "enaio_type": "IM_FALL",
        "modified_at": STAMP,
        "klient_enaio_id": 4001,
        "aktenzeichen": "IM-2018-0042",
        "fallbeginn": "03.09.2018",
        "fallstatus": "AKTIV",
        "integrationsmanager": "P0815",
        "regionalteam": "MOESSINGEN",
        "hoechstdauer_bis": "2021-09-03",
        "verlaengert_bis": "03.09.2022",
        "begruendung_verlaengerung": "Ausbildung läuft noch",
    }


def kontakt() -> dict[str, Any]:
    return {
        "enaio_id": 6001,
        "enaio_type": "IM_KONTAKT",
        "modified_at": STAMP,
        **FALL_DOC,
        "datum": "05.09.2018",
        "kontaktart": "SONDIERUNG",
        "kanal": "PERSOENLICH",
        "dauer_min": 60,
        "themen": ["SPRACHE", "WOHNEN"],
        "dolmetschung": True,
        "integrationsmanager": "P0815",
        "weitere_teilnehmende": ["IM-2018-0043", "IM-2018-0044"],
    }


def integrationsplan() -> dict[str, Any]:
    return {
        "enaio_id": 7001,
        "enaio_type": "IM_PLAN",
        "modified_at": STAMP,
        **FALL_DOC,
        "planart": "INTEGRATIONSZIELVEREINBARUNG",
        "planversion": 0,
        "erstellt_am": "10.10.2018",
        "vereinbart_am": "12.10.2018",
        "planstatus": "VEREINBART",
        "naechste_ueberpruefung": "2019-04-12",
        "unterschrift_klient": True,
        "integrationsmanager": "P0815",
        "weitere_personen": ["IM-2018-0043"],
        "ziele": [
            {
                "handlungsfeld": "SPRACHE",
                "ziel": "B1-Prüfung bestehen",
                "massnahme": "Anmeldung Integrationskurs",
                "verantwortlich": "KLIENT",
                "frist": "30.06.2019",
                "zielstatus": "IN_BEARBEITUNG",
                "statusdatum": "2019-01-15",
            }
        ],
    }


def einwilligung() -> dict[str, Any]:
    return {
        "enaio_id": 8001,
        "enaio_type": "IM_EINWILLIGUNG",
        "modified_at": STAMP,
        **FALL_DOC,
        "zweck": "AUSTAUSCH_JOBCENTER",
        "empfaenger": "Jobcenter Landkreis Tübingen",
        "erteilt_am": "05.09.2018",
        "gueltig_bis": "2021-09-05",
    }


def jobcenter_datenweitergabe() -> dict[str, Any]:
    return {
        "enaio_id": 9001,
        "enaio_type": "IM_JC_DATEN",
        "modified_at": STAMP,
        **FALL_DOC,
        "uebermittelt_am": "20.09.2018",
        "schulabschluss": "SEKUNDARSTUFE_II",
        "berufsausbildung": "Elektriker",
        "berufserfahrung": "5 Jahre Elektroinstallation",
        "anerkennungsverfahren": "BEANTRAGT",
        "sprachniveau": "A2",
        "arbeitswunsch": "Elektroniker",
    }


def mitarbeitende() -> dict[str, Any]:
    return {
        "enaio_id": 13001,
        "enaio_type": "ORG_MITARBEITENDE",
        "modified_at": STAMP,
        "personalnummer": "P0815",
        "name": "Erika Muster",
        "regionalteam": "MOESSINGEN",
        "vzae": "0.75",
        "gueltig_ab": "01.01.2018",
        "gueltig_bis": "31.12.2018",
        "traeger": "LANDRATSAMT",
        "foerderfaehig": True,
    }


def kennzahlwert() -> dict[str, Any]:
    return {
        "code": "K03",
        "name": "Beratungsgespräche",
        "value": 772,
        "unit": "Gespräche",
        "period_from": "2018-01-01",
        "period_to": "31.12.2018",
        "stichtag": None,
        "dimensions": {"regionalteam": "MOESSINGEN"},
        "suppressed": False,
        "rule_version": "2024.1",
    }


VALID: dict[str, Callable[[], dict[str, Any]]] = {
    "klient": klient,
    "beratungsfall": beratungsfall,
    "kontakt": kontakt,
    "integrationsplan": integrationsplan,
    "einwilligung": einwilligung,
    "jobcenter_datenweitergabe": jobcenter_datenweitergabe,
    "mitarbeitende": mitarbeitende,
    "kennzahlwert": kennzahlwert,
}

# A required date field per entity, to prove impossible dates are refused everywhere.
DATE_FIELD = {
    "klient": "geburtsdatum",
    "beratungsfall": "fallbeginn",
    "kontakt": "datum",
    "integrationsplan": "erstellt_am",
    "einwilligung": "erteilt_am",
    "jobcenter_datenweitergabe": "uebermittelt_am",
    "mitarbeitende": "gueltig_ab",
    "kennzahlwert": "period_from",
}

RECORDS = [name for name, model in ENTITIES.items() if issubclass(model, Record)]


def errors_of(model: type[BaseModel], data: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [dict(error) for error in info.value.errors()]


def test_every_entity_has_test_data() -> None:
    assert set(VALID) == set(ENTITIES) == set(DATE_FIELD)
    assert [name for name in ENTITIES if name != "kennzahlwert"] == RECORDS


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_valid_record_round_trips_through_json(entity: str) -> None:
    model = ENTITIES[entity]
    record = model.model_validate(VALID[entity]())
    dumped = record.model_dump(mode="json")
    assert model.model_validate(dumped) == record
    assert model.model_validate_json(record.model_dump_json()) == record


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_unknown_key_is_refused(entity: str) -> None:
    errors = errors_of(ENTITIES[entity], {**VALID[entity](), "bemerkung": "x"})
    assert [(e["type"], e["loc"]) for e in errors] == [("extra_forbidden", ("bemerkung",))]


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_records_are_frozen(entity: str) -> None:
    model = ENTITIES[entity]
    record = model.model_validate(VALID[entity]())
    field = DATE_FIELD[entity]
    with pytest.raises(ValidationError, match="frozen_instance"):
        setattr(record, field, date(2000, 1, 1))
    assert getattr(record, field) != date(2000, 1, 1)


@pytest.mark.parametrize("entity", sorted(ENTITIES))
@pytest.mark.parametrize("impossible", ["31.06.2018", "2018-06-31", "29.02.2019"])
def test_impossible_date_is_refused_with_field_name(entity: str, impossible: str) -> None:
    field = DATE_FIELD[entity]
    with pytest.raises(ValidationError) as info:
        ENTITIES[entity].model_validate({**VALID[entity](), field: impossible})
    errors = info.value.errors()
    assert len(errors) == 1
    assert errors[0]["loc"] == (field,)
    assert f"{impossible} is not a valid date" in errors[0]["msg"]
    assert field in str(info.value)


@pytest.mark.parametrize("entity", RECORDS)
def test_naive_modified_at_is_refused(entity: str) -> None:
    errors = errors_of(ENTITIES[entity], {**VALID[entity](), "modified_at": datetime(2024, 3, 1, 10, 15)})  # noqa: DTZ001
    assert [(e["type"], e["loc"]) for e in errors] == [("timezone_aware", ("modified_at",))]


@pytest.mark.parametrize("entity", RECORDS)
def test_modified_at_keeps_its_offset(entity: str) -> None:
    record = ENTITIES[entity].model_validate(VALID[entity]())
    assert isinstance(record, Record)
    assert record.modified_at == datetime(2024, 3, 1, 9, 15, tzinfo=UTC)
    assert record.modified_at.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("entity", RECORDS)
@pytest.mark.parametrize("enaio_id", [0, -5, "abc"])
def test_enaio_id_must_be_a_positive_int(entity: str, enaio_id: object) -> None:
    errors = errors_of(ENTITIES[entity], {**VALID[entity](), "enaio_id": enaio_id})
    assert [e["loc"] for e in errors] == [("enaio_id",)]


@pytest.mark.parametrize(
    ("entity", "field", "value"),
    [
        ("klient", "geschlecht", "w"),
        ("klient", "unterbringungsart", "PRIVAT"),  # site key, the mapping must translate it
        ("klient", "aufenthaltsstatus", "ASYL"),
        ("klient", "rolle_im_haushalt", "VATER"),
        ("klient", "sprachniveau_deutsch", "B3"),
        ("klient", "erwerbsstatus", "ARBEITSLOS"),
        ("beratungsfall", "fallstatus", "OFFEN"),
        ("beratungsfall", "abschlussgrund", "UMZUG"),
        ("kontakt", "kontaktart", "ERSTGESPRAECH"),  # the domain word; the member is SONDIERUNG
        ("kontakt", "kanal", "BRIEF"),
        ("integrationsplan", "planart", "HILFEPLAN"),
        ("integrationsplan", "planstatus", "AKTIV"),
        ("einwilligung", "zweck", "WERBUNG"),
        ("jobcenter_datenweitergabe", "schulabschluss", "ABITUR"),
        ("jobcenter_datenweitergabe", "anerkennungsverfahren", "OFFEN"),
        ("jobcenter_datenweitergabe", "sprachniveau", "b1"),
        ("mitarbeitende", "traeger", "CARITAS"),
    ],
)
def test_unknown_enum_value_is_refused(entity: str, field: str, value: str) -> None:
    errors = errors_of(ENTITIES[entity], {**VALID[entity](), field: value})
    assert [(e["type"], e["loc"]) for e in errors] == [("enum", (field,))]


@pytest.mark.parametrize(
    ("entity", "field", "value"),
    [
        ("kontakt", "themen", ["SPRACHE", "KOCHEN"]),
        ("integrationsplan", "ziele", [{"handlungsfeld": "SPRACHE", "ziel": "x", "zielstatus": "FERTIG"}]),
    ],
)
def test_unknown_enum_value_in_a_list_is_refused(entity: str, field: str, value: object) -> None:
    errors = errors_of(ENTITIES[entity], {**VALID[entity](), field: value})
    assert len(errors) == 1
    assert errors[0]["type"] == "enum"
    assert errors[0]["loc"][:2] == (field, 1 if field == "themen" else 0)


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_missing_required_field_is_named(entity: str) -> None:
    data = VALID[entity]()
    # only identifying fields are required: geburtsdatum, geschlecht and erstellt_am merely describe
    missing = {"klient": "aktenzeichen", "integrationsplan": "planversion"}.get(entity, DATE_FIELD[entity])
    del data[missing]
    errors = errors_of(ENTITIES[entity], data)
    assert [(e["type"], e["loc"]) for e in errors] == [("missing", (missing,))]


# --- the date type --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("31.05.2018", date(2018, 5, 31)),
        ("2018-05-31", date(2018, 5, 31)),
        (" 29.02.2020 ", date(2020, 2, 29)),
        (date(2018, 5, 31), date(2018, 5, 31)),
    ],
)
def test_datum_accepts_german_iso_and_date(given: object, expected: date) -> None:
    assert parse_datum(given) == expected
    record = Kontakt.model_validate({**kontakt(), "datum": given})
    assert record.datum == expected
    assert record.model_dump(mode="json")["datum"] == expected.isoformat()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("31.6.2018", "'31.6.2018' is not a date in the form YYYY-MM-DD or DD.MM.YYYY"),
        ("2018/06/30", "'2018/06/30' is not a date in the form YYYY-MM-DD or DD.MM.YYYY"),
        ("30.06.18", "'30.06.18' is not a date in the form YYYY-MM-DD or DD.MM.YYYY"),
        ("", "'' is not a date in the form YYYY-MM-DD or DD.MM.YYYY"),
        ("00.01.2018", "00.01.2018 is not a valid date"),
        ("2018-13-01", "2018-13-01 is not a valid date"),
        (20180630, "expected a date or a date string, got int"),
        (datetime(2018, 6, 30, tzinfo=UTC), "expected a date without time, got a datetime"),
    ],
)
def test_datum_refuses_other_forms(given: object, message: str) -> None:
    errors = errors_of(Kontakt, {**kontakt(), "datum": given})
    assert [e["loc"] for e in errors] == [("datum",)]
    assert message in errors[0]["msg"]


# --- Klient ---------------------------------------------------------------------------------------


def test_klient_values_are_normalized() -> None:
    record = Klient.model_validate({**klient(), "aktenzeichen": " IM-1 "})
    assert record.staatsangehoerigkeit == "SYR"
    assert record.aktenzeichen == "IM-1"
    assert record.geburtsdatum == date(1990, 2, 14)
    assert record.unterbringungsart is Unterbringungsart.ANSCHLUSSUNTERBRINGUNG
    assert record.auszug_au is None
    assert record.zielgruppe_ukraine is False


def test_klient_minimal_record_defaults() -> None:
    minimal = {
        key: klient()[key]
        for key in (
            "enaio_id",
            "enaio_type",
            "modified_at",
            "aktenzeichen",
            "familienname",
            "vornamen",
            "geschlecht",
            "unterbringungsart",
            "wohnkommune",
        )
    }
    record = Klient.model_validate(minimal)
    assert record.geburtsdatum is None
    assert record.im_uebertragen is False
    assert record.rolle_im_haushalt is None


@pytest.mark.parametrize("code", ["XXA", "XXX", "UKR"])
def test_staatsangehoerigkeit_accepts_alpha3_and_placeholders(code: str) -> None:
    assert Klient.model_validate({**klient(), "staatsangehoerigkeit": code}).staatsangehoerigkeit == code


@pytest.mark.parametrize("code", ["SY", "SYRI", "Syrien", "syr", " SYR", "S1R", ""])
def test_staatsangehoerigkeit_refuses_other_strings(code: str) -> None:
    errors = errors_of(Klient, {**klient(), "staatsangehoerigkeit": code})
    assert [(e["type"], e["loc"]) for e in errors] == [("string_pattern_mismatch", ("staatsangehoerigkeit",))]


def test_unterbringungsart_covers_the_county_report() -> None:
    assert {member.name for member in Unterbringungsart} >= {
        "VORLAEUFIGE_UNTERBRINGUNG",
        "ANSCHLUSSUNTERBRINGUNG",
        "PRIVATWOHNUNG",
        "JUGENDHILFE",
        "SONSTIGE",
    }


def test_kontaktart_uses_sondierung_for_the_domain_erstgespraech() -> None:
    assert [member.value for member in Kontaktart] == [
        "SONDIERUNG",
        "BERATUNG",
        "PLANGESPRAECH",
        "BEGLEITUNG",
        "FALLKONFERENZ",
        "KURZKONTAKT",
        "GRUPPENANGEBOT",
    ]
    assert "ERSTGESPRAECH" in (Kontaktart.__doc__ or "")


# --- Beratungsfall --------------------------------------------------------------------------------


def test_beratungsfall_values() -> None:
    record = Beratungsfall.model_validate(beratungsfall())
    assert record.fallbeginn == date(2018, 9, 3)
    assert record.hoechstdauer_bis == hoechstdauer_bis(record.fallbeginn) == date(2021, 9, 3)
    assert record.verlaengert_bis == date(2022, 9, 3)


def test_fallende_before_fallbeginn_is_refused() -> None:
    errors = errors_of(Beratungsfall, {**beratungsfall(), "fallende": "02.09.2018"})
    assert len(errors) == 1
    assert "fallende 2018-09-02 is before fallbeginn 2018-09-03" in errors[0]["msg"]


def test_fallende_on_fallbeginn_is_accepted() -> None:
    record = Beratungsfall.model_validate(
        {**beratungsfall(), "fallende": "03.09.2018", "fallstatus": "ABGESCHLOSSEN"}
    )
    assert record.fallende == record.fallbeginn


@pytest.mark.parametrize("begruendung", [None, "   "])
def test_verlaengerung_requires_a_reason(begruendung: str | None) -> None:
    data = {**beratungsfall(), "begruendung_verlaengerung": begruendung}
    errors = errors_of(Beratungsfall, data)
    assert len(errors) == 1
    assert "verlaengert_bis requires begruendung_verlaengerung" in errors[0]["msg"]


def test_verlaengerung_beyond_four_years_is_left_to_the_data_quality_report() -> None:
    record = Beratungsfall.model_validate({**beratungsfall(), "verlaengert_bis": "2030-01-01"})
    assert record.verlaengert_bis == date(2030, 1, 1)


@pytest.mark.parametrize(
    ("beginn", "ende"),
    [
        (date(2021, 5, 1), date(2024, 5, 1)),
        (date(2020, 2, 29), date(2023, 2, 28)),
        (date(2021, 12, 31), date(2024, 12, 31)),
    ],
)
def test_hoechstdauer_bis_is_three_years(beginn: date, ende: date) -> None:
    assert hoechstdauer_bis(beginn) == ende


# --- Kontakt --------------------------------------------------------------------------------------


def test_kontakt_lists_are_tuples_without_duplicates() -> None:
    data = {
        **kontakt(),
        "themen": ["WOHNEN", "SPRACHE", "WOHNEN"],
        "weitere_teilnehmende": ["B-2", "A-1", "B-2"],
    }
    record = Kontakt.model_validate(data)
    assert record.themen == (Handlungsfeld.WOHNEN, Handlungsfeld.SPRACHE)
    assert record.weitere_teilnehmende == ("B-2", "A-1")
    assert record.kontaktart is Kontaktart.SONDIERUNG


def test_kontakt_defaults_to_empty_lists() -> None:
    data = {
        k: v
        for k, v in kontakt().items()
        if k not in {"themen", "weitere_teilnehmende", "kanal", "dauer_min"}
    }
    record = Kontakt.model_validate(data)
    assert record.themen == ()
    assert record.weitere_teilnehmende == ()
    assert record.dolmetschung is True


@pytest.mark.parametrize(
    ("field", "value"), [("dauer_min", -1), ("dauer_min", 1441), ("weitere_teilnehmende", [""])]
)
def test_kontakt_refuses_out_of_range_values(field: str, value: object) -> None:
    errors = errors_of(Kontakt, {**kontakt(), field: value})
    assert len(errors) == 1
    assert errors[0]["loc"][0] == field


# --- Integrationsplan -----------------------------------------------------------------------------


def test_integrationsplan_with_goals() -> None:
    record = Integrationsplan.model_validate(integrationsplan())
    assert record.planstatus is Planstatus.VEREINBART
    assert record.weitere_personen == ("IM-2018-0043",)
    assert record.ziele == (
        Ziel(
            handlungsfeld=Handlungsfeld.SPRACHE,
            ziel="B1-Prüfung bestehen",
            massnahme="Anmeldung Integrationskurs",
            verantwortlich=Verantwortlich.KLIENT,
            frist=date(2019, 6, 30),
            zielstatus=Zielstatus.IN_BEARBEITUNG,
            statusdatum=date(2019, 1, 15),
        ),
    )


def test_vereinbart_requires_vereinbart_am() -> None:
    errors = errors_of(Integrationsplan, {**integrationsplan(), "vereinbart_am": None})
    assert len(errors) == 1
    assert "planstatus VEREINBART requires vereinbart_am" in errors[0]["msg"]


def test_entwurf_without_date_and_without_goals_is_valid() -> None:
    record = Integrationsplan.model_validate(
        {**integrationsplan(), "planstatus": "ENTWURF", "vereinbart_am": None, "ziele": []}
    )
    assert record.ziele == ()
    assert record.vereinbart_am is None


def test_vereinbart_plan_without_goals_is_valid() -> None:
    assert Integrationsplan.model_validate({**integrationsplan(), "ziele": []}).ziele == ()


def test_negative_planversion_is_refused() -> None:
    errors = errors_of(Integrationsplan, {**integrationsplan(), "planversion": -1})
    assert [(e["type"], e["loc"]) for e in errors] == [("greater_than_equal", ("planversion",))]


def test_ziel_impossible_date_names_the_row_and_field() -> None:
    data = integrationsplan()
    data["ziele"][0]["frist"] = "31.06.2019"
    errors = errors_of(Integrationsplan, data)
    assert [e["loc"] for e in errors] == [("ziele", 0, "frist")]
    assert "31.06.2019 is not a valid date" in errors[0]["msg"]


# --- Einwilligung ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["widerrufen_am", "gueltig_bis"])
def test_einwilligung_dates_before_erteilt_am_are_refused(field: str) -> None:
    errors = errors_of(Einwilligung, {**einwilligung(), field: "04.09.2018"})
    assert len(errors) == 1
    assert f"{field} 2018-09-04 is before erteilt_am 2018-09-05" in errors[0]["msg"]


@pytest.mark.parametrize(
    ("stichtag", "widerrufen_am", "expected"),
    [
        (date(2018, 9, 4), None, False),
        (date(2018, 9, 5), None, True),
        (date(2021, 9, 5), None, True),
        (date(2021, 9, 6), None, False),
        (date(2019, 1, 31), "2019-02-01", True),
        (date(2019, 2, 1), "2019-02-01", False),
    ],
)
def test_einwilligung_gilt_am(stichtag: date, widerrufen_am: str | None, expected: bool) -> None:
    record = Einwilligung.model_validate({**einwilligung(), "widerrufen_am": widerrufen_am})
    assert record.gilt_am(stichtag) is expected


# --- Mitarbeitende --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"), [("0.75", Decimal("0.75")), (1, Decimal(1)), ("0", Decimal(0))]
)
def test_vzae_is_a_decimal(given: object, expected: Decimal) -> None:
    record = Mitarbeitende.model_validate({**mitarbeitende(), "vzae": given})
    assert record.vzae == expected
    assert isinstance(record.vzae, Decimal)


@pytest.mark.parametrize(
    ("given", "error_type"),
    [
        ("1.01", "less_than_equal"),
        ("-0.10", "greater_than_equal"),
        ("0.755", "decimal_max_places"),
        ("x", "decimal_parsing"),
    ],
)
def test_vzae_outside_range_or_precision_is_refused(given: str, error_type: str) -> None:
    errors = errors_of(Mitarbeitende, {**mitarbeitende(), "vzae": given})
    assert [(e["type"], e["loc"]) for e in errors] == [(error_type, ("vzae",))]


def test_gueltig_bis_before_gueltig_ab_is_refused() -> None:
    errors = errors_of(Mitarbeitende, {**mitarbeitende(), "gueltig_bis": "31.12.2017"})
    assert len(errors) == 1
    assert "gueltig_bis 2017-12-31 is before gueltig_ab 2018-01-01" in errors[0]["msg"]


def test_open_ended_period_is_valid() -> None:
    assert Mitarbeitende.model_validate({**mitarbeitende(), "gueltig_bis": None}).gueltig_bis is None


# --- Kennzahlwert ---------------------------------------------------------------------------------


def test_kennzahlwert_has_exactly_the_contract_keys() -> None:
    assert list(Kennzahlwert.model_fields) == [
        "code",
        "name",
        "value",
        "unit",
        "period_from",
        "period_to",
        "stichtag",
        "dimensions",
        "suppressed",
        "rule_version",
    ]
    assert all(info.is_required() for info in Kennzahlwert.model_fields.values())


@pytest.mark.parametrize(
    ("given", "expected"), [(772, 772), ("12.5", Decimal("12.5")), (Decimal("0.75"), Decimal("0.75"))]
)
def test_kennzahlwert_value_keeps_int_and_decimal(given: object, expected: object) -> None:
    record = Kennzahlwert.model_validate({**kennzahlwert(), "value": given})
    assert record.value == expected
    assert type(record.value) is type(expected)


def test_suppressed_cell_has_no_value() -> None:
    record = Kennzahlwert.model_validate(
        {**kennzahlwert(), "value": None, "suppressed": True, "dimensions": {}}
    )
    assert record.value is None
    assert record.dimensions == {}
    errors = errors_of(Kennzahlwert, {**kennzahlwert(), "suppressed": True})
    assert "a suppressed value must be None" in errors[0]["msg"]


def test_kennzahlwert_refuses_reversed_period_and_bool_value() -> None:
    errors = errors_of(Kennzahlwert, {**kennzahlwert(), "period_to": "2017-12-31"})
    assert "period_to 2017-12-31 is before period_from 2018-01-01" in errors[0]["msg"]
    errors = errors_of(Kennzahlwert, {**kennzahlwert(), "value": True})
    assert [e["loc"] for e in errors] == [("value",)]
    assert "not a boolean" in errors[0]["msg"]


def test_kennzahlwert_dimensions_are_strings() -> None:
    errors = errors_of(Kennzahlwert, {**kennzahlwert(), "dimensions": {"jahr": 2018}})
    assert [e["loc"] for e in errors] == [("dimensions", "jahr")]


# --- personal fields ------------------------------------------------------------------------------


PERSONAL = {
    "klient": {"familienname", "vornamen", "geburtsdatum"},
    "beratungsfall": {"begruendung_verlaengerung"},
    "kontakt": set(),
    "integrationsplan": {"ziele.ziel", "ziele.massnahme"},
    "einwilligung": {"empfaenger"},
    "jobcenter_datenweitergabe": {"berufsausbildung", "berufserfahrung", "arbeitswunsch"},
    "mitarbeitende": {"name"},
    "kennzahlwert": set(),
}


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_personal_fields(entity: str) -> None:
    assert personal_fields(ENTITIES[entity]) == frozenset(PERSONAL[entity])


def test_personal_fields_of_ziel_and_json_marker() -> None:
    assert personal_fields(Ziel) == frozenset({"ziel", "massnahme"})
    properties = Klient.model_json_schema()["properties"]
    assert properties["familienname"]["personal"] is True
    assert "personal" not in properties["aktenzeichen"]
