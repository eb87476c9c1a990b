"""Entry point of the computation: stream the records once, apply the rules, build `Kennzahlwert` records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from connector.pseudonym import Pseudonymizer
from jobs.kennzahlen.breakdowns import DIMENSION_LABELS, Dims
from jobs.kennzahlen.facts import Facts
from jobs.kennzahlen.params import KennzahlenParams
from jobs.kennzahlen.periods import Period
from jobs.kennzahlen.rules import METRICS, Cells, Metric, evaluate
from jobs.kennzahlen.suppression import suppress
from schemas import (
    Beratungsfall,
    Einwilligung,
    Integrationsplan,
    Kennzahlwert,
    Klient,
    Kontakt,
    Mitarbeitende,
)

__all__ = ["PSEUDONYM_FIELD", "KennzahlenInput", "KennzahlenResult", "StaffRow", "compute"]

PSEUDONYM_FIELD = "integrationsmanager"
_DIM_ORDER = {name: index for index, name in enumerate(DIMENSION_LABELS)}


@dataclass
class KennzahlenInput:
    """One iterable of schema records per entity; each is consumed exactly once, in this order."""

    mitarbeitende: Iterable[Mitarbeitende] = ()
    klienten: Iterable[Klient] = ()
    faelle: Iterable[Beratungsfall] = ()
    kontakte: Iterable[Kontakt] = ()
    plaene: Iterable[Integrationsplan] = ()
    einwilligungen: Iterable[Einwilligung] = ()


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

    def total(self, code: str) -> int | Decimal | None:
        for value in self.values:
            if value.code == code and not value.dimensions:
                return value.value
        raise KeyError(code)

    def cells(self, code: str, dimension: str) -> dict[str, int | Decimal | None]:
        return {
            v.dimensions[dimension]: v.value
            for v in self.values
            if v.code == code and set(v.dimensions) == {dimension}
        }


def compute(
    data: KennzahlenInput, period: Period, params: KennzahlenParams, pseudonymizer: Pseudonymizer
) -> KennzahlenResult:
    facts = Facts(period, params)
    facts.add_mitarbeitende(data.mitarbeitende)
    facts.add_klienten(data.klienten)
    facts.add_faelle(data.faelle)
    facts.add_kontakte(data.kontakte)
    facts.add_plaene(data.plaene)
    facts.add_einwilligungen(data.einwilligungen)
    raw = evaluate(facts)
    values = _records(raw, period, params, pseudonymizer)
    staff, total = _staff_rows(raw, facts)
    return KennzahlenResult(
        period,
        params.rule_version,
        values,
        staff,
        total,
        params.suppression.threshold,
        metrics={m.code: m for m in METRICS},
    )


def _records(
    raw: Mapping[str, Cells], period: Period, params: KennzahlenParams, pseudonymizer: Pseudonymizer
) -> list[Kennzahlwert]:
    out: list[Kennzahlwert] = []
    threshold = params.suppression.threshold
    for metric in METRICS:
        cells = raw.get(metric.code)
        if cells is None:
            continue  # not computed (K14 without its denominator)
        stichtag: date | None = period.stichtag if metric.at_stichtag else None
        if metric.code == "Z01":
            stichtag = params.zielgruppe.cutoff
        suppressed_cells = _suppressed_basis(raw, metric, threshold)
        rows: list[tuple[tuple[tuple[int, str, str], ...], Kennzahlwert]] = []
        for dims, value in cells.items():
            dimensions = {
                k: (pseudonymizer.of(v, PSEUDONYM_FIELD) if k == PSEUDONYM_FIELD else v) for k, v in dims
            }
            shown, hidden = value, False
            if metric.suppressible and metric.kind == "count":
                shown, hidden = suppress(value, is_total=not dims, threshold=threshold)
            elif dims and dims in suppressed_cells:
                shown, hidden = None, True
            record = Kennzahlwert(
                code=metric.code,
                name=metric.name,
                value=shown,
                unit=metric.unit,
                period_from=period.start,
                period_to=period.end,
                stichtag=stichtag,
                dimensions=dimensions,
                suppressed=hidden,
                rule_version=params.rule_version,
            )
            key = tuple((_DIM_ORDER.get(k, 99), k, v) for k, v in sorted(dimensions.items()))
            rows.append((key, record))
        rows.sort(key=lambda item: (len(item[0]) > 0, len(item[0]), item[0]))
        out.extend(record for _, record in rows)
    return out


def _suppressed_basis(raw: Mapping[str, Cells], metric: Metric, threshold: int) -> set[Dims]:
    """Ratio cells inherit the suppression of the count they are a share of (K08q of K08)."""
    if metric.code != "K08q":
        return set()
    return {dims for dims, n in raw["K08"].items() if dims and n is not None and 0 < n < threshold}


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
