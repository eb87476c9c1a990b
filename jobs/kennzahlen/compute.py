"""Entry point of the computation: stream the records once, apply the rules, build `Kennzahlwert` records."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from connector.pseudonym import Pseudonymizer
from jobs.kennzahlen.breakdowns import DIMENSION_LABELS, UNBEKANNT
from jobs.kennzahlen.facts import Facts
from jobs.kennzahlen.params import KennzahlenParams
from jobs.kennzahlen.periods import Period
from jobs.kennzahlen.rules import (
    METRICS,
    NEEDS,
    QUARANTINE_AFFECTS,
    RATIO_BASIS,
    Cells,
    Metric,
    Uncounted,
    evaluate,
    quarantine_reason,
)
from jobs.kennzahlen.suppression import suppressed_cells
from mappings.quarantine import Quarantine
from schemas import (
    Beratungsfall,
    Einwilligung,
    Integrationsplan,
    Kennzahlwert,
    Klient,
    Kontakt,
    Mitarbeitende,
)

__all__ = [
    "PSEUDONYM_FIELD",
    "KennzahlenInput",
    "KennzahlenResult",
    "StaffRow",
    "collect",
    "compute",
    "compute_facts",
    "not_computed",
]

PSEUDONYM_FIELD = "integrationsmanager"
_DIM_ORDER = {name: index for index, name in enumerate(DIMENSION_LABELS)}


@dataclass
class KennzahlenInput:
    """One iterable of schema records per entity; each is consumed exactly once, in this order.

    `quarantine` is the mapping layer's quarantine of the same read: after the streams are consumed, its
    records (which could not be placed) are reported per figure as not countable.
    """

    mitarbeitende: Iterable[Mitarbeitende] = ()
    klienten: Iterable[Klient] = ()
    faelle: Iterable[Beratungsfall] = ()
    kontakte: Iterable[Kontakt] = ()
    plaene: Iterable[Integrationsplan] = ()
    einwilligungen: Iterable[Einwilligung] = ()
    quarantine: Quarantine | None = None


@dataclass(frozen=True)
class StaffRow:
    """One row of the sheet "Auswertung Zeitraum" (the only output that shows Personalnummern)."""

    personalnummer: str
    regionalteam: str
    vzae: Decimal
    beratene_personen: int
    beratungsgespraeche: int
    sondierungsgespraeche: int
    neue_plaene: int
    personen_neue_plaene: int
    fortschreibungen: int
    neuaufnahmen: int
    aktive_faelle_stichtag: int
    abgeschlossene_faelle: int
    in_stammdaten: bool


@dataclass
class KennzahlenResult:
    period: Period
    rule_version: str
    values: list[Kennzahlwert]
    staff: list[StaffRow]
    staff_total: StaffRow
    threshold: int
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    not_computed: Mapping[str, str] = field(default_factory=dict)
    """Kennzahlen left out, with the reason (K14 without its denominator, entities the site does not map)."""
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Display labels per dimension and value (catalogue labels of the site, `labels` in kennzahlen.yaml)."""
    zielgruppe_cutoff: date | None = None
    public_threshold: int | None = None
    """Small-cell threshold of the public committee report (html/pdf); None = `threshold`."""
    county: str = ""
    """County name shown on every report (the mapping profile's `county.name`)."""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    data_as_of: datetime | None = None
    """When the data was read from enaio; None = when the result was built (the reading ends there)."""
    nicht_zaehlbar: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Kennzahl code -> {German reason -> number of records the figure could not count}; only non-empty
    entries, in the order of the Kennzahlen. E.g. {"K03": {"Gesprächsvermerk ohne Kontaktart": 1}}."""

    def total(self, code: str) -> int | Decimal | None:
        for value in self.values:
            if value.code == code and not value.dimensions:
                return value.value
        raise KeyError(code)

    def cells(self, code: str, dimension: str) -> dict[str, int | Decimal | None]:
        """Values of a one-dimensional breakdown; a suppressed cell is None (see `breakdown`)."""
        return {key: value.value for key, value in self.breakdown(code, dimension).items()}

    def breakdown(self, code: str, dimension: str) -> dict[str, Kennzahlwert]:
        return {
            v.dimensions[dimension]: v
            for v in self.values
            if v.code == code and set(v.dimensions) == {dimension}
        }


def not_computed(unavailable: Collection[str], params: KennzahlenParams) -> dict[str, str]:
    """Kennzahlen that cannot be computed: their entity is not mapped by the site (docs/kennzahlen.md §1)."""
    reasons: dict[str, list[str]] = {}
    for entity in unavailable:
        for code in NEEDS.get(entity, ()):
            reasons.setdefault(code, []).append(entity)
    out = {
        code: "nicht berechnet: " + ", ".join(sorted(entities)) + " im Mapping-Profil nicht abgebildet"
        for code, entities in reasons.items()
    }
    if params.k14_betreuungsquote.nenner is None:
        out.setdefault("K14", "nicht berechnet: kein externer Nenner (k14_betreuungsquote.nenner)")
    order = {m.code: index for index, m in enumerate(METRICS)}
    return dict(sorted(out.items(), key=lambda item: order.get(item[0], 99)))


def compute(
    data: KennzahlenInput,
    period: Period,
    params: KennzahlenParams,
    pseudonymizer: Pseudonymizer,
    *,
    unavailable: Collection[str] = (),
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> KennzahlenResult:
    """All Kennzahlen of `period`. `unavailable` names entities the site does not map: their input is empty
    and the Kennzahlen that need them are left out (`not_computed`), never reported as 0."""
    facts = collect(data, period, params)
    return compute_facts(
        facts, pseudonymizer, quarantine=data.quarantine, unavailable=unavailable, labels=labels
    )


def collect(data: KennzahlenInput, period: Period, params: KennzahlenParams) -> Facts:
    """Consume the streams (this is where a live job reads enaio) into the compact facts of `period`."""
    facts = Facts(period, params)
    facts.add_mitarbeitende(data.mitarbeitende)
    facts.add_klienten(data.klienten)
    facts.add_faelle(data.faelle)
    facts.add_kontakte(data.kontakte)
    facts.add_plaene(data.plaene)
    facts.add_einwilligungen(data.einwilligungen)
    return facts


def compute_facts(
    facts: Facts,
    pseudonymizer: Pseudonymizer,
    *,
    quarantine: Quarantine | None = None,
    unavailable: Collection[str] = (),
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> KennzahlenResult:
    """Everything after the read: the rules over `facts`, suppression, pseudonyms, the staff sheet."""
    period, params = facts.period, facts.params
    skipped = not_computed(unavailable, params)
    uncounted = Uncounted()
    raw = evaluate(facts, uncounted)
    if quarantine is not None:
        _note_quarantine(quarantine, uncounted)
    values = _records({k: v for k, v in raw.items() if k not in skipped}, period, params, pseudonymizer)
    staff, total = _staff_rows(raw, facts)
    merged: dict[str, dict[str, str]] = {dim: dict(by_value) for dim, by_value in (labels or {}).items()}
    for dim, by_value in params.labels.items():
        merged.setdefault(dim, {}).update(by_value)  # the county's own choice wins over catalogue labels
    return KennzahlenResult(
        period,
        params.rule_version,
        values,
        staff,
        total,
        params.suppression.threshold,
        metrics={m.code: m for m in METRICS},
        not_computed=skipped,
        labels=merged,
        zielgruppe_cutoff=params.zielgruppe.cutoff,
        public_threshold=params.suppression.public_threshold,
        nicht_zaehlbar={
            code: by_reason
            for code, by_reason in uncounted.counts().items()
            if code in raw and code not in skipped
        },
    )


def _note_quarantine(quarantine: Quarantine, uncounted: Uncounted) -> None:
    """Every quarantined record is not countable in the figures its entity feeds (one reason per record)."""
    fields: dict[tuple[str, int], list[str | None]] = {}
    for entry in quarantine.entries:
        fields.setdefault((entry.entity, entry.enaio_id), []).append(entry.field)
    for (entity, osid), names in sorted(fields.items()):
        reason = quarantine_reason(entity, names)
        for code in QUARANTINE_AFFECTS.get(entity, ()):
            uncounted.add(code, reason, (entity, osid))


def _records(
    raw: Mapping[str, Cells], period: Period, params: KennzahlenParams, pseudonymizer: Pseudonymizer
) -> list[Kennzahlwert]:
    out: list[Kennzahlwert] = []
    threshold = params.suppression.threshold
    hidden_by_code = {
        m.code: suppressed_cells(raw[m.code], threshold, code=m.code)
        for m in METRICS
        if m.suppressible and m.kind == "count" and m.code in raw
    }
    for metric in METRICS:
        cells = raw.get(metric.code)
        if cells is None:
            continue  # not computed (K14 without its denominator)
        stichtag: date | None = period.stichtag if metric.at_stichtag else None
        if metric.code == "Z01":
            stichtag = params.zielgruppe.cutoff
        basis = RATIO_BASIS.get(metric.code, metric.code)
        hidden = hidden_by_code.get(basis, frozenset())
        rows: list[tuple[tuple[tuple[int, str, str], ...], Kennzahlwert]] = []
        for dims, value in cells.items():
            dimensions = {
                k: (pseudonymizer.of(v, PSEUDONYM_FIELD) if k == PSEUDONYM_FIELD and v != UNBEKANNT else v)
                for k, v in dims
            }
            shown, suppressed = (None, True) if dims in hidden else (value, False)
            record = Kennzahlwert(
                code=metric.code,
                name=metric.name,
                value=shown,
                unit=metric.unit,
                period_from=period.start,
                period_to=period.end,
                stichtag=stichtag,
                dimensions=dimensions,
                suppressed=suppressed,
                rule_version=params.rule_version,
            )
            key = tuple((_DIM_ORDER.get(k, 99), k, v) for k, v in sorted(dimensions.items()))
            rows.append((key, record))
        rows.sort(key=lambda item: (len(item[0]) > 0, len(item[0]), item[0]))
        out.extend(record for _, record in rows)
    return out


def _staff_rows(raw: Mapping[str, Cells], facts: Facts) -> tuple[list[StaffRow], StaffRow]:
    def by_im(code: str) -> dict[str, int]:
        return {
            dict(dims)["integrationsmanager"]: int(value or 0)
            for dims, value in raw[code].items()
            if len(dims) == 1 and dims[0][0] == "integrationsmanager"
        }

    def total(code: str) -> int:
        return int(raw[code][()] or 0)

    columns = ("K02", "K03", "K04", "K05d", "K05p", "K06", "K10", "K11", "K12")
    per = {code: by_im(code) for code in columns}
    vzae = {
        dict(dims)["integrationsmanager"]: Decimal(value or 0)
        for dims, value in raw["K01"].items()
        if dims and dims[0][0] == "integrationsmanager"
    }
    teams: dict[str, str] = {}
    for s in sorted(facts.staff, key=lambda s: s.gueltig_ab):
        if s.personalnummer in vzae or s.personalnummer not in teams:
            teams[s.personalnummer] = s.team or ""
    for case in facts.cases.values():
        teams.setdefault(case.im, case.team)
    numbers = set(vzae)
    for code in columns:
        numbers.update(per[code])
    known = {s.personalnummer for s in facts.staff}
    rows = [
        StaffRow(
            personalnummer=number,
            regionalteam=teams.get(number, ""),
            vzae=vzae.get(number, Decimal("0.00")),
            beratene_personen=per["K02"].get(number, 0),
            beratungsgespraeche=per["K03"].get(number, 0),
            sondierungsgespraeche=per["K04"].get(number, 0),
            neue_plaene=per["K05d"].get(number, 0),
            personen_neue_plaene=per["K05p"].get(number, 0),
            fortschreibungen=per["K06"].get(number, 0),
            neuaufnahmen=per["K10"].get(number, 0),
            aktive_faelle_stichtag=per["K11"].get(number, 0),
            abgeschlossene_faelle=per["K12"].get(number, 0),
            in_stammdaten=number in known,
        )
        for number in sorted(numbers, key=lambda n: (teams.get(n, ""), n))
    ]
    grand = StaffRow(
        personalnummer="Gesamt",
        regionalteam="",
        vzae=Decimal(raw["K01"][()] or 0),
        beratene_personen=total("K02"),
        beratungsgespraeche=total("K03"),
        sondierungsgespraeche=total("K04"),
        neue_plaene=total("K05d"),
        personen_neue_plaene=total("K05p"),
        fortschreibungen=total("K06"),
        neuaufnahmen=total("K10"),
        aktive_faelle_stichtag=total("K11"),
        abgeschlossene_faelle=total("K12"),
        in_stammdaten=True,
    )
    return rows, grand
