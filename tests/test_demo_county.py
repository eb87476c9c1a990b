"""The demo county reproduces Kreistagsdrucksache 084/18 under the counting rules of docs/demo-county.md.

The counting here is a deliberately plain re-implementation of those rules over the generated stream; it does
not use anything from the generator except the stream itself and the list of incomplete legacy keys.
"""

from __future__ import annotations

import calendar
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from lxml import etree

from connector.enaio.emulator.demo.seed import INCOMPLETE_KEYS, SeedObject, generate

REPO = Path(__file__).resolve().parents[1]
OBJDEF_CANDIDATES = (
    REPO / "connector" / "enaio" / "objdef" / "sites" / "lk_tuebingen.xml",
    REPO.parent / "shared" / "reference" / "site" / "objdef.xml",  # shared/ lies beside the clone
)

P0, P1 = date(2018, 4, 1), date(2018, 6, 30)
STICHTAG = date(2018, 7, 31)
CUTOFF = date(2017, 9, 15)
PLAN_COUNTED = {"VEREINBART", "FORTGESCHRIEBEN", "ABGESCHLOSSEN"}
TEAM_OF = {
    "Mössingen": "MOESSINGEN",
    "Bodelshausen": "MOESSINGEN",
    "Ofterdingen": "MOESSINGEN",
    "Nehren": "MOESSINGEN",
    "Dußlingen": "MOESSINGEN",
    "Gomaringen": "MOESSINGEN",
    "Rottenburg am Neckar": "ROTTENBURG",
    "Hirrlingen": "ROTTENBURG",
    "Neustetten": "ROTTENBURG",
    "Starzach": "ROTTENBURG",
    "Tübingen": "TUEBINGEN",
    "Ammerbuch": "TUEBINGEN",
    "Dettenhausen": "TUEBINGEN",
    "Kirchentellinsfurt": "TUEBINGEN",
    "Kusterdingen": "TUEBINGEN",
}


# --- the object definition ---------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDef:
    dt: str
    required: bool
    keys: frozenset[str] | None
    multi: bool


@dataclass(frozen=True)
class TypeDef:
    fields: Mapping[str, FieldDef]
    tables: Mapping[str, Mapping[str, FieldDef]]


def _objdef() -> dict[str, TypeDef]:
    path = next(p for p in OBJDEF_CANDIDATES if p.exists())
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(path), parser).getroot()
    catalogues = {
        cat.get("internal"): frozenset(str(row.get("value")) for row in cat.iter("row"))
        for cat in root.iter("catalogue")
    }
    types: dict[str, TypeDef] = {}
    for obj in root.iter("object"):
        fields: dict[str, FieldDef] = {}
        tables: dict[str, dict[str, FieldDef]] = {}
        for fld in obj.iter("field"):
            flags = fld.find("flags")
            assert flags is not None
            lst = fld.find("list")
            keys = frozenset(str(row.get("value")) for row in lst.iter("row")) if lst is not None else None
            name = str(fld.get("internal"))
            fields[name] = FieldDef(
                dt=str(flags.get("dt")),
                required=flags.get("required") == "1",
                keys=keys or None,
                multi=flags.get("valuesep") == ";",
            )
            columns = {}
            for col in fld.iter("listctrl"):
                catalogue = col.get("catalogue")
                columns[str(col.get("internal"))] = FieldDef(
                    dt=str(col.get("type")),
                    required=col.get("required") == "1",
                    keys=catalogues[catalogue] if catalogue else None,
                    multi=False,
                )
            if columns:
                tables[name] = columns
        types[str(obj.get("internal"))] = TypeDef(fields, tables)
    return types


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def objdef() -> dict[str, TypeDef]:
    return _objdef()


@pytest.fixture(scope="module")
def county() -> list[SeedObject]:
    return list(generate())


def _fingerprint(objects: Iterable[SeedObject]) -> str:
    digest = hashlib.sha256()
    for o in objects:
        tables = {name: [sorted(row.items()) for row in rows] for name, rows in sorted(o.tables.items())}
        line = repr(
            (
                o.key,
                o.type_name,
                o.parent_key,
                sorted(o.fields.items()),
                tables,
                o.created.isoformat(),
                o.creator,
                o.modified.isoformat(),
                o.modifier,
                [(f.name, f.mime_type, f.data) for f in o.files],
            )
        )
        digest.update(line.encode())
    return digest.hexdigest()


# --- counting rules (docs/demo-county.md) ----------------------------------------------------------


def _d(obj: SeedObject, name: str) -> date | None:
    value = obj.fields.get(name)
    assert value is None or isinstance(value, date)
    return value


@dataclass(frozen=True)
class Figures:
    target_group: int
    target_keys: frozenset[str]
    sondierung: int
    sondierung_cases: int
    sondierung_persons: int
    sondierung_in_target: int
    sondierung_with_participants: int
    reached_percent: Decimal
    plans: int
    plan_persons_in_target: bool
    cared: int
    cared_by_accommodation: dict[str, int]


def figures(objects: Iterable[SeedObject]) -> Figures:
    by_key: dict[str, SeedObject] = {}
    for o in objects:
        by_key[o.key] = o
    klienten = {k: o for k, o in by_key.items() if o.type_name == "IM_KLIENT"}
    faelle = {k: o for k, o in by_key.items() if o.type_name == "IM_FALL"}

    def person_of(doc: SeedObject) -> str:
        fall = by_key[str(doc.parent_key)]
        return str(fall.parent_key)

    target = set()
    for key, k in klienten.items():
        zuzug, auszug = _d(k, "ZUZUG_AU"), _d(k, "AUSZUG_AU")
        transferred = k.fields.get("IM_UEBERTRAGEN") == 1
        if transferred and zuzug is not None and zuzug <= CUTOFF and (auszug is None or auszug > CUTOFF):
            target.add(key)

    sondierung = [
        o
        for o in by_key.values()
        if o.type_name == "IM_KONTAKT"
        and o.fields.get("KONTAKTART") == "SONDIERUNG"
        and (d := _d(o, "DATUM")) is not None
        and P0 <= d <= P1
    ]
    sond_persons = {person_of(o) for o in sondierung}
    plans = [
        o
        for o in by_key.values()
        if o.type_name == "IM_PLAN"
        and o.fields.get("PLANVERSION") == 0
        and o.fields.get("PLANSTATUS") in PLAN_COUNTED
        and (d := _d(o, "VEREINBART_AM")) is not None
        and P0 <= d <= P1
    ]

    cared: set[str] = set()
    for f in faelle.values():
        begin, end = _d(f, "FALLBEGINN"), _d(f, "FALLENDE")
        if begin is not None and begin <= STICHTAG and (end is None or end > STICHTAG):
            cared.add(str(f.parent_key))
    by_accommodation: Counter[str] = Counter()
    for key in cared:
        k = klienten[key]
        since = _d(k, "UNTERBRINGUNG_SEIT")
        assert since is not None, key
        assert since <= STICHTAG, key
        by_accommodation[str(k.fields["UNTERBRINGUNGSART"])] += 1

    reached = Decimal(len(sond_persons) * 100) / Decimal(len(target))
    return Figures(
        target_group=len(target),
        target_keys=frozenset(target),
        sondierung=len(sondierung),
        sondierung_cases=len({o.parent_key for o in sondierung}),
        sondierung_persons=len(sond_persons),
        sondierung_in_target=len(sond_persons & target),
        sondierung_with_participants=sum(1 for o in sondierung if "WEITERE_TEILNEHMENDE" in o.fields),
        reached_percent=reached.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        plans=len(plans),
        plan_persons_in_target=all(person_of(o) in target for o in plans),
        cared=len(cared),
        cared_by_accommodation=dict(by_accommodation),
    )


@dataclass(frozen=True)
class StaffFigures:
    im_numbers: set[str]
    monthly: dict[int, Fraction]
    average: Fraction
    teams: dict[str, int]
    team_of_number: dict[str, str]
    vu_only: set[str]
    funded_records: list[SeedObject]
    traeger: set[object]


def staff_figures(objects: Iterable[SeedObject]) -> StaffFigures:
    records = [o for o in objects if o.type_name == "ORG_MITARBEITENDE"]

    def valid_days(o: SeedObject, first: date, last: date) -> int:
        start = max(first, _d(o, "GUELTIG_AB") or first)
        end = min(last, _d(o, "GUELTIG_BIS") or last)
        return max(0, (end - start).days + 1)

    funded = [o for o in records if o.fields.get("FOERDERFAEHIG") == 1 and valid_days(o, P0, P1) > 0]
    monthly: dict[int, Fraction] = {}
    for month in (4, 5, 6):
        first = date(2018, month, 1)
        last = date(2018, month, calendar.monthrange(2018, month)[1])
        days = (last - first).days + 1
        total = sum(
            (Fraction(str(o.fields["VZAE"])) * Fraction(valid_days(o, first, last), days) for o in funded),
            Fraction(0),
        )
        monthly[month] = total
    teams: dict[str, set[str]] = defaultdict(set)
    for o in funded:
        teams[str(o.fields["REGIONALTEAM"])].add(str(o.fields["PERSONALNUMMER"]))
    funded_numbers = {str(o.fields["PERSONALNUMMER"]) for o in funded}
    unfunded_in_p = {
        str(o.fields["PERSONALNUMMER"])
        for o in records
        if o.fields.get("FOERDERFAEHIG") == 0 and valid_days(o, P0, P1) > 0
    }
    return StaffFigures(
        im_numbers=funded_numbers,
        monthly=monthly,
        average=sum(monthly.values(), Fraction(0)) / 3,
        teams={team: len(numbers) for team, numbers in teams.items()},
        team_of_number={n: team for team, numbers in teams.items() for n in numbers},
        vu_only=unfunded_in_p - funded_numbers,
        funded_records=funded,
        traeger={o.fields.get("TRAEGER") for o in records},
    )


# --- calibration --------------------------------------------------------------------------------


def test_kreistag_figures(county: list[SeedObject]) -> None:
    fig = figures(county)
    assert fig.target_group == 1045
    assert fig.sondierung == 501
    assert fig.sondierung_cases == 501
    assert fig.sondierung_persons == 501
    assert fig.sondierung_in_target == 501
    assert fig.sondierung_with_participants == 0
    assert fig.reached_percent == Decimal("47.9")
    assert fig.plans == 130
    assert fig.plan_persons_in_target is True
    assert fig.cared == 2258
    assert fig.cared_by_accommodation == {"VU": 436, "AU": 1028, "PRIVAT": 794}


def test_staff_figures(county: list[SeedObject]) -> None:
    fig = staff_figures(county)
    assert len(fig.im_numbers) == 19
    assert fig.monthly == {4: 13, 5: 13, 6: 13}
    assert fig.average == Fraction(13)
    assert sorted(fig.teams) == ["MOESSINGEN", "ROTTENBURG", "TUEBINGEN"]
    assert all(6 <= n <= 7 for n in fig.teams.values())
    assert len(fig.vu_only) == 3
    assert fig.traeger == {"LANDRATSAMT"}


def test_mid_period_vzae_change_is_contiguous(county: list[SeedObject]) -> None:
    funded: list[SeedObject] = staff_figures(county).funded_records
    by_number: dict[str, list[SeedObject]] = defaultdict(list)
    for o in funded:
        by_number[str(o.fields["PERSONALNUMMER"])].append(o)
    changed = {n: rs for n, rs in by_number.items() if len(rs) > 1}
    assert len(changed) == 2
    for records in changed.values():
        first, second = sorted(records, key=lambda o: _d(o, "GUELTIG_AB") or date.min)
        closed = _d(first, "GUELTIG_BIS")
        assert closed is not None
        assert P0 < closed < P1
        assert _d(second, "GUELTIG_AB") == closed + timedelta(days=1)
        assert first.fields["VZAE"] != second.fields["VZAE"]


def test_calibration_holds_for_another_seed() -> None:
    fig = figures(generate(seed=7))
    assert (fig.target_group, fig.sondierung, fig.plans, fig.cared) == (1045, 501, 130, 2258)
    assert fig.cared_by_accommodation == {"VU": 436, "AU": 1028, "PRIVAT": 794}


def test_scale_two_doubles_everything() -> None:
    objects = list(generate(scale=2))
    fig = figures(objects)
    assert (fig.target_group, fig.sondierung, fig.plans, fig.cared) == (2090, 1002, 260, 4516)
    assert fig.cared_by_accommodation == {"VU": 872, "AU": 2056, "PRIVAT": 1588}
    staff = staff_figures(objects)
    assert len(staff.im_numbers) == 38
    assert staff.average == Fraction(26)
    persons = sum(1 for o in objects if o.type_name == "IM_KLIENT")
    persons_1 = sum(1 for o in generate() if o.type_name == "IM_KLIENT")
    assert 1.9 <= persons / persons_1 <= 2.1


# --- the stream ------------------------------------------------------------------------------------


def test_deterministic(county: list[SeedObject]) -> None:
    assert _fingerprint(county) == _fingerprint(generate())
    assert _fingerprint(county) != _fingerprint(generate(seed=7))


def test_parents_before_children_and_unique_keys(county: list[SeedObject]) -> None:
    seen: dict[str, str] = {}
    allowed_parent = {
        "IM_KLIENT": None,
        "ORG_MITARBEITENDE": None,
        "IM_FALL": "IM_KLIENT",
        "IM_KONTAKT": "IM_FALL",
        "IM_PLAN": "IM_FALL",
        "IM_EINWILLIGUNG": "IM_FALL",
        "IM_JC_DATEN": "IM_FALL",
    }
    for o in county:
        assert o.key not in seen
        expected = allowed_parent[o.type_name]
        if expected is None:
            assert o.parent_key is None
        else:
            assert o.parent_key in seen, o.key
            assert seen[o.parent_key] == expected
        seen[o.key] = o.type_name


def test_values_match_the_object_definition(county: list[SeedObject], objdef: dict[str, TypeDef]) -> None:
    python_type = {"X": str, "D": date, "I": int, "#": Decimal}
    for o in county:
        typedef = objdef[o.type_name]
        for name, value in o.fields.items():
            fdef = typedef.fields[name]
            assert type(value) is python_type[fdef.dt], (o.key, name, value)
            if isinstance(value, str):
                assert value, (o.key, name)
            if fdef.keys is not None:
                values = str(value).split(";") if fdef.multi else [str(value)]
                assert set(values) <= fdef.keys, (o.key, name, value)
        for table, rows in o.tables.items():
            columns = typedef.tables[table]
            for row in rows:
                for name, value in row.items():
                    cdef = columns[name]
                    assert type(value) is python_type[cdef.dt], (o.key, table, name)
                    if cdef.keys is not None:
                        assert value in cdef.keys, (o.key, table, name, value)


def test_required_fields(county: list[SeedObject], objdef: dict[str, TypeDef]) -> None:
    incomplete_found = set()
    for o in county:
        typedef = objdef[o.type_name]
        missing = {n for n, f in typedef.fields.items() if f.required and f.dt != "W" and n not in o.fields}
        for table, rows in o.tables.items():
            for row in rows:
                missing |= {n for n, c in typedef.tables[table].items() if c.required and n not in row}
        if o.key in INCOMPLETE_KEYS:
            assert missing, o.key
            incomplete_found.add(o.key)
        else:
            assert not missing, (o.key, missing)
    assert incomplete_found == INCOMPLETE_KEYS
    assert 5 <= len(INCOMPLETE_KEYS) <= 8


def test_incomplete_records_are_outside_every_figure(county: list[SeedObject]) -> None:
    with_incomplete = figures(county)
    without = figures(o for o in county if o.key not in INCOMPLETE_KEYS)
    for name in ("target_group", "sondierung", "plans", "cared", "cared_by_accommodation"):
        assert getattr(with_incomplete, name) == getattr(without, name)
    legacy_persons = {o.key for o in county if o.type_name == "IM_KLIENT" and "ALT" in o.key}
    assert not legacy_persons & with_incomplete.target_keys


def test_aktenzeichen_unique_and_references_resolve(county: list[SeedObject]) -> None:
    az = [str(o.fields["AKTENZEICHEN"]) for o in county if o.type_name == "IM_KLIENT"]
    assert len(az) == len(set(az))
    assert all(len(a) <= 20 and a.startswith("IM-") for a in az)
    known = set(az)
    for o in county:
        for name in ("WEITERE_TEILNEHMENDE", "WEITERE_PERSONEN"):
            if name in o.fields:
                assert set(str(o.fields[name]).split(";")) <= known


def test_timestamps(county: list[SeedObject]) -> None:
    after_stichtag = 0
    for o in county:
        assert isinstance(o.created, datetime)
        assert isinstance(o.modified, datetime)
        assert o.created.utcoffset() is not None
        assert o.modified.utcoffset() is not None
        assert str(o.created.tzinfo) == "Europe/Berlin"
        assert o.modified >= o.created, o.key
        assert o.creator
        assert o.modifier
        if o.modified.date() > STICHTAG:
            after_stichtag += 1
    assert after_stichtag > 0
    fortschreibungen = [o for o in county if o.type_name == "IM_PLAN" and o.fields.get("PLANVERSION", 0) != 0]
    assert fortschreibungen
    assert all(o.modified.date() > STICHTAG for o in fortschreibungen)


def test_cases_teams_and_managers(county: list[SeedObject]) -> None:
    staff = staff_figures(county)
    team_of_number: dict[str, str] = staff.team_of_number
    klienten = {o.key: o for o in county if o.type_name == "IM_KLIENT"}
    faelle = {o.key: o for o in county if o.type_name == "IM_FALL"}
    for f in faelle.values():
        if f.key in INCOMPLETE_KEYS or f.parent_key in INCOMPLETE_KEYS:
            continue
        k = klienten[str(f.parent_key)]
        team = TEAM_OF[str(k.fields["WOHNKOMMUNE"])]
        assert f.fields["REGIONALTEAM"] == team
        assert team_of_number[str(f.fields["INTEGRATIONSMANAGER"])] == team
        begin = _d(f, "FALLBEGINN")
        assert begin is not None
        expected = begin.replace(year=begin.year + 3) if (begin.month, begin.day) != (2, 29) else None
        if expected is not None:
            assert f.fields["HOECHSTDAUER_BIS"] == expected
    for o in county:
        if o.type_name in ("IM_KONTAKT", "IM_PLAN") and o.key not in INCOMPLETE_KEYS:
            fall = faelle[str(o.parent_key)]
            assert o.fields.get("INTEGRATIONSMANAGER") == fall.fields.get("INTEGRATIONSMANAGER"), o.key
        if o.type_name == "IM_KONTAKT" and "DATUM" in o.fields:
            fall = faelle[str(o.parent_key)]
            begin, end = _d(fall, "FALLBEGINN"), _d(fall, "FALLENDE")
            day = _d(o, "DATUM")
            assert begin is not None
            assert day is not None
            assert begin <= day, o.key
            assert end is None or day <= end, o.key


def test_persons(county: list[SeedObject]) -> None:
    klienten = [o for o in county if o.type_name == "IM_KLIENT"]
    for k in klienten:
        if k.fields.get("WOHNKOMMUNE") == "Tübingen":
            assert k.fields.get("IM_UEBERTRAGEN") != 1
        if k.fields.get("UNTERBRINGUNGSART") == "VU":
            assert "ZUZUG_AU" not in k.fields
    households: dict[str, list[SeedObject]] = defaultdict(list)
    for k in klienten:
        if "HAUSHALTSNUMMER" in k.fields:
            households[str(k.fields["HAUSHALTSNUMMER"])].append(k)
    assert any(len(members) >= 5 for members in households.values())
    for members in households.values():
        roles = Counter(str(m.fields["ROLLE_IM_HAUSHALT"]) for m in members)
        assert roles["HAUPTPERSON"] == 1
    names = "".join(str(k.fields["FAMILIENNAME"]) + str(k.fields["VORNAMEN"]) for k in klienten)
    assert any(ch in names for ch in "äöü")
    assert "ß" in names
    moved = [k for k in klienten if "AUSZUG_AU" in k.fields and k.fields["UNTERBRINGUNGSART"] == "PRIVAT"]
    assert moved


def test_texture(county: list[SeedObject]) -> None:
    kinds = Counter(str(o.fields.get("KONTAKTART")) for o in county if o.type_name == "IM_KONTAKT")
    assert {"BERATUNG", "PLANGESPRAECH", "BEGLEITUNG", "KURZKONTAKT", "GRUPPENANGEBOT"} <= set(kinds)
    sond_outside = [
        o
        for o in county
        if o.fields.get("KONTAKTART") == "SONDIERUNG" and not P0 <= (_d(o, "DATUM") or P0) <= P1
    ]
    assert sond_outside
    assert any(";" in str(o.fields.get("THEMEN", "")) for o in county)
    assert any("WEITERE_TEILNEHMENDE" in o.fields for o in county)
    plans = [o for o in county if o.type_name == "IM_PLAN"]
    statuses = Counter(str(o.fields.get("PLANSTATUS")) for o in plans)
    assert {"ENTWURF", "VEREINBART", "FORTGESCHRIEBEN"} <= set(statuses)
    assert Counter(str(o.fields.get("PLANART")) for o in plans).keys() >= {
        "INTEGRATIONSPLAN",
        "INTEGRATIONSZIELVEREINBARUNG",
    }
    assert any("WEITERE_PERSONEN" in o.fields for o in plans)
    agreed = [o for o in plans if o.fields.get("PLANSTATUS") in PLAN_COUNTED]
    assert any(not o.tables.get("ZIELE") for o in agreed)
    assert all(1 <= len(o.tables["ZIELE"]) <= 5 for o in agreed if o.tables.get("ZIELE"))
    assert any(o.files for o in plans)
    for o in plans:
        for f in o.files:
            assert f.data
            assert f.mime_type in ("application/pdf", "text/plain")
    consents = [o for o in county if o.type_name == "IM_EINWILLIGUNG"]
    assert any(o.fields.get("ZWECK") == "AUSTAUSCH_JOBCENTER" for o in consents)
    assert any("WIDERRUFEN_AM" in o.fields for o in consents)
    jc = [o for o in county if o.type_name == "IM_JC_DATEN"]
    assert jc
    assert all((_d(o, "UEBERMITTELT_AM") or P0) >= date(2018, 8, 1) for o in jc)


def test_cases_over_the_maximum_duration(county: list[SeedObject]) -> None:
    active = [
        o
        for o in county
        if o.type_name == "IM_FALL"
        and (b := _d(o, "FALLBEGINN")) is not None
        and b <= STICHTAG
        and ((e := _d(o, "FALLENDE")) is None or e > STICHTAG)
    ]
    over = [o for o in active if (_d(o, "HOECHSTDAUER_BIS") or STICHTAG) < STICHTAG]
    assert 0.004 <= len(over) / len(active) <= 0.02
    extended = [o for o in over if "VERLAENGERT_BIS" in o.fields]
    assert extended
    assert len(extended) < len(over)
    assert all("BEGRUENDUNG_VERLAENGERUNG" in o.fields for o in extended)
