"""The counting rules K01–K18, Z01–Z02 and B01 (docs/kennzahlen.md), one function per Kennzahl.

Each function reads `Facts` and returns its cells: `{(): total, (("dim", "value"),): count, ...}`. Counts of
persons are distinct Aktenzeichen, counts of events distinct enaio ids, so a household contact counts once as
a Gespräch and once for every person it reached.

Incomplete records: a record without a describing field counts in every figure that does not need it and in
the "unbekannt" cell of a breakdown by it. Where a figure needs the field to decide whether the record counts
at all (a contact without Kontaktart, a plan without Planstatus, a consent without Zweck, a record the mapping
layer quarantined because it cannot be placed), the rule notes it in `Uncounted` with a German reason
(`KennzahlenResult.nicht_zaehlbar`) instead of silently counting fewer.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

from jobs.kennzahlen.breakdowns import (
    ORG_DIMS,
    PERSON_DIMS,
    SONSTIGE,
    UNBEKANNT,
    Dims,
    cell,
    top_nationalities,
)
from jobs.kennzahlen.facts import CaseFacts, Facts, PersonFacts, PlanFacts
from schemas import hoechstdauer_bis

__all__ = [
    "METRICS",
    "NEEDS",
    "QUARANTINE_AFFECTS",
    "RATIO_BASIS",
    "REQUIRED_ENTITIES",
    "Cells",
    "Context",
    "Metric",
    "Uncounted",
    "evaluate",
    "quarantine_reason",
]

Value = int | Decimal | None
Cells = dict[Dims, Value]
Kind = Literal["count", "ratio", "vzae"]

BERATUNGSGESPRAECH: Final = frozenset(
    {"SONDIERUNG", "BERATUNG", "PLANGESPRAECH", "BEGLEITUNG", "FALLKONFERENZ"}
)
"""Kontaktarten that are Beratungsgespräche (K02, K03); KURZKONTAKT and GRUPPENANGEBOT are not."""
SONDIERUNG: Final = "SONDIERUNG"
B1_PLUS: Final = frozenset({"B1", "B2", "C1", "C2"})
ZIEL_BEWERTET: Final = ("ERREICHT", "TEILWEISE_ERREICHT", "NICHT_ERREICHT")
ZIEL_ABSCHLUSS: Final = frozenset({*ZIEL_BEWERTET, "VERWORFEN"})
_HUNDRED: Final = Decimal(100)


@dataclass(frozen=True, slots=True)
class Metric:
    code: str
    name: str
    unit: str
    kind: Kind
    dims: tuple[str, ...]
    at_stichtag: bool = False
    """The value describes the Stichtag (its record carries `stichtag`), not the period."""
    suppressible: bool = True


_ALL = PERSON_DIMS + ORG_DIMS

METRICS: Final[tuple[Metric, ...]] = (
    Metric("Z01", "Personen in der Zielgruppe (Stichtag Zielgruppe)", "Personen", "count",
           ("kommune", "geschlecht", "altersgruppe", "staatsangehoerigkeit", "aufenthaltsstatus")),
    Metric("Z02", "Zielgruppe durch Sondierungs-/Clearinggespräch im Zeitraum erreicht", "Personen", "count",
           ("kommune", "regionalteam")),
    Metric("Z02q", "Anteil der Zielgruppe durch Sondierung erreicht", "Prozent", "ratio", ()),
    Metric("B01", "Betreute Personen am Stichtag nach Unterbringungsart", "Personen", "count",
           ("unterbringungsart",), at_stichtag=True),
    Metric("K01", "VZÄ im Integrationsmanagement", "VZÄ", "vzae", ("regionalteam", "integrationsmanager"),
           suppressible=False),
    Metric("K01n", "Integrationsmanager*innen (förderfähig)", "Personen", "count", ("regionalteam",),
           suppressible=False),
    Metric("K02", "Beratene Personen", "Personen", "count", _ALL),
    Metric("K03", "Beratungsgespräche", "Gespräche", "count", _ALL),
    Metric("K04", "Sondierungs-/Clearinggespräche (Erstgespräche)", "Gespräche", "count", _ALL),
    Metric("K04p", "Durch Sondierungsgespräche erreichte Personen", "Personen", "count", _ALL),
    Metric("K05d", "Neue Integrationspläne (je Plan)", "Pläne", "count", _ALL),
    Metric("K05p", "Neue Integrationspläne (je einbezogene Person)", "Personen", "count", _ALL),
    Metric("K06", "Fortschreibungen von Integrationsplänen", "Pläne", "count", _ALL),
    Metric("K07", "Personen mit gültigem Integrationsplan am Stichtag", "Personen", "count",
           (*PERSON_DIMS, "regionalteam"), at_stichtag=True),
    Metric("K07q", "Anteil betreuter Personen mit gültigem Integrationsplan", "Prozent", "ratio", (),
           at_stichtag=True),
    Metric("K08", "Themen der Beratungsgespräche (Nennungen)", "Nennungen", "count", ("handlungsfeld",)),
    Metric("K08q", "Anteil der Beratungsgespräche mit diesem Thema", "Prozent", "ratio", ("handlungsfeld",)),
    Metric("K09", "Ziele nach Handlungsfeld und Status (Ende Zeitraum)", "Ziele", "count",
           ("handlungsfeld", "zielstatus")),
    Metric("K09q", "Zielerreichungsquote", "Prozent", "ratio", ()),
    Metric("K10", "Neuaufnahmen (Fallbeginn im Zeitraum)", "Fälle", "count", _ALL),
    Metric("K11", "Aktive Fälle am Stichtag", "Fälle", "count", _ALL, at_stichtag=True),
    Metric("K11p", "Betreute Personen am Stichtag", "Personen", "count", _ALL, at_stichtag=True),
    Metric("K12", "Abgeschlossene Fälle (Fallende im Zeitraum)", "Fälle", "count",
           ("abschlussgrund", "regionalteam", "integrationsmanager")),
    Metric("K13", "Aktive Fälle über der Höchstdauer am Stichtag", "Fälle", "count",
           ("verlaengerung", "regionalteam"), at_stichtag=True),
    Metric("K14", "Betreuungsquote (AU)", "Prozent", "ratio", (), at_stichtag=True),
    Metric("K15", "Betreuungsschlüssel (betreute Personen je VZÄ)", "Personen je VZÄ", "ratio", (),
           at_stichtag=True),
    Metric("K16", "Anteil Erwachsener mit Sprachniveau B1 oder höher", "Prozent", "ratio", (),
           at_stichtag=True),
    Metric("K17", "Auszüge aus der Anschlussunterbringung in Privatwohnung", "Personen", "count",
           ("kommune", "zielgruppe")),
    Metric("K18", "Anteil Erwachsener mit Einwilligung Datenaustausch Jobcenter", "Prozent", "ratio", (),
           at_stichtag=True),
)  # fmt: skip

METRIC_BY_CODE: Final[Mapping[str, Metric]] = {m.code: m for m in METRICS}

REQUIRED_ENTITIES: Final = ("klient", "beratungsfall")
"""Without persons and cases no Kennzahl means anything: a site must map these two."""
NEEDS: Final[Mapping[str, tuple[str, ...]]] = {
    "mitarbeitende": ("K01", "K01n", "K15"),
    "kontakt": ("Z02", "Z02q", "K02", "K03", "K04", "K04p", "K08", "K08q"),
    "integrationsplan": ("K05d", "K05p", "K06", "K07", "K07q", "K09", "K09q"),
    "einwilligung": ("K18",),
}
"""The Kennzahlen that read an optional entity; a site that does not map it gets them as "not computed"."""
RATIO_BASIS: Final[Mapping[str, str]] = {"K08q": "K08"}
"""Share cells hidden exactly where the count they are a share of is hidden."""

CONTACT_COUNTS: Final = ("K02", "K03", "K04", "K04p", "K08")
QUARANTINE_AFFECTS: Final[Mapping[str, tuple[str, ...]]] = {
    "klient": ("Z01", "K17"),
    "beratungsfall": ("B01", "K07", "K10", "K11", "K11p", "K12", "K13"),
    "kontakt": ("Z02", *CONTACT_COUNTS),
    "integrationsplan": ("K05d", "K05p", "K06", "K07", "K09"),
    "einwilligung": ("K18",),
    "mitarbeitende": ("K01", "K01n"),
}
"""Figures a quarantined record of an entity might have counted in: they report it as not countable."""

KONTAKTART_FEHLT: Final = "Gesprächsvermerk ohne Kontaktart"
PLANSTATUS_FEHLT: Final = "Integrationsplan ohne Planstatus"
ZWECK_FEHLT: Final = "Einwilligung ohne Zweck"
UNTERBRINGUNG_FEHLT: Final = "Klientenakte ohne Unterbringungsart"
_NOUNS: Final[Mapping[str, str]] = {
    "klient": "Klientenakte",
    "beratungsfall": "Beratungsfall",
    "kontakt": "Gesprächsvermerk",
    "integrationsplan": "Integrationsplan",
    "einwilligung": "Einwilligung",
    "mitarbeitende": "Mitarbeitenden-Datensatz",
}
_DATES: Final = frozenset({"datum", "fallbeginn", "erteilt_am", "gueltig_ab", "vereinbart_am"})
_LINKS: Final = frozenset({"aktenzeichen", "fall_enaio_id", "klient_enaio_id"})


def quarantine_reason(entity: str, fields: Iterable[str | None]) -> str:
    """German reason for a quarantined record from its failing schema fields (date, link, other)."""
    names = {name for name in fields if name}
    noun = _NOUNS.get(entity, entity)
    if names & _DATES:
        what = "ohne gültiges Datum"
    elif names & _LINKS:
        what = "ohne Zuordnung zu Fall oder Klientenakte"
    elif entity == "mitarbeitende" and names & {"personalnummer", "vzae"}:
        what = "ohne gültige Personalnummer oder VZÄ"
    else:
        what = "mit fehlenden oder ungültigen Pflichtangaben"
    return f"{noun} {what} (Quarantäne)"


class Uncounted:
    """Records a figure could not count, per Kennzahl and German reason (distinct records)."""

    def __init__(self) -> None:
        self._units: dict[str, dict[str, set[Hashable]]] = {}

    def add(self, code: str, reason: str, unit: Hashable) -> None:
        self._units.setdefault(code, {}).setdefault(reason, set()).add(unit)

    def counts(self) -> dict[str, dict[str, int]]:
        """Kennzahl code -> {reason -> number of records}; only non-empty entries, in METRICS order."""
        order = {m.code: index for index, m in enumerate(METRICS)}
        return {
            code: {reason: len(units) for reason, units in sorted(by_reason.items()) if units}
            for code, by_reason in sorted(self._units.items(), key=lambda item: order.get(item[0], 99))
            if any(by_reason.values())
        }


class Parts:
    """(dimension, value) tuples numbered once per evaluation, so `Tally` files units under small ints."""

    def __init__(self) -> None:
        self.table: list[Dims] = []
        self._ids: dict[Dims, int] = {}

    def id(self, dims: Dims) -> int:
        found = self._ids.get(dims)
        if found is None:
            found = self._ids[dims] = len(self.table)
            self.table.append(dims)
        return found


class Tally:
    """Distinct units per cell; only the metric's own dimensions are kept.

    A unit is filed under each part of its dimension values (`add_parts`: a person's, a case's; parts never
    share a dimension), and the one-dimensional cells are counted from the distinct parts in `cells`. Many
    units share a part, so at a million records that is a set insertion per part instead of building and
    hashing a cell key per dimension.
    """

    def __init__(self, metric: Metric, parts: Parts) -> None:
        self._dims = frozenset(metric.dims)
        self._parts = parts
        self._units: defaultdict[int, set[Hashable]] = defaultdict(set)
        self._cells: defaultdict[Dims, set[Hashable]] = defaultdict(set)

    def add(self, unit: Hashable, dims: Mapping[str, str]) -> None:
        self._units[self._parts.id(tuple(dims.items()))].add(unit)

    def add_parts(self, unit: Hashable, part: int, *more: int) -> None:
        """`part`, `more`: ids from `Parts.id` whose pairs together are the unit's dimension values."""
        units = self._units
        units[part].add(unit)
        for other in more:
            units[other].add(unit)

    def add_cell(self, unit: Hashable, dims: Dims) -> None:
        self._cells[dims].add(unit)

    def cells(self) -> Cells:
        total: set[Hashable] = set()
        units: dict[Dims, set[Hashable]] = {(): total}
        table, dims = self._parts.table, self._dims
        for part, members in self._units.items():
            total |= members
            for pair in table[part]:
                if pair[0] in dims:
                    found = units.get((pair,))
                    if found is None:
                        units[(pair,)] = set(members)
                    else:
                        found |= members
        for cell_dims, members in self._cells.items():
            units.setdefault(cell_dims, set()).update(members)
        return {cell_dims: len(members) for cell_dims, members in units.items()}


class Context:
    """Facts plus the person-dimension lookup (nationality top n is chosen over all persons read)."""

    def __init__(self, facts: Facts, uncounted: Uncounted | None = None) -> None:
        self.facts = facts
        self.period = facts.period
        self.params = facts.params
        self.uncounted = uncounted if uncounted is not None else Uncounted()
        self._top = top_nationalities(
            (p.staatsangehoerigkeit for p in facts.persons.values()), self.params.breakdowns.nationality_top_n
        )
        self.parts = Parts()
        self._person_parts: dict[str, int] = {}
        self._case_parts: dict[tuple[str, str], int] = {}
        self._ages: dict[tuple[date | None, date], str] = {}
        self._active: list[CaseFacts] | None = None

    def person_dims(self, akz: str, on: date | None = None) -> dict[str, str]:
        if on is None:  # the Stichtag: kept once per person, as a part
            return dict(self.parts.table[self.person_part(akz)])
        person = self.facts.persons.get(akz)
        return _unknown_person() if person is None else self._dims_of(person, on)

    def _age_group(self, geburtsdatum: date | None, day: date) -> str:
        """Many people share a birthday: each (birthday, day) is looked up in the bands once."""
        key = (geburtsdatum, day)
        found = self._ages.get(key)
        if found is None:
            found = self._ages[key] = self.params.age_group(geburtsdatum, day)
        return found

    def _dims_of(self, p: PersonFacts, day: date) -> dict[str, str]:
        nat = p.staatsangehoerigkeit
        return {
            "geschlecht": p.geschlecht,
            "altersgruppe": self._age_group(p.geburtsdatum, day),
            "staatsangehoerigkeit": UNBEKANNT if nat is None else (nat if nat in self._top else SONSTIGE),
            "aufenthaltsstatus": p.aufenthaltsstatus or UNBEKANNT,
            "unterbringungsart": p.unterbringung_stichtag,
            "kommune": p.kommune,
            "zielgruppe": "ja" if p.zielgruppe else "nein",
        }

    def case_dims(self, fall_id: int, im: str | None = None) -> dict[str, str]:
        case = self.facts.cases.get(fall_id)
        return {
            "regionalteam": case.team if case else UNBEKANNT,
            "integrationsmanager": im or (case.im if case else UNBEKANNT),
        }

    def tally(self, code: str) -> Tally:
        return Tally(METRIC_BY_CODE[code], self.parts)

    def part(self, dims: Dims) -> int:
        return self.parts.id(dims)

    def person_part(self, akz: str) -> int:
        """`person_dims` on the Stichtag as a part for `Tally.add_parts` (one int per person, not a dict)."""
        found = self._person_parts.get(akz)
        if found is None:
            person = self.facts.persons.get(akz)
            dims = _unknown_person() if person is None else self._dims_of(person, self.period.stichtag)
            found = self._person_parts[akz] = self.parts.id(tuple(dims.items()))
        return found

    def case_part(self, fall_id: int, im: str | None = None) -> int:
        """`case_dims` as a part for `Tally.add_parts`, kept per (team, Integrationsmanager*in): far fewer
        than cases."""
        case = self.facts.cases.get(fall_id)
        team = case.team if case else UNBEKANNT
        name = im or (case.im if case else UNBEKANNT)
        found = self._case_parts.get((team, name))
        if found is None:
            dims = (("regionalteam", team), ("integrationsmanager", name))
            found = self._case_parts[(team, name)] = self.parts.id(dims)
        return found

    def is_adult(self, akz: str) -> bool:
        person = self.facts.persons.get(akz)
        return person is not None and self.params.is_adult(person.geburtsdatum, self.period.stichtag)

    def in_zielgruppe(self, akz: str) -> bool:
        person = self.facts.persons.get(akz)
        return person is not None and person.zielgruppe

    def active_cases(self) -> list[CaseFacts]:
        if self._active is None:  # asked by several rules; the cases do not change during an evaluation
            stichtag = self.period.stichtag
            self._active = [c for c in self.facts.cases.values() if c.active_on(stichtag)]
        return self._active


_VERLAENGERUNG: Final[Mapping[bool, Dims]] = {
    True: (("verlaengerung", "mit_begruendung"),),
    False: (("verlaengerung", "ohne"),),
}


def _unknown_person() -> dict[str, str]:
    return dict.fromkeys(PERSON_DIMS, UNBEKANNT) | {"zielgruppe": "nein"}


def percent(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) * _HUNDRED / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --- the rules ---


def z01(ctx: Context) -> Cells:
    tally = ctx.tally("Z01")
    cutoff = ctx.params.zielgruppe.cutoff
    for akz, person in ctx.facts.persons.items():
        if person.zielgruppe:
            tally.add(akz, ctx.person_dims(akz, on=cutoff))
    return tally.cells()


def z02(ctx: Context) -> Cells:
    tally = ctx.tally("Z02")
    for c in ctx.facts.contacts:
        if c.kontaktart is None:
            if any(ctx.in_zielgruppe(akz) for akz in (c.akz, *c.weitere)):
                ctx.uncounted.add("Z02", KONTAKTART_FEHLT, c.contact_id)
            continue
        if c.kontaktart != SONDIERUNG:
            continue
        org = ctx.case_part(c.fall_id, c.im)
        for akz in (c.akz, *c.weitere):
            if ctx.in_zielgruppe(akz):
                tally.add_parts(akz, ctx.person_part(akz), org)
    return tally.cells()


def b01(ctx: Context) -> Cells:
    tally = ctx.tally("B01")
    for case in ctx.active_cases():
        tally.add_parts(case.akz, ctx.person_part(case.akz))
    return tally.cells()


def _months(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months touched by [start, end], each clipped to it."""
    months: list[tuple[date, date]] = []
    first = start
    while True:
        last = min(end, date(first.year, first.month, calendar.monthrange(first.year, first.month)[1]))
        months.append((first, last))
        if last >= end:
            return months
        first = last + timedelta(days=1)  # never past `end`, so never past 9999-12-31


def _days(first: date, last: date) -> int:
    return max(0, (last - first).days + 1)


def k01(ctx: Context) -> tuple[Cells, Cells]:
    """VZÄ: per month Σ VZÄ × valid days ÷ days of the month, mean over the months; and the headcount."""
    months = _months(ctx.period.start, ctx.period.end)
    vzae: defaultdict[Dims, Decimal] = defaultdict(Decimal)
    people: defaultdict[Dims, set[str]] = defaultdict(set)
    vzae[()] = Decimal(0)
    people[()] = set()
    for s in ctx.facts.staff:
        if not s.foerderfaehig:
            continue
        until = s.gueltig_bis or ctx.period.end
        share = sum(
            (
                Decimal(_days(max(first, s.gueltig_ab), min(last, until))) / Decimal(_days(first, last))
                for first, last in months
            ),
            Decimal(0),
        ) / Decimal(len(months))
        if share == 0:
            continue
        contribution = s.vzae * share
        team = s.team or UNBEKANNT
        for dims in ((), cell(regionalteam=team), cell(integrationsmanager=s.personalnummer)):
            vzae[dims] += contribution
        for dims in ((), cell(regionalteam=team)):
            people[dims].add(s.personalnummer)
    q = Decimal("0.01")
    return (
        {dims: value.quantize(q, ROUND_HALF_UP) for dims, value in vzae.items()},
        {dims: len(units) for dims, units in people.items()},
    )


def contacts(ctx: Context) -> dict[str, Cells]:
    """K02, K03, K04, K04p, K08 over the contacts of the period."""
    k02, k03 = ctx.tally("K02"), ctx.tally("K03")
    k04, k04p = ctx.tally("K04"), ctx.tally("K04p")
    k08 = ctx.tally("K08")
    for c in ctx.facts.contacts:
        if c.kontaktart is None:  # could be a Sondierung as well as a Kurzkontakt
            for code in CONTACT_COUNTS:
                if code != "K08" or c.themen:  # without topics it cannot change K08
                    ctx.uncounted.add(code, KONTAKTART_FEHLT, c.contact_id)
            continue
        if c.kontaktart not in BERATUNGSGESPRAECH:  # SONDIERUNG is one of them
            continue
        org = ctx.case_part(c.fall_id, c.im)
        reached = [(akz, ctx.person_part(akz)) for akz in (c.akz, *c.weitere)]  # [0]: the case's person
        k03.add_parts(c.contact_id, reached[0][1], org)
        for akz, person in reached:
            k02.add_parts(akz, person, org)
        for thema in c.themen:
            k08.add_parts((c.contact_id, thema), ctx.part((("handlungsfeld", thema),)))
        if c.kontaktart == SONDIERUNG:
            k04.add_parts(c.contact_id, reached[0][1], org)
            for akz, person in reached:
                k04p.add_parts(akz, person, org)
    k03_cells, k08_cells = k03.cells(), k08.cells()
    k03_total = int(k03_cells[()] or 0)
    k08q: Cells = {dims: percent(int(n or 0), k03_total) for dims, n in k08_cells.items() if dims}
    return {
        "K02": k02.cells(),
        "K03": k03_cells,
        "K04": k04.cells(),
        "K04p": k04p.cells(),
        "K08": k08_cells,
        "K08q": k08q,
    }


def plans(ctx: Context) -> dict[str, Cells]:
    """K05d, K05p, K06: plans agreed in the period; version 0 is new, ≥ 1 a Fortschreibung."""
    k05d, k05p, k06 = (ctx.tally(code) for code in ("K05d", "K05p", "K06"))
    for p in ctx.facts.plans:
        if not ctx.period.contains(p.vereinbart_am):
            continue
        org = ctx.case_part(p.fall_id, p.im)
        if p.version == 0:
            k05d.add_parts(p.plan_id, ctx.person_part(p.akz), org)
            for akz in (p.akz, *p.weitere):
                k05p.add_parts(akz, ctx.person_part(akz), org)
        else:
            k06.add_parts(p.plan_id, ctx.person_part(p.akz), org)
    for p in ctx.facts.plans_without_status:
        if ctx.period.contains(p.vereinbart_am):
            for code in ("K05d", "K05p") if p.version == 0 else ("K06",):
                ctx.uncounted.add(code, PLANSTATUS_FEHLT, p.plan_id)
    return {"K05d": k05d.cells(), "K05p": k05p.cells(), "K06": k06.cells()}


def _current_plans(ctx: Context, day: date, fall_ids: Iterable[int]) -> dict[int, PlanFacts]:
    """Per case, the highest plan version agreed on or before `day` (a later version supersedes)."""
    wanted = set(fall_ids)
    current: dict[int, PlanFacts] = {}
    for p in ctx.facts.plans:
        if p.fall_id in wanted and p.vereinbart_am <= day:
            known = current.get(p.fall_id)
            if known is None or (p.version, p.vereinbart_am, p.plan_id) > (
                known.version,
                known.vereinbart_am,
                known.plan_id,
            ):
                current[p.fall_id] = p
    return current


def k07(ctx: Context) -> Cells:
    tally = ctx.tally("K07")
    active = ctx.active_cases()
    current = _current_plans(ctx, ctx.period.stichtag, (c.fall_id for c in active))
    active_ids = {c.fall_id for c in active}
    for p in ctx.facts.plans_without_status:
        if p.fall_id in active_ids and p.vereinbart_am <= ctx.period.stichtag:
            ctx.uncounted.add("K07", PLANSTATUS_FEHLT, p.plan_id)
    for plan in current.values():
        org = ctx.case_part(plan.fall_id)
        for akz in (plan.akz, *plan.weitere):
            tally.add_parts(akz, ctx.person_part(akz), org)
    return tally.cells()


def k09(ctx: Context) -> tuple[Cells, Cells]:
    """Goals of the current plan (at period end) of every case running in the period, by status then."""
    tally = ctx.tally("K09")
    end = ctx.period.end
    running = {c.fall_id for c in ctx.facts.cases.values() if c.overlaps(ctx.period.start, end)}
    for p in ctx.facts.plans_without_status:
        if p.fall_id in running and p.vereinbart_am <= end:
            ctx.uncounted.add("K09", PLANSTATUS_FEHLT, p.plan_id)
    bewertet: defaultdict[str, int] = defaultdict(int)
    for plan in _current_plans(ctx, end, running).values():
        for index, (feld, status, statusdatum) in enumerate(plan.ziele):
            if status in ZIEL_ABSCHLUSS and statusdatum is not None and statusdatum > end:
                status = "IN_BEARBEITUNG"  # reached its final status only after the period
            unit = (plan.plan_id, index)
            tally.add(unit, {"handlungsfeld": feld, "zielstatus": status})
            tally.add_cell(unit, cell(handlungsfeld=feld, zielstatus=status))
            bewertet[status] += 1
    quote = percent(bewertet["ERREICHT"], sum(bewertet[s] for s in ZIEL_BEWERTET))
    return tally.cells(), {(): quote}


def cases(ctx: Context) -> dict[str, Cells]:
    """K10 new cases, K11/K11p active on the Stichtag, K12 closed, K13 over the maximum duration."""
    k10, k11, k11p, k12, k13 = (ctx.tally(code) for code in ("K10", "K11", "K11p", "K12", "K13"))
    stichtag, contains = ctx.period.stichtag, ctx.period.contains
    person_part, case_part, part = ctx.person_part, ctx.case_part, ctx.part
    for case in ctx.facts.cases.values():  # the hottest loop at scale: one pass, names bound once
        fall_id = case.fall_id
        person = person_part(case.akz)
        org = case_part(fall_id)  # the case's own team and Integrationsmanager*in
        if contains(case.fallbeginn):
            k10.add_parts(fall_id, person, org)
        if case.active_on(stichtag):
            k11.add_parts(fall_id, person, org)
            k11p.add_parts(case.akz, person, org)
            if stichtag > hoechstdauer_bis(case.fallbeginn):
                extended = (
                    case.begruendet and case.verlaengert_bis is not None and case.verlaengert_bis >= stichtag
                )
                k13.add_parts(fall_id, org, part(_VERLAENGERUNG[extended]))
        if contains(case.fallende):
            k12.add_parts(fall_id, org, part((("abschlussgrund", case.abschlussgrund or UNBEKANNT),)))
    return {
        "K10": k10.cells(),
        "K11": k11.cells(),
        "K11p": k11p.cells(),
        "K12": k12.cells(),
        "K13": k13.cells(),
    }


def stichtag_shares(ctx: Context) -> dict[str, Cells]:
    """K14 (if configured), K16, K17, K18."""
    active_persons = {c.akz for c in ctx.active_cases()}
    adults = {akz for akz in active_persons if ctx.is_adult(akz)}
    levels = [ctx.facts.persons[akz].sprachniveau for akz in adults]
    known = [level for level in levels if level is not None]
    k16 = percent(sum(1 for level in known if level in B1_PLUS), len(known))
    k18 = percent(len(adults & ctx.facts.jobcenter_consent), len(adults))
    for akz in sorted((adults & ctx.facts.consent_without_purpose) - ctx.facts.jobcenter_consent):
        ctx.uncounted.add("K18", ZWECK_FEHLT, akz)
    k17 = ctx.tally("K17")
    for akz, person in ctx.facts.persons.items():
        if person.au_zu_privat:
            k17.add_parts(akz, ctx.person_part(akz))
        elif person.auszug_ohne_art:
            ctx.uncounted.add("K17", UNTERBRINGUNG_FEHLT, akz)
    result: dict[str, Cells] = {"K16": {(): k16}, "K17": k17.cells(), "K18": {(): k18}}
    nenner = ctx.params.k14_betreuungsquote.nenner
    if nenner is not None:
        in_au = sum(
            1
            for akz in active_persons
            if ctx.person_dims(akz)["unterbringungsart"] == "ANSCHLUSSUNTERBRINGUNG"
        )
        for akz in sorted(active_persons):
            if ctx.person_dims(akz)["unterbringungsart"] == UNBEKANNT:
                ctx.uncounted.add("K14", UNTERBRINGUNG_FEHLT, akz)
        result["K14"] = {(): percent(in_au, nenner)}
    return result


def evaluate(facts: Facts, uncounted: Uncounted | None = None) -> dict[str, Cells]:
    """All Kennzahlen for one period; K14 only when its denominator is configured. Records a figure could not
    count are noted in `uncounted`."""
    ctx = Context(facts, uncounted)
    out: dict[str, Cells] = {"Z01": z01(ctx), "Z02": z02(ctx), "B01": b01(ctx)}
    out["K01"], out["K01n"] = k01(ctx)
    out.update(contacts(ctx))
    out.update(plans(ctx))
    out.update(cases(ctx))
    out["K07"] = k07(ctx)
    out["K09"], out["K09q"] = k09(ctx)
    k11p = int(out["K11p"][()] or 0)
    out["K07q"] = {(): percent(int(out["K07"][()] or 0), k11p)}
    out["Z02q"] = {(): percent(int(out["Z02"][()] or 0), int(out["Z01"][()] or 0))}
    k01_total = out["K01"][()]
    out["K15"] = {
        (): None
        if not k01_total
        else (Decimal(k11p) / Decimal(k01_total)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    }
    out.update(stichtag_shares(ctx))
    return out
