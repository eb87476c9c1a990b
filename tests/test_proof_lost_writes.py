"""Issue 15 item 5: lost answers of committed writes. 50 trials (more with ``--soak``) of a plan create
whose committed answer is dropped by the emulator (fault ``drop_response`` on the insert's own write request),
spread over dms, osrest and soap and both personalities: every trial ends with exactly one new plan document.

Each trial gets its own case file (tests/writeback_data.py) on a server shared by the trials of one interface
and personality; every other trial is a Fortschreibung (a plan exists already), so both kinds of create meet
the lost answer. The proof per trial: the insert itself raised (its answer was lost), the store holds the
written plan (the write committed), the writer did not send it again, and exactly one plan was added.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from connector.config import Interface
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer, build_state
from connector.enaio.emulator.state import Variant
from connector.enaio.interface import NewObject
from connector.enaio.objdef import default_site_path
from connector.errors import TransientError
from jobs.writeback import parse_plan, put_plan
from mappings import load_profile
from tests.conftest import TEST_USERS, make_settings
from tests.writeback_data import PLAN_FILE, DropInsertAnswer, seed_client, seed_plan

PROFILE = load_profile()

# 50 trials: 9 + 9 + 8 + 8 + 8 + 8 over the six interface/personality pairs
COMBINATIONS: list[tuple[Interface, Variant, int]] = [
    ("dms", "default", 9),
    ("dms", "documented", 9),
    ("osrest", "default", 8),
    ("osrest", "documented", 8),
    ("soap", "default", 8),
    ("soap", "documented", 8),
]


class _RecordingDrop(DropInsertAnswer):
    """Counts inserts whose answer was lost (the insert raised ``TransientError`` to the writer)."""

    def __init__(self, api: Any, server: EmulatorServer) -> None:
        super().__init__(api, server)
        self.lost = 0

    def insert(self, new: NewObject) -> int:
        try:
            return super().insert(new)
        except TransientError:
            self.lost += 1
            raise


def _plans(server: EmulatorServer, case: int) -> list[Any]:
    return sorted(
        (o for o in server.state.store.iter_all("IM_PLAN") if o.parent_id == case), key=lambda o: o.id
    )


@pytest.fixture
def soak(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--soak"))


@pytest.mark.parametrize(
    ("iface", "variant", "trials"), COMBINATIONS, ids=[f"{i}-{v}" for i, v, _ in COMBINATIONS]
)
def test_lost_answer_of_a_plan_create_leaves_exactly_one_document(
    iface: Interface, variant: Variant, trials: int, soak: bool
) -> None:
    trials *= 4 if soak else 1
    extra: dict[str, object] = {"objdef_file": str(default_site_path())} if variant == "documented" else {}
    state = build_state(users=dict(TEST_USERS), variant=variant)
    with (
        EmulatorServer(state) as server,
        EnaioClient(make_settings(server, iface, "alice", **extra)) as client,
    ):
        client.object_definition()  # read once per client; not part of an insert from then on
        proxy = _RecordingDrop(client.api, server)
        client.api = proxy
        outcomes: list[tuple[int, int, int]] = []
        for trial in range(trials):
            aktenzeichen = f"IM-P-{trial + 1:04d}"  # weitere_personen name IM-T-0002/3
            seeded = seed_client(server, aktenzeichen)
            fortschreibung = trial % 2 == 1
            previous = seed_plan(server, seeded.case) if fortschreibung else None
            # count the POSTs of one insert under this very case (soap asks for the parent's type first)
            proxy.calibrate(
                NewObject(
                    "IM_KONTAKT",
                    seeded.case,
                    {"DATUM": date(2018, 5, 2), "KONTAKTART": "BERATUNG", "INTEGRATIONSMANAGER": "730001"},
                )
            )
            before = [p.id for p in _plans(server, seeded.case)]
            proxy.armed, proxy.inserts, proxy.lost = True, 0, 0
            dates = {"erstellt_am": "2018-11-09", "vereinbart_am": "2018-11-12"} if fortschreibung else {}
            action = put_plan(
                client, PROFILE, parse_plan({"aktenzeichen": aktenzeichen, **PLAN_FILE, **dates})
            )

            stats = server.state.faults.stats()
            server.state.faults.clear()
            after = _plans(server, seeded.case)
            added = [p for p in after if p.id not in before]
            context = (
                f"trial {trial} ({iface}, {variant}, {'Fortschreibung' if fortschreibung else 'first plan'})"
            )
            assert stats["injected"] == 1, context  # exactly one answer was dropped ...
            assert proxy.lost == 1, context  # ... and it was the create's: the insert raised
            assert proxy.inserts == 1, context  # found by its natural key, never sent again
            assert [p.id for p in added] == [action.document_id], context  # exactly one new document
            assert added[0].fields["PLANVERSION"] == (1 if fortschreibung else 0), context
            if previous is not None:
                assert [p.id for p in after] == [previous, action.document_id], context
                assert client.get(previous).fields["PLANSTATUS"] == "FORTGESCHRIEBEN", context
            outcomes.append((len(before), len(added), len(after)))
        # every trial: 0 or 1 plan before, exactly 1 added
        assert outcomes == [(trial % 2, 1, trial % 2 + 1) for trial in range(trials)]
        assert server.state.store.count("IM_PLAN") == trials + trials // 2
