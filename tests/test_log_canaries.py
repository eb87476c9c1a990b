"""Log canaries (issue 15 item 7): canary credentials, session ids and personal values sent through every
interface, against both emulator personalities, at DEBUG (urllib3 and zeep included), never appear in any
log line and never in the message of an error the user would see.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import date

import pytest

from connector.config import Interface, load_settings
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer, build_state
from connector.enaio.emulator.state import Variant
from connector.enaio.interface import NewObject
from connector.enaio.objdef import default_site_path
from connector.enaio.query import Query, eq
from connector.errors import EnaioError
from connector.logs import configure_logging
from tests.conftest import INTERFACES

CANARY_USER = "svc-canary"
CANARY_PASSWORD = "Canary-Pass-7f3e"
CANARY_SURNAME = "Amselhuber-Canary"
CANARY_GIVEN = "Drossela-Canary"
CANARY_BAD_VALUE = "Finkenweg-Canary-17"  # refused by the catalogue: servers like to quote refused values


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", "json", ["familienname", "vornamen"], stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)


@pytest.fixture
def canary_server(variant: Variant) -> Iterator[EmulatorServer]:
    state = build_state(users={CANARY_USER: CANARY_PASSWORD}, variant=variant)
    with EmulatorServer(state) as server:
        yield server


def _client(server: EmulatorServer, interface: Interface, password: str = CANARY_PASSWORD) -> EnaioClient:
    overrides: dict[str, object] = {
        "url": server.url,
        "interface": interface,
        "username": CANARY_USER,
        "password": password,
        "retry": {"max_attempts": 2, "backoff_initial": 0.01, "backoff_max": 0.02},
    }
    if server.state.documented and interface == "osrest":
        overrides["objdef_file"] = str(default_site_path())
    return EnaioClient(load_settings(overrides=overrides))


def _klient(**extra: str) -> NewObject:
    fields: dict[str, object] = {
        "AKTENZEICHEN": "IM-2018-CANARY2",
        "FAMILIENNAME": CANARY_SURNAME,
        "VORNAMEN": CANARY_GIVEN,
        "GEBURTSDATUM": date(1988, 5, 6),
        "GESCHLECHT": "WEIBLICH",
        "UNTERBRINGUNGSART": "VU",
        "WOHNKOMMUNE": "Nehren",
    }
    fields.update(extra)
    return NewObject("IM_KLIENT", None, fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("interface", INTERFACES)
def test_canaries_never_reach_logs_or_error_messages(
    interface: Interface, canary_server: EmulatorServer, debug_log: io.StringIO
) -> None:
    messages: list[str] = []
    with _client(canary_server, interface) as client:
        new_id = client.api.insert(_klient())
        found = list(client.search(Query("IM_KLIENT", where=eq("FAMILIENNAME", CANARY_SURNAME))))
        assert [obj.id for obj in found] == [new_id]
        assert client.get(new_id).fields["VORNAMEN"] == CANARY_GIVEN
        # a refused value: the server's message reaches the user, the value does not
        with pytest.raises(EnaioError) as refused:
            client.api.update(new_id, {"GESCHLECHT": CANARY_BAD_VALUE})
        messages.append(str(refused.value))
        with pytest.raises(EnaioError) as refused_insert:
            client.api.insert(_klient(AKTENZEICHEN="IM-2018-CANARY3", UNTERBRINGUNGSART=CANARY_BAD_VALUE))
        messages.append(str(refused_insert.value))
    # wrong credentials: the password tried is not repeated
    with _client(canary_server, interface, password=CANARY_PASSWORD + "-wrong") as wrong:
        with pytest.raises(EnaioError) as denied:
            list(wrong.search(Query("IM_KLIENT", max_hits=1)))
        messages.append(str(denied.value))

    text = debug_log.getvalue()
    assert '"logger": "urllib3' in text, "urllib3 must have logged at DEBUG for this test to mean anything"
    if interface == "soap":
        assert '"logger": "zeep' in text, "zeep must have logged at DEBUG for this test to mean anything"
    session_ids = _session_ids(canary_server)
    for canary in (CANARY_PASSWORD, CANARY_SURNAME, CANARY_GIVEN, CANARY_BAD_VALUE, *session_ids):
        assert canary not in text, f"a canary leaked into the {interface} log"
        for message in messages:
            assert canary not in message, f"a canary leaked into an error message: {message}"
    for message in messages:
        assert message.strip(), "an error without a message tells the user nothing"


def _session_ids(server: EmulatorServer) -> list[str]:
    """Session ids the emulator handed out (osrest JSESSIONID / sessionguid); long enough to be unique."""
    sessions = getattr(server.state, "_sessions", {})
    return [sid for sid in sessions if re.fullmatch(r"[0-9A-Fa-f]{16,}", sid)]
