"""A value the server holds but that does not convert (``31.06.1990`` in a date field) and a field the object
definition does not know, read through every interface: the object is quarantined (or the field counted as
drift), the other objects are read, and the value never reaches a message.

The emulator's store cannot hold an impossible date (it decodes every stored value, and the surfaces render
through the objdef codecs), so a WSGI wrapper around the real emulator app turns ``30.06.1990`` into the
same-length ``31.06.1990`` in every answer: what a server with a broken value would send.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connector.config import Interface
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import NewObject, SkippedField
from connector.enaio.query import Query
from connector.errors import ValidationError
from mappings import Drift, Quarantine, RecordReader, load_profile
from schemas import Beratungsfall, Klient
from tests.test_scenarios import fall, klient

ClientFactory = Callable[..., EnaioClient]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# every form the three interfaces write 30 June 1990 in, and an impossible date of the same length
BROKEN = {b"30.06.1990": b"31.06.1990", b"1990-06-30": b"1990-06-31"}
CANARY = ("31.06.1990", "1990-06-31")


def rewrite_answers(server: EmulatorServer, replacements: dict[bytes, bytes]) -> None:
    """Replace bytes in every answer of the running emulator (same length, so MTOM parts stay intact)."""

    def middleware(app: WsgiApp) -> WsgiApp:
        def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            captured: list[Any] = []

            def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Callable[[bytes], None]:
                captured[:] = [status, headers]
                return lambda data: None

            answer = app(environ, capture)
            try:
                body = b"".join(answer)
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
            for old, new in replacements.items():
                body = body.replace(old, new)
            status, headers = captured
            start_response(
                status,
                [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers],
            )
            return [body]

        return call

    server.app.wsgi_app = middleware(server.app.wsgi_app)  # type: ignore[method-assign,assignment]


def _dataset(client: EnaioClient) -> dict[str, int]:
    api = client.api
    ids = {
        "good1": api.insert(NewObject("IM_KLIENT", None, klient("IM-Q-1"))),
        "broken": api.insert(
            NewObject(
                "IM_KLIENT", None, klient("IM-Q-2", GEBURTSDATUM=date(1990, 6, 30), HAUSHALTSNUMMER="H-1")
            )
        ),
        "good2": api.insert(NewObject("IM_KLIENT", None, klient("IM-Q-3", HAUSHALTSNUMMER="H-2"))),
    }
    ids["fall"] = api.insert(NewObject("IM_FALL", ids["broken"], fall()))
    # FALLBEGINN places the case in time (identifying): broken, the case is quarantined
    ids["fall_broken"] = api.insert(NewObject("IM_FALL", ids["good1"], fall(FALLBEGINN=date(1990, 6, 30))))
    client.object_definition()  # cached before the answers are rewritten
    return ids


@pytest.mark.parametrize("interface", ["dms", "osrest", "soap"])
def test_unconvertible_value_is_quarantined_and_the_read_goes_on(
    interface: Interface, emulator: EmulatorServer, client_factory: ClientFactory, tmp_path: Path
) -> None:
    client = client_factory(emulator, interface)
    ids = _dataset(client)
    rewrite_answers(emulator, BROKEN)

    with Quarantine(tmp_path / "quarantine.jsonl") as quarantine:
        reader = RecordReader(client, load_profile("default"), quarantine=quarantine, batch_size=2)
        klienten = list(reader.iter_records("klient"))
        faelle = list(reader.iter_records("beratungsfall"))

    # GEBURTSDATUM only describes the person: the folder is kept with the field empty, the gap is noted
    assert sorted(r.enaio_id for r in klienten) == [ids["good1"], ids["broken"], ids["good2"]]
    broken = next(r for r in klienten if r.enaio_id == ids["broken"])
    assert isinstance(broken, Klient)
    assert broken.geburtsdatum is None
    assert broken.haushaltsnummer == "H-1"  # the rest of the folder is read
    assert [e.model_dump() for e in quarantine.kept if e.field == "geburtsdatum"] == [
        {
            "entity": "klient",
            "enaio_id": ids["broken"],
            "enaio_type": "IM_KLIENT",
            "field": "geburtsdatum",
            "reason": "invalid_value: not a valid date",
        }
    ]
    # the case reads AKTENZEICHEN from the broken folder: its bad birth date does not matter there
    assert len(faelle) == 1
    assert [(f.enaio_id, f.aktenzeichen) for f in faelle if isinstance(f, Beratungsfall)] == [
        (ids["fall"], "IM-Q-2")
    ]
    assert [e.model_dump() for e in quarantine.entries] == [
        {
            "entity": "beratungsfall",
            "enaio_id": ids["fall_broken"],
            "enaio_type": "IM_FALL",
            "field": "fallbeginn",
            "reason": "invalid_value: not a valid date",
        }
    ]
    written = (tmp_path / "quarantine.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["enaio_id"] for line in written.splitlines()] == [ids["fall_broken"]]
    assert not any(canary in written for canary in CANARY)


@pytest.mark.parametrize("interface", ["dms", "osrest", "soap"])
def test_without_a_callback_the_error_names_the_field_never_the_value(
    interface: Interface, emulator: EmulatorServer, client_factory: ClientFactory
) -> None:
    client = client_factory(emulator, interface)
    ids = _dataset(client)
    rewrite_answers(emulator, BROKEN)

    with pytest.raises(ValidationError) as caught:
        client.get(ids["broken"])
    assert caught.value.field == "IM_KLIENT.GEBURTSDATUM"
    assert "GEBURTSDATUM" in str(caught.value)
    assert not any(canary in str(caught.value) for canary in CANARY)

    with pytest.raises(ValidationError) as searched:
        list(client.search(Query("IM_KLIENT")))
    assert not any(canary in str(searched.value) for canary in CANARY)

    skipped: list[SkippedField] = []
    objects = list(client.search(Query("IM_KLIENT"), on_skipped=skipped.append))
    assert [o.id for o in objects] == [ids["good1"], ids["broken"], ids["good2"]]
    broken = objects[1]
    assert "GEBURTSDATUM" not in broken.fields
    assert broken.fields["AKTENZEICHEN"] == "IM-Q-2"
    assert skipped == [
        SkippedField(ids["broken"], "IM_KLIENT", "GEBURTSDATUM", "invalid_value", "not a valid date")
    ]


@pytest.mark.parametrize("interface", ["dms", "osrest", "soap"])
def test_unknown_field_is_skipped_and_counted_as_drift(
    interface: Interface, emulator: EmulatorServer, client_factory: ClientFactory
) -> None:
    client = client_factory(emulator, interface)
    ids = _dataset(client)
    # the server knows a field our cached object definition does not (same length, so MTOM stays intact)
    rewrite_answers(emulator, {b"HAUSHALTSNUMMER": b"HAUSHALTSNUMMX"})

    got = client.get(ids["good2"])
    assert "HAUSHALTSNUMMX" not in got.fields
    assert "HAUSHALTSNUMMER" not in got.fields
    assert got.fields["AKTENZEICHEN"] == "IM-Q-3"
    assert len(list(client.search(Query("IM_KLIENT")))) == 3

    reader = RecordReader(client, load_profile("default"))
    records = list(reader.iter_records("klient"))
    assert len(records) == 3
    assert all(isinstance(r, Klient) and r.haushaltsnummer is None for r in records)
    assert Drift("IM_KLIENT", "HAUSHALTSNUMMX", "objects") in reader.drift("klient")
    assert len(reader.quarantine) == 0
