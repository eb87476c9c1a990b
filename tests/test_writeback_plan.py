"""Issue 14: Integrationsplan write-back end to end, over dms, osrest and soap and both emulator
personalities, each test against a fresh emulator with a hand-built case file (tests/writeback_data.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import NewObject
from connector.enaio.query import Query
from connector.errors import TransientError
from jobs.writeback import ChangedError, CheckedOutError, PlanWriter, parse_plan, put_plan
from mappings import Quarantine, RecordReader, load_profile
from schemas import Integrationsplan
from schemas.enums import Planstatus
from tests.writeback_data import PLAN_FILE, DropInsertAnswer, seed_client, seed_consent, seed_plan

AZ = "IM-T-0001"
PROFILE = load_profile()


def plan_file(**changes: Any) -> Any:
    return parse_plan({"aktenzeichen": AZ, **PLAN_FILE, **changes})


def next_plan(**changes: Any) -> Any:
    """The Fortschreibung half a year later."""
    return plan_file(**{"erstellt_am": "2018-11-09", "vereinbart_am": "2018-11-12", **changes})


def plans_in(server: EmulatorServer, case: int) -> list[Any]:
    return sorted(
        (o for o in server.state.store.iter_all("IM_PLAN") if o.parent_id == case), key=lambda o: o.id
    )


def test_create_first_plan_is_indistinguishable_from_a_hand_made_one(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient], tmp_path: Any
) -> None:
    # case A gets a plan made by hand in enaio, case B the same plan from the connector
    hand = seed_client(any_emulator, "IM-T-0009")
    hand_plan = seed_plan(any_emulator, hand.case)
    mine = seed_client(any_emulator, AZ)
    client = connect(any_emulator)

    action = put_plan(client, PROFILE, plan_file())

    assert action.kind == "create"
    assert action.version == 0
    assert action.document_id is not None
    by_hand, by_connector = client.get(hand_plan), client.get(action.document_id)
    assert by_connector.type_id == by_hand.type_id
    assert by_connector.type_name == by_hand.type_name == "IM_PLAN"
    assert by_connector.fields == by_hand.fields  # same fields, types and catalogue keys
    assert by_connector.tables == by_hand.tables
    assert by_connector.parent_id == mine.case
    assert by_hand.parent_id == hand.case
    assert by_connector.folder_id == mine.folder
    assert (
        client.get(by_connector.parent_id).type_name == client.get(by_hand.parent_id).type_name == "IM_FALL"
    )
    # the connector adds the plan document (DOCX) staff keep editing
    assert [f.name for f in by_connector.files] == [action.file_name]
    assert action.file_name.endswith(".docx")
    # and the mapping layer reads it back into a valid schema record, like the hand-made one
    with Quarantine(tmp_path / "q.jsonl") as quarantine:
        records = {
            r.enaio_id: r
            for r in RecordReader(client, PROFILE, quarantine=quarantine).iter_records("integrationsplan")
        }
    assert isinstance(records[action.document_id], Integrationsplan)
    read = records[action.document_id].model_dump(
        exclude={"enaio_id", "modified_at", "fall_enaio_id", "klient_enaio_id", "aktenzeichen"}
    )
    assert read == records[hand_plan].model_dump(
        exclude={"enaio_id", "modified_at", "fall_enaio_id", "klient_enaio_id", "aktenzeichen"}
    )


def test_fortschreibung_creates_next_version_and_marks_only_the_status_of_the_previous(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient]
) -> None:
    seeded = seed_client(any_emulator, AZ)
    previous_id = seed_plan(any_emulator, seeded.case)
    client = connect(any_emulator)
    before = client.get(previous_id)
    history_before = client.api.history(previous_id)

    goals = [
        *PLAN_FILE["ziele"],
        {"handlungsfeld": "ARBEIT_BESCHAEFTIGUNG", "ziel": "Praktikum", "zielstatus": "OFFEN"},
    ]
    action = put_plan(
        client, PROFILE, plan_file(erstellt_am="2018-11-09", vereinbart_am="2018-11-12", ziele=goals)
    )

    assert action.kind == "fortschreibung"
    assert action.version == 1  # previous version 0 + 1
    plans = plans_in(any_emulator, seeded.case)
    assert [p.id for p in plans] == [previous_id, action.document_id]
    new = client.get(action.document_id or 0)
    assert new.fields["PLANVERSION"] == 1
    assert new.fields["PLANSTATUS"] == "VEREINBART"
    assert len(new.tables["ZIELE"]) == 3
    after = client.get(previous_id)
    # partial update: only PLANSTATUS changed; index data, goal table and files of the previous plan stay
    assert after.fields == {**before.fields, "PLANSTATUS": "FORTGESCHRIEBEN"}
    assert after.tables == before.tables
    assert after.files == before.files
    history_after = client.api.history(previous_id)
    assert history_after[: len(history_before)] == history_before  # history intact
    assert len(history_after) == len(history_before) + 1
    assert history_after[-1].action == 3  # index data changed
    assert history_after[-1].user == "alice"

    # the same command again finds its plan and writes nothing
    seq = any_emulator.state.store.max_seq()
    again = put_plan(
        client, PROFILE, plan_file(erstellt_am="2018-11-09", vereinbart_am="2018-11-12", ziele=goals)
    )
    assert again.kind == "unchanged"
    assert again.document_id == action.document_id
    assert any_emulator.state.store.max_seq() == seq


def test_draft_is_updated_in_place_only_in_managed_fields(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient]
) -> None:
    seeded = seed_client(any_emulator, AZ)
    draft = seed_plan(any_emulator, seeded.case, PLANSTATUS="ENTWURF", VEREINBART_AM=None)
    client = connect(any_emulator)

    action = put_plan(client, PROFILE, plan_file())

    assert action.kind == "update_draft"
    assert action.document_id == draft
    assert [p.id for p in plans_in(any_emulator, seeded.case)] == [draft]
    obj = client.get(draft)
    assert obj.fields["PLANSTATUS"] == "VEREINBART"
    assert obj.fields["VEREINBART_AM"] == date(2018, 5, 9)
    assert [f.name for f in obj.files] == [action.file_name]


def test_dry_run_writes_nothing_and_shows_the_exact_payload(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient]
) -> None:
    seeded = seed_client(any_emulator, AZ)
    previous_id = seed_plan(any_emulator, seeded.case)
    client = connect(any_emulator)
    seq = any_emulator.state.store.max_seq()

    action = put_plan(client, PROFILE, next_plan(), dry_run=True)

    assert any_emulator.state.store.max_seq() == seq  # nothing written
    assert action.document_id is None
    payload = action.payload()
    assert payload["aktion"] == "fortschreibung"
    assert payload["ziel"] == {
        "aktenzeichen": AZ,
        "klientenakte_id": seeded.folder,
        "beratungsfall_id": seeded.case,
        "fallbeginn": "2018-04-03",
        "objekttyp": "IM_PLAN",
    }
    assert payload["indexdaten"] == {
        "PLANART": "INTEGRATIONSZIELVEREINBARUNG",
        "PLANVERSION": 1,
        "ERSTELLT_AM": "2018-11-09",
        "VEREINBART_AM": "2018-11-12",
        "PLANSTATUS": "VEREINBART",
        "NAECHSTE_UEBERPRUEFUNG": "2018-11-09",
        "UNTERSCHRIFT_KLIENT": 1,
        "INTEGRATIONSMANAGER": "730001",
        "WEITERE_PERSONEN": "IM-T-0002;IM-T-0003",
    }
    assert payload["tabellen"]["ZIELE"][1] == {
        "HANDLUNGSFELD": "WOHNEN",
        "ZIEL": "Eigene Wohnung finden",
        "ZIELSTATUS": "OFFEN",
    }
    assert payload["vorgaenger"]["id"] == previous_id
    assert payload["vorgaenger"]["aenderung"] == {"PLANSTATUS": "FORTGESCHRIEBEN"}

    # what the dry run showed is exactly what a real run writes
    written = put_plan(client, PROFILE, next_plan())
    obj = client.get(written.document_id or 0)
    assert {k: (v.isoformat() if isinstance(v, date) else v) for k, v in obj.fields.items()} == payload[
        "indexdaten"
    ]


def test_checked_out_previous_plan_stops_the_put_and_nothing_is_written(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient]
) -> None:
    seeded = seed_client(any_emulator, AZ)
    previous_id = seed_plan(any_emulator, seeded.case)
    bob = connect(any_emulator, "bob")
    bob.api.checkout(previous_id)
    alice = connect(any_emulator)
    seq = any_emulator.state.store.max_seq()

    with pytest.raises(CheckedOutError) as caught:
        put_plan(alice, PROFILE, next_plan())

    # the message names the holder; the typed holder is there when the interface gives it as a field
    assert "bob" in str(caught.value)
    assert caught.value.holder in ("bob", None)
    assert caught.value.exit_code == 6
    assert any_emulator.state.store.max_seq() == seq
    assert [p.id for p in plans_in(any_emulator, seeded.case)] == [previous_id]
    assert client_status(alice, previous_id) == "VEREINBART"


def client_status(client: EnaioClient, object_id: int) -> object:
    return client.get(object_id).fields.get("PLANSTATUS")


def test_change_since_read_is_a_conflict_not_an_overwrite(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient]
) -> None:
    seeded = seed_client(any_emulator, AZ)
    previous_id = seed_plan(any_emulator, seeded.case)
    alice = connect(any_emulator)
    writer = PlanWriter(alice, PROFILE)
    action = writer.prepare(next_plan())
    # a person edits the previous plan between the connector's read and its write; enaio keeps whole
    # seconds, so wait until the stamp differs
    stamp = alice.get(previous_id).modified
    while True:
        any_emulator.state.store.update(
            previous_id, {"NAECHSTE_UEBERPRUEFUNG": date(2018, 12, 1)}, user="im01"
        )
        if alice.get(previous_id).modified != stamp:
            break
    seq = any_emulator.state.store.max_seq()

    with pytest.raises(ChangedError) as caught:
        writer.write(action)

    assert caught.value.exit_code == 7
    assert any_emulator.state.store.max_seq() == seq
    assert client_status(alice, previous_id) == "VEREINBART"
    assert alice.get(previous_id).fields["NAECHSTE_UEBERPRUEFUNG"] == date(2018, 12, 1)
    assert [p.id for p in plans_in(any_emulator, seeded.case)] == [previous_id]


def test_lost_answer_of_a_committed_create_gives_exactly_one_plan(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient]
) -> None:
    seeded = seed_client(any_emulator, AZ)
    previous_id = seed_plan(any_emulator, seeded.case)
    client = connect(any_emulator)
    proxy = DropInsertAnswer(client.api, any_emulator)
    client.api = proxy
    kontakt = NewObject(
        "IM_KONTAKT",
        seeded.case,
        {"DATUM": date(2018, 5, 2), "KONTAKTART": "BERATUNG", "INTEGRATIONSMANAGER": "730001"},
    )
    client.object_definition()  # read once per client; not part of an insert from then on
    proxy.calibrate(kontakt)
    # the fault is real: a bare insert surfaces as TransientError although it was committed
    proxy.armed = True
    with pytest.raises(TransientError):
        client.api.insert(kontakt)
    assert any_emulator.state.store.count("IM_KONTAKT") == 2
    assert any_emulator.state.faults.stats()["injected"] == 1

    proxy.armed, proxy.inserts = True, 0
    action = put_plan(client, PROFILE, next_plan())

    assert any_emulator.state.faults.stats()["injected"] == 1  # the create's answer was lost
    assert proxy.inserts == 1  # sent once; the search by (case, PLANVERSION) found it
    plans = plans_in(any_emulator, seeded.case)
    assert [p.id for p in plans] == [previous_id, action.document_id]
    assert [p.fields["PLANVERSION"] for p in plans] == [0, 1]
    assert client.get(previous_id).fields["PLANSTATUS"] == "FORTGESCHRIEBEN"
    hits = [h for h in client.search(Query("IM_PLAN")) if h.parent_id == seeded.case]
    assert len(hits) == 2


def test_create_lost_before_the_server_ran_it_is_sent_again_once(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient]
) -> None:
    seeded = seed_client(any_emulator, AZ)
    client = connect(any_emulator)
    client.object_definition()
    proxy = DropInsertAnswer(client.api, any_emulator)
    client.api = proxy
    proxy.calibrate(
        NewObject(
            "IM_KONTAKT",
            seeded.case,
            {"DATUM": date(2018, 5, 2), "KONTAKTART": "BERATUNG", "INTEGRATIONSMANAGER": "730001"},
        )
    )
    proxy.action, proxy.armed = "reset", True

    action = put_plan(client, PROFILE, plan_file())

    assert any_emulator.state.faults.stats()["injected"] == 1  # the first create never reached the store
    assert proxy.inserts == 2  # searched, not found, sent again
    assert [p.id for p in plans_in(any_emulator, seeded.case)] == [action.document_id]


def test_open_case_is_chosen_and_closed_cases_are_left_alone(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient]
) -> None:
    seeded = seed_client(any_emulator, AZ, closed_case=True)
    client = connect(any_emulator)
    action = put_plan(client, PROFILE, plan_file())
    assert action.case.case.id == seeded.case
    assert client.get(action.document_id or 0).fields["PLANSTATUS"] == Planstatus.VEREINBART.value


def test_consent_seed_helper_is_not_a_plan(any_emulator: EmulatorServer) -> None:
    seeded = seed_client(any_emulator, AZ)
    seed_consent(any_emulator, seeded.case, erteilt=date(2018, 5, 2))
    assert plans_in(any_emulator, seeded.case) == []
