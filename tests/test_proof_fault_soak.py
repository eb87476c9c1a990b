"""Issue 15 item 3: fault soaks. Per interface, an extraction into SQLite under a seeded mix of faults ends
with a sink identical to a fault-free run, table by table: nothing lost, nothing duplicated.

The mix (docs/emulator-choices.md, "Fault injection"), evaluated in this order per request:

- 1 % answers slower than the read timeout (``read_timeout`` 1 s, delay 1.3 s; the client gives up and asks
  again while the server still works on the first request),
- 10 % 5xx (5 % 503, 3 % 502, 2 % 504),
- 2 % connection resets, 2 % 429 with ``Retry-After: 0.2``, 2 % truncated bodies,
- the session expiring on every 100th request (every 25th in the short soak, whose runs make fewer requests).

One repetition (per seed) is the life of a sink over three runs against a fresh small county
(tests/proof_data.py): a first (full) run, then the county changes (persons move, a consent is added, objects
go to the recycle bin, one is purged), an incremental run, and a ``--full`` run that notices the purge. The
fault-free reference goes through the same three runs with the same changes (the county's clock is fixed, so
the stamps are the same).

The fault injector's seed differs per run: 5 seeds per interface. The short soak uses a county of 200 objects;
dms and soap in the documented personality (at most 100 rows per page, so more requests meet faults), osrest
in the default one (its documented personality reads locations object by object: four times the requests and
time). ``--soak``: 10 seeds each, dms (documented) and soap (default) over the whole demo county, osrest
(documented) over 2,000 objects, the session expiring every 100 requests.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connector.config import Interface, Settings
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.state import EmulatorState, Variant
from connector.enaio.objdef import default_site_path
from connector.errors import AuthenticationError
from jobs.extract import ExtractOptions, ExtractSummary, run_extract
from tests.conftest import TEST_USERS, make_settings
from tests.proof_data import (
    DELETIONS_TABLE,
    Dump,
    change_county,
    dump_sqlite,
    duplicates,
    seeds,
    small_county,
)

KEY = "proof-fault-soak-key-0123456789abcdef"
READ_TIMEOUT = 1.0
SLOW = 1.3  # seconds: just above the read timeout


def mix(expire_every: int) -> list[FaultRule]:
    return [
        FaultRule("delay", probability=0.01, delay=SLOW),
        FaultRule("status", status=503, probability=0.05),
        FaultRule("status", status=502, probability=0.03),
        FaultRule("status", status=504, probability=0.02),
        FaultRule("reset", probability=0.02),
        FaultRule("status", status=429, probability=0.02, retry_after=0.2),
        FaultRule("truncate", probability=0.02),
        FaultRule("expire_session", every=expire_every),
    ]


def _kind(rule: dict[str, Any]) -> str:
    action = str(rule["action"])
    if action == "status":
        return "429" if rule["status"] == 429 else "5xx"
    return action


@dataclass(frozen=True)
class Soak:
    interface: Interface
    variant: Variant
    objects: int  # size of the county (a prefix of the demo seed)
    seeds: int
    expire_every: int  # requests between two session expiries


# 200 objects: 39 staff, then whole households (persons, cases, contacts, consents, a plan); one life makes
# 40-120 requests, so the short soak lets the session expire every 25 requests (every 100 with --soak)
SHORT = {
    "dms": Soak("dms", "documented", 200, 5, 25),
    "soap": Soak("soap", "documented", 200, 5, 25),
    "osrest": Soak("osrest", "default", 200, 5, 25),
}
ALL = 1_000_000  # the whole demo county (10,208 objects)
LONG = {
    "dms": Soak("dms", "documented", ALL, 10, 100),
    "soap": Soak("soap", "default", ALL, 10, 100),
    "osrest": Soak("osrest", "documented", 2_000, 10, 100),
}


def _settings(server: EmulatorServer, soak: Soak) -> Settings:
    extra: dict[str, object] = (
        {"objdef_file": str(default_site_path())} if soak.variant == "documented" else {}
    )
    return make_settings(
        server,
        soak.interface,
        "alice",
        pseudonym_key=KEY,
        read_timeout=READ_TIMEOUT,
        soap_operation_timeout=READ_TIMEOUT,
        retry={"max_attempts": 10, "backoff_initial": 0.01, "backoff_max": 0.05, "retry_after_cap": 1.0},
        **extra,
    )


@dataclass
class Life:
    """What three runs left behind: the sink's tables, the run summaries, the changed ids."""

    dump: Dump
    summaries: list[ExtractSummary]
    changed: dict[str, int]


def _life(soak: Soak, base: Path, seed: int | None) -> tuple[Life, EmulatorState]:
    state = small_county(soak.objects, soak.variant)
    if seed is not None:
        state.faults.reseed(seed)
        state.faults.set_rules(mix(soak.expire_every))
    sink_path = base / "records.db"
    sink, state_dir = f"sqlite:///{sink_path}", base / "state"
    summaries: list[ExtractSummary] = []
    with EmulatorServer(state) as server:
        settings = _settings(server, soak)
        summaries.append(run_extract(settings, ExtractOptions(sink=sink, state_dir=state_dir)))
        changed = change_county(state.store)  # straight into the store: no request, no fault
        summaries.append(run_extract(settings, ExtractOptions(sink=sink, state_dir=state_dir)))
        summaries.append(run_extract(settings, ExtractOptions(sink=sink, state_dir=state_dir, full=True)))
    return Life(dump_sqlite(sink_path), summaries, changed), state


@pytest.fixture
def long_run(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--soak"))


@pytest.mark.timeout(3600)  # --soak: 10 lives over the whole demo county take 10-20 minutes per interface
@pytest.mark.parametrize("interface", ["dms", "soap", "osrest"])
def test_extraction_under_faults_gives_the_fault_free_sink(
    interface: Interface, long_run: bool, tmp_path: Path
) -> None:
    soak = (LONG if long_run else SHORT)[interface]
    reference, county = _life(soak, tmp_path / "reference", None)
    ref = reference.dump
    # the reference itself is what the rules say: every change arrived, the deletions are tombstones
    tombstones = ref[DELETIONS_TABLE][1:]
    assert sorted((t[1], t[3]) for t in tombstones) == sorted(
        [
            (reference.changed["recycled_contact"], "recycle_bin"),
            (reference.changed["recycled_consent"], "recycle_bin"),
            (reference.changed["purged"], "vanished"),
        ]
    )
    assert reference.changed["added"] in {row[0] for row in ref["einwilligung"][1:]}
    assert [s.totals()["written"] for s in reference.summaries][1:] == [5, 0]  # 3 moves, 1 fix, 1 new
    assert duplicates(ref) == {}
    rows = sum(len(rows) - 1 for table, rows in ref.items() if not table.startswith("_"))
    assert rows == county.store.count() - reference.summaries[-1].totals()["quarantined"]

    injected: Counter[str] = Counter()
    requests = retries = 0
    for seed in seeds(sorted(SHORT).index(interface) + 1, soak.seeds):
        life, state = _life(soak, tmp_path / f"seed-{seed}", seed)
        for rule in state.faults.stats()["rules"]:
            injected[_kind(rule["rule"])] += rule["injected"]
        requests += sum(s.requests for s in life.summaries)
        retries += sum(s.retries for s in life.summaries)
        assert duplicates(life.dump) == {}, f"seed {seed}"
        for table in ref:
            assert life.dump.get(table) == ref[table], f"table {table} differs (seed {seed})"
        assert set(life.dump) == set(ref), f"seed {seed}"
        assert [s.totals() for s in life.summaries] == [s.totals() for s in reference.summaries], (
            f"seed {seed}"
        )
    # the mix really happened: every kind of fault hit this interface, and the client rode it out
    assert set(injected) == {"delay", "5xx", "reset", "429", "truncate", "expire_session"}, injected
    assert min(injected.values()) >= 1, injected
    # every injected failure of a read was answered by a retry (a slow answer may also carry a failure)
    failures = injected["5xx"] + injected["reset"] + injected["429"] + injected["truncate"]
    assert retries >= failures, (injected, retries, requests)


def test_soap_rides_out_an_expired_session_but_not_a_wrong_password() -> None:
    """What the soak found: an expired session answers SOAP calls with an authentication fault; the transport
    sends once more (as the REST transports log in again once on 401), a wrong password still fails."""
    state = small_county(60)
    with EmulatorServer(state) as server:
        state.faults.set_rules([FaultRule("expire_session", interface="soap")])
        with EnaioClient(make_settings(server, "soap")) as client:
            assert client.server_info().user == "alice"
        assert state.faults.stats()["rules"][0] == {
            "rule": {"action": "expire_session", "interface": "soap"},
            "spec": "expire_session:interface=soap",
            "matched": 2,  # the refused call and its one re-send
            "injected": 1,
        }
        state.faults.set_rules([FaultRule("delay", delay=0.0, interface="soap")])  # counts requests
        wrong = make_settings(server, "soap", password="not-" + TEST_USERS["alice"])
        with EnaioClient(wrong) as client, pytest.raises(AuthenticationError) as caught:
            client.server_info()
        assert "not-" not in str(caught.value)
        assert state.faults.stats()["rules"][0]["matched"] == 2  # sent twice, then refused for good
