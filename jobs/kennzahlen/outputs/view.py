"""What every output shows besides the figures, and the figures as an audience sees them.

- one "unbekannt" cell per breakdown (a catalogue's own UNBEKANNT entry and a missing value are the same to a
  reader), merged before anything is written;
- records not counted, by reason (`KennzahlenResult.nicht_zaehlbar`), as records with the dimension
  `nicht_zaehlbar` in JSON and CSV and as a section in XLSX and HTML;
- the public committee report's stricter threshold (`audience_values`);
- the report's head (county, period, Stichtag, data as-of and creation time, rule version) and the
  explanations of every Kennzahl, in German, inside the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from jobs.kennzahlen.breakdowns import UNBEKANNT
from jobs.kennzahlen.compute import KennzahlenResult
from jobs.kennzahlen.outputs.fmt import de_date, de_datetime
from jobs.kennzahlen.suppression import audience_values
from schemas import Kennzahlwert

__all__ = [
    "AUDIENCES",
    "EXPLANATIONS",
    "NOT_COUNTED_DIMENSION",
    "NOT_COUNTED_UNIT",
    "head_lines",
    "machine_values",
    "nicht_zaehlbar",
    "public_threshold",
    "public_values",
    "unify_unknown",
]

NOT_COUNTED_DIMENSION: Final = "nicht_zaehlbar"
NOT_COUNTED_UNIT: Final = "Datensätze"

AUDIENCES: Final[Mapping[str, str]] = {
    "xlsx": "Land (Verwendungsnachweis) und Landkreis intern – enthält Personalnummern, nicht "
    "veröffentlichen",
    "csv": "Landkreis intern (Auswertung in Excel) – Integrationsmanager*innen nur als Pseudonym",
    "json": "Landkreis intern (Weiterverarbeitung) – Integrationsmanager*innen nur als Pseudonym",
    "html": "Kreistag/Ausschuss, zur Veröffentlichung geeignet – ohne Personalnummern und Pseudonyme",
}
"""Which output goes to whom (docs/kennzahlen.md §4)."""

EXPLANATIONS: Final[Mapping[str, str]] = {
    "Z01": "Geflüchtete, deren Integrationsmanagement die Gemeinde dem Landkreis übertragen hat und die "
    "am Zielgruppen-Stichtag in der Anschlussunterbringung lebten (Pakt für Integration).",
    "Z02": "Personen der Zielgruppe, die im Zeitraum an einem Sondierungs-/Clearinggespräch teilgenommen "
    "haben (als Hauptperson oder weitere Teilnehmende).",
    "Z02q": "Erreichte Zielgruppe (Z02) geteilt durch die Zielgruppe (Z01), in Prozent.",
    "B01": "Verschiedene Personen mit einem am Stichtag laufenden Beratungsfall, nach ihrer "
    "Unterbringungsart am Stichtag.",
    "K01": "Förderfähige Stellenanteile der Integrationsmanager*innen als Vollzeitäquivalente, je Monat "
    "nach gültigen Tagen gewichtet und über die Monate des Zeitraums gemittelt.",
    "K01n": "Verschiedene Integrationsmanager*innen mit einem förderfähigen Stellenanteil im Zeitraum.",
    "K02": "Verschiedene Personen mit mindestens einem Beratungsgespräch im Zeitraum.",
    "K03": "Beratungsgespräche im Zeitraum (Sondierung, Beratung, Plangespräch, Begleitung, "
    "Fallkonferenz); ein Gespräch mit einem ganzen Haushalt zählt einmal. Kurzkontakte und "
    "Gruppenangebote zählen nicht.",
    "K04": "Sondierungs-/Clearinggespräche (Erstgespräche) im Zeitraum.",
    "K04p": "Verschiedene Personen, die im Zeitraum an einem Sondierungsgespräch teilgenommen haben.",
    "K05d": "Im Zeitraum erstmals vereinbarte Integrationspläne bzw. Integrationszielvereinbarungen.",
    "K05p": "Verschiedene Personen, die in diese neuen Pläne einbezogen sind.",
    "K06": "Im Zeitraum vereinbarte Fortschreibungen bestehender Integrationspläne.",
    "K07": "Personen mit einem am Stichtag gültigen Integrationsplan.",
    "K07q": "Personen mit gültigem Plan (K07) geteilt durch die betreuten Personen am Stichtag (K11p), in "
    "Prozent.",
    "K08": "Themen (Handlungsfelder) der Beratungsgespräche; ein Gespräch kann mehrere Themen haben.",
    "K08q": "Anteil der Beratungsgespräche, in denen das Thema vorkam, in Prozent.",
    "K09": "Ziele der am Ende des Zeitraums gültigen Pläne, nach Handlungsfeld und Stand der Zielerreichung.",
    "K09q": "Erreichte Ziele geteilt durch alle bewerteten Ziele (erreicht, teilweise, nicht erreicht), "
    "in Prozent.",
    "K10": "Beratungsfälle, die im Zeitraum begonnen haben.",
    "K11": "Beratungsfälle, die am Stichtag laufen.",
    "K11p": "Verschiedene Personen mit einem am Stichtag laufenden Beratungsfall.",
    "K12": "Beratungsfälle, die im Zeitraum abgeschlossen wurden, nach Abschlussgrund.",
    "K13": "Am Stichtag laufende Fälle, die länger als drei Jahre dauern, mit oder ohne begründete "
    "Verlängerung.",
    "K14": "Betreute Personen in Anschlussunterbringung geteilt durch die Belegung laut "
    "Belegungsstatistik (externer Wert), in Prozent.",
    "K15": "Betreute Personen am Stichtag je Vollzeitäquivalent im Integrationsmanagement.",
    "K16": "Anteil der betreuten Erwachsenen mit bekanntem Sprachniveau, die Deutsch mindestens auf "
    "Niveau B1 sprechen.",
    "K17": "Personen, die im Zeitraum aus der Anschlussunterbringung ausgezogen sind und heute privat "
    "wohnen.",
    "K18": "Anteil der betreuten Erwachsenen mit gültiger Einwilligung in den Datenaustausch mit dem "
    "Jobcenter.",
}


def nicht_zaehlbar(result: KennzahlenResult) -> Mapping[str, Mapping[str, int]]:
    """Records not counted, per Kennzahl and reason (`KennzahlenResult.nicht_zaehlbar`)."""
    return result.nicht_zaehlbar


def public_threshold(result: KennzahlenResult) -> int:
    return max(result.threshold, result.public_threshold or result.threshold)


def _unified(dimensions: Mapping[str, str]) -> dict[str, str]:
    return {k: UNBEKANNT if v.casefold() == UNBEKANNT else v for k, v in dimensions.items()}


def unify_unknown(values: Sequence[Kennzahlwert]) -> list[Kennzahlwert]:
    """Merge cells that differ only in how "unknown" is spelled (`UNBEKANNT` from a catalogue, `unbekannt`
    for a missing value): counts are added; the merged cell is suppressed if a part was."""
    merged: dict[tuple[str, tuple[tuple[str, str], ...]], Kennzahlwert] = {}
    order: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for value in values:
        dims = _unified(value.dimensions)
        key = (value.code, tuple(sorted(dims.items())))
        if key not in merged:
            merged[key] = value if dims == value.dimensions else value.model_copy(update={"dimensions": dims})
            order.append(key)
            continue
        first = merged[key]
        if first.suppressed or value.suppressed:
            merged[key] = first.model_copy(update={"value": None, "suppressed": True})
        elif isinstance(first.value, int) and isinstance(value.value, int):
            merged[key] = first.model_copy(update={"value": first.value + value.value})
        else:  # a ratio cannot be added up: the cell has no value
            merged[key] = first.model_copy(update={"value": None})
    return [merged[key] for key in order]


def _not_counted_records(result: KennzahlenResult, code: str, template: Kennzahlwert) -> list[Kennzahlwert]:
    reasons = nicht_zaehlbar(result).get(code, {})
    return [
        template.model_copy(
            update={
                "name": f"{template.name} – nicht zählbar",
                "value": count,
                "unit": NOT_COUNTED_UNIT,
                "dimensions": {NOT_COUNTED_DIMENSION: reason},
                "suppressed": False,
            }
        )
        for reason, count in sorted(reasons.items())
    ]


def machine_values(result: KennzahlenResult) -> list[Kennzahlwert]:
    """The records of JSON and CSV: unknown cells merged; after each Kennzahl's cells its records not counted
    (dimension `nicht_zaehlbar` = reason, unit `Datensätze`)."""
    values = unify_unknown(result.values)
    out: list[Kennzahlwert] = []
    for index, value in enumerate(values):
        out.append(value)
        last_of_code = index + 1 == len(values) or values[index + 1].code != value.code
        if last_of_code:
            total = next((v for v in values if v.code == value.code and not v.dimensions), value)
            out.extend(_not_counted_records(result, value.code, total))
    return out


def public_values(result: KennzahlenResult) -> list[Kennzahlwert]:
    """The cells of the public committee report, suppressed with its own (higher or equal) threshold."""
    return audience_values(unify_unknown(result.values), public_threshold(result))


def head_lines(result: KennzahlenResult) -> list[tuple[str, str]]:
    """The head of every report: who, which period, which data, when, by which rules."""
    period = result.period
    return [
        ("Landkreis", result.county or "(nicht angegeben)"),
        ("Zeitraum", f"{de_date(period.start)} – {de_date(period.end)}"),
        ("Stichtag", de_date(period.stichtag)),
        ("Datenstand", de_datetime(result.data_as_of or result.created_at) + " (aus enaio gelesen)"),
        ("Erstellt am", de_datetime(result.created_at)),
        ("Regelversion", result.rule_version),
    ]
