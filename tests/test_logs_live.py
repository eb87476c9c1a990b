"""Canary values through the real stacks at DEBUG: requests/urllib3 for the REST rooms, zeep for SOAP.

A password, a Basic token, session ids and a personal value travel over the wire in every interface; none of
them may appear in the log output, while the noisy libraries demonstrably logged something.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import date

import pytest

from connector.config import Interface, load_settings
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer, build_state
from connector.enaio.interface import NewObject
from connector.enaio.query import Query, eq
from connector.logs import configure_logging
from tests.conftest import INTERFACES

CANARY_PASSWORD = "Canary-Pass-91c7"
CANARY_SURNAME = "Kanarienhöfer-Canary"
CANARY_GIVEN = "Zwitscherle-Canary"


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", "json", ["familienname", "vornamen"], stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)


@pytest.fixture
def canary_emulator() -> Iterator[EmulatorServer]:
    state = build_state(users={"svc-canary": CANARY_PASSWORD})
    with EmulatorServer(state) as server:
        yield server


@pytest.mark.parametrize("interface", INTERFACES)
def test_no_secret_or_personal_value_in_debug_logs(
    interface: Interface, canary_emulator: EmulatorServer, debug_log: io.StringIO
) -> None:
    settings = load_settings(
        overrides={
            "url": canary_emulator.url,
            "interface": interface,
            "username": "svc-canary",
            "password": CANARY_PASSWORD,
        }
    )
    with EnaioClient(settings) as client:
        new_id = client.api.insert(
            NewObject(
                "IM_KLIENT",
                None,
                {
                    "AKTENZEICHEN": "IM-2018-CANARY",
                    "FAMILIENNAME": CANARY_SURNAME,
                    "VORNAMEN": CANARY_GIVEN,
                    "GEBURTSDATUM": date(1990, 1, 2),
                    "GESCHLECHT": "DIVERS",
                    "UNTERBRINGUNGSART": "AU",
                    "WOHNKOMMUNE": "Nehren",
                },
            )
        )
        found = list(client.search(Query("IM_KLIENT", where=eq("FAMILIENNAME", CANARY_SURNAME))))
        assert [obj.id for obj in found] == [new_id]
        assert client.get(new_id).fields["VORNAMEN"] == CANARY_GIVEN
        logging.getLogger("connector.test").debug("fetched %s", found[0].model_dump(mode="json"))

    text = debug_log.getvalue()
    assert '"logger": "urllib3' in text, "urllib3 must have logged at DEBUG for this test to mean anything"
    if interface == "soap":
        assert '"logger": "zeep' in text, "zeep must have logged at DEBUG for this test to mean anything"
    for canary in (CANARY_PASSWORD, CANARY_SURNAME, CANARY_GIVEN):
        assert canary not in text, f"{canary} leaked into the {interface} log"
