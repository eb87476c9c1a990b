"""Cross-interface scenarios: the same story against every room in ``conftest.INTERFACES``.

Only :class:`~connector.enaio.interface.InterfaceClient` operations are used (``client.api``), never
anything specific to one interface, so a room joins by being added to ``INTERFACES``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.config import Interface
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import InterfaceClient, NewObject, UploadFile
from connector.enaio.model import EnaioObject, FieldValue, ObjectKind
from connector.enaio.objdef import default_site_path
from connector.enaio.query import Deleted, Query, eq
from connector.errors import AuthenticationError, LockedError, NotFoundError, ValidationError

ClientFactory = Callable[..., EnaioClient]

PDF = b"%PDF-1.4\n% Integrationsplan\n" + bytes(range(256)) * 64
TXT = "Vermerk: Gespräch über Sprachkurs und Wohnung\n".encode()


def klient(aktenzeichen: str, **extra: FieldValue) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {
        "AKTENZEICHEN": aktenzeichen,
        "FAMILIENNAME": "Al-Hassan",
        "VORNAMEN": "Lîna Müller-Straße",
        "GEBURTSDATUM": date(1991, 3, 14),
        "GESCHLECHT": "WEIBLICH",
        "UNTERBRINGUNGSART": "AU",
        "WOHNKOMMUNE": "Mössingen",
        "IM_UEBERTRAGEN": 1,
    }
    fields.update(extra)
    return fields


def fall(**extra: FieldValue) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {
        "FALLBEGINN": date(2018, 4, 3),
        "FALLSTATUS": "AKTIV",
        "INTEGRATIONSMANAGER": "P-1001",
        "REGIONALTEAM": "MOESSINGEN",
    }
    fields.update(extra)
    return fields


def plan(**extra: FieldValue) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {
        "PLANART": "INTEGRATIONSPLAN",
        "PLANVERSION": 0,
        "ERSTELLT_AM": date(2018, 5, 2),
        "PLANSTATUS": "ENTWURF",
        "NAECHSTE_UEBERPRUEFUNG": date(2018, 11, 2),
        "WEITERE_PERSONEN": "IM-2018-0001;IM-2018-0002",
    }
    fields.update(extra)
    return fields


GOALS: list[dict[str, FieldValue]] = [
    {"HANDLUNGSFELD": "SPRACHE", "ZIEL": "B1 erreichen", "ZIELSTATUS": "OFFEN", "FRIST": date(2018, 12, 31)},
    {
        "HANDLUNGSFELD": "WOHNEN",
        "ZIEL": "Eigene Wohnung",
        "ZIELSTATUS": "IN_BEARBEITUNG",
        "VERANTWORTLICH": "IM",
    },
]


@pytest.fixture
def api(any_emulator: EmulatorServer, interface: Interface, client_factory: ClientFactory) -> InterfaceClient:
    """A client of each interface against each emulator personality."""
    extra: dict[str, object] = {}
    if any_emulator.state.documented and interface == "osrest":
        extra["objdef_file"] = str(default_site_path())  # no objdef endpoint the client reads
    return client_factory(any_emulator, interface, **extra).api


def one(api: InterfaceClient, query: Query) -> EnaioObject:
    hits = list(api.search(query))
    assert len(hits) == 1, [hit.id for hit in hits]
    return hits[0]


def tree(api: InterfaceClient, aktenzeichen: str = "IM-2018-0815") -> tuple[int, int, int]:
    """(folder, register, document) with a file and table rows."""
    folder = api.insert(NewObject("IM_KLIENT", None, klient(aktenzeichen)))
    register = api.insert(NewObject("IM_FALL", folder, fall()))
    document = api.insert(
        NewObject(
            "IM_PLAN",
            register,
            plan(),
            tables={"ZIELE": GOALS},
            files=[UploadFile("integrationsplan.pdf", "application/pdf", data=PDF)],
        )
    )
    return folder, register, document


# --- the life of one object of each kind --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["folder", "register", "document"])
def test_lifecycle(api: InterfaceClient, kind: str, tmp_path: Path) -> None:
    folder, register, document = tree(api)
    object_id, type_name, key_field, key_value, changed = {
        "folder": (folder, "IM_KLIENT", "AKTENZEICHEN", "IM-2018-0815", {"SPRACHNIVEAU_DEUTSCH": "A2"}),
        "register": (register, "IM_FALL", "INTEGRATIONSMANAGER", "P-1001", {"FALLSTATUS": "RUHEND"}),
        "document": (document, "IM_PLAN", "PLANART", "INTEGRATIONSPLAN", {"PLANSTATUS": "VEREINBART"}),
    }[kind]

    # search -> get: the same object either way
    found = one(api, Query(type_name, where=eq(key_field, key_value)))
    got = api.get(object_id)
    assert found == got
    assert got.id == object_id
    assert got.type_name == type_name
    assert got.kind is {"folder": ObjectKind.FOLDER, "register": ObjectKind.REGISTER}.get(
        kind, ObjectKind.DOCUMENT
    )
    assert got.creator == "alice"
    assert got.owner == "alice"
    assert not got.deleted
    assert got.created.tzinfo is not None
    assert got.created.microsecond == 0
    if kind == "folder":
        assert got.parent_id is None
        assert got.folder_id is None
        assert got.fields["GEBURTSDATUM"] == date(1991, 3, 14)
        assert got.fields["IM_UEBERTRAGEN"] == 1
        assert got.fields["VORNAMEN"] == "Lîna Müller-Straße"
    elif kind == "register":
        assert got.parent_id == folder
        assert got.folder_id == folder
    else:
        assert got.parent_id == register
        assert got.folder_id == folder
        assert got.fields["WEITERE_PERSONEN"] == "IM-2018-0001;IM-2018-0002"
        assert [f.name for f in got.files] == ["integrationsplan.pdf"]
        assert got.files[0].size == len(PDF)
        assert got.files[0].index == 1

    # partial update: only the given fields change, None clears
    clear = {"folder": "GEBURTSDATUM", "register": "REGIONALTEAM", "document": "NAECHSTE_UEBERPRUEFUNG"}[kind]
    required_clear = kind == "register"  # REGIONALTEAM is required: clearing it must be refused
    if required_clear:
        with pytest.raises(ValidationError):
            api.update(object_id, {clear: None})
        api.update(object_id, changed)
    else:
        api.update(object_id, {**changed, clear: None})
    after = api.get(object_id)
    for name, value in changed.items():
        assert after.fields[name] == value
    if not required_clear:
        assert clear not in after.fields
    untouched = {name: value for name, value in got.fields.items() if name not in changed and name != clear}
    assert {name: after.fields.get(name) for name in untouched} == untouched
    assert after.modified >= got.modified

    # update with content, then download (documents only)
    if kind == "document":
        api.update(object_id, {}, files=[UploadFile("vermerk.txt", "text/plain", data=TXT)])
        with_files = api.get(object_id)
        assert [f.name for f in with_files.files] == ["integrationsplan.pdf", "vermerk.txt"]
        info = api.download(object_id, 2, tmp_path / "vermerk.txt")
        assert (tmp_path / "vermerk.txt").read_bytes() == TXT
        assert info.index == 2
        assert info.size == len(TXT)
        assert info.name == "vermerk.txt"
        assert info.mime_type == "text/plain"
        api.download(object_id, 1, tmp_path / "plan.pdf")
        assert (tmp_path / "plan.pdf").read_bytes() == PDF
        api.update(
            object_id, {}, files=[UploadFile("neu.txt", "text/plain", data=b"neu")], replace_files=True
        )
        assert [f.name for f in api.get(object_id).files] == ["neu.txt"]

    # soft delete -> recycle bin -> hard delete
    api.delete(object_id, cascade=kind != "document")
    assert list(api.search(Query(type_name, where=eq(key_field, key_value)))) == []
    binned = one(api, Query(type_name, where=eq(key_field, key_value), deleted=Deleted.ONLY))
    assert binned.id == object_id
    assert binned.deleted
    if kind != "document":  # children went into the recycle bin with their parent
        assert list(api.search(Query("IM_PLAN"))) == []
        assert [o.id for o in api.search(Query("IM_PLAN", deleted=Deleted.ONLY))] == [document]
    api.delete(object_id, hard=True, cascade=kind != "document")
    assert list(api.search(Query(type_name, deleted=Deleted.ONLY))) == []
    with pytest.raises(NotFoundError):
        api.get(object_id)


def test_table_rows(api: InterfaceClient) -> None:
    _, _, document = tree(api)
    got = api.get(document)
    rows = got.tables["ZIELE"]
    assert [row["HANDLUNGSFELD"] for row in rows] == ["SPRACHE", "WOHNEN"]
    assert rows[0]["FRIST"] == date(2018, 12, 31)
    assert "FRIST" not in rows[1]
    assert rows[1]["VERANTWORTLICH"] == "IM"

    new_rows: list[dict[str, FieldValue]] = [
        {"HANDLUNGSFELD": "ARBEIT_BESCHAEFTIGUNG", "ZIEL": "Praktikum", "ZIELSTATUS": "ERREICHT"},
        {
            "HANDLUNGSFELD": "SPRACHE",
            "ZIEL": "B1",
            "ZIELSTATUS": "TEILWEISE_ERREICHT",
            "STATUSDATUM": date(2019, 1, 7),
        },
        {"HANDLUNGSFELD": "GESUNDHEIT", "ZIEL": "Hausarzt", "ZIELSTATUS": "OFFEN", "MASSNAHME": "Termin ä/ß"},
    ]
    api.update(document, {}, tables={"ZIELE": new_rows})
    after = api.get(document)
    assert after.tables["ZIELE"] == new_rows
    assert after.fields == got.fields

    with pytest.raises(ValidationError) as caught:
        api.update(
            document,
            {},
            tables={"ZIELE": [{"HANDLUNGSFELD": "MONDFAHRT", "ZIEL": "x", "ZIELSTATUS": "OFFEN"}]},
        )
    assert "HANDLUNGSFELD" in str(caught.value)
    assert api.get(document).tables["ZIELE"] == new_rows


def test_decimal_and_date_values_round_trip(api: InterfaceClient) -> None:
    staff = api.insert(
        NewObject(
            "ORG_MITARBEITENDE",
            None,
            {
                "PERSONALNUMMER": "P-2001",
                "NAME": "Özdemir, Jörg",
                "REGIONALTEAM": "TUEBINGEN",
                "VZAE": Decimal("0.75"),
                "GUELTIG_AB": date(2018, 1, 1),
                "TRAEGER": "LANDRATSAMT",
                "FOERDERFAEHIG": 1,
            },
        )
    )
    got = api.get(staff)
    assert got.fields["VZAE"] == Decimal("0.75")
    assert isinstance(got.fields["VZAE"], Decimal)
    found = one(api, Query("ORG_MITARBEITENDE", where=eq("VZAE", Decimal("0.75"))))
    assert found.id == staff
    assert list(api.search(Query("ORG_MITARBEITENDE", where=eq("GUELTIG_AB", date(2018, 1, 2))))) == []


# --- errors ---------------------------------------------------------------------------------------------


def test_unknown_field(api: InterfaceClient) -> None:
    with pytest.raises(ValidationError) as caught:
        api.insert(NewObject("IM_KLIENT", None, {**klient("IM-X-1"), "LIEBLINGSFARBE": "blau"}))
    assert "LIEBLINGSFARBE" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        list(api.search(Query("IM_KLIENT", where=eq("LIEBLINGSFARBE", "blau"))))
    assert "LIEBLINGSFARBE" in str(caught.value)
    assert list(api.search(Query("IM_KLIENT"))) == []


def test_unknown_type(api: InterfaceClient) -> None:
    with pytest.raises(ValidationError) as caught:
        api.insert(NewObject("IM_RAUMSCHIFF", None, {"NAME": "x"}))
    assert "IM_RAUMSCHIFF" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        list(api.search(Query("IM_RAUMSCHIFF")))
    assert "IM_RAUMSCHIFF" in str(caught.value)


def test_bad_catalogue_value(api: InterfaceClient) -> None:
    with pytest.raises(ValidationError) as caught:
        api.insert(NewObject("IM_KLIENT", None, klient("IM-X-2", GESCHLECHT="UNBEKANNT_XYZ")))
    assert "GESCHLECHT" in str(caught.value)
    assert "GESCHLECHT" in (caught.value.field or "")
    folder = api.insert(NewObject("IM_KLIENT", None, klient("IM-X-3")))
    with pytest.raises(ValidationError):
        api.update(folder, {"WOHNKOMMUNE": "Atlantis"})
    assert api.get(folder).fields["WOHNKOMMUNE"] == "Mössingen"


@pytest.mark.parametrize(("name", "value"), [("GEBURTSDATUM", "31.06.1990"), ("GESCHLECHT", "UNBEKANNT_XYZ")])
def test_refused_values_are_named_by_field_never_echoed(api: InterfaceClient, name: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        api.insert(NewObject("IM_KLIENT", None, klient("IM-V-1", **{name: value})))
    assert name in str(caught.value)
    assert name in (caught.value.field or "")
    assert value not in str(caught.value)


def test_wrong_password(
    any_emulator: EmulatorServer, interface: Interface, client_factory: ClientFactory
) -> None:
    client = client_factory(any_emulator, interface, "alice", password="not-alices-password")
    with pytest.raises(AuthenticationError):
        client.server_info()
    with pytest.raises(AuthenticationError):
        list(client.search(Query("IM_KLIENT")))


def test_checkout_by_another_user_is_locked(
    any_emulator: EmulatorServer, interface: Interface, client_factory: ClientFactory
) -> None:
    extra: dict[str, object] = {}
    if any_emulator.state.documented and interface == "osrest":
        extra["objdef_file"] = str(default_site_path())
    alice = client_factory(any_emulator, interface, "alice", **extra).api
    bob = client_factory(any_emulator, interface, "bob", **extra).api
    _, _, document = tree(alice)
    alice.checkout(document)
    assert _lock_shows(alice.get(document), "alice")
    with pytest.raises(LockedError) as caught:
        bob.checkout(document)
    assert caught.value.holder in (None, "alice")
    with pytest.raises(LockedError):
        bob.update(document, {"PLANSTATUS": "VEREINBART"})
    alice.update(document, {"PLANSTATUS": "VEREINBART"})  # the holder may write
    alice.undo_checkout(document)
    assert _lock_shows(alice.get(document), None)
    bob.checkout(document)
    assert _lock_shows(bob.get(document), "bob")


def _lock_shows(obj: EnaioObject, holder: str | None) -> bool:
    """The holder, or "unknown" from a server that does not report locks, but never a wrong holder."""
    if not obj.lock_known:
        return obj.locked_by is None
    return obj.locked_by == holder


def test_modified_since_returns_only_changed_objects(api: InterfaceClient) -> None:
    ids = [api.insert(NewObject("IM_KLIENT", None, klient(f"IM-M-{n}"))) for n in range(4)]
    time.sleep(1.1)  # enaio keeps whole seconds
    mark = datetime.now().astimezone().replace(microsecond=0)
    api.update(ids[1], {"ERWERBSSTATUS": "SPRACHKURS"})
    api.update(ids[3], {"ERWERBSSTATUS": "AUSBILDUNG"})
    changed = [obj.id for obj in api.search(Query("IM_KLIENT", modified_since=mark))]
    assert sorted(changed) == [ids[1], ids[3]]
    assert list(api.search(Query("IM_KLIENT", modified_since=mark + timedelta(hours=1)))) == []
    assert len(list(api.search(Query("IM_KLIENT", modified_since=mark - timedelta(hours=1))))) == 4


def test_modified_since_is_floored_to_the_second(api: InterfaceClient) -> None:
    """enaio keeps whole seconds: an object stored as 10:00:00 may have changed at 10:00:00.7, so a bookmark
    of 10:00:00.5 must find it (every room rounds down; re-reading one second is harmless)."""
    folder = api.insert(NewObject("IM_KLIENT", None, klient("IM-F-1")))
    modified = api.get(folder).modified
    assert modified.microsecond == 0
    for offset in (0, 1, 500_000, 999_999):
        since = modified + timedelta(microseconds=offset)
        assert [obj.id for obj in api.search(Query("IM_KLIENT", modified_since=since))] == [folder], offset
    assert list(api.search(Query("IM_KLIENT", modified_since=modified + timedelta(seconds=1)))) == []


def test_history_and_server_info(api: InterfaceClient) -> None:
    folder = api.insert(NewObject("IM_KLIENT", None, klient("IM-H-1")))
    api.update(folder, {"ERWERBSSTATUS": "SPRACHKURS"})
    actions = [entry.action for entry in api.history(folder)]
    assert actions[0] == 2
    assert 3 in actions
    assert all(entry.user == "alice" for entry in api.history(folder))
    info = api.server_info()
    assert info.interface == api.interface
    assert info.server_version


def test_search_paging_order_and_limits(api: InterfaceClient) -> None:
    ids = [api.insert(NewObject("IM_KLIENT", None, klient(f"IM-P-{n:02d}"))) for n in range(7)]
    query: Any = Query("IM_KLIENT", page_size=3)
    assert [obj.id for obj in api.search(query)] == ids
    assert [obj.id for obj in api.search(Query("IM_KLIENT", page_size=2, max_hits=5))] == ids[:5]
    from connector.enaio.query import Sort

    descending = Query("IM_KLIENT", page_size=4, order_by=(Sort("AKTENZEICHEN", descending=True),))
    assert [obj.id for obj in api.search(descending)] == list(reversed(ids))
