"""XLSX workbook for the state (Verwendungsnachweis) and the county's own use: "Auswertung Zeitraum" (state
template, per Personalnummer), totals, a sheet per breakdown, explanations.

The workbook names staff by Personalnummer, so it has no sheet per Integrationsmanager*in pseudonym: a
pseudonym row repeating a figure of a Personalnummer row would undo the pseudonym for anyone holding the file.

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
from jobs.kennzahlen.compute import PSEUDONYM_FIELD, KennzahlenResult, StaffRow
from jobs.kennzahlen.outputs.fmt import dimension_title, label, ordered
from jobs.kennzahlen.outputs.view import AUDIENCES, EXPLANATIONS, head_lines, nicht_zaehlbar, unify_unknown
from schemas import Kennzahlwert

__all__ = [
    "SHEET_AUSWERTUNG",
    "SHEET_ERLAEUTERUNGEN",
    "SHEET_KENNZAHLEN",
    "breakdown_sheet_name",
    "write_xlsx",
]

SHEET_AUSWERTUNG: Final = "Auswertung Zeitraum"
SHEET_KENNZAHLEN: Final = "Kennzahlen gesamt"
SHEET_ERLAEUTERUNGEN: Final = "Erläuterungen"
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
    _row(sheet, [title], bold=True)
    for name, text in head_lines(result):
        _row(sheet, [name, result.period.stichtag if name == "Stichtag" else text])
    _row(sheet, ["Empfänger", AUDIENCES["xlsx"]])
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
    sheet.column_dimensions["A"].width = 60
    _heading(sheet, result, "Kennzahlen Integrationsmanagement – Kreis gesamt")
    _row(sheet, ["Kennzahl", "Wert", "Einheit", "Stichtag", "Code"], bold=True)
    for value in result.values:
        if not value.dimensions:
            _row(
                sheet,
                [value.name, value.value, value.unit, value.stichtag, value.code],
                [None, _number_format(value)],
            )
    if result.not_computed:
        _row(sheet, [])
        _row(sheet, ["Nicht berechnet", "Grund", "", "", "Code"], bold=True)
        for code, reason in result.not_computed.items():
            metric = result.metrics.get(code)
            _row(sheet, [metric.name if metric else code, reason, "", "", code])
    not_counted = nicht_zaehlbar(result)
    if not_counted:
        _row(sheet, [])
        _row(sheet, ["Nicht gezählte Datensätze (nicht zählbar)", "Anzahl", "Grund", "", "Code"], bold=True)
        for code, reasons in not_counted.items():
            metric = result.metrics.get(code)
            for reason, count in sorted(reasons.items()):
                _row(sheet, [metric.name if metric else code, count, reason, "", code], [None, FORMAT_COUNT])


def _breakdown_sheets(workbook: Workbook, result: KennzahlenResult) -> None:
    dimensions: dict[str, dict[str, list[Kennzahlwert]]] = {}
    for value in unify_unknown(result.values):
        if len(value.dimensions) == 1:
            (dimension,) = value.dimensions
            if dimension == PSEUDONYM_FIELD:
                continue  # staff are in "Auswertung Zeitraum" by Personalnummer; see the module doc
            dimensions.setdefault(dimension, {}).setdefault(value.code, []).append(value)
    order = list(DIMENSION_LABELS)
    for dimension in sorted(dimensions, key=lambda d: (order.index(d) if d in order else 99, d)):
        sheet = workbook.create_sheet(breakdown_sheet_name(dimension))
        sheet.column_dimensions["A"].width = 60
        sheet.column_dimensions["B"].width = 28
        header = dimension_title(dimension, result.zielgruppe_cutoff)
        _heading(sheet, result, f"Kennzahlen nach {header}")
        _row(sheet, ["Kennzahl", header, "Wert", "Einheit", "unterdrückt", "Code"], bold=True)
        site_labels = result.labels.get(dimension)
        for code_values in dimensions[dimension].values():
            by_key = {v.dimensions[dimension]: v for v in code_values}
            for key in ordered(dimension, by_key, site_labels):
                value = by_key[key]
                _row(
                    sheet,
                    [
                        value.name,
                        label(key, site_labels),
                        value.value,
                        value.unit,
                        "ja" if value.suppressed else "",
                        value.code,
                    ],
                    [None, None, _number_format(value)],
                )


def _explanations_sheet(workbook: Workbook, result: KennzahlenResult) -> None:
    sheet = workbook.create_sheet(SHEET_ERLAEUTERUNGEN)
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 120
    _heading(sheet, result, "Erläuterungen")
    _row(sheet, ["Code", "Was gezählt wird"], bold=True)
    for value in result.values:
        if not value.dimensions and value.code in EXPLANATIONS:
            _row(sheet, [value.code, EXPLANATIONS[value.code]])
    _row(sheet, [])
    for text in (
        "Personen zählen je Kennzahl einmal, auch über Haushalte und Fälle hinweg; in Aufschlüsselungen nach "
        "Regionalteam kann eine Person in mehreren Zeilen stehen.",
        f"Kleine Werte (1 bis {result.threshold - 1}) sind außerhalb der Kreissumme unterdrückt "
        "(Spalte „unterdrückt“, kein Wert); wäre ein unterdrückter Wert aus Summe und übrigen Zeilen "
        "zurückzurechnen, ist der kleinste weitere Wert mit einem Merkmal derselben Aufschlüsselung "
        "unterdrückt. „unbekannt“ und „ohne Angabe“ werden nicht unterdrückt (nur wenn sonst nichts bliebe), "
        "die vom Landkreis veröffentlichten Zahlen nie.",
        "Blatt „Auswertung Zeitraum“: je Personalnummer, nicht unterdrückt (Nachweis je "
        "Integrationsmanager*in nach VwV). Die Datei enthält deshalb Personalnummern: nur an das Land und "
        "intern weitergeben.",
    ):
        _row(sheet, ["", text])


def write_xlsx(result: KennzahlenResult, path: Path) -> Path:
    workbook = Workbook(write_only=True)
    _staff_sheet(workbook, result)
    _totals_sheet(workbook, result)
    _breakdown_sheets(workbook, result)
    _explanations_sheet(workbook, result)
    workbook.save(path)
    return path
