"""Hand-built case files for the write-back tests, inserted straight into the emulator's store as a person
working in enaio would create them (user ``im01``), never through the connector under test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import InterfaceClient, NewObject
from connector.enaio.model import FieldValue

STAFF = "im01"


@dataclass(frozen=True)
class Seeded:
    folder: int
    case: int


def seed_client(
    server: EmulatorServer,
    aktenzeichen: str,
    *,
    fallbeginn: date = date(2018, 4, 3),
    closed_case: bool = False,
    sprachniveau: str | None = "A2",
) -> Seeded:
    store = server.state.store
    klient: dict[str, Any] = {
        "AKTENZEICHEN": aktenzeichen,
        "FAMILIENNAME": "Haddad",
        "VORNAMEN": "Rania",
        "GEBURTSDATUM": date(1990, 2, 1),
        "GESCHLECHT": "WEIBLICH",
        "UNTERBRINGUNGSART": "AU",
        "WOHNKOMMUNE": "Mössingen",
    }
    if sprachniveau:
        klient["SPRACHNIVEAU_DEUTSCH"] = sprachniveau
    folder = store.insert("IM_KLIENT", None, klient, user=STAFF)
    if closed_case:
        store.insert(
            "IM_FALL",
            folder,
            {
                "FALLBEGINN": date(2016, 1, 4),
                "FALLENDE": date(2017, 12, 31),
                "FALLSTATUS": "ABGESCHLOSSEN",
                "ABSCHLUSSGRUND": "SONSTIGES",
                "INTEGRATIONSMANAGER": "730001",
                "REGIONALTEAM": "MOESSINGEN",
            },
            user=STAFF,
        )
    case = store.insert(
        "IM_FALL",
        folder,
        {
            "FALLBEGINN": fallbeginn,
            "FALLSTATUS": "AKTIV",
            "INTEGRATIONSMANAGER": "730001",
            "REGIONALTEAM": "MOESSINGEN",
        },
        user=STAFF,
    )
    return Seeded(folder, case)


PLAN_FIELDS: dict[str, FieldValue] = {
    "PLANART": "INTEGRATIONSZIELVEREINBARUNG",
    "PLANVERSION": 0,
    "ERSTELLT_AM": date(2018, 5, 2),
    "VEREINBART_AM": date(2018, 5, 9),
    "PLANSTATUS": "VEREINBART",
    "NAECHSTE_UEBERPRUEFUNG": date(2018, 11, 9),
    "UNTERSCHRIFT_KLIENT": 1,
    "INTEGRATIONSMANAGER": "730001",
    "WEITERE_PERSONEN": "IM-T-0002;IM-T-0003",
}
PLAN_GOALS: list[dict[str, FieldValue]] = [
    {
        "HANDLUNGSFELD": "SPRACHE",
        "ZIEL": "Sprachkurs B1 abschließen",
        "MASSNAHME": "Anmeldung Volkshochschule",
        "VERANTWORTLICH": "SPRACHKURSTRAEGER",
        "FRIST": date(2018, 12, 31),
        "ZIELSTATUS": "IN_BEARBEITUNG",
        "STATUSDATUM": date(2018, 5, 9),
    },
    {"HANDLUNGSFELD": "WOHNEN", "ZIEL": "Eigene Wohnung finden", "ZIELSTATUS": "OFFEN"},
]

# The same plan as a plan file (schema names and members); the site's keys equal the members here.
PLAN_FILE: dict[str, Any] = {
    "planart": "INTEGRATIONSZIELVEREINBARUNG",
    "erstellt_am": "02.05.2018",
    "vereinbart_am": "2018-05-09",
    "naechste_ueberpruefung": "2018-11-09",
    "unterschrift_klient": True,
    "integrationsmanager": "730001",
    "weitere_personen": ["IM-T-0002", "IM-T-0003"],
    "ziele": [
        {
            "handlungsfeld": "SPRACHE",
            "ziel": "Sprachkurs B1 abschließen",
            "massnahme": "Anmeldung Volkshochschule",
            "verantwortlich": "SPRACHKURSTRAEGER",
            "frist": "2018-12-31",
            "zielstatus": "IN_BEARBEITUNG",
            "statusdatum": "2018-05-09",
        },
        {"handlungsfeld": "WOHNEN", "ziel": "Eigene Wohnung finden", "zielstatus": "OFFEN"},
    ],
}


def seed_plan(server: EmulatorServer, case: int, **changes: FieldValue | None) -> int:
    """A plan as staff file it; a change to ``None`` leaves the field empty."""
    fields = {k: v for k, v in {**PLAN_FIELDS, **changes}.items() if v is not None}
    return server.state.store.insert("IM_PLAN", case, fields, {"ZIELE": PLAN_GOALS}, user=STAFF)


def seed_consent(
    server: EmulatorServer,
    case: int,
    *,
    erteilt: date,
    widerrufen: date | None = None,
    gueltig_bis: date | None = None,
    zweck: str = "AUSTAUSCH_JOBCENTER",
) -> int:
    fields: dict[str, FieldValue] = {
        "ZWECK": zweck,
        "EMPFAENGER": "Jobcenter Landkreis",
        "ERTEILT_AM": erteilt,
    }
    if widerrufen:
        fields["WIDERRUFEN_AM"] = widerrufen
    if gueltig_bis:
        fields["GUELTIG_BIS"] = gueltig_bis
    return server.state.store.insert("IM_EINWILLIGUNG", case, fields, user=STAFF)


_WRITE_PATH = {"dms": r"/api/dms/objects$", "osrest": r"/documents/insert", "soap": r"EcmWsMtom"}


class DropInsertAnswer:
    """The real interface client; right before an ``insert`` the emulator is told to drop the answer of that
    insert's write request (after committing it), so the lost answer hits exactly the create.

    An insert may send reads before its write (soap asks for the parent's type); ``calibrate`` counts the
    POSTs one insert sends (a 1 ms delay rule only counts), and the drop fires on the last of them.
    """

    def __init__(self, api: InterfaceClient, server: EmulatorServer) -> None:
        self._api = api
        self._server = server
        self.inserts = 0
        self.armed = False
        self.posts = 1
        self.action = "drop_response"
        """``drop_response``: committed, answer lost; ``reset``: connection reset before the server ran it."""

    def _rule(self, action: str, **extra: Any) -> FaultRule:
        return FaultRule(action, method="POST", path=_WRITE_PATH[self._api.interface], **extra)

    def calibrate(self, new: NewObject) -> None:
        self._server.state.faults.set_rules([self._rule("delay", delay=0.001)])
        self._api.insert(new)
        self.posts = self._server.state.faults.stats()["rules"][0]["matched"]
        self._server.state.faults.clear()

    def insert(self, new: NewObject) -> int:
        self.inserts += 1
        if self.armed:
            self.armed = False
            self._server.state.faults.set_rules([self._rule(self.action, every=self.posts, times=1)])
        return self._api.insert(new)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)
