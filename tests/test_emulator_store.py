from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connector.enaio.emulator.store import (
    FIRST_ID,
    Conflict,
    HistoryAction,
    InvalidValue,
    Locked,
    MissingRequired,
    NewFile,
    NotEmpty,
    NotFound,
    NotLocked,
    ReadOnlyField,
    Store,
    UnknownField,
    UnknownType,
    WrongParent,
)
from connector.enaio.model import ObjectKind
from connector.enaio.objdef import ObjectDefinition, default_objdef
from connector.enaio.query import (
    AncestorCondition,
    Condition,
    Deleted,
    Op,
    Query,
    Sort,
    System,
    all_of,
    any_of,
    eq,
    is_in,
)
from connector.errors import ConflictError, LockedError, NotFoundError, ValidationError

BERLIN = ZoneInfo("Europe/Berlin")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 9, 0, 0, 500_000, tzinfo=BERLIN)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: int = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def od() -> ObjectDefinition:
    return default_objdef()


@pytest.fixture
def store(od: ObjectDefinition, clock: Clock) -> Iterator[Store]:
    with Store(od, clock=clock) as s:
        yield s


def klient(az: str = "IM-0001", **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "AKTENZEICHEN": az,
        "FAMILIENNAME": "Haddad",
        "VORNAMEN": "Rami",
        "GESCHLECHT": "MAENNLICH",
        "UNTERBRINGUNGSART": "AU",
        "WOHNKOMMUNE": "Tübingen",
    }
    fields.update(extra)
    return fields


def fall(**extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "FALLBEGINN": date(2023, 1, 15),
        "FALLSTATUS": "AKTIV",
        "INTEGRATIONSMANAGER": "P001",
        "REGIONALTEAM": "TUEBINGEN",
    }
    fields.update(extra)
    return fields


def kontakt(day: date, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"DATUM": day, "KONTAKTART": "BERATUNG", "INTEGRATIONSMANAGER": "P001"}
    fields.update(extra)
    return fields


def staff(nr: str, vzae: str, ab: date, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "PERSONALNUMMER": nr,
        "NAME": f"Name {nr}",
        "VZAE": Decimal(vzae),
        "GUELTIG_AB": ab,
        "TRAEGER": "LANDRATSAMT",
    }
    fields.update(extra)
    return fields


def tree(store: Store) -> tuple[int, int, int]:
    k = store.insert("IM_KLIENT", None, klient(), user="alice")
    f = store.insert("IM_FALL", k, fall(), user="alice")
    d = store.insert("IM_KONTAKT", f, kontakt(date(2024, 2, 1)), user="alice")
    return k, f, d


def ids(page: Any) -> list[int]:
    return [o.id for o in page.objects]


# ---------------------------------------------------------------------- lifecycle


def test_lifecycle_folder_register_document(store: Store, clock: Clock) -> None:
    k, f, d = tree(store)
    assert k == FIRST_ID
    assert (f, d) == (k + 1, k + 2)

    obj = store.get(d)
    assert obj.kind is ObjectKind.DOCUMENT
    assert obj.type_name == "IM_KONTAKT"
    assert obj.type_id == 262185
    assert obj.parent_id == f
    assert obj.folder_id == k
    assert obj.fields["DATUM"] == date(2024, 2, 1)
    assert "KANAL" not in obj.fields  # empty fields are absent
    assert obj.created == datetime(2024, 3, 1, 9, 0, 0, tzinfo=BERLIN)  # truncated to seconds
    assert obj.created.tzinfo == BERLIN
    assert (obj.creator, obj.modifier, obj.owner) == ("alice", "alice", "alice")
    reg = store.get(f)
    assert reg.kind is ObjectKind.REGISTER
    assert (reg.parent_id, reg.folder_id) == (k, k)
    fol = store.get(k)
    assert (fol.parent_id, fol.folder_id) == (None, None)

    hits = store.search(Query("IM_KONTAKT", where=eq("KONTAKTART", "BERATUNG")))
    assert (ids(hits), hits.total) == ([d], 1)

    clock.tick(60)
    store.update(d, {"DAUER_MIN": 45, "KANAL": "TELEFON"}, user="bob")
    obj = store.get(d)
    assert obj.fields["DAUER_MIN"] == 45
    assert obj.modifier == "bob"
    assert obj.modified == datetime(2024, 3, 1, 9, 1, 0, tzinfo=BERLIN)
    assert obj.created == datetime(2024, 3, 1, 9, 0, 0, tzinfo=BERLIN)
    store.update(d, {"KANAL": None}, user="bob")
    assert "KANAL" not in store.get(d).fields

    # documents, registers, folders: bin, restore, hard delete
    store.delete(d, user="bob")
    with pytest.raises(NotFound):
        store.get(d)
    assert store.get(d, include_deleted=True).deleted
    assert store.search(Query("IM_KONTAKT")).total == 0
    assert ids(store.search(Query("IM_KONTAKT", deleted=Deleted.ONLY))) == [d]
    store.restore(d, user="bob")
    assert not store.get(d).deleted

    with pytest.raises(NotEmpty, match=str(f)):
        store.delete(f, user="bob")
    store.delete(k, cascade=True, user="bob")
    assert store.count() == 0
    assert store.count(include_deleted=True) == 3
    assert ids(store.search(Query("IM_FALL", deleted=Deleted.ONLY))) == [f]
    store.restore(k, user="bob")
    assert [store.get(i).deleted for i in (k, f, d)] == [False, False, False]

    with pytest.raises(NotEmpty):
        store.delete(k, hard=True, user="bob")
    store.delete(d, hard=True, user="bob")
    with pytest.raises(NotFound):
        store.get(d, include_deleted=True)
    store.delete(k, hard=True, cascade=True, user="bob")
    assert store.count(include_deleted=True) == 0
    assert [h.action for h in store.history(d)][-1] is HistoryAction.PERMANENTLY_DELETED
    assert store.history(f)[-1].action is HistoryAction.PERMANENTLY_DELETED
    with pytest.raises(NotFound):
        store.history(4711)


def test_history_entries(store: Store, clock: Clock) -> None:
    _k, _f, d = tree(store)
    clock.tick()
    store.update(d, {"DAUER_MIN": 10}, files=[NewFile("a.txt", "text/plain", b"x")], user="bob")
    k2 = store.insert("IM_KLIENT", None, klient("IM-0002"), user="alice")
    f2 = store.insert("IM_FALL", k2, fall(), user="alice")
    store.move(d, f2, user="bob")
    store.delete(d, user="bob")
    store.restore(d, user="bob")
    actions = [h.action for h in store.history(d)]
    assert actions == [
        HistoryAction.CREATED,
        HistoryAction.INDEX_DATA_CHANGED,
        HistoryAction.DOCUMENT_CHANGED,
        HistoryAction.LOCATION_CHANGED,
        HistoryAction.DELETED,
        HistoryAction.RESTORED,
    ]
    entry = store.history(d)[1]
    assert entry.user == "bob"
    assert entry.timestamp == datetime(2024, 3, 1, 9, 0, 1, tzinfo=BERLIN)
    assert "DAUER_MIN" in entry.description
    assert [int(a) for a in actions] == [2, 3, 4, 21, 6, 28]


def test_move_updates_folder_of_descendants(store: Store) -> None:
    k, f, d = tree(store)
    k2 = store.insert("IM_KLIENT", None, klient("IM-0002"), user="alice")
    store.move(f, k2, user="bob")
    assert store.get(f).parent_id == k2
    assert store.get(d).folder_id == k2
    with pytest.raises(WrongParent):
        store.move(k, k2, user="bob")
    with pytest.raises(WrongParent):
        store.move(d, k2, user="bob")  # documents only in IM_FALL
    with pytest.raises(WrongParent):
        store.move(f, f, user="bob")


def test_files(store: Store) -> None:
    _k, f, _ = tree(store)
    doc = store.insert(
        "IM_PLAN",
        f,
        {
            "PLANART": "INTEGRATIONSPLAN",
            "PLANVERSION": 0,
            "ERSTELLT_AM": date(2024, 1, 5),
            "PLANSTATUS": "ENTWURF",
        },
        files=[NewFile("plan.pdf", "application/pdf", b"%PDF-1.7 ...")],
        user="alice",
    )
    info, data = store.file_content(doc, 1)
    assert (info.index, info.name, info.mime_type, info.size) == (1, "plan.pdf", "application/pdf", 12)
    assert data == b"%PDF-1.7 ..."
    store.update(doc, files=[NewFile("anhang.txt", "text/plain", b"abc")], user="alice")
    assert [fi.name for fi in store.get(doc).files] == ["plan.pdf", "anhang.txt"]
    store.update(doc, files=[NewFile("v2.pdf", "application/pdf", b"2")], replace_files=True, user="alice")
    assert [(fi.index, fi.name) for fi in store.get(doc).files] == [(1, "v2.pdf")]
    with pytest.raises(NotFound):
        store.file_content(doc, 2)
    with pytest.raises(InvalidValue, match="IM_KLIENT"):
        store.insert("IM_KLIENT", None, klient("X"), files=[NewFile("a", "text/plain", b"")], user="alice")


def test_table_fields(store: Store) -> None:
    _, f, _ = tree(store)
    plan = {
        "PLANART": "INTEGRATIONSPLAN",
        "PLANVERSION": 1,
        "ERSTELLT_AM": "05.01.2024",
        "PLANSTATUS": "VEREINBART",
    }
    rows: list[dict[str, Any]] = [
        {"HANDLUNGSFELD": "SPRACHE", "ZIEL": "B1", "ZIELSTATUS": "OFFEN", "FRIST": "30.06.2024"},
        {"HANDLUNGSFELD": "WOHNEN", "ZIEL": "Wohnung", "ZIELSTATUS": "ERREICHT", "MASSNAHME": None},
    ]
    doc = store.insert("IM_PLAN", f, plan, tables={"ZIELE": rows}, user="alice")
    got = store.get(doc)
    assert got.fields["ERSTELLT_AM"] == date(2024, 1, 5)
    assert got.tables["ZIELE"][0]["FRIST"] == date(2024, 6, 30)
    assert got.tables["ZIELE"][1] == {"HANDLUNGSFELD": "WOHNEN", "ZIEL": "Wohnung", "ZIELSTATUS": "ERREICHT"}
    store.update(doc, tables={"ZIELE": rows[:1]}, user="alice")
    assert len(store.get(doc).tables["ZIELE"]) == 1
    with pytest.raises(InvalidValue, match=r"ZIELE\.ZIELSTATUS"):
        store.update(
            doc, tables={"ZIELE": [{"HANDLUNGSFELD": "SPRACHE", "ZIEL": "x", "ZIELSTATUS": "NOPE"}]}, user="a"
        )
    with pytest.raises(MissingRequired, match="ZIELSTATUS"):
        store.update(doc, tables={"ZIELE": [{"HANDLUNGSFELD": "SPRACHE", "ZIEL": "x"}]}, user="a")
    with pytest.raises(UnknownField, match="NOPE"):
        store.update(doc, tables={"ZIELE": [{"NOPE": "x"}]}, user="a")
    with pytest.raises(InvalidValue, match="table field"):
        store.update(doc, {"ZIELE": "x"}, user="a")
    with pytest.raises(InvalidValue, match="not a table field"):
        store.update(doc, tables={"PLANART": []}, user="a")


# ---------------------------------------------------------------------- validation


def test_validation_errors(store: Store) -> None:
    k, f, d = tree(store)
    with pytest.raises(UnknownType, match="IM_NOPE"):
        store.insert("IM_NOPE", None, {}, user="alice")
    with pytest.raises(UnknownField, match="NOPE") as unknown:
        store.insert("IM_KLIENT", None, klient(NOPE="x"), user="alice")
    assert isinstance(unknown.value, ValidationError)
    with pytest.raises(InvalidValue, match="GESCHLECHT") as bad:
        store.insert("IM_KLIENT", None, klient(GESCHLECHT="X"), user="alice")
    assert bad.value.field == "IM_KLIENT.GESCHLECHT"
    with pytest.raises(InvalidValue, match="NOPE"):
        store.insert("IM_KONTAKT", f, kontakt(date(2024, 1, 1), THEMEN="SPRACHE;NOPE"), user="alice")
    assert store.get(
        store.insert("IM_KONTAKT", f, kontakt(date(2024, 1, 1), THEMEN="SPRACHE;WOHNEN"), user="a")
    )
    with pytest.raises(InvalidValue, match="longer than 20"):
        store.insert("IM_KLIENT", None, klient("A" * 21), user="alice")
    with pytest.raises(InvalidValue, match="DAUER_MIN"):
        store.insert("IM_KONTAKT", f, kontakt(date(2024, 1, 1), DAUER_MIN="viel"), user="alice")
    with pytest.raises(InvalidValue, match="GEBURTSDATUM"):
        store.insert("IM_KLIENT", None, klient(GEBURTSDATUM="31.02.2000"), user="alice")
    with pytest.raises(MissingRequired, match="FAMILIENNAME"):
        store.insert("IM_KLIENT", None, {"AKTENZEICHEN": "x"}, user="alice")
    with pytest.raises(MissingRequired, match="FALLSTATUS"):
        store.update(f, {"FALLSTATUS": None}, user="alice")
    with pytest.raises(ReadOnlyField, match="HOECHSTDAUER_BIS"):
        store.insert("IM_FALL", k, fall(HOECHSTDAUER_BIS=date(2026, 1, 15)), user="alice")
    with pytest.raises(ReadOnlyField):
        store.update(f, {"HOECHSTDAUER_BIS": date(2026, 1, 15)}, user="alice")
    # hierarchy
    with pytest.raises(WrongParent, match="IM_KONTAKT"):
        store.insert("IM_KONTAKT", k, kontakt(date(2024, 1, 1)), user="alice")
    with pytest.raises(WrongParent, match="top-level"):
        store.insert("IM_KLIENT", k, klient("IM-9"), user="alice")
    with pytest.raises(WrongParent):
        store.insert("IM_FALL", None, fall(), user="alice")
    with pytest.raises(WrongParent):
        store.insert("IM_FALL", f, fall(), user="alice")
    with pytest.raises(WrongParent):
        store.insert("IM_FALL", d, fall(), user="alice")
    org = store.insert("ORG_MITARBEITENDE", None, staff("P1", "0.5", date(2023, 1, 1)), user="alice")
    with pytest.raises(WrongParent):
        store.insert("IM_FALL", org, fall(), user="alice")
    with pytest.raises(NotFound, match="4711"):
        store.insert("IM_FALL", 4711, fall(), user="alice")
    # nothing half-written
    assert store.count("IM_FALL") == 1


def test_key_field_check(store: Store) -> None:
    store.insert("IM_KLIENT", None, klient("IM-1"), user="a")
    store.insert("IM_KLIENT", None, klient("IM-1"), user="a")  # enaio checks only when asked
    with pytest.raises(Conflict, match="AKTENZEICHEN"):
        store.insert("IM_KLIENT", None, klient("IM-1"), user="a", check_key_fields=True)


# ---------------------------------------------------------------------- locks and concurrency


def test_locks(store: Store, clock: Clock) -> None:
    k, f, d = tree(store)
    seq = store.max_seq()
    store.checkout(d, user="alice")
    assert store.max_seq() > seq
    assert store.get(d).locked_by == "alice"
    [co] = store.checked_out("alice")
    assert co.object.id == d
    assert co.since == datetime(2024, 3, 1, 9, 0, 0, tzinfo=BERLIN)
    assert store.checked_out("bob") == []
    with pytest.raises(Locked, match="alice") as held:
        store.checkout(d, user="bob")
    assert held.value.holder == "alice"
    assert isinstance(held.value, LockedError)
    with pytest.raises(Locked):
        store.update(d, {"DAUER_MIN": 1}, user="bob")
    with pytest.raises(Locked):
        store.delete(d, user="bob")
    with pytest.raises(Locked):
        store.delete(k, cascade=True, user="bob")
    store.update(d, {"DAUER_MIN": 1}, user="alice")
    with pytest.raises(Locked):
        store.undo_checkout(d, user="bob")
    store.undo_checkout(d, user="bob", force=True)
    with pytest.raises(NotLocked):
        store.undo_checkout(d, user="alice")
    with pytest.raises(InvalidValue, match="not a document"):
        store.checkout(f, user="alice")
    store.checkout(d, user="alice")
    store.checkin(d, [NewFile("neu.docx", "application/octet-stream", b"1")], user="alice")
    assert store.get(d).locked_by is None
    assert [fi.name for fi in store.get(d).files] == ["neu.docx"]
    hits = store.search(Query("IM_KONTAKT", where=Condition(System.LOCKUSER, Op.IS_NULL, system=True)))
    assert ids(hits) == [d]


def test_concurrency_check(store: Store, clock: Clock) -> None:
    _, _, d = tree(store)
    read = store.get(d)
    clock.tick(5)
    store.update(d, {"DAUER_MIN": 30}, user="bob", expected_modified=read.modified)
    with pytest.raises(Conflict, match="bob") as info:
        store.update(d, {"DAUER_MIN": 31}, user="alice", expected_modified=read.modified)
    assert isinstance(info.value, ConflictError)
    assert store.get(d).fields["DAUER_MIN"] == 30
    store.update(d, {"DAUER_MIN": 31}, user="alice", expected_modified=store.get(d).modified)


def test_seq_monotonic_and_persistent(od: ObjectDefinition, clock: Clock, tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    seen = []
    with Store(od, path=path, clock=clock) as s:
        assert s.max_seq() == 0
        _k, f, d = tree(s)
        seen.append(s.max_seq())
        s.update(d, {"DAUER_MIN": 1}, user="a")
        seen.append(s.max_seq())
        s.delete(d, user="a")
        seen.append(s.max_seq())
        s.restore(d, user="a")
        seen.append(s.max_seq())
        s.checkout(d, user="a")
        seen.append(s.max_seq())
        newest = s.insert("IM_KONTAKT", f, kontakt(date(2024, 1, 1)), user="a")
        seen.append(s.max_seq())
        s.delete(newest, hard=True, user="a")
        seen.append(s.max_seq())
        with pytest.raises(InvalidValue):
            s.update(d, {"DAUER_MIN": "x"}, user="a")
        assert s.max_seq() == seen[-1]
    assert seen == sorted(set(seen))
    with Store(od, path=path, clock=clock) as s:
        assert s.max_seq() == seen[-1]
        again = s.insert("IM_KONTAKT", f, kontakt(date(2024, 1, 1)), user="a")
        assert again > newest  # ids are never reused
        assert s.max_seq() > seen[-1]
        assert s.get(d).locked_by == "a"


def test_threads(store: Store) -> None:
    _, f, _ = tree(store)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                store.insert("IM_KONTAKT", f, kontakt(date(2024, 1, 1 + i)), user=f"u{n}")
                store.search(Query("IM_KONTAKT", where=eq("INTEGRATIONSMANAGER", "P001")), limit=5)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count("IM_KONTAKT") == 81


# ---------------------------------------------------------------------- search


@pytest.fixture
def populated(store: Store, clock: Clock) -> dict[str, int]:
    names: dict[str, int] = {}
    names["k1"] = store.insert("IM_KLIENT", None, klient("IM-0001", GEBURTSDATUM=date(1990, 5, 1)), user="a")
    names["k2"] = store.insert(
        "IM_KLIENT", None, klient("IM-0002", WOHNKOMMUNE="Mössingen", GEBURTSDATUM=date(2001, 1, 1)), user="a"
    )
    names["k3"] = store.insert("IM_KLIENT", None, klient("XY-0003", GESCHLECHT="WEIBLICH"), user="a")
    names["f1"] = store.insert("IM_FALL", names["k1"], fall(REGIONALTEAM="TUEBINGEN"), user="a")
    names["f2"] = store.insert("IM_FALL", names["k2"], fall(REGIONALTEAM="MOESSINGEN"), user="a")
    for i in range(10):
        clock.tick(3600)
        parent = names["f1"] if i % 2 == 0 else names["f2"]
        names[f"c{i}"] = store.insert(
            "IM_KONTAKT",
            parent,
            kontakt(
                date(2024, 1, 1 + i),
                KONTAKTART="SONDIERUNG" if i < 3 else "BERATUNG",
                DAUER_MIN=10 * i,
                THEMEN="SPRACHE;WOHNEN" if i % 3 == 0 else "ARBEIT_BESCHAEFTIGUNG",
            ),
            user="a",
        )
    names["s1"] = store.insert("ORG_MITARBEITENDE", None, staff("P001", "0.5", date(2023, 1, 1)), user="a")
    names["s2"] = store.insert("ORG_MITARBEITENDE", None, staff("P002", "1.00", date(2023, 6, 1)), user="a")
    names["s3"] = store.insert("ORG_MITARBEITENDE", None, staff("P003", "0.75", date(2024, 1, 1)), user="a")
    return names


def test_search_comparisons(store: Store, populated: dict[str, int]) -> None:
    n = populated
    q = Query("IM_KONTAKT", where=Condition("DATUM", Op.GE, (date(2024, 1, 8),)))
    assert ids(store.search(q)) == [n["c7"], n["c8"], n["c9"]]
    q = Query("IM_KONTAKT", where=Condition("DATUM", Op.BETWEEN, ("02.01.2024", date(2024, 1, 3))))
    assert ids(store.search(q)) == [n["c1"], n["c2"]]
    q = Query("IM_KONTAKT", where=Condition("DAUER_MIN", Op.LT, (30,)))
    assert ids(store.search(q)) == [n["c0"], n["c1"], n["c2"]]
    q = Query("ORG_MITARBEITENDE", where=Condition("VZAE", Op.GT, (Decimal("0.6"),)))
    assert ids(store.search(q)) == [n["s2"], n["s3"]]
    q = Query("ORG_MITARBEITENDE", where=eq("VZAE", Decimal("1")))
    assert ids(store.search(q)) == [n["s2"]]
    assert store.get(n["s2"]).fields["VZAE"] == Decimal("1.00")  # exact text kept
    q = Query("ORG_MITARBEITENDE", where=Condition("VZAE", Op.LE, ("0.75",)))
    assert ids(store.search(q)) == [n["s1"], n["s3"]]
    q = Query("IM_KLIENT", where=Condition("GEBURTSDATUM", Op.LT, (date(2000, 1, 1),)))
    assert ids(store.search(q)) == [n["k1"]]
    q = Query("IM_KONTAKT", where=Condition("KONTAKTART", Op.NE, ("BERATUNG",)))
    assert ids(store.search(q)) == [n["c0"], n["c1"], n["c2"]]


def test_search_groups_in_null_like(store: Store, populated: dict[str, int]) -> None:
    n = populated
    q = Query(
        "IM_KONTAKT",
        where=any_of(eq("DAUER_MIN", 0), all_of(eq("KONTAKTART", "BERATUNG"), eq("DAUER_MIN", 90))),
    )
    assert ids(store.search(q)) == [n["c0"], n["c9"]]
    q = Query("IM_KLIENT", where=is_in("WOHNKOMMUNE", ["Mössingen", "Ammerbuch"]))
    assert ids(store.search(q)) == [n["k2"]]
    q = Query("IM_KLIENT", where=Condition("GEBURTSDATUM", Op.IS_NULL))
    assert ids(store.search(q)) == [n["k3"]]
    q = Query("IM_KLIENT", where=Condition("GEBURTSDATUM", Op.NOT_NULL))
    assert ids(store.search(q)) == [n["k1"], n["k2"]]
    q = Query("IM_KLIENT", where=Condition("AKTENZEICHEN", Op.LIKE, ("IM-*",)))
    assert ids(store.search(q)) == [n["k1"], n["k2"]]
    q = Query("IM_KLIENT", where=Condition("AKTENZEICHEN", Op.LIKE, ("??-0003",)))
    assert ids(store.search(q)) == [n["k3"]]
    q = Query("IM_KONTAKT", where=Condition("THEMEN", Op.LIKE, ("*WOHNEN*",)))
    assert ids(store.search(q)) == [n["c0"], n["c3"], n["c6"], n["c9"]]
    # LIKE metacharacters of SQL are literals in enaio masks
    assert store.search(Query("IM_KLIENT", where=Condition("AKTENZEICHEN", Op.LIKE, ("IM_%",)))).total == 0
    assert store.search(Query("IM_KLIENT", where=any_of())).total == 0
    assert store.search(Query("IM_KLIENT", where=all_of())).total == 3


def test_search_ancestors(store: Store, populated: dict[str, int]) -> None:
    n = populated
    q = Query(
        "IM_KONTAKT",
        where=eq("KONTAKTART", "BERATUNG"),
        ancestors=(AncestorCondition("IM_KLIENT", eq("WOHNKOMMUNE", "Mössingen")),),
    )
    assert ids(store.search(q)) == [n["c3"], n["c5"], n["c7"], n["c9"]]
    q = Query("IM_KONTAKT", ancestors=(AncestorCondition("IM_FALL", eq("REGIONALTEAM", "TUEBINGEN")),))
    assert ids(store.search(q)) == [n[f"c{i}"] for i in range(0, 10, 2)]
    q = Query(
        "IM_FALL",
        ancestors=(AncestorCondition("IM_KLIENT", Condition("AKTENZEICHEN", Op.LIKE, ("IM-000?",))),),
    )
    assert ids(store.search(q)) == [n["f1"], n["f2"]]
    with pytest.raises(InvalidValue, match="document"):
        store.search(Query("IM_KONTAKT", ancestors=(AncestorCondition("IM_PLAN", all_of()),)))


def test_search_system_fields_and_modified_since(
    store: Store, populated: dict[str, int], clock: Clock
) -> None:
    n = populated
    c5 = store.get(n["c5"])
    q = Query("IM_KONTAKT", modified_since=c5.modified)
    assert ids(store.search(q)) == [n[f"c{i}"] for i in range(5, 10)]
    q = Query("IM_KONTAKT", modified_since=c5.modified.astimezone(UTC))
    assert store.search(q).total == 5
    q = Query("IM_KONTAKT", where=Condition(System.MODIFIED, Op.GT, (c5.modified,), system=True))
    assert store.search(q).total == 4
    q = Query(
        "IM_KONTAKT", where=Condition(System.MODIFIED, Op.LT, (int(c5.modified.timestamp()),), system=True)
    )
    assert store.search(q).total == 5
    day = c5.modified.date()
    q = Query("IM_KONTAKT", where=Condition(System.CREATED, Op.EQ, (day,), system=True))
    assert store.search(q).total == 10
    q = Query("IM_KONTAKT", where=Condition(System.CREATED, Op.GT, (day,), system=True))
    assert store.search(q).total == 0
    q = Query("IM_KONTAKT", where=eq(System.FOLDER_ID, n["k2"], system=True))
    assert ids(store.search(q)) == [n["c1"], n["c3"], n["c5"], n["c7"], n["c9"]]
    q = Query("IM_KONTAKT", where=eq(System.REGISTER_ID, n["f1"], system=True))
    assert store.search(q).total == 5
    q = Query("IM_KONTAKT", where=is_in(System.OBJECT_ID, [n["c1"], n["c2"]], system=True))
    assert ids(store.search(q)) == [n["c1"], n["c2"]]
    q = Query("IM_KONTAKT", where=eq(System.CREATOR, "a", system=True))
    assert store.search(q).total == 10
    with pytest.raises(UnknownField, match="OBJECT_NOPE"):
        store.search(Query("IM_KONTAKT", where=eq("OBJECT_NOPE", 1, system=True)))


def test_search_order_and_paging(store: Store, populated: dict[str, int]) -> None:
    n = populated
    q = Query("IM_KONTAKT", order_by=(Sort("DAUER_MIN", descending=True),))
    assert ids(store.search(q, limit=3)) == [n["c9"], n["c8"], n["c7"]]
    q = Query("IM_KONTAKT", order_by=(Sort("KONTAKTART"),))
    first = store.search(q, offset=0, limit=4)
    second = store.search(q, offset=4, limit=4)
    third = store.search(q, offset=8, limit=4)
    assert first.total == second.total == third.total == 10
    assert len(set(ids(first) + ids(second) + ids(third))) == 10
    assert ids(first) == [n[f"c{i}"] for i in range(3, 7)]  # BERATUNG first, then by id
    q = Query("ORG_MITARBEITENDE", order_by=(Sort("VZAE"),))
    assert ids(store.search(q)) == [n["s1"], n["s3"], n["s2"]]
    q = Query("IM_KONTAKT", order_by=(Sort(System.MODIFIED, descending=True, system=True),))
    assert ids(store.search(q, limit=1)) == [n["c9"]]
    page = store.search(Query("IM_KONTAKT", max_hits=4), offset=2, limit=10)
    assert (len(page.objects), page.total) == (2, 10)
    assert store.search(Query("IM_KONTAKT"), limit=0).objects == []
    assert [o.id for o in store.iter_all("IM_KONTAKT", batch=3)] == [n[f"c{i}"] for i in range(10)]


def test_search_errors(store: Store, populated: dict[str, int]) -> None:
    with pytest.raises(UnknownType):
        store.search(Query("NOPE"))
    with pytest.raises(UnknownField, match="NOPE"):
        store.search(Query("IM_KLIENT", where=eq("NOPE", "x")))
    with pytest.raises(InvalidValue, match="GEBURTSDATUM"):
        store.search(Query("IM_KLIENT", where=eq("GEBURTSDATUM", "not a date")))
    with pytest.raises(InvalidValue, match="2 value"):
        store.search(Query("IM_KLIENT", where=Condition("GEBURTSDATUM", Op.BETWEEN, (date(2000, 1, 1),))))
    with pytest.raises(InvalidValue):
        store.search(Query("IM_KLIENT"), offset=-1)
    with pytest.raises(NotFoundError):
        store.get(99999)
