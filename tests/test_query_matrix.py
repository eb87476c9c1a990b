"""Query semantics proven equal: every operator of the neutral ``Query`` through dms, osrest and soap, against
both emulator personalities, gives the same hits as a plain-Python reading of the same data.

The data are hand-built (names with literal ``%`` and ``_``, empty fields, ties in the sort key); hypothesis
generates the conditions. The neutral model has no NOT: no interface's documented search offers it (the DMS
SQL subset and DMSQuery have ``<>``/``!=`` and ``IS NOT NULL`` only), so negation is ``ne`` and ``not_null``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.config import Interface
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer, build_state
from connector.enaio.emulator.state import VARIANTS, Variant
from connector.enaio.model import FieldValue
from connector.enaio.objdef import default_site_path
from connector.enaio.query import (
    AncestorCondition,
    Condition,
    Expr,
    Group,
    Op,
    Query,
    Sort,
    all_of,
    any_of,
    eq,
)
from tests.conftest import INTERFACES, TEST_USERS, make_settings

STAFF = "ORG_MITARBEITENDE"

# Names chosen so that case never decides a match (enaio's masks are case-insensitive on some servers);
# `%` and `_` are literal characters a LIKE must not treat as wildcards.
NAMES = (
    "Meier",
    "Maier",
    "Mayer",
    "Müller",
    "Möller",
    "Schmidt",
    "Schmitt",
    "100% Stelle",
    "Kurz_Name",
    "KurzXName",
    "Ölmann",
    "Ziegler",
)
VZAE = (Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal("1"), Decimal("0.5"))
DATES = (date(2017, 1, 1), date(2017, 9, 15), date(2018, 4, 1), date(2018, 6, 30), date(2019, 2, 28))


@dataclass(frozen=True)
class Row:
    id: int
    fields: dict[str, FieldValue]
    modified_late: bool


def _staff_rows() -> list[dict[str, FieldValue]]:
    rows: list[dict[str, FieldValue]] = []
    for n, name in enumerate(NAMES * 2):
        fields: dict[str, FieldValue] = {
            "PERSONALNUMMER": f"P-{n:03d}" if n % 7 else f"P_{n:03d}%",
            "NAME": name,
            "VZAE": VZAE[n % len(VZAE)],
            "GUELTIG_AB": DATES[n % len(DATES)],
            "TRAEGER": "LANDRATSAMT" if n % 3 else "FREIER_TRAEGER",
        }
        if n % 4:
            fields["GUELTIG_BIS"] = DATES[(n + 2) % len(DATES)]
        if n % 5:
            fields["REGIONALTEAM"] = "MOESSINGEN" if n % 2 else "ROTTENBURG"
        if n % 6:
            fields["FOERDERFAEHIG"] = n % 2
        rows.append(fields)
    return rows


@dataclass
class World:
    servers: dict[Variant, EmulatorServer]
    clients: dict[tuple[Variant, Interface], EnaioClient]
    rows: list[Row]
    bookmarks: dict[Variant, datetime]
    klient_kommune: dict[int, str]
    fall_parent: dict[int, int]


def _fill(server: EmulatorServer) -> tuple[list[Row], datetime]:
    store = server.state.store
    ids = [store.insert(STAFF, None, fields, user="alice") for fields in _staff_rows()]
    time.sleep(1.1)  # a second generation, one whole second later (enaio stores seconds)
    bookmark = datetime.now(server.state.tz).replace(microsecond=0)
    late = set(ids[::3])
    for object_id in sorted(late):
        store.update(object_id, {"NAME": store.get(object_id).fields["NAME"]}, user="alice")
    rows = [Row(i, dict(store.get(i).fields), i in late) for i in ids]
    return rows, bookmark


def _fill_cases(server: EmulatorServer) -> tuple[dict[int, str], dict[int, int]]:
    store = server.state.store
    kommune: dict[int, str] = {}
    parent: dict[int, int] = {}
    for n, gemeinde in enumerate(("Mössingen", "Rottenburg am Neckar", "Tübingen", "Mössingen")):
        klient = store.insert(
            "IM_KLIENT",
            None,
            {
                "AKTENZEICHEN": f"QM-{n}",
                "FAMILIENNAME": "Test",
                "VORNAMEN": "Q",
                "GESCHLECHT": "WEIBLICH",
                "UNTERBRINGUNGSART": "AU",
                "WOHNKOMMUNE": gemeinde,
            },
            user="alice",
        )
        kommune[klient] = gemeinde
        for m in range(n + 1):
            fall = store.insert(
                "IM_FALL",
                klient,
                {
                    "FALLBEGINN": date(2018, 1 + m, 1),
                    "FALLSTATUS": "AKTIV",
                    "INTEGRATIONSMANAGER": "P-1",
                    "REGIONALTEAM": "MOESSINGEN",
                },
                user="alice",
            )
            parent[fall] = klient
    return kommune, parent


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    servers: dict[Variant, EmulatorServer] = {}
    clients: dict[tuple[Variant, Interface], EnaioClient] = {}
    rows: list[Row] = []
    bookmarks: dict[Variant, datetime] = {}
    kommune: dict[int, str] = {}
    parent: dict[int, int] = {}
    try:
        for variant in VARIANTS:
            server = EmulatorServer(build_state(users=dict(TEST_USERS), variant=variant)).start()
            servers[variant] = server
            rows, bookmarks[variant] = _fill(server)
            kommune, parent = _fill_cases(server)
            for interface in INTERFACES:
                extra: dict[str, object] = {}
                if variant == "documented" and interface == "osrest":
                    extra["objdef_file"] = str(default_site_path())
                clients[(variant, interface)] = EnaioClient(
                    make_settings(server, interface, "alice", **extra)
                )
        yield World(servers, clients, rows, bookmarks, kommune, parent)
    finally:
        for client in clients.values():
            client.close()
        for server in servers.values():
            server.close()


# -- the oracle ------------------------------------------------------------------------------------


def _mask(pattern: str) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL)


def _holds(cond: Condition, fields: dict[str, FieldValue]) -> bool:
    value = fields.get(cond.field)
    if cond.op is Op.IS_NULL:
        return value is None
    if cond.op is Op.NOT_NULL:
        return value is not None
    if value is None:
        return False  # SQL: a comparison with an empty field is never true
    left: Any = value
    first: Any = cond.values[0]
    match cond.op:
        case Op.EQ:
            return bool(left == first)
        case Op.NE:
            return bool(left != first)
        case Op.LT:
            return bool(left < first)
        case Op.LE:
            return bool(left <= first)
        case Op.GT:
            return bool(left > first)
        case Op.GE:
            return bool(left >= first)
        case Op.IN:
            return left in cond.values
        case Op.BETWEEN:
            return bool(cond.values[0] <= left <= cond.values[1])
        case Op.LIKE:
            return bool(_mask(str(first)).match(str(left)))
    raise AssertionError(cond.op)


def _eval(expr: Expr, fields: dict[str, FieldValue]) -> bool:
    if isinstance(expr, Condition):
        return _holds(expr, fields)
    results = (_eval(item, fields) for item in expr.items)
    return any(results) if expr.any_of else all(results)


# -- generated conditions ----------------------------------------------------------------------------

_TEXT_VALUES = st.sampled_from([*NAMES, "Niemand"])
_MASKS = st.sampled_from(
    ["M*", "M?ier", "*er", "*ll*", "100%*", "100% *", "Kurz_*", "Kurz?Name", "*_*", "*%*", "Ö*", "?"]
)


def _conditions() -> st.SearchStrategy[Condition]:
    name_ops = st.one_of(
        st.builds(lambda v: Condition("NAME", Op.EQ, (v,)), _TEXT_VALUES),
        st.builds(lambda v: Condition("NAME", Op.NE, (v,)), _TEXT_VALUES),
        st.builds(lambda v: Condition("NAME", Op.LIKE, (v,)), _MASKS),
        st.builds(
            lambda vs: Condition("NAME", Op.IN, tuple(vs)), st.lists(_TEXT_VALUES, min_size=1, max_size=3)
        ),
        st.builds(
            lambda v: Condition("PERSONALNUMMER", Op.LIKE, (v,)), st.sampled_from(["P_*", "P-00?", "*%"])
        ),
    )
    order_ops = st.sampled_from([Op.LT, Op.LE, Op.GT, Op.GE, Op.EQ, Op.NE])
    number_ops = st.one_of(
        st.builds(lambda op, v: Condition("VZAE", op, (v,)), order_ops, st.sampled_from(VZAE)),
        st.builds(
            lambda a, b: Condition("VZAE", Op.BETWEEN, (min(a, b), max(a, b))),
            st.sampled_from(VZAE),
            st.sampled_from(VZAE),
        ),
        st.builds(lambda op, v: Condition("FOERDERFAEHIG", op, (v,)), order_ops, st.sampled_from([0, 1])),
    )
    date_ops = st.one_of(
        st.builds(lambda op, v: Condition("GUELTIG_AB", op, (v,)), order_ops, st.sampled_from(DATES)),
        st.builds(
            lambda a, b: Condition("GUELTIG_BIS", Op.BETWEEN, (min(a, b), max(a, b))),
            st.sampled_from(DATES),
            st.sampled_from(DATES),
        ),
        st.builds(
            lambda vs: Condition("GUELTIG_AB", Op.IN, tuple(vs)),
            st.lists(st.sampled_from(DATES), min_size=1, max_size=2),
        ),
    )
    null_ops = st.builds(
        lambda f, op: Condition(f, op),
        st.sampled_from(["GUELTIG_BIS", "REGIONALTEAM", "FOERDERFAEHIG"]),
        st.sampled_from([Op.IS_NULL, Op.NOT_NULL]),
    )
    catalogue_ops = st.builds(
        lambda f, v: Condition(f, Op.EQ, (v,)),
        st.sampled_from(["REGIONALTEAM"]),
        st.sampled_from(["MOESSINGEN", "ROTTENBURG"]),
    )
    return st.one_of(name_ops, number_ops, date_ops, null_ops, catalogue_ops)


def _exprs() -> st.SearchStrategy[Expr]:
    leaf = _conditions()
    return st.one_of(
        leaf,
        st.builds(lambda items: all_of(*items), st.lists(leaf, min_size=2, max_size=3)),
        st.builds(lambda items: any_of(*items), st.lists(leaf, min_size=2, max_size=3)),
        st.builds(
            lambda a, b, c: any_of(all_of(a, b), c),
            leaf,
            leaf,
            leaf,
        ),
    )


def _hits(world: World, query: Query) -> dict[tuple[Variant, Interface], list[int]]:
    return {key: [o.id for o in client.search(query)] for key, client in world.clients.items()}


def _check_same(world: World, query: Query, expected: Sequence[int], *, ordered: bool = False) -> None:
    for key, ids in _hits(world, query).items():
        got = ids if ordered else sorted(ids)
        want = list(expected) if ordered else sorted(expected)
        assert got == want, f"{key[1]} against the {key[0]} personality: {query}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expr=_exprs())
def test_conditions_give_the_same_hits_everywhere(world: World, expr: Expr) -> None:
    expected = [row.id for row in world.rows if _eval(expr, row.fields)]
    _check_same(world, Query(STAFF, where=expr, page_size=50), expected)


@pytest.mark.parametrize(
    ("mask", "names"),
    [
        ("M*", {"Meier", "Maier", "Mayer", "Müller", "Möller"}),
        ("M?ier", {"Meier", "Maier"}),
        ("100%*", {"100% Stelle"}),
        ("Kurz_*", {"Kurz_Name"}),  # `_` is a literal character, not SQL's one-character wildcard
        ("*%*", {"100% Stelle"}),  # `%` is literal too
        ("Kurz?Name", {"Kurz_Name", "KurzXName"}),
    ],
)
def test_like_masks_with_literal_sql_wildcards(world: World, mask: str, names: set[str]) -> None:
    expected = [row.id for row in world.rows if row.fields["NAME"] in names]
    assert expected, mask
    _check_same(world, Query(STAFF, where=Condition("NAME", Op.LIKE, (mask,))), expected)


def test_modified_since(world: World) -> None:
    expected = [row.id for row in world.rows if row.modified_late]
    for (variant, interface), client in world.clients.items():
        query = Query(STAFF, modified_since=world.bookmarks[variant])  # each server's own clock
        assert sorted(o.id for o in client.search(query)) == sorted(expected), f"{interface} ({variant})"


@pytest.mark.parametrize("page_size", [1, 7, 50, 500])
def test_ordering_and_paging_across_page_caps(world: World, page_size: int) -> None:
    # VZAE descending, then GUELTIG_AB ascending, then (implicitly) object id: ties in both keys exist.
    ordered = sorted(
        world.rows, key=lambda r: (-Decimal(str(r.fields["VZAE"])), r.fields["GUELTIG_AB"], r.id)
    )
    query = Query(STAFF, order_by=(Sort("VZAE", descending=True), Sort("GUELTIG_AB")), page_size=page_size)
    _check_same(world, query, [r.id for r in ordered], ordered=True)


def test_max_hits(world: World) -> None:
    ordered = sorted(world.rows, key=lambda r: r.id)
    _check_same(world, Query(STAFF, max_hits=5, page_size=2), [r.id for r in ordered[:5]], ordered=True)


def test_ancestor_condition(world: World) -> None:
    # Cases (registers) below client folders of Mössingen: folders 0 and 3 hold 1 + 4 cases.
    query = Query(
        "IM_FALL",
        ancestors=(AncestorCondition("IM_KLIENT", eq("WOHNKOMMUNE", "Mössingen")),),
    )
    expected = [
        fall for fall, klient in world.fall_parent.items() if world.klient_kommune[klient] == "Mössingen"
    ]
    assert len(expected) == 5
    _check_same(world, query, expected)


def test_system_id_conditions(world: World) -> None:
    ids = [row.id for row in world.rows[:4]]
    _check_same(world, Query(STAFF, where=Condition("OBJECT_ID", Op.IN, tuple(ids), system=True)), ids)
    group: Group = any_of(
        Condition("OBJECT_ID", Op.EQ, (ids[0],), system=True), Condition("NAME", Op.EQ, ("Ziegler",))
    )
    expected = [row.id for row in world.rows if row.id == ids[0] or row.fields["NAME"] == "Ziegler"]
    _check_same(world, Query(STAFF, where=group), expected)
