"""A small county for the proof tests (tests/test_proof_*.py): the first objects of the demo county's seed
stream (staff, then whole households, parents before children) in a store whose clock the test sets, so
changes made between extraction runs carry the same stamps in every repetition and sinks compare equal.

Plus the sink dump the proofs compare: every table of a SQLite sink as sorted tuples, with the one column that
records the wall-clock time of a run (a tombstone's ``deleted_at``) masked.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from connector.enaio.emulator.demo.seed import generate
from connector.enaio.emulator.faults import FaultInjector
from connector.enaio.emulator.loader import load_seed
from connector.enaio.emulator.state import EmulatorState, Variant
from connector.enaio.emulator.store import Store
from connector.enaio.objdef import default_site_path, load_objdef
from connector.timeutil import zone
from tests.conftest import TEST_USERS

STAFF = "im01"
CHANGED_AT = datetime(2026, 1, 15, 10, 0, tzinfo=zone("Europe/Berlin"))
"""When the county changes between two runs (long after the demo data's last stamp in 2018)."""

DELETIONS_TABLE = "_enaio_deletions"


def small_county(objects: int, variant: Variant = "default") -> EmulatorState:
    """The first ``objects`` objects of the demo seed in a fresh in-memory store, clock fixed at
    :data:`CHANGED_AT`; no fault rules yet (``state.faults``)."""
    objdef = load_objdef(default_site_path())
    tz = zone("Europe/Berlin")
    store = Store(objdef, tz=tz, clock=lambda: CHANGED_AT)
    load_seed(store, itertools.islice(generate(), objects))
    return EmulatorState(
        store=store, objdef=objdef, users=dict(TEST_USERS), tz=tz, faults=FaultInjector(), variant=variant
    )


def _first(store: Store, type_name: str, count: int, skip: int = 0) -> list[Any]:
    return list(itertools.islice(store.iter_all(type_name), skip, skip + count))


def change_county(store: Store) -> dict[str, int]:
    """What happens in the county between two runs, the same every time: three persons move, a contact is
    corrected, a consent is added, a contact and a consent go to the recycle bin, a contact is purged.

    Returns the ids the proofs name (added consent, soft-deleted and purged objects)."""
    for klient in _first(store, "IM_KLIENT", 3):
        moved = "Nehren" if klient.fields.get("WOHNKOMMUNE") != "Nehren" else "Mössingen"
        store.update(klient.id, {"WOHNKOMMUNE": moved}, user=STAFF)
    contacts = _first(store, "IM_KONTAKT", 3)
    kind = "BEGLEITUNG" if contacts[0].fields.get("KONTAKTART") != "BEGLEITUNG" else "BERATUNG"
    store.update(contacts[0].id, {"KONTAKTART": kind}, user=STAFF)
    template = _first(store, "IM_EINWILLIGUNG", 1)[0]
    fields = {k: v for k, v in template.fields.items() if v is not None}
    added = store.insert("IM_EINWILLIGUNG", template.parent_id, fields, user=STAFF)
    consent = _first(store, "IM_EINWILLIGUNG", 1, skip=1)[0]
    store.delete(contacts[1].id, user=STAFF)
    store.delete(consent.id, user=STAFF)
    store.delete(contacts[2].id, hard=True, user=STAFF)
    return {
        "added": added,
        "recycled_contact": contacts[1].id,
        "recycled_consent": consent.id,
        "purged": contacts[2].id,
    }


Dump = dict[str, list[tuple[Any, ...]]]


def dump_sqlite(path: Path) -> Dump:
    """Every table of a SQLite sink, rows as sorted tuples (duplicates kept); ``deleted_at`` masked."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        dump: Dump = {}
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from sqlite_master
            columns = [d[0] for d in cursor.description]
            rows = [
                tuple("*" if c == "deleted_at" else v for c, v in zip(columns, row, strict=True))
                for row in cursor
            ]
            dump[table] = [tuple(columns), *sorted(rows, key=repr)]
    return dump


def duplicates(dump: Dump) -> dict[str, int]:
    """Per table: rows whose first column (the primary key of entity tables) occurs more than once."""
    found: dict[str, int] = {}
    for table, (columns, *rows) in dump.items():
        if table.startswith("_") or not columns or columns[0] != "enaio_id":
            continue
        keys = [row[0] for row in rows]
        if len(keys) != len(set(keys)):
            found[table] = len(keys) - len(set(keys))
    return found


def seeds(base: int, count: int) -> Iterator[int]:
    """``count`` fault-injector seeds, different per interface (``base``) and run."""
    return (base * 1000 + n for n in range(1, count + 1))
