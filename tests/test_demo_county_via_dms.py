"""The demo county's calibration figures (docs/demo-county.md), counted through the DMS client.

The counting rules are re-implemented here over :class:`EnaioObject` s from ``client.search(...)``; where the
rule is a plain filter it goes to the server as SQL, the rest is counted in Python.
"""

from __future__ import annotations

import calendar
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.state import VARIANTS, Variant
from connector.enaio.model import EnaioObject
from connector.enaio.query import Condition, Op, Query, all_of, any_of, eq, is_in
from tests.conftest import make_settings

P0, P1 = date(2018, 4, 1), date(2018, 6, 30)
STICHTAG = date(2018, 7, 31)
CUTOFF = date(2017, 9, 15)

log = logging.getLogger(__name__)


@pytest.fixture(scope="module", params=VARIANTS)
def client(
    request: pytest.FixtureRequest, demo_emulators: Callable[[Variant], EmulatorServer]
) -> Iterator[EnaioClient]:
    """The DMS client against the demo county in each personality: the figures must not depend on one."""
    with EnaioClient(make_settings(demo_emulators(request.param), "dms")) as client:
        yield client


def search(client: EnaioClient, query: Query) -> list[EnaioObject]:
    return list(client.search(query))


def _date(obj: EnaioObject, name: str) -> date | None:
    value = obj.fields.get(name)
    assert value is None or isinstance(value, date)
    return value


def test_target_group(client: EnaioClient) -> None:
    transferred = search(client, Query("IM_KLIENT", where=eq("IM_UEBERTRAGEN", 1), page_size=1000))
    target = [
        k
        for k in transferred
        if (zuzug := _date(k, "ZUZUG_AU")) is not None
        and zuzug <= CUTOFF
        and ((auszug := _date(k, "AUSZUG_AU")) is None or auszug > CUTOFF)
    ]
    assert len(target) == 1045
    # the same filter entirely on the server
    on_server = Query(
        "IM_KLIENT",
        where=all_of(
            eq("IM_UEBERTRAGEN", 1),
            Condition("ZUZUG_AU", Op.LE, (CUTOFF,)),
            any_of(Condition("AUSZUG_AU", Op.IS_NULL), Condition("AUSZUG_AU", Op.GT, (CUTOFF,))),
        ),
        page_size=1000,
    )
    assert {k.id for k in search(client, on_server)} == {k.id for k in target}


def test_sondierungen_and_reached_persons(client: EnaioClient) -> None:
    sondierungen = search(
        client,
        Query(
            "IM_KONTAKT",
            where=all_of(eq("KONTAKTART", "SONDIERUNG"), Condition("DATUM", Op.BETWEEN, (P0, P1))),
            page_size=200,
        ),
    )
    assert len(sondierungen) == 501
    persons = {obj.folder_id for obj in sondierungen}
    assert len(persons) == 501
    assert None not in persons
    assert all("WEITERE_TEILNEHMENDE" not in obj.fields for obj in sondierungen)
    transferred = {
        k.id: k for k in search(client, Query("IM_KLIENT", where=eq("IM_UEBERTRAGEN", 1), page_size=1000))
    }
    target = {
        key
        for key, k in transferred.items()
        if (z := _date(k, "ZUZUG_AU")) is not None
        and z <= CUTOFF
        and ((a := _date(k, "AUSZUG_AU")) is None or a > CUTOFF)
    }
    assert persons <= target
    reached = (Decimal(len(persons) * 100) / Decimal(len(target))).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    assert reached == Decimal("47.9")


def test_agreed_initial_plans(client: EnaioClient) -> None:
    plans = search(
        client,
        Query(
            "IM_PLAN",
            where=all_of(
                eq("PLANVERSION", 0),
                is_in("PLANSTATUS", ["VEREINBART", "FORTGESCHRIEBEN", "ABGESCHLOSSEN"]),
                Condition("VEREINBART_AM", Op.GE, (P0,)),
                Condition("VEREINBART_AM", Op.LE, (P1,)),
            ),
        ),
    )
    assert len(plans) == 130
    assert {plan.type_name for plan in plans} == {"IM_PLAN"}


def test_persons_cared_for_on_stichtag(client: EnaioClient) -> None:
    started = search(
        client, Query("IM_FALL", where=Condition("FALLBEGINN", Op.LE, (STICHTAG,)), page_size=1000)
    )
    active = [f for f in started if (end := _date(f, "FALLENDE")) is None or end > STICHTAG]
    cared = {f.folder_id for f in active}
    assert len(cared) == 2258
    persons = {k.id: k for k in search(client, Query("IM_KLIENT", page_size=1000))}
    by_accommodation = Counter(
        str(persons[pid].fields["UNTERBRINGUNGSART"]) for pid in cared if pid is not None
    )
    assert dict(by_accommodation) == {"VU": 436, "AU": 1028, "PRIVAT": 794}


def test_integration_managers_and_vzae(client: EnaioClient) -> None:
    funded = [
        r
        for r in search(client, Query("ORG_MITARBEITENDE", where=eq("FOERDERFAEHIG", 1)))
        if (_date(r, "GUELTIG_AB") or P0) <= P1
        and ((until := _date(r, "GUELTIG_BIS")) is None or until >= P0)
    ]
    assert len({r.fields["PERSONALNUMMER"] for r in funded}) == 19

    def valid_days(r: EnaioObject, first: date, last: date) -> int:
        start = max(first, _date(r, "GUELTIG_AB") or first)
        end = min(last, _date(r, "GUELTIG_BIS") or last)
        return max(0, (end - start).days + 1)

    monthly = []
    for month in (4, 5, 6):
        first = date(2018, month, 1)
        last = date(2018, month, calendar.monthrange(2018, month)[1])
        days = (last - first).days + 1
        vzae = [r.fields["VZAE"] for r in funded]
        assert all(isinstance(v, Decimal) for v in vzae)
        monthly.append(
            sum(
                (
                    Fraction(str(r.fields["VZAE"])) * Fraction(valid_days(r, first, last), days)
                    for r in funded
                ),
                Fraction(0),
            )
        )
    assert monthly == [13, 13, 13]
    assert sum(monthly, Fraction(0)) / 3 == Fraction("13.0")


def test_read_the_whole_county(
    any_demo_emulator: EmulatorServer, client_factory: Callable[..., EnaioClient]
) -> None:
    """Every object of every type through the DMS client (the measurement reported in the README)."""
    client = client_factory(any_demo_emulator, "dms")
    counts: dict[str, int] = {}
    started = time.perf_counter()
    for object_type in client.object_definition().types:
        counts[object_type.internal] = sum(
            1 for _ in client.search(Query(object_type.internal, page_size=500))
        )
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    store_total = sum(
        any_demo_emulator.state.store.count(t.internal) for t in client.object_definition().types
    )
    assert total == store_total
    log.warning(
        "read %d demo objects through DMS in %.1f s (%.0f objects/s): %s",
        total,
        elapsed,
        total / elapsed,
        counts,
    )
