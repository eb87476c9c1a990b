"""XLSX workbook: "Auswertung Zeitraum" (state template, per Personalnummer), totals, a sheet per breakdown.

Written with openpyxl's write-only mode (rows streamed to disk). Text cells are always stored as text, so a
value starting with `=` can never become a formula; dates are written as naive dates; number formats use
`#,##0` / `#,##0.00`, which Excel shows with German separators on a German system.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from jobs.kennzahlen.breakdowns import DIMENSION_LABELS
from jobs.kennzahlen.compute import KennzahlenResult, StaffRow
from jobs.kennzahlen.outputs.fmt import de_date, dimension_title, label
from schemas import Kennzahlwert

__all__ = ["SHEET_AUSWERTUNG", "SHEET_KENNZAHLEN", "breakdown_sheet_name", "write_xlsx"]

SHEET_AUSWERTUNG: Final = "Auswertung Zeitraum"
SHEET_KENNZAHLEN: Final = "Kennzahlen gesamt"
FORMAT_COUNT: Final = "#,##0"
FORMAT_VZAE: Final = "#,##0.00"
FORMAT_SHARE: Final = "#,##0.0"
FORMAT_DATE: Final = "DD.MM.YYYY"
_BOLD: Final = Font(bold=True)
_INVALID_TITLE_CHARS: Final = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))

STAFF_COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("vzae", "VZÄ", FORMAT_VZAE),
    ("beratene_personen", "beratene Personen", FORMAT_COUNT),
    ("beratungsgespraeche", "Beratungsgespräche", FORMAT_COUNT),
    ("sondierungsgespraeche", "Sondierungsgespräche", FORMAT_COUNT),
    ("neue_plaene", "neue Integrationspläne", FORMAT_COUNT),
    ("personen_neue_plaene", "Personen mit neuem Integrationsplan", FORMAT_COUNT),
    ("fortschreibungen", "Fortschreibungen", FORMAT_COUNT),
    ("neuaufnahmen", "Neuaufnahmen", FORMAT_COUNT),
    ("aktive_faelle_stichtag", "aktive Fälle am Stichtag", FORMAT_COUNT),
    ("abgeschlossene_faelle", "abgeschlossene Fälle", FORMAT_COUNT),
)


def breakdown_sheet_name(dimension: str) -> str:
    name = (
        "IM (Pseudonym)" if dimension == "integrationsmanager" else DIMENSION_LABELS.get(dimension, dimension)
    )
    return ("nach " + name).translate(_INVALID_TITLE_CHARS)[:31]


def _number_format(value: Kennzahlwert) -> str:
    if value.unit == "VZÄ":
        return FORMAT_VZAE
    if isinstance(value.value, Decimal):
        return FORMAT_SHARE
    return FORMAT_COUNT


def _cell(sheet: Any, value: object, number_format: str | None = None, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, Decimal):
        value = float(value)  # openpyxl writes Decimal too, but float keeps readers' types simple
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if isinstance(value, date):
        cell.number_format = FORMAT_DATE
    elif number_format is not None:
        cell.number_format = number_format
    if bold:
        cell.font = _BOLD
    return cell


def _row(
    sheet: Any, values: Iterable[object], formats: Sequence[str | None] = (), bold: bool = False
) -> None:
    items = list(values)
    padded = list(formats) + [None] * (len(items) - len(formats))
    sheet.append([_cell(sheet, v, f, bold) for v, f in zip(items, padded, strict=True)])


def _heading(sheet: Any, result: KennzahlenResult, title: str) -> None:
    period = result.period
    _row(sheet, [title], bold=True)
    _row(sheet, ["Zeitraum", f"{de_date(period.start)} – {de_date(period.end)}"])
    _row(sheet, ["Stichtag", period.stichtag])
    _row(sheet, ["Regelversion", result.rule_version])
    _row(sheet, [])


def _staff_sheet(workbook: Workbook, result: KennzahlenResult) -> None:
    sheet = workbook.create_sheet(SHEET_AUSWERTUNG)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 16
    _heading(sheet, result, "Auswertung Zeitraum – Integrationsmanagement (Verwendungsnachweis, Nr. 6.2 VwV)")
    _row(sheet, ["Personalnummer", "Regionalteam", *(title for _, title, _ in STAFF_COLUMNS)], bold=True)
    formats = [None, None, *(fmt for _, _, fmt in STAFF_COLUMNS)]

    def values(row: StaffRow) -> list[object]:
        return [getattr(row, attr) for attr, _, _ in STAFF_COLUMNS]

    team_labels = result.labels.get("regionalteam")
    for row in result.staff:
        team = label(row.regionalteam, team_labels) if row.regionalteam else ""
        _row(sheet, [row.personalnummer, team, *values(row)], formats)
    _row(sheet, ["Gesamt", "", *values(result.staff_total)], formats, bold=True)
    _row(sheet, [])
    _row(
        sheet,
        [
            "Personen (beratene Personen, Personen mit neuem Plan) sind im Gesamt ohne Doppelzählung "
            "gezählt; "
            "wer von mehreren Integrationsmanager*innen beraten wurde, erscheint in mehreren Zeilen."
        ],
    )
    missing = [row.personalnummer for row in result.staff if not row.in_stammdaten]
    if missing:
        _row(sheet, ["Personalnummern ohne Stammdatensatz (Mitarbeitende): " + ", ".join(missing)])


def _totals_sheet(workbook: Workbook, result: KennzahlenResult) -> None:
    sheet = workbook.create_sheet(SHEET_KENNZAHLEN)
    sheet.column_dimensions["B"].width = 60
    _heading(sheet, result, "Kennzahlen Integrationsmanagement – Kreis gesamt")
    _row(sheet, ["Code", "Kennzahl", "Wert", "Einheit", "Stichtag"], bold=True)
    for value in result.values:
        if not value.dimensions:
            _row(
                sheet,
                [value.code, value.name, value.value, value.unit, value.stichtag],
                [None, None, _number_format(value)],
            )
    if result.not_computed:
        _row(sheet, [])
        for code, reason in result.not_computed.items():
            _row(sheet, [code, reason])


def _breakdown_sheets(workbook: Workbook, result: KennzahlenResult) -> None:
    dimensions: dict[str, list[Kennzahlwert]] = {}
    for value in result.values:
        if len(value.dimensions) == 1:
            (dimension,) = value.dimensions
            dimensions.setdefault(dimension, []).append(value)
    order = list(DIMENSION_LABELS)
    for dimension in sorted(dimensions, key=lambda d: (order.index(d) if d in order else 99, d)):
        sheet = workbook.create_sheet(breakdown_sheet_name(dimension))
        sheet.column_dimensions["B"].width = 60
        sheet.column_dimensions["C"].width = 28
        header = dimension_title(dimension, result.zielgruppe_cutoff)
        _heading(sheet, result, f"Kennzahlen nach {header}")
        _row(sheet, ["Code", "Kennzahl", header, "Wert", "Einheit", "unterdrückt"], bold=True)
        site_labels = result.labels.get(dimension)
        for value in dimensions[dimension]:
            raw = value.dimensions[dimension]
            shown = raw if dimension == "integrationsmanager" else label(raw, site_labels)
            _row(
                sheet,
                [value.code, value.name, shown, value.value, value.unit, "ja" if value.suppressed else ""],
                [None, None, None, _number_format(value)],
            )


def write_xlsx(result: KennzahlenResult, path: Path) -> Path:
    workbook = Workbook(write_only=True)
    _staff_sheet(workbook, result)
    _totals_sheet(workbook, result)
    _breakdown_sheets(workbook, result)
    workbook.save(path)
    return path
