"""Issue 15 item 4: crash-resume. The real ``enaio-connector extract`` runs as its own process and is killed
with SIGKILL at 20 seeded points (60 with ``--soak``); the rerun ends with the sink of an uninterrupted run,
table by table, without duplicates.

Per interface one small county (tests/proof_data.py) on the emulator in this process, so the test sees every
request the job sends (the fault injector counts them) and slows them with ``delay`` rules:

- **first run** points: an empty sink, the job killed while its N-th request is on the wire (N seeded within
  the requests an uninterrupted run sends, plus a seeded part of the request's delay);
- **incremental** points: a sink that holds yesterday's run, the county changed since (persons moved, a
  consent added, objects in the recycle bin, one purged), killed the same way;
- **between sink commit and state commit**: incremental, every request slowed to 0.3 s, and a watcher
  kills the job as soon as a seeded stream's rows are committed to the sink while its bookmark in the state
  file is still yesterday's. The job commits a stream's rows, then lists the recycle bin (one request), then
  writes the bookmark: the kill lands in that request. After the kill the test checks that the window was
  really hit (new rows in the sink, old bookmark in the state file).

The rerun is the job itself (``run_extract``, same sink, state directory and key), without faults.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from connector.config import Interface, Settings
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.state import EmulatorState
from jobs.extract import ExtractOptions, run_extract
from tests.conftest import TEST_USERS, make_settings
from tests.proof_data import Dump, change_county, dump_sqlite, duplicates, small_county

KEY = "proof-crash-resume-key-0123456789abcdef"
OBJECTS = 150
CHANGED_STREAMS = ("klient", "kontakt", "einwilligung")  # streams whose rows change in change_county
ROOT = Path(__file__).resolve().parent.parent
_SCRIPT = Path(sys.executable).with_name("enaio-connector")
CLI = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-c", "from jobs.cli import main; main(prog_name='enaio-connector')"]
)

Mode = Literal["first", "incremental", "window"]


@dataclass(frozen=True)
class Point:
    number: int
    mode: Mode
    requests: int  # first/incremental: kill while this request is on the wire
    extra: float  # seconds after that request arrived
    stream: str  # window: the stream whose sink commit is the target


@dataclass
class Site:
    """One interface's county, its paths and the uninterrupted references."""

    interface: Interface
    server: EmulatorServer
    settings: Settings
    work: Path
    base: Path
    first: Dump  # an uninterrupted first run on the changed county
    incremental: Dump  # yesterday's sink plus an uninterrupted incremental run
    first_requests: int
    incremental_requests: int
    base_bookmarks: dict[str, str]
    base_rows: dict[str, list[tuple[Any, ...]]]

    @property
    def sink(self) -> str:
        return f"sqlite:///{self.work / 'records.db'}"

    def restore(self, yesterday: bool) -> None:
        """The work directory as yesterday's run left it, or empty; always the same paths, because bookmarks
        are kept per sink URL."""
        shutil.rmtree(self.work, ignore_errors=True)
        if yesterday:
            shutil.copytree(self.base, self.work)
        else:
            self.work.mkdir(parents=True)

    def run(self, **options: Any) -> int:
        summary = run_extract(
            self.settings, ExtractOptions(sink=self.sink, state_dir=self.work / "state", **options)
        )
        return summary.requests


def _bookmarks(state_dir: Path, sink: str) -> dict[str, str]:
    path = state_dir / "extract-state.json"
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # never half-written (atomic rename); a failed read is retried by the caller
        return {}
    return {stream: entry["bookmark"] for stream, entry in data["sinks"].get(sink, {}).items()}


def _rows(db: Path, entity: str) -> list[tuple[Any, ...]] | None:
    """The entity's (enaio_id, _hash) pairs; None while the writer holds the database."""
    try:
        with closing(sqlite3.connect(db, timeout=0.0)) as conn:
            return list(conn.execute(f'SELECT enaio_id, _hash FROM "{entity}" ORDER BY enaio_id'))  # noqa: S608
    except sqlite3.OperationalError:
        return None


@pytest.fixture
def site_factory(tmp_path: Path) -> Iterator[Any]:
    servers: list[EmulatorServer] = []

    def make(interface: Interface) -> Site:
        state: EmulatorState = small_county(OBJECTS)
        server = EmulatorServer(state).start()
        servers.append(server)
        settings = make_settings(server, interface, "alice", pseudonym_key=KEY)
        work, base = tmp_path / "work", tmp_path / "base"
        site = Site(interface, server, settings, work, base, {}, {}, 0, 0, {}, {})
        site.restore(yesterday=False)
        site.run()  # yesterday
        shutil.copytree(work, base)
        site.base_bookmarks = _bookmarks(work / "state", site.sink)
        site.base_rows = {e: _rows(work / "records.db", e) or [] for e in CHANGED_STREAMS}
        change_county(state.store)  # what happened in the county since
        site.incremental_requests = site.run()
        site.incremental = dump_sqlite(work / "records.db")
        site.restore(yesterday=False)
        site.first_requests = site.run()
        site.first = dump_sqlite(work / "records.db")
        assert site.incremental != dump_sqlite(base / "records.db")  # the changes reached the sink
        return site

    yield make
    for server in servers:
        server.close()


def _points(interface: Interface, count: int, site: Site) -> list[Point]:
    """Seeded kill points: a third first runs, a third incremental, the rest (at least two) in the window."""
    rng = random.Random(f"crash-resume-{interface}")  # reproducible test choices
    windows = max(2, count // 3)
    points: list[Point] = []
    for number in range(count):
        if number >= count - windows:
            points.append(Point(number, "window", 0, 0.0, rng.choice(CHANGED_STREAMS)))
            continue
        mode: Mode = "first" if number % 2 == 0 else "incremental"
        total = site.first_requests if mode == "first" else site.incremental_requests
        points.append(Point(number, mode, rng.randint(1, max(1, total - 1)), rng.uniform(0.0, 0.06), ""))
    return points


def _env(site: Site) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENAIO_")}
    env.update(
        {
            "ENAIO_URL": site.server.url,
            "ENAIO_INTERFACE": site.interface,
            "ENAIO_USERNAME": "alice",
            "ENAIO_PASSWORD": TEST_USERS["alice"],
            "ENAIO_PSEUDONYM_KEY": KEY,
            "ENAIO_STATE_DIR": str(site.work / "state"),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _wait_for_request(site: Site, process: subprocess.Popen[bytes], point: Point) -> None:
    faults = site.server.state.faults
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if faults.stats()["rules"][0]["matched"] >= point.requests:
            time.sleep(point.extra)
            return
        time.sleep(0.005)


def _wait_for_window(site: Site, process: subprocess.Popen[bytes], point: Point) -> None:
    db, old_rows = site.work / "records.db", site.base_rows[point.stream]
    old_bookmark = site.base_bookmarks[point.stream]
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        rows = _rows(db, point.stream)
        state = _bookmarks(site.work / "state", site.sink)
        if rows is not None and rows != old_rows and state.get(point.stream) == old_bookmark:
            return
        time.sleep(0.01)


def _kill_and_resume(site: Site, point: Point) -> tuple[tuple[str, str], ...]:
    """Kill, check, rerun, compare; returns the bookmarks the killed job left (where it was killed)."""
    context = f"{site.interface} point {point}"
    site.restore(yesterday=point.mode != "first")
    if point.mode == "window":
        rules = [FaultRule("delay", delay=0.3)]
    else:
        # the request after the seeded one is held: on a busy machine the job cannot finish before the kill
        rules = [
            FaultRule("delay", delay=0.05),
            FaultRule("delay", every=point.requests + 1, times=1, delay=3.0),
        ]
    site.server.state.faults.set_rules(rules)
    command = [*CLI, "extract", "--sink", site.sink, "--allow-quarantine"]
    process = subprocess.Popen(command, env=_env(site), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if point.mode == "window":
            _wait_for_window(site, process, point)
        else:
            _wait_for_request(site, process, point)
        alive = process.poll() is None
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        site.server.state.faults.clear()
    assert alive, f"{context}: the job ended before the kill: {stderr.decode(errors='replace')[-500:]}"
    assert process.returncode == -signal.SIGKILL, context
    bookmarks = _bookmarks(site.work / "state", site.sink)
    if point.mode == "window":
        # the kill fell between the stream's sink commit and its state commit
        committed = _rows(site.work / "records.db", point.stream)
        assert committed is not None, context
        assert committed != site.base_rows[point.stream], context
        assert bookmarks.get(point.stream) == site.base_bookmarks[point.stream], context

    site.run()  # the next scheduled run

    dump = dump_sqlite(site.work / "records.db")
    assert duplicates(dump) == {}, context
    expected = site.first if point.mode == "first" else site.incremental
    for table in expected:
        assert dump.get(table) == expected[table], f"{context}: table {table} differs after the rerun"
    assert set(dump) == set(expected), context
    return tuple(sorted(bookmarks.items()))


@pytest.fixture
def long_run(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--soak"))


# 20 points: 7 + 7 + 6, two of each interface's between the commits (60 with --soak)
@pytest.mark.timeout(1200)  # --soak: three times the points
@pytest.mark.parametrize(("interface", "count"), [("dms", 7), ("soap", 7), ("osrest", 6)])
def test_sigkill_at_seeded_points_then_rerun_gives_the_uninterrupted_sink(
    interface: Interface, count: int, long_run: bool, site_factory: Any
) -> None:
    site: Site = site_factory(interface)
    points = _points(interface, count * (3 if long_run else 1), site)
    assert {p.mode for p in points} == {"first", "incremental", "window"}
    left = {_kill_and_resume(site, point) for point in points}
    assert len(left) >= 3, left  # the kills met the job at different places, not all at its start
