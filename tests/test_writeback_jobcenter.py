"""Issue 14: consent-gated Jobcenter hand-over, over dms, osrest and soap and both personalities; the consent
rule itself with hand-built consents and the day arithmetic in comments."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import NewObject
from jobs.writeback import AuditLog, ChangedError, ConsentError, JobcenterExport, consent_on
from mappings import load_profile
from schemas import Einwilligung
from tests.writeback_data import STAFF, DropInsertAnswer, seed_client, seed_consent

AZ = "IM-T-0001"
PROFILE = load_profile()
DAY = date(2018, 10, 15)


def consent(
    enaio_id: int, erteilt: date, *, widerrufen: date | None = None, bis: date | None = None
) -> Einwilligung:
    return Einwilligung(
        enaio_id=enaio_id,
        enaio_type="IM_EINWILLIGUNG",
        modified_at=datetime(2018, 1, 1, tzinfo=UTC),
        fall_enaio_id=2,
        klient_enaio_id=1,
        aktenzeichen=AZ,
        zweck="AUSTAUSCH_JOBCENTER",
        erteilt_am=erteilt,
        widerrufen_am=widerrufen,
        gueltig_bis=bis,
    )


def test_consent_rule_by_hand() -> None:
    # given 01.09., open-ended: covers 15.10. (01.09. <= 15.10.)
    assert consent_on([consent(10, date(2018, 9, 1))], DAY).reason is None
    # given on the day itself: covers it (erteilt_am inclusive)
    assert consent_on([consent(10, DAY)], DAY).consent is not None
    # given 16.10., one day after: none on 15.10.
    assert consent_on([consent(10, date(2018, 10, 16))], DAY).reason == "none"
    # withdrawn on 15.10.: a withdrawal takes effect on its day -> revoked
    assert consent_on([consent(10, date(2018, 9, 1), widerrufen=DAY)], DAY).reason == "revoked"
    # valid until 14.10.: expired on 15.10.; valid until 15.10.: still covers (inclusive)
    assert consent_on([consent(10, date(2018, 9, 1), bis=date(2018, 10, 14))], DAY).reason == "expired"
    assert consent_on([consent(10, date(2018, 9, 1), bis=DAY)], DAY).reason is None
    # an old revoked consent and a newer valid one: the newer covers the day
    both = [consent(10, date(2018, 3, 1), widerrufen=date(2018, 6, 1)), consent(11, date(2018, 9, 1))]
    check = consent_on(both, DAY)
    assert check.consent is not None
    assert check.consent.enaio_id == 11
    # consents for other purposes never count
    other = consent(12, date(2018, 9, 1)).model_copy(update={"zweck": "EVALUATION"})
    assert consent_on([other], DAY).reason == "none"
    assert consent_on([], DAY).reason == "none"


def handovers(server: EmulatorServer) -> list[Any]:
    return list(server.state.store.iter_all("IM_JC_DATEN"))


PERSONAL = ("Haddad", "Rania", "1990", AZ, "Pflegehilfe", "Krankenpflege")


@pytest.mark.parametrize(
    ("consent_kwargs", "reason", "says"),
    [
        ({}, "none", "no consent AUSTAUSCH_JOBCENTER was given on or before 2018-10-15"),
        (
            {"erteilt": date(2018, 9, 1), "widerrufen": date(2018, 10, 1)},
            "revoked",
            "withdrawn on 2018-10-01",
        ),
        (
            {"erteilt": date(2018, 9, 1), "gueltig_bis": date(2018, 10, 14)},
            "expired",
            "expired on 2018-10-14",
        ),
    ],
)
def test_refused_without_active_consent_and_nothing_handed_over(
    any_emulator: EmulatorServer,
    connect: Callable[..., EnaioClient],
    tmp_path: Path,
    consent_kwargs: dict[str, Any],
    reason: str,
    says: str,
) -> None:
    seeded = seed_client(any_emulator, AZ)
    if consent_kwargs:
        seed_consent(any_emulator, seeded.case, **consent_kwargs)
    # a consent for another purpose never opens the hand-over
    seed_consent(any_emulator, seeded.case, erteilt=date(2018, 9, 1), zweck="EVALUATION")
    audit = AuditLog(tmp_path / "audit.jsonl")
    seq = any_emulator.state.store.max_seq()

    with pytest.raises(ConsentError) as caught:
        JobcenterExport(connect(any_emulator), PROFILE, audit).export(AZ, DAY, tmp_path / "out")

    assert caught.value.reason == reason
    assert caught.value.exit_code == 8
    assert says in str(caught.value)
    assert any_emulator.state.store.max_seq() == seq  # nothing filed
    assert handovers(any_emulator) == []
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    entries = audit.entries()
    assert [(e["aktion"], e["ergebnis"], e["grund"]) for e in entries] == [
        ("jobcenter_export", "verweigert", reason)
    ]
    assert entries[0]["beratungsfall_id"] == seeded.case
    raw = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert not any(value in raw for value in PERSONAL)


def test_handover_with_consent_is_filed_written_and_audited_once(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient], tmp_path: Path
) -> None:
    seeded = seed_client(any_emulator, AZ, sprachniveau="B1")
    consent_id = seed_consent(
        any_emulator, seeded.case, erteilt=date(2018, 9, 1), gueltig_bis=date(2019, 8, 31)
    )
    # an earlier hand-over in the case file gives the form's answers; the German level is the client's now
    any_emulator.state.store.insert(
        "IM_JC_DATEN",
        seeded.case,
        {
            "UEBERMITTELT_AM": date(2018, 9, 3),
            "SCHULABSCHLUSS": "SEKUNDARSTUFE_I",
            "BERUFSAUSBILDUNG": "Krankenpflege (2 Jahre)",
            "SPRACHNIVEAU": "A2",
            "ARBEITSWUNSCH": "Pflegehilfe",
        },
        user=STAFF,
    )
    audit = AuditLog(tmp_path / "audit.jsonl")
    client = connect(any_emulator)
    job = JobcenterExport(client, PROFILE, audit)

    done = job.export(AZ, DAY, tmp_path / "out", answers={"anerkennungsverfahren": "BEANTRAGT"})

    assert not done.reused
    assert done.consent_id == consent_id
    filed = client.get(done.document_id)
    assert filed.type_name == "IM_JC_DATEN"
    assert filed.parent_id == seeded.case
    assert filed.fields == {
        "UEBERMITTELT_AM": DAY,
        "SCHULABSCHLUSS": "SEKUNDARSTUFE_I",
        "BERUFSAUSBILDUNG": "Krankenpflege (2 Jahre)",
        "ANERKENNUNGSVERFAHREN": "BEANTRAGT",
        "SPRACHNIVEAU": "B1",
        "ARBEITSWUNSCH": "Pflegehilfe",
    }
    assert [f.name for f in filed.files] == [done.path.name]
    record = json.loads(done.path.read_text(encoding="utf-8"))
    assert record["aktenzeichen"] == AZ
    assert record["uebermittelt_am"] == "2018-10-15"
    assert record["einwilligung"]["enaio_id"] == consent_id
    assert record["angaben"]["sprachniveau"] == "B1"
    assert not list(done.path.parent.glob("*.part"))
    entries = audit.entries()
    assert [(e["ergebnis"], e["dokument_id"], e["einwilligung_id"]) for e in entries] == [
        ("uebergeben", done.document_id, consent_id)
    ]
    raw = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert not any(value in raw for value in PERSONAL)

    # the same hand-over again: the filed document is found, nothing new in enaio, audited as such
    seq = any_emulator.state.store.max_seq()
    again = job.export(AZ, DAY, tmp_path / "out", answers={"anerkennungsverfahren": "BEANTRAGT"})
    assert again.reused
    assert again.document_id == done.document_id
    assert any_emulator.state.store.max_seq() == seq
    assert [e["ergebnis"] for e in audit.entries()] == ["uebergeben", "bereits_abgelegt"]
    assert len(handovers(any_emulator)) == 2  # the earlier one by hand and ours

    # other answers for a day already handed over: refused, not a second document
    with pytest.raises(ChangedError):
        job.export(AZ, DAY, tmp_path / "out", answers={"anerkennungsverfahren": "ANERKANNT"})
    assert any_emulator.state.store.max_seq() == seq
    last = audit.entries()[-1]
    assert (last["ergebnis"], last["grund"], last["dokument_id"]) == (
        "verweigert",
        "anderer_inhalt",
        done.document_id,
    )
    assert not list(done.path.parent.glob("*.part"))


def test_lost_answer_of_the_filed_handover_gives_exactly_one_document(
    any_emulator: EmulatorServer, connect: Callable[..., EnaioClient], tmp_path: Path
) -> None:
    seeded = seed_client(any_emulator, AZ)
    seed_consent(any_emulator, seeded.case, erteilt=date(2018, 9, 1))
    client = connect(any_emulator)
    client.object_definition()  # read once per client; not part of an insert from then on
    proxy = DropInsertAnswer(client.api, any_emulator)
    client.api = proxy
    proxy.calibrate(NewObject("IM_JC_DATEN", seeded.case, {"UEBERMITTELT_AM": date(2018, 9, 2)}))
    proxy.armed = True
    audit = AuditLog(tmp_path / "audit.jsonl")

    done = JobcenterExport(client, PROFILE, audit).export(AZ, DAY, tmp_path / "out")

    assert any_emulator.state.faults.stats()["injected"] == 1  # the answer of the committed insert was lost
    assert proxy.inserts == 1  # the hand-over was sent once; the search by (case, day) found it
    mine = [o for o in handovers(any_emulator) if o.fields.get("UEBERMITTELT_AM") == DAY]
    assert [o.id for o in mine] == [done.document_id]
    assert [e["ergebnis"] for e in audit.entries()] == ["uebergeben"]
    assert done.path.exists()
