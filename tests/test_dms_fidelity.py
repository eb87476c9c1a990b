"""The DMS room against both emulator personalities: what the client reads must not depend on an emulator
choice. ``documented`` knows only the documented system properties (others refused with 400), keeps
SDSTA_ID/SDREG_ID to documents, sends ids as numbers, omits empty properties, caps pages at 100 and answers
errors in a Spring-style body; ``default`` makes the other choices (docs/emulator-choices.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from connector.enaio.client import EnaioClient
from connector.enaio.dms.client import DmsClient
from connector.enaio.dms.codec import compile_search, like_pattern
from connector.enaio.dms.convert import Converter
from connector.enaio.dms.wire import WireObject
from connector.enaio.emulator.dms.sql import SqlError, like_mask, parse_statement
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.state import Variant
from connector.enaio.interface import NewObject, SkippedField
from connector.enaio.objdef import default_site_path, load_objdef
from connector.enaio.query import AncestorCondition, Condition, Deleted, Op, Query, Sort, eq
from connector.errors import LockedError, NotFoundError, ValidationError
from tests.conftest import TEST_USERS
from tests.test_scenarios import GOALS, fall, klient, plan

ClientFactory = Callable[..., EnaioClient]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
OBJDEF = load_objdef(default_site_path().read_bytes())
TZ = ZoneInfo("Europe/Berlin")
STAFF = "ORG_MITARBEITENDE"
SELECT_STAFF = "SELECT system:objectId FROM ORG_MITARBEITENDE"
LIKE_STAFF = "SELECT * FROM ORG_MITARBEITENDE WHERE NAME LIKE 'K\\_%'"


@pytest.fixture
def dms(any_emulator: EmulatorServer, client_factory: ClientFactory) -> DmsClient:
    api = client_factory(any_emulator, "dms").api
    assert isinstance(api, DmsClient)
    return api


def count_searches(server: EmulatorServer) -> Counter[int]:
    """Statuses of the search requests the emulator answers from now on."""
    seen: Counter[int] = Counter()
    app: WsgiApp = server.app.wsgi_app

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: Any, *rest: Any) -> Any:
            if environ["PATH_INFO"].endswith("/objects/search"):
                seen[int(status.split()[0])] += 1
            return start_response(status, headers, *rest)

        return app(environ, start)

    server.app.wsgi_app = middleware  # type: ignore[method-assign]
    return seen


def staff(server: EmulatorServer, names: Iterable[str]) -> list[int]:
    store = server.state.store
    return [
        store.insert(
            STAFF,
            None,
            {
                "PERSONALNUMMER": f"P-{n:04d}",
                "TRAEGER": "LANDRATSAMT",
                "NAME": name,
                "VZAE": Decimal("0.5"),
                "GUELTIG_AB": date(2018, 1, 1),
            },
            user="alice",
        )
        for n, name in enumerate(names)
    ]


# --- search, paging, learning ------------------------------------------------------------------------------


def test_search_pages_across_the_documented_cap(
    any_emulator: EmulatorServer, dms: DmsClient, variant: Variant
) -> None:
    ids = staff(any_emulator, [f"Name {n}" for n in range(230)])
    seen = count_searches(any_emulator)
    got = [obj.id for obj in dms.search(Query(STAFF, page_size=500))]
    assert got == sorted(ids)  # every hit once, in id order, across pages of 100 (documented) or 1 (default)
    if variant == "documented":
        # 230 hits in pages of at most 100: 3 pages; plus one refusal each for system:owner, lockedBy, deleted
        assert seen == Counter({200: 3, 400: 3})
    else:
        assert seen == Counter({200: 1})
    seen.clear()
    assert len(list(dms.search(Query(STAFF, page_size=50)))) == 230  # learnt once per client: no refusals now
    assert 400 not in seen


def test_documented_cap_and_refusal_on_the_wire(any_emulator: EmulatorServer, variant: Variant) -> None:
    staff(any_emulator, [f"N{n}" for n in range(120)])
    url = f"{any_emulator.url}/api/dms/objects/search"
    auth = ("alice", TEST_USERS["alice"])
    body = {"query": {"statement": SELECT_STAFF, "maxItems": 500}}
    page = requests.post(url, json=body, auth=auth, timeout=10).json()
    assert page["numItems"] == (100 if variant == "documented" else 120)
    assert page["hasMoreItems"] is (variant == "documented")
    first = page["objects"][0]["properties"]["system:objectId"]["value"]
    assert isinstance(first, int if variant == "documented" else str)
    refused = {"query": {"statement": "SELECT system:objectId, system:owner FROM ORG_MITARBEITENDE"}}
    answer = requests.post(url, json=refused, auth=auth, timeout=10)
    if variant == "documented":
        assert answer.status_code == 400
        assert answer.json()["status"] == 400
        assert "system:owner" in answer.json()["message"]
    else:
        assert answer.status_code == 200


def test_get_insert_update_delete_and_locations(
    any_emulator: EmulatorServer, dms: DmsClient, variant: Variant
) -> None:
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-F-1")))
    register = dms.insert(NewObject("IM_FALL", folder, fall()))
    document = dms.insert(NewObject("IM_PLAN", register, plan(), tables={"ZIELE": GOALS}))
    raw = requests.get(
        f"{any_emulator.url}/api/dms/objects/{register}", auth=("alice", TEST_USERS["alice"]), timeout=10
    ).json()["properties"]
    if variant == "documented":  # §10.2: no parents in a GET, and STAMM_ID/REG_ID are the object itself
        assert "system:SDSTA_ID" not in raw
        assert raw["system:STAMM_ID"]["value"] == raw["system:REG_ID"]["value"] == register
    else:
        assert raw["system:SDSTA_ID"]["value"] == str(folder)
    got_folder, got_register, got_document = dms.get(folder), dms.get(register), dms.get(document)
    assert (got_folder.folder_id, got_folder.parent_id) == (None, None)
    assert (got_register.folder_id, got_register.parent_id) == (folder, folder)
    assert (got_document.folder_id, got_document.parent_id) == (folder, register)
    assert got_document.tables["ZIELE"][0]["HANDLUNGSFELD"] == "SPRACHE"
    assert got_folder.owner == "alice"  # the owner or, where the server does not say, the creator
    # the same locations through a search
    (hit,) = dms.search(Query("IM_FALL", where=eq("FALLSTATUS", "AKTIV")))
    assert (hit.id, hit.folder_id, hit.parent_id) == (register, folder, folder)
    (doc_hit,) = dms.search(Query("IM_PLAN"))
    assert (doc_hit.folder_id, doc_hit.parent_id) == (folder, register)
    # an empty field: absent (documented omits it, default sends null)
    assert "FALLENDE" not in hit.fields
    dms.update(register, {"FALLSTATUS": "ABGESCHLOSSEN", "FALLENDE": date(2018, 9, 30)})
    assert dms.get(register).fields["FALLSTATUS"] == "ABGESCHLOSSEN"
    dms.update(register, {"FALLENDE": None})
    assert "FALLENDE" not in dms.get(register).fields
    dms.delete(document)
    with pytest.raises(NotFoundError):
        dms.get(document)
    (deleted,) = dms.search(Query("IM_PLAN", deleted=Deleted.ONLY))
    assert deleted.id == document
    assert deleted.deleted  # told by the server or by the search mode


def test_ancestor_conditions_on_registers_and_documents(dms: DmsClient) -> None:
    mine = dms.insert(NewObject("IM_KLIENT", None, klient("IM-A-1")))
    other = dms.insert(NewObject("IM_KLIENT", None, klient("IM-A-2", WOHNKOMMUNE="Nehren")))
    cases = [dms.insert(NewObject("IM_FALL", parent, fall())) for parent in (mine, mine, other)]
    plans = [dms.insert(NewObject("IM_PLAN", case, plan())) for case in cases]
    below = AncestorCondition("IM_KLIENT", eq("WOHNKOMMUNE", "Mössingen"))
    # documented: registers cannot be filtered by SDSTA_ID/FOLDERID, the client filters them itself
    assert sorted(o.id for o in dms.search(Query("IM_FALL", ancestors=(below,)))) == cases[:2]
    assert sorted(o.id for o in dms.search(Query("IM_PLAN", ancestors=(below,)))) == plans[:2]
    in_case = AncestorCondition("IM_FALL", Condition("FALLBEGINN", Op.LE, (date(2018, 4, 3),)))
    assert sorted(o.id for o in dms.search(Query("IM_PLAN", ancestors=(in_case,), max_hits=2))) == plans[:2]


# --- locks -------------------------------------------------------------------------------------------------


def test_lock_state_unknown_is_not_an_error(
    any_emulator: EmulatorServer, client_factory: ClientFactory, variant: Variant
) -> None:
    alice = client_factory(any_emulator, "dms", "alice").api
    bob = client_factory(any_emulator, "dms", "bob").api
    folder = alice.insert(NewObject("IM_KLIENT", None, klient("IM-L-1")))
    document = alice.insert(NewObject("IM_PLAN", alice.insert(NewObject("IM_FALL", folder, fall())), plan()))
    alice.checkout(document)
    read = alice.get(document)
    (hit,) = alice.search(Query("IM_PLAN"))
    if variant == "documented":  # no documented lock property: unknown, not "unlocked"
        assert (read.lock_known, read.locked_by) == (False, None)
        assert (hit.lock_known, hit.locked_by) == (False, None)
    else:
        assert (read.lock_known, read.locked_by) == (True, "alice")
        assert (hit.lock_known, hit.locked_by) == (True, "alice")
    with pytest.raises(LockedError) as caught:
        bob.checkout(document)
    assert caught.value.holder in (None, "alice")
    assert "alice" in str(caught.value)  # the server's text names the holder in either error shape
    alice.undo_checkout(document)
    assert alice.get(document).locked_by is None


# --- LIKE ------------------------------------------------------------------------------------------


LIKE_NAMES = ["Meier", "Maier", "Mayer", "Müller", "100% Stelle", "Kurz_Name", "KurzXName", "a\\b"]


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        ("M*", ["Meier", "Maier", "Mayer", "Müller"]),  # * = any run
        ("Ma?er", ["Maier", "Mayer"]),  # ? = one character
        ("*%*", ["100% Stelle"]),  # % is literal
        ("Kurz_*", ["Kurz_Name"]),  # _ is literal: KurzXName must not match
        ("Kurz?Name", ["Kurz_Name", "KurzXName"]),
        ("a\\b", ["a\\b"]),  # the escape character itself is literal
        ("100%", []),
    ],
)
def test_like_masks(any_emulator: EmulatorServer, dms: DmsClient, mask: str, expected: list[str]) -> None:
    ids = dict(zip(staff(any_emulator, LIKE_NAMES), LIKE_NAMES, strict=True))
    got = sorted(ids[o.id] for o in dms.search(Query(STAFF, where=Condition("NAME", Op.LIKE, (mask,)))))
    assert got == sorted(expected)


def test_like_pattern_and_mask_translation() -> None:
    assert like_pattern("M*") == ("M%", False)
    assert like_pattern("Kurz_?%\\") == ("Kurz\\__\\%\\\\", True)
    compiled = compile_search(
        Query(STAFF, where=Condition("NAME", Op.LIKE, ("*%*",))), OBJDEF.type_by_name(STAFF), TZ
    )
    assert "NAME LIKE @p0 ESCAPE '\\'" in compiled.statement
    assert compiled.parameters["p0"] == "%\\%%"
    # the emulator turns SQL patterns into store masks: %->*, _->?, escaped % and _ literal
    assert like_mask("Kurz\\_%", "\\", "NAME") == "Kurz_*"
    assert like_mask("Kurz\\_%", None, "NAME") == "Kurz\\?*"  # SQL-92 without ESCAPE: \ is a character
    assert like_mask("a!%b_", "!", "NAME") == "a%b?"
    for bad, escape in (("a*", None), ("x\\y", "\\"), ("x\\", "\\")):
        with pytest.raises(SqlError):
            like_mask(bad, escape, "NAME")
    default = parse_statement(LIKE_STAFF, OBJDEF, {}, TZ)
    documented = parse_statement(LIKE_STAFF, OBJDEF, {}, TZ, documented=True)
    assert default.where == Condition("NAME", Op.LIKE, ("K\\?*",))
    assert documented.where == Condition("NAME", Op.LIKE, ("K_*",))  # CMIS rule: backslash escapes


# --- errors ----------------------------------------------------------------------------------------


def test_server_message_reaches_the_user(dms: DmsClient, variant: Variant) -> None:
    # LIKE on a date field: refused by the server in both personalities, in two different error shapes
    with pytest.raises(ValidationError) as caught:
        list(dms.search(Query("IM_KLIENT", where=Condition("GEBURTSDATUM", Op.LIKE, ("19*",)))))
    assert "LIKE needs a text field" in str(caught.value)
    assert caught.value.status == 400
    # a system property the documented server does not know, used in a condition: not optional, not learnt
    query = Query("IM_PLAN", where=Condition("OBJECT_LOCKUSER", Op.EQ, ("alice",), system=True))
    if variant == "documented":
        with pytest.raises(ValidationError) as refused:
            list(dms.search(query))
        assert "system:lockedBy" in str(refused.value)
        assert "is not supported for object type IM_PLAN" in str(refused.value)
    else:
        assert list(dms.search(query)) == []


def test_documented_error_body_without_field_keeps_the_property(
    any_emulator: EmulatorServer, variant: Variant
) -> None:
    url = f"{any_emulator.url}/api/dms/objects/search"
    body = {"query": {"statement": "SELECT * FROM IM_KLIENT WHERE system:SDSTA_ID = 1"}}
    answer = requests.post(url, json=body, auth=("alice", TEST_USERS["alice"]), timeout=10)
    if variant == "documented":  # SDSTA_ID is a document's location record: refused for a folder type
        assert answer.status_code == 400
        assert set(answer.json()) == {"timestamp", "status", "error", "message", "path"}
    else:
        assert answer.status_code == 200


# --- field typing (hand-built answers) -------------------------------------------------------------------


def test_shared_field_typing_rule() -> None:
    converter = Converter(OBJDEF, TZ)
    skipped: list[SkippedField] = []
    wire = WireObject.model_validate(
        {
            "properties": {
                "system:objectId": {"value": 7},  # a number (documented) or "7" (default): both ids
                "system:objectTypeId": {"value": 262186},
                "system:baseTypeId": {"value": "DOCUMENT"},
                "system:SDSTA_ID": {"value": "3"},
                "system:SDREG_ID": {"value": 0},  # 0 = not in a register
                "system:createdBy": {"value": "alice"},
                "system:creationDate": {"value": "2018-05-02T09:00:00+02:00"},
                "system:lastModifiedBy": {"value": "bob"},
                "system:lastModificationDate": {"value": "2018-05-03T10:00:00+02:00"},
                "PLANVERSION": {"value": [{"x": 1}]},  # rows for a simple field: invalid_value
                "PLANART": {"value": "INTEGRATIONSPLAN"},
                "ZIELE": {"value": "B1"},  # a simple value for a table field: invalid_value
                "LIEBLINGSFARBE": {"value": "blau"},  # not in the objdef: unknown_field
            }
        }
    )
    obj = converter.to_object(wire, "test", skipped.append, selected=frozenset({"system:objectId"}))
    assert {(s.field, s.kind) for s in skipped} == {
        ("PLANVERSION", "invalid_value"),
        ("ZIELE", "invalid_value"),
        ("LIEBLINGSFARBE", "unknown_field"),
    }
    assert obj.fields == {"PLANART": "INTEGRATIONSPLAN"}
    assert obj.tables == {}
    assert (obj.id, obj.folder_id, obj.parent_id) == (7, 3, 3)
    assert (obj.owner, obj.lock_known, obj.locked_by, obj.deleted) == ("alice", False, None, False)
    empty_table = wire.model_copy(
        update={
            "properties": {
                **wire.properties,
                "ZIELE": wire.properties["PLANART"].model_copy(update={"value": []}),
            }
        }
    )
    skipped.clear()
    assert (
        "ZIELE" not in converter.to_object(empty_table, "test", skipped.append).tables
    )  # empty table: absent
    assert ("ZIELE", "invalid_value") not in {(s.field, s.kind) for s in skipped}


def test_order_by_location_uses_a_property_the_server_takes(dms: DmsClient) -> None:
    folder = dms.insert(NewObject("IM_KLIENT", None, klient("IM-O-1")))
    register = dms.insert(NewObject("IM_FALL", folder, fall()))
    docs = [dms.insert(NewObject("IM_PLAN", register, plan(PLANVERSION=n))) for n in range(3)]
    query = Query("IM_PLAN", order_by=(Sort("PLANVERSION", descending=True),))
    assert [o.id for o in dms.search(query)] == list(reversed(docs))
