"""Deterministic synthetic demo county: a stream of enaio objects, parents before children.

Pure data, no store: a loader consumes :func:`generate`. Every person is invented (random combinations
of the name lists in ``county.json``). The stream reproduces the figures of Kreistagsdrucksache 084/18
exactly under the counting rules of ``docs/demo-county.md``. Exactness at every scale comes from quotas, not
probabilities: each kind of person has a fixed head count per scale unit, and Sondierungsgespräche and agreed
plans are drawn by selection sampling (Knuth's algorithm S, household by household), so nothing but the
current household is held in memory.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from connector.enaio.emulator.demo.county import County, ImEntry, load_county
from connector.enaio.model import FieldValue

__all__ = [
    "BERLIN",
    "INCOMPLETE_KEYS",
    "SeedFile",
    "SeedObject",
    "generate",
]

BERLIN: Final = ZoneInfo("Europe/Berlin")

KLIENT: Final = "IM_KLIENT"
FALL: Final = "IM_FALL"
KONTAKT: Final = "IM_KONTAKT"
PLAN: Final = "IM_PLAN"
EINWILLIGUNG: Final = "IM_EINWILLIGUNG"
JC_DATEN: Final = "IM_JC_DATEN"
MITARBEITENDE: Final = "ORG_MITARBEITENDE"

INCOMPLETE_KEYS: Final = frozenset(
    {
        "KL-ALT-0001",  # IM_KLIENT without GESCHLECHT
        "KL-ALT-0002",  # IM_KLIENT without UNTERBRINGUNGSART and WOHNKOMMUNE
        "FA-ALT-0001-2",  # IM_FALL without REGIONALTEAM
        "FA-ALT-0003-1",  # IM_FALL without INTEGRATIONSMANAGER
        "KO-ALT-0001-1-002",  # IM_KONTAKT without KONTAKTART
        "KO-ALT-0001-1-003",  # IM_KONTAKT without DATUM
        "PL-ALT-0001-1-1",  # IM_PLAN without PLANSTATUS
        "EW-ALT-0003-1-1",  # IM_EINWILLIGUNG without ZWECK
    }
)
"""Legacy migrated records that lack required index data (written to the store as they are; the mapping layer
quarantines them). None of them is part of a calibrated figure."""


@dataclass(frozen=True, slots=True)
class SeedFile:
    name: str
    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SeedObject:
    key: str
    type_name: str
    parent_key: str | None
    fields: Mapping[str, FieldValue]
    tables: Mapping[str, Sequence[Mapping[str, FieldValue]]]
    created: datetime
    creator: str
    modified: datetime
    modifier: str
    files: tuple[SeedFile, ...] = ()


_NO_TABLES: Final[Mapping[str, Sequence[Mapping[str, FieldValue]]]] = MappingProxyType({})
_TG_POPULATIONS: Final = ("tg_au", "tg_privat")
"""The pool of Sondierung in the report period: target-group persons still cared for on the Stichtag."""
_SOCIAL_SERVICE_ONLY: Final = frozenset({"tue_au", "tue_privat", "vu", "closed_earlier", "new_after"})
_OVER_MAX_ELIGIBLE: Final = frozenset(
    {"tg_au", "tg_privat", "tue_au", "tue_privat", "privat_early", "privat_from_vu"}
)
_VU_STAFF_POPULATIONS: Final = frozenset({"vu", "closed_earlier", "new_after"})
_ADMIN_LOGIN: Final = "verw01"


def generate(scale: int = 1, seed: int = 20180401) -> Iterator[SeedObject]:
    """Stream the demo county: staff records, then household by household, then the legacy records.

    ``scale`` multiplies every head count (persons, staff, Sondierungen, plans) exactly; ``seed`` only changes
    who is who, never a calibrated figure.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    builder = _Builder(load_county(), scale, random.Random(seed))  # noqa: S311 - reproducible demo data, not secrets
    yield from builder.staff()
    yield from builder.households()
    yield from builder.legacy()


# --- small helpers -----------------------------------------------


class _Weighted:
    """Weighted choice with precomputed cumulative weights (much cheaper than ``random.choices`` per call)."""

    __slots__ = ("cum", "keys", "total")

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.keys = tuple(k for k, w in weights.items() if w > 0)
        cum: list[float] = []
        total = 0.0
        for k in self.keys:
            total += weights[k]
            cum.append(total)
        self.cum = cum
        self.total = total

    def pick(self, rng: random.Random) -> str:
        return self.keys[bisect(self.cum, rng.random() * self.total)]


def _main(person: _Person) -> _Case:
    if person.main is None:
        raise RuntimeError(f"person {person.no} has no current case")
    return person.main


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February -> 28 February
        return day.replace(year=day.year + years, day=28)


def _tiny_pdf(lines: Sequence[str]) -> bytes:
    """A minimal one-page PDF (ASCII text, standard font) with a correct cross-reference table."""
    body = " ".join(
        "(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for ln in lines
    )
    stream = f"BT /F1 11 Tf 50 790 Td 16 TL {body} ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass(slots=True)
class _Staff:
    number: str
    login: str
    team: str
    weight: float


@dataclass(slots=True)
class _Track:
    """The shared timeline of one household."""

    begin: date  # start of the current case (arrival in the county's care)
    accommodation: str
    since: date
    zuzug: date | None = None
    auszug: date | None = None
    end: date | None = None
    reason: str | None = None
    transferred: int | None = None
    over_max: bool = False
    extension: str | None = None  # BEGRUENDUNG_VERLAENGERUNG of an extended over-long case
    earlier: tuple[date, date, str] | None = None  # an earlier closed case: begin, end, reason


@dataclass(slots=True)
class _Case:
    key: str
    begin: date
    end: date | None
    docs: list[SeedObject] = field(default_factory=list)
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def last_day(self, extract: date) -> date:
        return self.end if self.end is not None and self.end < extract else extract


@dataclass(slots=True)
class _Person:
    no: int
    az: str
    role: str
    sex: str
    birth: date
    adult: bool
    surname: str
    given: str
    fields: dict[str, FieldValue] = field(default_factory=dict)
    main: _Case | None = None
    earlier: _Case | None = None
    sondierung: date | None = None
    created_day: date | None = None


# --- the builder -------------------------------------------------


class _Builder:
    def __init__(self, county: County, scale: int, rng: random.Random) -> None:
        self.c = county
        self.scale = scale
        self.rng = rng
        d = county.dates
        self.P0, self.P1, self.S, self.C = d["period_start"], d["period_end"], d["stichtag"], d["cutoff"]
        self.extract, self.enaio_since, self.migration_end = (
            d["extract"],
            d["enaio_since"],
            d["migration_end"],
        )
        self.jc_since, self.earliest = d["jobcenter_form_since"], d["earliest_arrival"]
        self.r = county.rates
        self.remaining = {name: pop.persons * scale for name, pop in county.populations.items()}
        self.sond_left = int(county.calibration["sondierung_in_period"]) * scale
        self.plans_left = int(county.calibration["plans_in_period"]) * scale
        self.person_no = 0
        self.household_no = 0
        self.nationality = _Weighted({k: n.weight for k, n in county.nationalities.items()})
        self.status = {k: _Weighted(n.status) for k, n in county.nationalities.items()}
        munis = county.municipalities.values()
        self.municipality = {
            "transferred": _Weighted({m.name: m.au_weight for m in munis if m.im_transferred}),
            "tuebingen": _Weighted({m.name: 1.0 for m in munis if not m.im_transferred}),
            "vu": _Weighted({m.name: m.vu_weight for m in munis}),
        }
        self.sizes = {
            k: _Weighted({str(i + 1): w for i, w in enumerate(ws)})
            for k, ws in county.household_sizes.items()
        }
        self.contact_kind = _Weighted(county.contact_kinds)
        self.channel = _Weighted(county.channels)
        self.foa = _Weighted({k: f.weight for k, f in county.fields_of_action.items()})
        self.foa_order = {k: i for i, k in enumerate(county.fields_of_action)}
        self.goal_status = _Weighted(county.goal_status)
        self.language = _Weighted(county.language_levels)
        self.employment = _Weighted(county.employment_adult)
        self.reasons = {k: _Weighted(v) for k, v in county.closure_reasons.items()}
        self.school = _Weighted(county.jobcenter["school"])
        self.recognition = _Weighted(county.jobcenter["recognition"])
        self.teams: dict[str, list[_Staff]] = {}
        self.vu_logins: list[str] = []

    # random primitives (inlined arithmetic; ``randint`` is comparatively slow)
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def between(self, lo: int, hi: int) -> int:
        return lo + int(self.rng.random() * (hi - lo + 1))

    def day(self, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return date.fromordinal(self.between(lo.toordinal(), hi.toordinal()))

    def workday(self, lo: date, hi: date) -> date:
        """A Monday-to-Friday day in [lo, hi] (lo itself if the range holds none)."""
        if hi <= lo:
            return lo
        a, b = lo.toordinal(), hi.toordinal()
        for _ in range(12):
            d = date.fromordinal(a + int(self.rng.random() * (b - a + 1)))
            if d.weekday() < 5:
                return d
        return lo

    def ts(self, day: date) -> datetime:
        r = self.rng.random
        return datetime(
            day.year, day.month, day.day, 7 + int(r() * 10), int(r() * 60), int(r() * 60), tzinfo=BERLIN
        )

    def pick(self, items: Sequence[str]) -> str:
        return items[int(self.rng.random() * len(items))]

    # --- staff -------------------------------------------------------

    def staff(self) -> Iterator[SeedObject]:
        n_im = len(self.c.im_staff)
        for copy in range(self.scale):
            for i, entry in enumerate(self.c.im_staff):
                n = copy * n_im + i + 1
                name = entry.name if copy == 0 else self.staff_name()
                yield from self.im_records(n, name, entry)
        for copy in range(self.scale):
            for i, vu in enumerate(self.c.vu_staff):
                n = copy * len(self.c.vu_staff) + i + 1
                login = f"vu{n:02d}"
                self.vu_logins.append(login)
                name = vu.name if copy == 0 else self.staff_name()
                fields: dict[str, FieldValue] = {
                    "PERSONALNUMMER": f"75{n:04d}",
                    "NAME": name,
                    "VZAE": vu.vzae,
                    "GUELTIG_AB": vu.valid_from,
                    "TRAEGER": "LANDRATSAMT",
                    "FOERDERFAEHIG": 0,
                }
                created = self.ts(vu.valid_from - timedelta(days=14))
                yield SeedObject(
                    f"MA-V{n:04d}-1",
                    MITARBEITENDE,
                    None,
                    fields,
                    _NO_TABLES,
                    created,
                    _ADMIN_LOGIN,
                    created,
                    _ADMIN_LOGIN,
                )

    def staff_name(self) -> str:
        return f"{self.pick(self.c.staff_surnames)}, {self.pick(self.c.staff_given_names)}"

    def im_records(self, n: int, name: str, entry: ImEntry) -> Iterator[SeedObject]:
        number, login = f"73{n:04d}", f"im{n:02d}"
        self.teams.setdefault(entry.team, []).append(_Staff(number, login, entry.team, float(entry.vzae)))
        funding = self.c.dates["funding_start"]
        periods: list[tuple[date, date | None, Decimal, int, str | None]] = []
        if entry.prior_from is not None:  # social service before the funding: not förderfähig, no team yet
            periods.append((entry.prior_from, funding - timedelta(days=1), entry.vzae, 0, None))
        if entry.vzae_change is not None and entry.change_from is not None:
            periods.append((funding, entry.change_from - timedelta(days=1), entry.vzae, 1, entry.team))
            periods.append((entry.change_from, None, entry.vzae_change, 1, entry.team))
        else:
            periods.append((funding, None, entry.vzae, 1, entry.team))
        for k, (valid_from, valid_to, vzae, eligible, team) in enumerate(periods, 1):
            fields: dict[str, FieldValue] = {"PERSONALNUMMER": number, "NAME": name}
            if team is not None:
                fields["REGIONALTEAM"] = team
            fields["VZAE"] = vzae
            fields["GUELTIG_AB"] = valid_from
            if valid_to is not None:
                fields["GUELTIG_BIS"] = valid_to
            fields["TRAEGER"] = "LANDRATSAMT"
            fields["FOERDERFAEHIG"] = eligible
            created = self.ts(valid_from - timedelta(days=self.between(5, 25)))
            modified = created if valid_to is None else max(created, self.ts(valid_to - timedelta(days=10)))
            yield SeedObject(
                f"MA-{n:04d}-{k}",
                MITARBEITENDE,
                None,
                fields,
                _NO_TABLES,
                created,
                _ADMIN_LOGIN,
                modified,
                _ADMIN_LOGIN,
            )

    def pick_im(self, team: str) -> _Staff:
        staff = self.teams[team]
        total = sum(s.weight for s in staff)
        x = self.rng.random() * total
        for s in staff:
            x -= s.weight
            if x < 0:
                return s
        return staff[-1]

    # --- households --------------------------------------------------

    def households(self) -> Iterator[SeedObject]:
        names = list(self.remaining)
        while True:
            total = sum(self.remaining.values())
            if total == 0:
                return
            x = int(self.rng.random() * total)
            for population in names:
                x -= self.remaining[population]
                if x < 0:
                    break
            yield from self.household(population)

    def household(self, population: str) -> Iterator[SeedObject]:
        c, r = self.c, self.r
        pop = c.populations[population]
        size = min(int(self.sizes[pop.households].pick(self.rng)), self.remaining[population])
        pool_before = sum(self.remaining[p] for p in _TG_POPULATIONS)
        self.remaining[population] -= size
        self.household_no += 1
        nat = self.nationality.pick(self.rng)
        municipality = self.municipality[pop.municipalities].pick(self.rng)
        team = c.municipalities[municipality].team
        im = self.pick_im(team)
        login = (
            self.pick(self.vu_logins)
            if population in _VU_STAFF_POPULATIONS and self.chance(0.5)
            else im.login
        )
        track = self.track(population)
        status = self.status[nat].pick(self.rng)
        members = self.members(size, nat, track, population)
        hh_number = (
            None if size == 1 and self.chance(r["no_household_number"]) else f"HH-{self.household_no:06d}"
        )

        for m in members:
            self.person_fields(m, nat, status, municipality, track, hh_number, population)
            self.cases(m, track)

        # Sondierung in the report period: exact quota over the pool (selection sampling per household)
        selected = 0
        if population in _TG_POPULATIONS:
            lo = max(0, self.sond_left - (pool_before - size))
            hi = min(size, self.sond_left)
            selected = hi if self.rng.random() * pool_before < self.sond_left else lo
            selected = max(lo, min(hi, selected))
        n_plans = 0
        if selected:
            p_lo = max(0, self.plans_left - (self.sond_left - selected))
            p_hi = min(selected, self.plans_left)
            want = (
                1
                if self.chance(min(1.0, self.plans_left * r["plan_household_factor"] / self.sond_left))
                else 0
            )
            n_plans = max(p_lo, min(p_hi, want))
            self.sond_left -= selected
            self.plans_left -= n_plans
        self.documents(members, population, track, im, login, selected, n_plans)

        for m in members:
            yield from self.emit_person(m, track, im, login)

    def track(self, population: str) -> _Track:
        r = self.r
        C, S, extract, earliest = self.C, self.S, self.extract, self.earliest
        d = self.day
        over_max = population in _OVER_MAX_ELIGIBLE and self.chance(r["over_max_household"])

        def arrival(lo: date, hi: date) -> date:
            return d(date(2015, 2, 2), date(2015, 7, 24)) if over_max else d(lo, hi)

        def days(n: int) -> timedelta:
            return timedelta(days=n)

        t: _Track
        if population in ("tg_au", "tg_privat", "tg_closed"):
            begin = arrival(earliest, date(2017, 5, 31))
            zuzug = begin + days(self.between(60, 540))
            if zuzug > C:
                zuzug = d(begin + days(30), C)
            t = _Track(begin, "AU", zuzug, zuzug=zuzug, transferred=1)
            if population == "tg_privat":
                t.auszug = d(C + days(1), S - days(3))
                t.accommodation, t.since = "PRIVAT", t.auszug
            elif population == "tg_closed":
                t.end = d(date(2018, 1, 8), date(2018, 7, 30))
                t.reason = self.reasons["tg_closed"].pick(self.rng)
                if self.chance(0.3):
                    t.auszug = d(C + days(1), t.end)
                    t.accommodation, t.since = "PRIVAT", t.auszug
        elif population == "tue_au":
            begin = arrival(earliest, date(2018, 3, 31))
            zuzug = begin + days(self.between(60, 540))
            if zuzug > S - days(7):
                zuzug = d(begin + days(14), S - days(7))
            t = _Track(begin, "AU", zuzug, zuzug=zuzug, transferred=0)
        elif population == "tue_privat":
            begin = arrival(earliest, date(2017, 12, 31))
            if self.chance(0.6):
                zuzug = min(begin + days(self.between(60, 400)), S - days(60))
                auszug = d(zuzug + days(30), S - days(3))
                t = _Track(begin, "PRIVAT", auszug, zuzug=zuzug, auszug=auszug, transferred=0)
            else:
                t = _Track(begin, "PRIVAT", d(begin + days(30), S - days(3)), transferred=0)
        elif population == "au_late":
            begin = d(date(2016, 6, 1), date(2018, 2, 28))
            zuzug = d(max(C + days(1), begin + days(30)), S - days(3))
            t = _Track(begin, "AU", zuzug, zuzug=zuzug, transferred=1)
        elif population == "privat_early":
            begin = arrival(earliest, date(2017, 3, 31))
            zuzug = d(begin + days(30), min(begin + days(400), C - days(30)))
            auszug = d(zuzug + days(30), C)
            t = _Track(begin, "PRIVAT", auszug, zuzug=zuzug, auszug=auszug, transferred=1)
        elif population == "privat_late_au":
            begin = d(date(2016, 6, 1), date(2017, 12, 31))
            zuzug = d(max(C + days(1), begin + days(30)), date(2018, 5, 31))
            auszug = d(zuzug + days(30), S - days(3))
            t = _Track(begin, "PRIVAT", auszug, zuzug=zuzug, auszug=auszug, transferred=1)
        elif population == "privat_from_vu":
            begin = arrival(earliest, date(2018, 1, 31))
            t = _Track(begin, "PRIVAT", d(begin + days(30), S - days(3)), transferred=1)
        elif population == "vu":
            begin = d(date(2017, 9, 1), S - days(1))
            t = _Track(begin, "VU", begin)
        elif population == "closed_earlier":
            begin = d(earliest, date(2018, 2, 28))
            t = _Track(begin, "VU", begin)
            t.end = min(begin + days(self.between(30, 400)), date(2018, 7, 20))
            t.reason = self.reasons["closed_earlier"].pick(self.rng)
        else:  # new_after: arrived after the Stichtag
            begin = d(S + days(1), extract - days(14))
            t = _Track(begin, "VU", begin)
        t.over_max = over_max
        if over_max:
            if self.chance(r["extension_given"]):
                t.extension = self.pick(self.c.extension_reasons)
            elif self.chance(0.5):
                t.end, t.reason = d(S + days(1), extract - days(1)), "HOECHSTDAUER_ERREICHT"

        if t.end is None and population not in ("vu", "new_after"):
            # an earlier closed case (then a new one) for a few; closure after the Stichtag for some
            if not over_max and t.begin <= date(2016, 12, 31) and self.chance(r["earlier_case_household"]):
                old_end = t.begin + days(self.between(150, 400))
                t.earlier = (t.begin, old_end, self.reasons["earlier_case"].pick(self.rng))
                t.begin = min(
                    old_end + days(self.between(60, 300)), max(old_end + days(1), date(2018, 3, 15))
                )
            if self.chance(r["closed_after_stichtag"]):
                t.end = d(S + days(1), extract - days(1))
                t.reason = self.reasons["after_stichtag"].pick(self.rng)
        return t

    def members(self, size: int, nat: str, track: _Track, population: str) -> list[_Person]:
        r, rng = self.r, self.rng
        names = self.c.names[self.c.nationalities[nat].names]
        limit = track.zuzug or (track.since if track.accommodation == "PRIVAT" else track.begin)
        if track.earlier is not None:
            limit = min(limit, track.earlier[0])
        lim = limit.toordinal()
        family = self.pick(names.surnames)

        def born(age_years: float) -> date:
            return date.fromordinal(lim - int(age_years * 365.25) - int(rng.random() * 365))

        def given(sex: str) -> str:
            pool = names.male if sex == "MAENNLICH" else names.female
            first = self.pick(pool)
            if rng.random() < 0.1:
                second = self.pick(pool)
                if second != first:
                    return f"{first} {second}"
            return first

        out: list[_Person] = []
        if size == 1:
            sex = "MAENNLICH" if rng.random() < 0.8 else "WEIBLICH"
            out.append(self.person("HAUPTPERSON", sex, born(18 + rng.random() * 27), family, given(sex)))
            return out
        single_parent = rng.random() < r["single_parent"]
        head_age = 22 + rng.random() * 33
        if single_parent:
            head_sex = "WEIBLICH" if rng.random() < 0.85 else "MAENNLICH"
        else:
            head_sex = "MAENNLICH" if rng.random() < 0.85 else "WEIBLICH"
        out.append(self.person("HAUPTPERSON", head_sex, born(head_age), family, given(head_sex)))
        mother_age = head_age
        if not single_parent:
            partner_sex = "WEIBLICH" if head_sex == "MAENNLICH" else "MAENNLICH"
            partner_age = max(18.0, head_age + (rng.random() * 10 - 7 if partner_sex == "WEIBLICH" else 3))
            surname = family if rng.random() < 0.65 else self.pick(names.surnames)
            out.append(self.person("PARTNER", partner_sex, born(partner_age), surname, given(partner_sex)))
            if partner_sex == "WEIBLICH":
                mother_age = partner_age
        others = size - len(out)
        relative = others >= 2 and rng.random() < r["other_relative"]
        for i in range(others):
            if relative and i == others - 1:
                sex = "WEIBLICH" if rng.random() < 0.6 else "MAENNLICH"
                age = (
                    min(85.0, head_age + 20 + rng.random() * 10)
                    if rng.random() < 0.6
                    else 16 + rng.random() * 12
                )
                out.append(self.person("SONSTIGE_ANGEHOERIGE", sex, born(age), family, given(sex)))
                continue
            sex = "MAENNLICH" if rng.random() < 0.5 else "WEIBLICH"
            age = rng.random() * max(0.5, min(20.0, mother_age - 17))
            kid = self.person("KIND", sex, born(age), family, given(sex))
            if rng.random() < 0.003:
                kid.sex = "OHNE_ANGABE"
            out.append(kid)
        return out

    def person(self, role: str, sex: str, birth: date, surname: str, given: str) -> _Person:
        self.person_no += 1
        adult = _add_years(birth, 18) <= self.S
        return _Person(self.person_no, "", role, sex, birth, adult, surname, given)

    def person_fields(
        self,
        m: _Person,
        nat: str,
        status: str,
        municipality: str,
        t: _Track,
        hh_number: str | None,
        population: str,
    ) -> None:
        rng, r = self.rng, self.r
        first_day = (
            t.earlier[0] if t.earlier is not None and m.birth < t.earlier[0] else max(t.begin, m.birth)
        )
        created_day = (
            first_day if first_day >= self.enaio_since else self.day(self.enaio_since, self.migration_end)
        )
        m.created_day = created_day
        m.az = f"IM-{created_day.year}-{m.no:06d}"
        f = m.fields
        f["AKTENZEICHEN"] = m.az
        f["FAMILIENNAME"] = m.surname
        f["VORNAMEN"] = m.given
        if rng.random() > 0.02:
            f["GEBURTSDATUM"] = m.birth
        f["GESCHLECHT"] = m.sex
        if rng.random() > 0.005:
            f["STAATSANGEHOERIGKEIT"] = nat
        if population == "new_after":
            f["AUFENTHALTSSTATUS"] = "AUFENTHALTSGESTATTUNG"
            f["AUFENTHALTSSTATUS_SEIT"] = t.begin
        elif rng.random() > 0.02:
            f["AUFENTHALTSSTATUS"] = status
            if status != "UNBEKANNT":
                f["AUFENTHALTSSTATUS_SEIT"] = self.day(max(first_day, t.begin) + timedelta(days=20), self.S)
        f["UNTERBRINGUNGSART"] = t.accommodation
        f["UNTERBRINGUNG_SEIT"] = max(t.since, m.birth)
        f["WOHNKOMMUNE"] = municipality
        if t.transferred is not None:
            f["IM_UEBERTRAGEN"] = t.transferred
        if t.zuzug is not None:
            f["ZUZUG_AU"] = max(t.zuzug, m.birth)
        if t.auszug is not None:
            f["AUSZUG_AU"] = t.auszug
        if hh_number is not None:
            f["HAUSHALTSNUMMER"] = hh_number
            f["ROLLE_IM_HAUSHALT"] = m.role
        age_days = (self.S - m.birth).days
        if m.adult:
            if rng.random() < r["language_level_known"]:
                f["SPRACHNIVEAU_DEUTSCH"] = self.language.pick(rng)
                f["SPRACHNIVEAU_DATUM"] = self.day(
                    min(t.begin + timedelta(days=60), self.extract), self.extract
                )
            f["ERWERBSSTATUS"] = self.employment.pick(rng)
            f["ERWERBSSTATUS_SEIT"] = self.day(min(t.begin + timedelta(days=30), self.extract), self.extract)
        elif age_days >= 6 * 365:
            f["ERWERBSSTATUS"] = "SCHULE"
            f["ERWERBSSTATUS_SEIT"] = max(t.begin, m.birth) + timedelta(days=self.between(20, 90))

    def cases(self, m: _Person, t: _Track) -> None:
        number = m.no
        k = 0
        if t.earlier is not None and m.birth < t.earlier[0]:
            k += 1
            e_begin, e_end, _ = t.earlier
            m.earlier = _Case(f"FA-{number:06d}-{k}", e_begin, e_end)
        k += 1
        m.main = _Case(f"FA-{number:06d}-{k}", max(t.begin, m.birth), t.end)

    def fall_object(
        self, m: _Person, case: _Case, t: _Track, team: str, im: _Staff, login: str
    ) -> SeedObject:
        r = self.r
        f: dict[str, FieldValue] = {"FALLBEGINN": case.begin}
        max_until = _add_years(case.begin, 3)
        if case is m.earlier:
            f["FALLENDE"] = case.end or case.begin
            f["FALLSTATUS"] = "ABGESCHLOSSEN"
            f["ABSCHLUSSGRUND"] = t.earlier[2] if t.earlier is not None else "SONSTIGES"
        else:
            if t.extension is not None and max_until < self.S:
                f["VERLAENGERT_BIS"] = _add_years(case.begin, 4)
                f["BEGRUENDUNG_VERLAENGERUNG"] = t.extension
            if case.end is not None:
                f["FALLENDE"] = case.end
                f["FALLSTATUS"] = "ABGESCHLOSSEN"
                f["ABSCHLUSSGRUND"] = t.reason or "SONSTIGES"
            elif case.begin > self.S and self.chance(0.3):
                f["FALLSTATUS"] = "ANGEFRAGT"
            else:
                f["FALLSTATUS"] = "RUHEND" if self.chance(r["ruhend"]) else "AKTIV"
        f["INTEGRATIONSMANAGER"] = im.number
        f["REGIONALTEAM"] = team
        f["HOECHSTDAUER_BIS"] = max_until
        created_day = case.begin if case.begin >= self.enaio_since else (m.created_day or self.migration_end)
        created = self.ts(created_day)
        end_day = f.get("FALLENDE")
        modified = created
        if isinstance(end_day, date) and end_day >= created_day:
            modified = max(created, self.ts(end_day))
        klient_key = f"KL-{m.no:06d}"
        return SeedObject(case.key, FALL, klient_key, f, _NO_TABLES, created, login, modified, login)

    # --- documents ---------------------------------------------------

    def themes(self, lo: int, hi: int) -> str:
        n = self.between(lo, hi)
        picked = {self.foa.pick(self.rng) for _ in range(n)}
        return ";".join(sorted(picked, key=self.foa_order.__getitem__))

    def contact(
        self,
        case: _Case,
        day: date,
        kind: str,
        im: _Staff,
        login: str,
        *,
        others: str | None = None,
        channel: str | None = None,
        created_day: date | None = None,
    ) -> None:
        rng = self.rng
        f: dict[str, FieldValue] = {"DATUM": day, "KONTAKTART": kind}
        f["KANAL"] = channel or self.channel.pick(rng)
        lo, hi = _DURATION[kind]
        f["DAUER_MIN"] = 5 * self.between(lo // 5, hi // 5)
        f["THEMEN"] = self.themes(2, 4) if kind in ("SONDIERUNG", "PLANGESPRAECH") else self.themes(1, 3)
        f["DOLMETSCHUNG"] = 1 if rng.random() < self.r["interpreting"] else 0
        f["INTEGRATIONSMANAGER"] = im.number
        if others:
            f["WEITERE_TEILNEHMENDE"] = others
        if created_day is None:
            created_day = day + timedelta(days=self.between(0, 2))
            if self.P0 <= day <= date(2018, 7, 13) and rng.random() < self.r["backfilled_contact"]:
                # documentation in enaio became binding only in mid-July 2018: entries made afterwards
                created_day = self.day(max(day, date(2018, 7, 16)), self.S)
        created_day = min(created_day, self.extract)
        created = self.ts(created_day)
        modified = created
        if rng.random() < 0.15:
            modified = max(
                created, self.ts(min(created_day + timedelta(days=self.between(1, 10)), self.extract))
            )
        key = f"KO-{case.key[3:]}-{case.next_seq():03d}"
        case.docs.append(SeedObject(key, KONTAKT, case.key, f, _NO_TABLES, created, login, modified, login))

    def documents(
        self,
        members: list[_Person],
        population: str,
        t: _Track,
        im: _Staff,
        login: str,
        selected: int,
        n_plans: int,
    ) -> None:
        r, rng, extract = self.r, self.rng, self.extract
        head_case = _main(members[0])
        end = head_case.last_day(extract)
        july = date(2018, 7, 2)

        # Sondierung: in the report period for the selected members (exact quota), later for some others
        sond_day: date | None = None
        sond_members: list[_Person] = []
        if selected:
            latest = date(2018, 5, 31) if n_plans else date(2018, 6, 29)
            sond_day = self.workday(date(2018, 4, 3), latest)
            sond_members = members[:selected]
        elif population in _TG_POPULATIONS and rng.random() < r["later_sondierung_tg"]:
            sond_day = self.workday(july, min(end, date(2018, 11, 23)))
            sond_members = members
        elif population == "au_late" and rng.random() < r["later_sondierung_au_late"]:
            sond_day = self.workday(date(2018, 8, 1), min(end, date(2018, 11, 23)))
            sond_members = members
        if sond_day is not None:
            for m in sond_members:
                m.sondierung = sond_day
                channel = "HAUSBESUCH" if rng.random() < 0.3 else "PERSOENLICH"
                self.contact(_main(m), sond_day, "SONDIERUNG", im, login, channel=channel)

        # plans
        if sond_day is not None and sond_members:
            if n_plans:
                owners = sond_members[:n_plans]
                covered = [m.az for m in sond_members[n_plans:]]
                for j, owner in enumerate(owners):
                    agreed = self.workday(sond_day + timedelta(days=7), date(2018, 6, 29))
                    self.plan_series(
                        owner, _main(owner), sond_day, agreed, covered if j == 0 else [], im, login, t
                    )
            else:
                owner = sond_members[0]
                last = _main(owner).last_day(extract)
                u = rng.random()
                lo_agree = max(sond_day + timedelta(days=7), july)
                if u < r["later_plan_agreed"] and lo_agree <= last - timedelta(days=3):
                    agreed = self.workday(lo_agree, last - timedelta(days=3))
                    covered = [m.az for m in sond_members[1:]]
                    self.plan_series(owner, _main(owner), sond_day, agreed, covered, im, login, t)
                elif u < r["later_plan_agreed"] + r["plan_entwurf"] + r["plan_not_agreed"]:
                    status = (
                        "ENTWURF"
                        if u < r["later_plan_agreed"] + r["plan_entwurf"]
                        else "NICHT_ZUSTANDE_GEKOMMEN"
                    )
                    made = self.workday(sond_day + timedelta(days=3), max(sond_day + timedelta(days=3), last))
                    self.open_plan(_main(owner), made, status, im, login)

        # everyday contacts of the social service and the IM
        self.everyday_contacts(members, population, im, login)
        for m in members:
            if m.earlier is not None and m.earlier.end is not None and m.earlier.end > self.enaio_since:
                lo = max(m.earlier.begin, self.enaio_since)
                for _ in range(self.between(1, 2)):
                    self.contact(
                        m.earlier, self.workday(lo, m.earlier.end), self.contact_kind.pick(rng), im, login
                    )

        # consents and Jobcenter data
        for m in members:
            if not m.adult or m.main is None:
                continue
            case = m.main
            last = case.last_day(extract)
            if m.sondierung is not None:
                self.consent(case, "DATENVERARBEITUNG_IM", m.sondierung, login)
                if population in ("tg_au", "tg_privat", "au_late") and rng.random() < r["consent_jobcenter"]:
                    lo = max(self.jc_since, m.sondierung)
                    if lo <= last - timedelta(days=7):
                        self.jobcenter(m, case, self.workday(lo, last - timedelta(days=7)), last, im, login)
            elif population not in _SOCIAL_SERVICE_ONLY and rng.random() < r["consent_social_service"]:
                lo = max(case.begin, self.enaio_since)
                if lo <= last:
                    self.consent(case, "DATENVERARBEITUNG_IM", self.workday(lo, last), login)
            if population not in _SOCIAL_SERVICE_ONLY:
                lo = max(case.begin, date(2017, 6, 1))
                for purpose in ("EINBINDUNG_PATE", "AUSTAUSCH_AUSLAENDERBEHOERDE"):
                    key = "consent_pate" if purpose == "EINBINDUNG_PATE" else "consent_auslaenderbehoerde"
                    if rng.random() < r[key] and lo <= last:
                        self.consent(case, purpose, self.workday(lo, last), login)

    def everyday_contacts(self, members: list[_Person], population: str, im: _Staff, login: str) -> None:
        r, rng = self.r, self.rng
        head = members[0]
        head_case = _main(head)
        lo = max(head_case.begin, self.enaio_since)
        hi = head_case.last_day(self.extract)
        if hi < lo:
            return
        im_start = self.c.dates["funding_start"]
        rates: tuple[tuple[date, date, float], ...]
        if population in _SOCIAL_SERVICE_ONLY:
            rates = ((lo, hi, r["contacts_per_month_vu"]),)
        else:
            rates = (
                (lo, min(hi, im_start - timedelta(days=1)), r["contacts_per_month_before_im"]),
                (max(lo, im_start), hi, r["contacts_per_month_im"]),
            )
        weights = [4 if m.adult else 1 for m in members]
        total_w = sum(weights)
        for a, b, rate in rates:
            if b < a:
                continue
            n = int((b - a).days / 30.4 * rate + rng.random())
            for _ in range(n):
                day = self.workday(a, b)
                kind = self.contact_kind.pick(rng)
                if len(members) > 1 and kind != "KURZKONTAKT" and rng.random() < r["household_contact"]:
                    present = [m.az for m in members[1:] if m.main is not None and m.main.begin <= day]
                    if present:
                        if rng.random() < 0.5:
                            present = present[: self.between(1, len(present))]
                        self.contact(head_case, day, kind, im, login, others=";".join(present))
                        continue
                x = rng.random() * total_w
                who = head
                for m, w in zip(members, weights, strict=True):
                    x -= w
                    if x < 0:
                        who = m
                        break
                case = who.main if who.main is not None and who.main.begin <= day else head_case
                self.contact(case, day, kind, im, login)

    def goals(self, agreed: date, until: date, n: int) -> list[dict[str, FieldValue]]:
        rng = self.rng
        rows: list[dict[str, FieldValue]] = []
        used: set[str] = set()
        for _ in range(n):
            key = self.foa.pick(rng)
            if key in used:
                continue
            used.add(key)
            foa = self.c.fields_of_action[key]
            row: dict[str, FieldValue] = {"HANDLUNGSFELD": key, "ZIEL": self.pick(foa.goals)}
            if rng.random() < 0.7:
                row["MASSNAHME"] = self.pick(foa.steps)
            row["VERANTWORTLICH"] = self.pick(foa.responsible)
            row["FRIST"] = agreed + timedelta(days=self.between(60, 270))
            status = self.goal_status.pick(rng)
            row["ZIELSTATUS"] = status
            row["STATUSDATUM"] = agreed if status == "OFFEN" else self.workday(agreed, until)
            rows.append(row)
        return rows

    def plan_series(
        self,
        owner: _Person,
        case: _Case,
        sond_day: date,
        agreed: date,
        covered: list[str],
        im: _Staff,
        login: str,
        t: _Track,
    ) -> None:
        """An agreed initial plan (version 0), possibly with a Fortschreibung (version 1) after the period."""
        r, rng, extract = self.r, self.rng, self.extract
        last = case.last_day(extract)
        made = self.workday(sond_day, agreed)
        v1: tuple[date, date] | None = None
        if case.end is None and agreed <= date(2018, 8, 31) and rng.random() < r["fortschreibung"]:
            v1_made = self.workday(max(agreed + timedelta(days=30), date(2018, 9, 3)), date(2018, 11, 16))
            v1 = (v1_made, self.workday(v1_made, min(v1_made + timedelta(days=10), extract)))
        status = "VEREINBART"
        status_change: date | None = None
        if v1 is not None:
            status, status_change = "FORTGESCHRIEBEN", v1[0]
        elif case.end is not None and t.reason == "ZIELE_ERREICHT_SELBSTSTAENDIG":
            status, status_change = "ABGESCHLOSSEN", case.end
        until = v1[0] if v1 is not None else last
        n_goals = 0 if rng.random() < r["plan_without_goals"] else self.between(1, 5)
        rows = self.goals(agreed, until, n_goals)
        self.contact(case, agreed, "PLANGESPRAECH", im, login, others=";".join(covered) or None)
        self.plan(case, 0, made, agreed, status, rows, covered, im, login, owner, status_change)
        if v1 is not None:
            carried = [dict(row) for row in rows if row["ZIELSTATUS"] not in ("ERREICHT", "VERWORFEN")]
            for row in carried:
                row["ZIELSTATUS"] = self.goal_status.pick(rng)
                row["STATUSDATUM"] = v1[1] if row["ZIELSTATUS"] == "OFFEN" else self.workday(v1[1], extract)
            rows1 = carried + self.goals(v1[1], extract, 1)
            self.contact(case, v1[1], "PLANGESPRAECH", im, login, others=";".join(covered) or None)
            self.plan(case, 1, v1[0], v1[1], "VEREINBART", rows1, covered, im, login, owner, None)

    def plan(
        self,
        case: _Case,
        version: int,
        made: date,
        agreed: date,
        status: str,
        rows: list[dict[str, FieldValue]],
        covered: list[str],
        im: _Staff,
        login: str,
        owner: _Person,
        status_change: date | None,
    ) -> None:
        rng = self.rng
        kind = "INTEGRATIONSPLAN" if rng.random() < 0.15 else "INTEGRATIONSZIELVEREINBARUNG"
        f: dict[str, FieldValue] = {
            "PLANART": kind,
            "PLANVERSION": version,
            "ERSTELLT_AM": made,
            "VEREINBART_AM": agreed,
            "PLANSTATUS": status,
            "NAECHSTE_UEBERPRUEFUNG": agreed + timedelta(days=91 if rng.random() < 0.6 else 182),
            "UNTERSCHRIFT_KLIENT": 1 if rng.random() < 0.93 else 0,
            "INTEGRATIONSMANAGER": im.number,
        }
        if covered:
            f["WEITERE_PERSONEN"] = ";".join(covered)
        files: tuple[SeedFile, ...] = ()
        if rng.random() < self.r["plan_file"]:
            title = "Integrationsplan" if kind == "INTEGRATIONSPLAN" else "Integrationszielvereinbarung"
            if rng.random() < 0.7:
                lines = [
                    title,
                    f"Aktenzeichen {owner.az}",
                    f"Version {version}, vereinbart am {agreed:%d.%m.%Y}",
                    "Handlungsfelder: " + ", ".join(str(row["HANDLUNGSFELD"]) for row in rows),
                ]
                files = (SeedFile(f"{title}_{owner.az}_v{version}.pdf", "application/pdf", _tiny_pdf(lines)),)
            else:
                text = f"{title} {owner.az} Version {version}\nvereinbart am {agreed:%d.%m.%Y}\n"
                files = (SeedFile(f"Notiz_{owner.az}_v{version}.txt", "text/plain", text.encode("utf-8")),)
        created = self.ts(made)
        modified = max(created, self.ts(agreed))
        if status_change is not None:
            modified = max(modified, self.ts(status_change))
        key = f"PL-{case.key[3:]}-{version + 1}"
        tables = {"ZIELE": rows} if rows else _NO_TABLES
        case.docs.append(SeedObject(key, PLAN, case.key, f, tables, created, login, modified, login, files))

    def open_plan(self, case: _Case, made: date, status: str, im: _Staff, login: str) -> None:
        """A draft or a plan that never came about: version 0 without an agreement date."""
        f: dict[str, FieldValue] = {
            "PLANART": "INTEGRATIONSZIELVEREINBARUNG",
            "PLANVERSION": 0,
            "ERSTELLT_AM": made,
            "PLANSTATUS": status,
            "INTEGRATIONSMANAGER": im.number,
        }
        rows = self.goals(made, made, self.between(0, 2))
        for row in rows:
            row["ZIELSTATUS"] = "OFFEN"
            row["STATUSDATUM"] = made
        created = self.ts(made)
        tables = {"ZIELE": rows} if rows else _NO_TABLES
        key = f"PL-{case.key[3:]}-1"
        case.docs.append(SeedObject(key, PLAN, case.key, f, tables, created, login, created, login))

    def consent(
        self,
        case: _Case,
        purpose: str,
        given: date,
        login: str,
        *,
        last: date | None = None,
    ) -> tuple[date | None, date | None]:
        r, rng = self.r, self.rng
        f: dict[str, FieldValue] = {"ZWECK": purpose}
        recipient = self.c.recipients.get(purpose)
        if recipient is not None:
            f["EMPFAENGER"] = recipient
        f["ERTEILT_AM"] = given
        withdrawn: date | None = None
        valid_to: date | None = None
        if last is not None and rng.random() < r["consent_withdrawn"] and given + timedelta(days=10) <= last:
            withdrawn = self.workday(given + timedelta(days=10), last)
            f["WIDERRUFEN_AM"] = withdrawn
        if rng.random() < r["consent_validity"]:
            valid_to = _add_years(given, 2)
            f["GUELTIG_BIS"] = valid_to
        created = self.ts(given)
        modified = max(created, self.ts(withdrawn)) if withdrawn is not None else created
        key = f"EW-{case.key[3:]}-{case.next_seq():03d}"
        case.docs.append(
            SeedObject(key, EINWILLIGUNG, case.key, f, _NO_TABLES, created, login, modified, login)
        )
        return withdrawn, valid_to

    def jobcenter(self, m: _Person, case: _Case, given: date, last: date, im: _Staff, login: str) -> None:
        rng = self.rng
        withdrawn, _ = self.consent(case, "AUSTAUSCH_JOBCENTER", given, login, last=last)
        if rng.random() >= self.r["jobcenter_data"]:
            return
        hi = (withdrawn - timedelta(days=1)) if withdrawn is not None else last
        if hi <= given:
            return
        jc = self.c.jobcenter
        sent = self.workday(given + timedelta(days=1), hi)
        f: dict[str, FieldValue] = {"UEBERMITTELT_AM": sent}
        f["SCHULABSCHLUSS"] = self.school.pick(rng)
        f["BERUFSAUSBILDUNG"] = self.pick(jc["training"])
        f["BERUFSERFAHRUNG"] = self.pick(jc["experience"])
        f["ANERKENNUNGSVERFAHREN"] = self.recognition.pick(rng)
        level = m.fields.get("SPRACHNIVEAU_DEUTSCH")
        if isinstance(level, str):
            f["SPRACHNIVEAU"] = level
        f["ARBEITSWUNSCH"] = self.pick(jc["wish"])
        created = self.ts(sent)
        key = f"JC-{case.key[3:]}-{case.next_seq():03d}"
        case.docs.append(SeedObject(key, JC_DATEN, case.key, f, _NO_TABLES, created, login, created, login))

    # --- emitting ----------------------------------------------------

    def emit_person(self, m: _Person, t: _Track, im: _Staff, login: str) -> Iterator[SeedObject]:
        f = m.fields
        created_day = m.created_day or self.migration_end
        created = self.ts(created_day)
        last_change = created_day
        for name in ("UNTERBRINGUNG_SEIT", "AUSZUG_AU", "SPRACHNIVEAU_DATUM", "ERWERBSSTATUS_SEIT"):
            value = f.get(name)
            if isinstance(value, date) and value > last_change:
                last_change = value
        modified = (
            max(created, self.ts(min(last_change, self.extract))) if last_change > created_day else created
        )
        key = f"KL-{m.no:06d}"
        yield SeedObject(key, KLIENT, None, f, _NO_TABLES, created, login, modified, login)
        team = str(self.c.municipalities[str(f["WOHNKOMMUNE"])].team)
        for case in (m.earlier, m.main):
            if case is None:
                continue
            yield self.fall_object(m, case, t, team, im, login)
            case.docs.sort(key=lambda doc: (doc.created, doc.key))
            yield from case.docs

    # --- legacy records ----------------------------------------------

    def legacy(self) -> Iterator[SeedObject]:
        """Migrated records from the social service's old system, some without required index data."""
        im = self.teams["TUEBINGEN"][0]
        login = im.login
        names = self.c.names["arab"]

        def stamp(day: date) -> datetime:
            return self.ts(day)

        def obj(
            key: str, type_name: str, parent: str | None, fields: dict[str, FieldValue], day: date
        ) -> SeedObject:
            moment = stamp(day)
            return SeedObject(key, type_name, parent, fields, _NO_TABLES, moment, login, moment, login)

        migration = date(2017, 2, 14)
        yield obj(
            "KL-ALT-0001",
            KLIENT,
            None,
            {
                "AKTENZEICHEN": "IM-ALT-0001",
                "FAMILIENNAME": self.pick(names.surnames),
                "VORNAMEN": self.pick(names.female),
                "GEBURTSDATUM": date(1979, 3, 4),
                "STAATSANGEHOERIGKEIT": "SYR",
                "UNTERBRINGUNGSART": "PRIVAT",
                "UNTERBRINGUNG_SEIT": date(2016, 3, 1),
                "WOHNKOMMUNE": "Tübingen",
                "IM_UEBERTRAGEN": 0,
            },
            migration,
        )
        fall1: dict[str, FieldValue] = {
            "FALLBEGINN": date(2016, 2, 15),
            "FALLENDE": date(2018, 7, 13),
            "FALLSTATUS": "ABGESCHLOSSEN",
            "ABSCHLUSSGRUND": "WEGZUG",
            "INTEGRATIONSMANAGER": im.number,
            "REGIONALTEAM": "TUEBINGEN",
            "HOECHSTDAUER_BIS": date(2019, 2, 15),
        }
        yield obj("FA-ALT-0001-1", FALL, "KL-ALT-0001", dict(fall1), migration)
        base: dict[str, FieldValue] = {"KANAL": "PERSOENLICH", "INTEGRATIONSMANAGER": im.number}
        yield obj(
            "KO-ALT-0001-1-001",
            KONTAKT,
            "FA-ALT-0001-1",
            {"DATUM": date(2017, 5, 10), "KONTAKTART": "BERATUNG", **base},
            date(2017, 5, 10),
        )
        yield obj(
            "KO-ALT-0001-1-002",
            KONTAKT,
            "FA-ALT-0001-1",
            {"DATUM": date(2018, 5, 14), **base},
            date(2018, 5, 14),
        )
        yield obj(
            "KO-ALT-0001-1-003",
            KONTAKT,
            "FA-ALT-0001-1",
            {"KONTAKTART": "BERATUNG", **base},
            date(2018, 6, 4),
        )
        yield obj(
            "PL-ALT-0001-1-1",
            PLAN,
            "FA-ALT-0001-1",
            {
                "PLANART": "INTEGRATIONSPLAN",
                "PLANVERSION": 0,
                "ERSTELLT_AM": date(2018, 5, 14),
                "VEREINBART_AM": date(2018, 5, 28),
                "INTEGRATIONSMANAGER": im.number,
            },
            date(2018, 5, 28),
        )
        fall2: dict[str, FieldValue] = {
            "FALLBEGINN": date(2015, 11, 2),
            "FALLENDE": date(2016, 1, 31),
            "FALLSTATUS": "ABGESCHLOSSEN",
            "ABSCHLUSSGRUND": "SONSTIGES",
            "INTEGRATIONSMANAGER": im.number,
            "HOECHSTDAUER_BIS": date(2018, 11, 2),
        }
        yield obj("FA-ALT-0001-2", FALL, "KL-ALT-0001", fall2, migration)
        yield obj(
            "KL-ALT-0002",
            KLIENT,
            None,
            {
                "AKTENZEICHEN": "IM-ALT-0002",
                "FAMILIENNAME": self.pick(names.surnames),
                "VORNAMEN": self.pick(names.male),
                "GESCHLECHT": "MAENNLICH",
                "STAATSANGEHOERIGKEIT": "IRQ",
            },
            migration,
        )
        yield obj(
            "KL-ALT-0003",
            KLIENT,
            None,
            {
                "AKTENZEICHEN": "IM-ALT-0003",
                "FAMILIENNAME": self.pick(names.surnames),
                "VORNAMEN": self.pick(names.male),
                "GEBURTSDATUM": date(1990, 8, 21),
                "GESCHLECHT": "MAENNLICH",
                "STAATSANGEHOERIGKEIT": "XXX",
                "UNTERBRINGUNGSART": "VU",
                "UNTERBRINGUNG_SEIT": date(2016, 9, 12),
                "WOHNKOMMUNE": "Tübingen",
            },
            migration,
        )
        yield obj(
            "FA-ALT-0003-1",
            FALL,
            "KL-ALT-0003",
            {
                "FALLBEGINN": date(2016, 9, 12),
                "FALLENDE": date(2017, 6, 30),
                "FALLSTATUS": "ABGESCHLOSSEN",
                "ABSCHLUSSGRUND": "AUSREISE",
                "REGIONALTEAM": "TUEBINGEN",
                "HOECHSTDAUER_BIS": date(2019, 9, 12),
            },
            migration,
        )
        yield obj(
            "EW-ALT-0003-1-1", EINWILLIGUNG, "FA-ALT-0003-1", {"ERTEILT_AM": date(2017, 2, 1)}, migration
        )


_DURATION: Final[Mapping[str, tuple[int, int]]] = {
    "SONDIERUNG": (60, 120),
    "PLANGESPRAECH": (45, 90),
    "BERATUNG": (30, 90),
    "BEGLEITUNG": (60, 240),
    "FALLKONFERENZ": (45, 90),
    "KURZKONTAKT": (5, 15),
    "GRUPPENANGEBOT": (90, 120),
}
