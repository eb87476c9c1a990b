from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from connector.enaio.emulator.loader import load_seed
from connector.enaio.emulator.store import (
    HistoryAction,
    InvalidValue,
    NewFile,
    NotFound,
    Store,
    UnknownType,
    WrongParent,
)
from connector.enaio.model import FieldValue
from connector.enaio.objdef import default_objdef
from connector.enaio.query import AncestorCondition, Query, eq

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2019, 5, 2, 8, 30, tzinfo=BERLIN)
T1 = datetime(2020, 1, 10, 16, 0, tzinfo=BERLIN)


@dataclass(frozen=True)
class Seed:
    """Test double with the shape of demo.seed.SeedObject."""

    key: str
    type_name: str
    parent_key: str | None
    fields: Mapping[str, FieldValue]
    tables: Mapping[str, Sequence[Mapping[str, FieldValue]]] = field(default_factory=dict)
    created: datetime = T0
    creator: str = "im01"
    modified: datetime = T0
    modifier: str = "im01"
    files: tuple[NewFile, ...] = ()


def small_county() -> Iterator[Seed]:
    yield Seed(
        "S1",
        "ORG_MITARBEITENDE",
        None,
        {
            "PERSONALNUMMER": "P1",
            "NAME": "A",
            "VZAE": Decimal("0.50"),
            "GUELTIG_AB": date(2018, 1, 1),
            "TRAEGER": "LANDRATSAMT",
        },
    )
    yield Seed(
        "K1",
        "IM_KLIENT",
        None,
        {
            "AKTENZEICHEN": "IM-1",
            "FAMILIENNAME": "X",
            "VORNAMEN": "Y",
            "GESCHLECHT": "DIVERS",
            "UNTERBRINGUNGSART": "AU",
            "WOHNKOMMUNE": "Nehren",
        },
        modified=T1,
        modifier="im02",
    )
    # legacy record: required GESCHLECHT missing -> loaded anyway, reported
    yield Seed("K2", "IM_KLIENT", None, {"AKTENZEICHEN": "IM-2", "FAMILIENNAME": "Z", "VORNAMEN": "W"})
    yield Seed(
        "F1",
        "IM_FALL",
        "K1",
        {
            "FALLBEGINN": date(2019, 5, 1),
            "FALLSTATUS": "AKTIV",
            "INTEGRATIONSMANAGER": "P1",
            "REGIONALTEAM": "MOESSINGEN",
            "HOECHSTDAUER_BIS": date(2022, 5, 1),  # read-only, but the seed brings derived values
        },
    )
    yield Seed("F2", "IM_FALL", "K2", {"FALLBEGINN": date(2019, 6, 1), "FALLSTATUS": "ANGEFRAGT"})
    yield Seed(
        "P1",
        "IM_PLAN",
        "F1",
        {
            "PLANART": "INTEGRATIONSPLAN",
            "PLANVERSION": 0,
            "ERSTELLT_AM": date(2019, 6, 1),
            "PLANSTATUS": "VEREINBART",
        },
        tables={
            "ZIELE": [
                {"HANDLUNGSFELD": "SPRACHE", "ZIEL": "B1", "ZIELSTATUS": "OFFEN"},
                {"ZIEL": "legacy row"},
            ]
        },
        files=(NewFile("plan.pdf", "application/pdf", b"%PDF"),),
    )
    for i in range(7):
        yield Seed(
            f"C{i}",
            "IM_KONTAKT",
            "F1" if i % 2 else "F2",
            {"DATUM": date(2019, 7, 1 + i), "KONTAKTART": "BERATUNG"},
        )


def test_load_small_county() -> None:
    store = Store(default_objdef())
    summary = load_seed(store, small_county(), batch_size=4)
    assert summary.objects == 13
    assert summary.by_type == {
        "ORG_MITARBEITENDE": 1,
        "IM_KLIENT": 2,
        "IM_FALL": 2,
        "IM_PLAN": 1,
        "IM_KONTAKT": 7,
    }
    assert summary.files == 1
    assert summary.table_rows == 2
    assert set(summary.incomplete) >= {"K2", "F2", "C0"}
    assert "13 objects" in str(summary)
    assert store.max_seq() == 13
    assert store.count() == 13

    [k1] = store.search(Query("IM_KLIENT", where=eq("AKTENZEICHEN", "IM-1"))).objects
    assert (k1.created, k1.creator, k1.modified, k1.modifier, k1.owner) == (T0, "im01", T1, "im02", "im01")
    assert [h.action for h in store.history(k1.id)] == [
        HistoryAction.CREATED,
        HistoryAction.INDEX_DATA_CHANGED,
    ]
    [f1] = store.search(Query("IM_FALL", where=eq("REGIONALTEAM", "MOESSINGEN"))).objects
    assert f1.parent_id == k1.id
    assert f1.folder_id == k1.id
    assert f1.fields["HOECHSTDAUER_BIS"] == date(2022, 5, 1)
    [plan] = store.search(Query("IM_PLAN")).objects
    assert (plan.parent_id, plan.folder_id) == (f1.id, k1.id)
    assert plan.tables["ZIELE"][1] == {"ZIEL": "legacy row"}
    assert store.file_content(plan.id, 1)[1] == b"%PDF"
    hits = store.search(
        Query("IM_KONTAKT", ancestors=(AncestorCondition("IM_KLIENT", eq("WOHNKOMMUNE", "Nehren")),))
    )
    assert hits.total == 3
    [s1] = store.search(Query("ORG_MITARBEITENDE")).objects
    assert s1.fields["VZAE"] == Decimal("0.50")

    # the loaded store is a normal store afterwards
    new = store.insert(
        "IM_KONTAKT",
        f1.id,
        {"DATUM": date(2024, 1, 1), "KONTAKTART": "BERATUNG", "INTEGRATIONSMANAGER": "P1"},
        user="a",
    )
    assert new > plan.id
    assert store.max_seq() == 14


@pytest.mark.parametrize(
    ("seeds", "error", "match"),
    [
        ([Seed("X", "NOPE", None, {})], UnknownType, "NOPE"),
        ([Seed("F", "IM_FALL", None, {})], WrongParent, "F"),
        ([Seed("F", "IM_FALL", "MISSING", {})], NotFound, "MISSING"),
        ([Seed("K", "IM_KLIENT", None, {"GESCHLECHT": "X"})], InvalidValue, "seed object K"),
        ([Seed("K", "IM_KLIENT", None, {"GEBURTSDATUM": "kein Datum"})], InvalidValue, "GEBURTSDATUM"),
        (
            [Seed("K", "IM_KLIENT", None, {}), Seed("C", "IM_KONTAKT", "K", {})],
            WrongParent,
            "IM_KONTAKT may not be filed under IM_KLIENT",
        ),
        (
            [Seed("K", "IM_KLIENT", None, {}, files=(NewFile("a", "text/plain", b""),))],
            InvalidValue,
            "no files",
        ),
        ([Seed("K", "IM_KLIENT", None, {}, created=datetime(2020, 1, 1))], InvalidValue, "naive"),  # noqa: DTZ001
    ],
)
def test_load_refuses_bad_seed(seeds: list[Seed], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        load_seed(Store(default_objdef()), seeds)


def test_demo_county_scale_1() -> None:
    from connector.enaio.emulator.demo import seed

    store = Store(default_objdef())
    summary = load_seed(store, seed.generate(scale=1))
    assert summary.objects == store.count(include_deleted=True) == store.max_seq()
    assert set(summary.incomplete) == set(seed.INCOMPLETE_KEYS)
    assert summary.by_type["IM_KLIENT"] > 0
