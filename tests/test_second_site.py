"""A second site with other internal names, other catalogues and goals as separate ZIEL documents, read
through the same reader into the same schemas. Everything site-specific is in tests/sites/second/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.config import Interface
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer, build_state
from connector.enaio.interface import NewObject
from mappings import Quarantine, RecordReader, load_profile
from schemas import Beratungsfall, Integrationsplan, Klient, Kontakt, Mitarbeitende, Record
from schemas.enums import (
    Fallstatus,
    Geschlecht,
    Handlungsfeld,
    Kontaktart,
    Planart,
    Planstatus,
    Traeger,
    Unterbringungsart,
    Zielstatus,
)
from tests.conftest import INTERFACES, TEST_USERS

SITE = Path(__file__).parent / "sites" / "second"


@pytest.fixture(scope="module")
def second_site() -> Iterator[tuple[EmulatorServer, dict[str, int]]]:
    """An emulator on the second site with a small dataset inserted through the client."""
    state = build_state(site=SITE / "objdef.xml", users=dict(TEST_USERS))
    with EmulatorServer(state) as server:
        from tests.conftest import make_settings

        with EnaioClient(make_settings(server, INTERFACES[0])) as client:
            yield server, _insert_dataset(client)


def _insert(client: EnaioClient, type_name: str, parent: int | None, fields: dict[str, Any]) -> int:
    return client.api.insert(NewObject(type_name=type_name, parent_id=parent, fields=fields))


def _insert_dataset(client: EnaioClient) -> dict[str, int]:
    ids: dict[str, int] = {}
    ids["p1"] = _insert(
        client,
        "PERSON",
        None,
        {
            "AZ": "BK-001",
            "NACHNAME": "Muster",
            "VORNAME": "Amal",
            "GEBDAT": date(1990, 5, 17),
            "GESCHL": "W",
            "NATION": "SYR",
            "UNTERKUNFT": "AU_WHG",
            "UNTERKUNFT_AB": date(2019, 1, 1),
            "GEMEINDE": "Adorf",
            "UKRAINE": 0,
            "BEMERKUNG": "freier Text",
        },
    )
    ids["p2"] = _insert(
        client,
        "PERSON",
        None,
        {
            "AZ": "BK-002",
            "NACHNAME": "Beispiel",
            "VORNAME": "Omar",
            "GESCHL": "M",
            "UNTERKUNFT": "GU_VORL",
            "GEMEINDE": "Bestadt",
            "UKRAINE": 1,
        },
    )
    # NATION in lower case: accepted by the server (free text), refused by the schema -> kept without it
    ids["p3"] = _insert(
        client,
        "PERSON",
        None,
        {
            "AZ": "BK-003",
            "NACHNAME": "X",
            "VORNAME": "Y",
            "GESCHL": "K",
            "NATION": "syr",
            "UNTERKUNFT": "JUGENDHILFE",
            "GEMEINDE": "Cehausen",
        },
    )
    ids["f1"] = _insert(
        client,
        "BERATUNG",
        ids["p1"],
        {"BEGINN": date(2020, 2, 29), "STATUS": "LAUFEND", "BERATER": "P-7", "TEAM": "NORD"},
    )
    ids["f2"] = _insert(
        client,
        "BERATUNG",
        ids["p2"],
        {
            "BEGINN": date(2019, 3, 1),
            "ENDE": date(2020, 6, 30),
            "STATUS": "BEENDET",
            "BERATER": "P-8",
            "TEAM": "SUED",
        },
    )
    ids["g1"] = _insert(
        client,
        "GESPRAECH",
        ids["f1"],
        {
            "DATUM": date(2020, 3, 2),
            "ART": "ERST",
            "THEMEN": "SPR|WOH",
            "MINUTEN": 45,
            "DOLMETSCHER": 1,
            "BERATER": "P-7",
        },
    )
    ids["g2"] = _insert(
        client, "GESPRAECH", ids["f2"], {"DATUM": date(2019, 4, 1), "ART": "KURZ", "BERATER": "P-8"}
    )
    ids["zv1"] = _insert(
        client,
        "ZIELVEREINBARUNG",
        ids["f1"],
        {
            "ZV_NR": "ZV-2020-1",
            "VERSION": 0,
            "ERSTELLT": date(2020, 3, 10),
            "UNTERSCHRIEBEN_AM": date(2020, 3, 12),
            "STATUS": "UNTERSCHRIEBEN",
        },
    )
    ids["zv2"] = _insert(
        client,
        "ZIELVEREINBARUNG",
        ids["f2"],
        {"ZV_NR": "ZV-2019-7", "VERSION": 0, "ERSTELLT": date(2019, 5, 1), "STATUS": "ENTWURF"},
    )
    # goals inserted out of order: the profile orders them by POS
    ids["z2"] = _insert(
        client,
        "ZIEL",
        ids["f1"],
        {"ZV_NR": "ZV-2020-1", "POS": 2, "THEMA": "ARB", "TEXT": "Praktikum finden", "STATUS": "OFFEN"},
    )
    ids["z1"] = _insert(
        client,
        "ZIEL",
        ids["f1"],
        {
            "ZV_NR": "ZV-2020-1",
            "POS": 1,
            "THEMA": "SPR",
            "TEXT": "B1 erreichen",
            "STATUS": "LAEUFT",
            "FRIST": date(2020, 12, 31),
        },
    )
    ids["m1"] = _insert(
        client,
        "MITARBEITER",
        None,
        {
            "PNR": "P-7",
            "NAME": "Berater, Eva",
            "TEAM": "NORD",
            "ANTEIL": Decimal("0.75"),
            "AB": date(2019, 1, 1),
        },
    )
    return ids


def _read(client: EnaioClient, entity: str) -> tuple[list[Record], Quarantine]:
    quarantine = Quarantine()
    reader = RecordReader(client, load_profile(SITE / "profile.yaml"), quarantine=quarantine, batch_size=2)
    return sorted(reader.iter_records(entity), key=lambda r: r.enaio_id), quarantine


@pytest.mark.parametrize("interface", INTERFACES)
def test_second_site_reads_into_the_same_schemas(
    second_site: tuple[EmulatorServer, dict[str, int]],
    client_factory: Callable[..., EnaioClient],
    interface: Interface,
) -> None:
    server, ids = second_site
    client = client_factory(server, interface)

    klienten, quarantine = _read(client, "klient")
    assert [k.enaio_id for k in klienten] == [ids["p1"], ids["p2"], ids["p3"]]
    first, second, third = klienten
    assert isinstance(first, Klient)
    assert isinstance(second, Klient)
    assert first.aktenzeichen == "BK-001"
    assert first.geschlecht is Geschlecht.WEIBLICH
    assert first.unterbringungsart is Unterbringungsart.ANSCHLUSSUNTERBRINGUNG
    assert first.geburtsdatum == date(1990, 5, 17)
    assert first.enaio_type == "PERSON"
    assert first.im_uebertragen is True  # const in the profile
    assert first.zielgruppe_ukraine is False
    assert second.unterbringungsart is Unterbringungsart.VORLAEUFIGE_UNTERBRINGUNG
    assert second.zielgruppe_ukraine is True
    # a nationality describes the person: kept with the field empty, the gap noted (no value)
    assert isinstance(third, Klient)
    assert third.staatsangehoerigkeit is None
    assert len(quarantine) == 0
    assert [(e.enaio_id, e.field, e.reason.split(":")[0]) for e in quarantine.kept] == [
        (ids["p2"], "staatsangehoerigkeit", "missing"),  # BK-002 has no NATION
        (ids["p3"], "staatsangehoerigkeit", "string_pattern_mismatch"),
    ]
    assert "syr" not in quarantine.kept[1].model_dump_json()

    faelle, quarantine = _read(client, "beratungsfall")
    assert len(quarantine) == 0
    fall = faelle[0]
    assert isinstance(fall, Beratungsfall)
    assert (fall.enaio_id, fall.klient_enaio_id, fall.aktenzeichen) == (ids["f1"], ids["p1"], "BK-001")
    assert fall.fallstatus is Fallstatus.AKTIV
    assert fall.hoechstdauer_bis == date(2023, 2, 28)  # derived: 29 Feb + 3 years
    assert isinstance(faelle[1], Beratungsfall)
    assert faelle[1].fallstatus is Fallstatus.ABGESCHLOSSEN

    kontakte, quarantine = _read(client, "kontakt")
    assert len(quarantine) == 0
    kontakt = kontakte[0]
    assert isinstance(kontakt, Kontakt)
    assert (kontakt.fall_enaio_id, kontakt.klient_enaio_id, kontakt.aktenzeichen) == (
        ids["f1"],
        ids["p1"],
        "BK-001",
    )
    assert kontakt.kontaktart is Kontaktart.SONDIERUNG
    assert kontakt.themen == (Handlungsfeld.SPRACHE, Handlungsfeld.WOHNEN)
    assert kontakt.dolmetschung is True
    assert kontakt.dauer_min == 45
    assert isinstance(kontakte[1], Kontakt)
    assert kontakte[1].aktenzeichen == "BK-002"
    assert kontakte[1].kontaktart is Kontaktart.KURZKONTAKT
    assert kontakte[1].themen == ()

    plaene, quarantine = _read(client, "integrationsplan")
    assert len(quarantine) == 0
    plan, entwurf = plaene
    assert isinstance(plan, Integrationsplan)
    assert isinstance(entwurf, Integrationsplan)
    assert plan.planart is Planart.INTEGRATIONSZIELVEREINBARUNG
    assert plan.planstatus is Planstatus.VEREINBART
    assert [(z.handlungsfeld, z.ziel, z.zielstatus, z.frist) for z in plan.ziele] == [
        (Handlungsfeld.SPRACHE, "B1 erreichen", Zielstatus.IN_BEARBEITUNG, date(2020, 12, 31)),
        (Handlungsfeld.ARBEIT_BESCHAEFTIGUNG, "Praktikum finden", Zielstatus.OFFEN, None),
    ]
    assert entwurf.planstatus is Planstatus.ENTWURF
    assert entwurf.ziele == ()

    staff, quarantine = _read(client, "mitarbeitende")
    assert len(quarantine) == 0
    assert len(staff) == 1
    assert isinstance(staff[0], Mitarbeitende)
    assert staff[0].vzae == Decimal("0.75")
    assert staff[0].traeger is Traeger.LANDRATSAMT


def test_second_site_drift_and_unmapped_entity(
    second_site: tuple[EmulatorServer, dict[str, int]], client_factory: Callable[..., EnaioClient]
) -> None:
    server, _ = second_site
    client = client_factory(server, INTERFACES[0])
    profile = load_profile(SITE / "profile.yaml")
    assert RecordReader(client, profile).drift() == []  # BEMERKUNG is listed under `ignore`
    unignored = profile.model_copy(
        update={
            "entities": {
                **profile.entities,
                "klient": profile.entities["klient"].model_copy(update={"ignore": ()}),
            }
        }
    )
    reader = RecordReader(client, unignored)
    assert [str(d) for d in reader.drift()] == ["PERSON.BEMERKUNG is not mapped (seen in object definition)"]
    from connector.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="einwilligung"):
        list(reader.iter_records("einwilligung"))


@pytest.mark.parametrize("interface", INTERFACES)
def test_unconvertible_value_in_a_child_document_quarantines_its_plan(
    client_factory: Callable[..., EnaioClient], interface: Interface
) -> None:
    """A goal document whose FRIST holds an impossible date: FRIST only describes the goal, so the plan is
    read with it empty and the gap noted at ``ziele.0.frist``; the other plan is read as it is."""
    from tests.conftest import make_settings
    from tests.test_mapping_invalid_values import rewrite_answers

    state = build_state(site=SITE / "objdef.xml", users=dict(TEST_USERS))
    with EmulatorServer(state) as server:
        with EnaioClient(make_settings(server, INTERFACES[0])) as writer:
            ids = _insert_dataset(writer)
        client = client_factory(server, interface)
        client.object_definition()
        rewrite_answers(server, {b"31.12.2020": b"32.12.2020", b"2020-12-31": b"2020-12-32"})
        records, quarantine = _read(client, "integrationsplan")
    assert [r.enaio_id for r in records] == [ids["zv1"], ids["zv2"]]
    assert len(quarantine) == 0
    assert [e.model_dump() for e in quarantine.kept if e.field == "ziele.0.frist"] == [
        {
            "entity": "integrationsplan",
            "enaio_id": ids["zv1"],
            "enaio_type": "ZIELVEREINBARUNG",
            "field": "ziele.0.frist",
            "reason": "invalid_value: not a valid date",
        }
    ]
