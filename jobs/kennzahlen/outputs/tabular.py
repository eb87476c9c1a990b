"""Machine-readable outputs: kennzahlen.json (list of Kennzahlwert) and kennzahlen.csv.

The CSV comes in two dialects:

- `excel` (default): for a German Excel, which opens it with a double click: `;` as separator, UTF-8 with
  BOM (else Excel reads "MÃ¶ssingen"), decimal comma without thousands separator (`4,05`, never a date),
  dates as `01.04.2018`, German column headings, display labels, readable pseudonyms (`IM 7KQ3`);
- `rfc4180`: for programs: `,`, UTF-8 without BOM, decimal point, ISO dates, the JSON's keys and pseudonyms.

Both have one column per breakdown dimension (empty = not broken down by it; all empty = the Kreis total)
and neutralize text a spreadsheet would run as a formula (leading `'`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final, Literal

from connector.errors import UsageError
from connector.pseudonym import readable_names
from jobs.kennzahlen.breakdowns import DIMENSION_LABELS
from jobs.kennzahlen.compute import PSEUDONYM_FIELD, KennzahlenResult
from jobs.kennzahlen.outputs.fmt import de_date, label, neutralize_formula
from jobs.kennzahlen.outputs.view import NOT_COUNTED_DIMENSION, machine_values
from schemas import Kennzahlwert

__all__ = [
    "CSV_DIALECTS",
    "DEFAULT_CSV_DIALECT",
    "CsvDialect",
    "csv_columns",
    "parse_csv_dialect",
    "write_csv",
    "write_json",
]

CsvDialect = Literal["excel", "rfc4180"]
CSV_DIALECTS: Final[tuple[CsvDialect, ...]] = ("excel", "rfc4180")
DEFAULT_CSV_DIALECT: Final[CsvDialect] = "excel"

_LEADING: Final = ("code", "name", "value", "unit", "period_from", "period_to", "stichtag")
_TRAILING: Final = ("suppressed", "rule_version")
_GERMAN: Final[dict[str, str]] = {
    "code": "Code",
    "name": "Kennzahl",
    "value": "Wert",
    "unit": "Einheit",
    "period_from": "Zeitraum von",
    "period_to": "Zeitraum bis",
    "stichtag": "Stichtag",
    "suppressed": "unterdrückt",
    "rule_version": "Regelversion",
    NOT_COUNTED_DIMENSION: "nicht zählbar (Grund)",
    PSEUDONYM_FIELD: "Integrationsmanager*in (Pseudonym)",
}


@dataclass(frozen=True)
class _Dialect:
    delimiter: str
    encoding: str
    german: bool


_DIALECTS: Final[dict[str, _Dialect]] = {
    "excel": _Dialect(";", "utf-8-sig", german=True),
    "rfc4180": _Dialect(",", "utf-8", german=False),
}


def parse_csv_dialect(text: str) -> CsvDialect:
    """`excel` or `rfc4180` (case-insensitive); anything else is a UsageError naming the choices."""
    name = text.strip().lower()
    for dialect in CSV_DIALECTS:
        if name == dialect:
            return dialect
    raise UsageError(f"--csv-dialect: unknown dialect {text!r}, choose from {', '.join(CSV_DIALECTS)}")


def write_json(result: KennzahlenResult, path: Path) -> Path:
    payload = [value.model_dump(mode="json") for value in machine_values(result)]
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
    return path


def csv_columns(values: Sequence[Kennzahlwert]) -> tuple[str, ...]:
    """Fixed columns, one per known dimension (in the order of the reports), then any other dimension."""
    known = [*DIMENSION_LABELS, NOT_COUNTED_DIMENSION]
    extra = sorted({d for v in values for d in v.dimensions} - set(known))
    return (*_LEADING, *known, *extra, *_TRAILING)


def _number(value: int | Decimal | None, german: bool) -> str:
    if value is None:
        return ""
    text = f"{value:f}" if isinstance(value, Decimal) else str(value)
    return text.replace(".", ",") if german else text


def _day(day: date | None, german: bool) -> str:
    if day is None:
        return ""
    return de_date(day) if german else day.isoformat()


def write_csv(result: KennzahlenResult, path: Path, dialect: CsvDialect = DEFAULT_CSV_DIALECT) -> Path:
    """One row per record of kennzahlen.json (same order, same figures) in the chosen dialect."""
    spec = _DIALECTS[dialect]
    values = machine_values(result)
    columns = csv_columns(values)
    dims = columns[len(_LEADING) : len(columns) - len(_TRAILING)]
    names = (
        readable_names(v.dimensions[PSEUDONYM_FIELD] for v in values if PSEUDONYM_FIELD in v.dimensions)
        if spec.german
        else {}
    )

    def shown(dimension: str, raw: str) -> str:
        if not spec.german or dimension == NOT_COUNTED_DIMENSION:
            return raw
        if dimension == PSEUDONYM_FIELD:
            return names.get(raw, raw)
        return label(raw, result.labels.get(dimension))

    text: Callable[[str], str] = neutralize_formula
    with path.open("w", encoding=spec.encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=spec.delimiter, lineterminator="\r\n")
        header = [_GERMAN.get(c, DIMENSION_LABELS.get(c, c)) if spec.german else c for c in columns]
        writer.writerow(header)
        for value in values:
            writer.writerow(
                [
                    text(value.code),
                    text(value.name),
                    _number(value.value, spec.german),
                    text(value.unit),
                    _day(value.period_from, spec.german),
                    _day(value.period_to, spec.german),
                    _day(value.stichtag, spec.german),
                    *(text(shown(d, value.dimensions[d])) if d in value.dimensions else "" for d in dims),
                    ("ja" if value.suppressed else "nein") if spec.german else str(value.suppressed).lower(),
                    text(value.rule_version),
                ]
            )
    return path
