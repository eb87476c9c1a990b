"""The plan document (DOCX) staff keep editing in enaio, rendered from a Word template with docxtpl.

The packaged German template (``templates/integrationsplan.docx``) can be replaced by a county's own
(``--template`` or ``ENAIO_PLAN_TEMPLATE``); the context a template sees is listed in docs/writeback.md.
Labels of catalogue values come from the site's object definition (German), never from code.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from connector.enaio.model import FieldValue
from connector.enaio.objdef import FieldDef, ObjectDefinition, ObjectType, TableColumn
from connector.errors import ConfigurationError
from connector.extras import require

__all__ = ["DEFAULT_TEMPLATE", "DOCX_MIME", "build_default_template", "plan_context", "render_docx"]

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "integrationsplan.docx"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def de_date(value: object) -> str:
    return value.strftime("%d.%m.%Y") if isinstance(value, date) else ""


def label(objdef: ObjectDefinition, spec: FieldDef | TableColumn, value: FieldValue | None) -> str:
    """The German text of a stored value: catalogue label, date as dd.mm.yyyy, else the value."""
    if value is None:
        return ""
    if isinstance(value, date):
        return de_date(value)
    if spec.catalogue is not None and isinstance(value, str):
        catalogue = objdef.catalogues.get(spec.catalogue)
        if catalogue is not None:
            sep = spec.valuesep
            parts = value.split(sep) if sep else [value]
            return ", ".join(catalogue.label(part) if part in catalogue.keys else part for part in parts)
    if spec.valuesep and isinstance(value, str):
        return ", ".join(part for part in value.split(spec.valuesep) if part)
    return str(value)


def plan_context(
    objdef: ObjectDefinition,
    otype: ObjectType,
    fields: Mapping[str, FieldValue],
    tables: Mapping[str, list[dict[str, FieldValue]]],
    field_names: Mapping[str, str],
    column_names: Mapping[str, Mapping[str, str]],
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """Template context: ``extra`` (client, case, version text) plus every plan field by schema name as
    German text, and each table (``ziele``) as a list of rows by schema column name.

    ``field_names``: schema name -> index field or table field; ``column_names``: schema name of a table ->
    schema column name -> site column.
    """
    context: dict[str, Any] = dict(extra)
    for name, target in field_names.items():
        spec = otype.fields_by_name.get(target)
        if spec is None:
            continue
        if spec.is_table:
            site_columns = spec.columns_by_name
            wanted = column_names.get(name, {})
            context[name] = [
                {
                    col_name: label(objdef, site_columns[col], row.get(col))
                    for col_name, col in wanted.items()
                    if col in site_columns
                }
                for row in tables.get(target, [])
            ]
        else:
            context[name] = label(objdef, spec, fields.get(target))
    return context


def render_docx(context: Mapping[str, Any], template: Path | None = None) -> bytes:
    path = template or DEFAULT_TEMPLATE
    if not path.is_file():
        raise ConfigurationError(
            f"plan template {path} does not exist", key="plan_template", source=str(path)
        )
    require("docxtpl", extra="reports", purpose="the plan document (DOCX)", key="plan_template")
    try:
        from docxtpl import DocxTemplate

        doc = DocxTemplate(str(path))
        doc.render(dict(context), autoescape=True)
    except ConfigurationError:
        raise
    except Exception as exc:  # docxtpl/jinja raise many kinds; a broken template is a configuration error
        raise ConfigurationError(
            f"plan template {path} cannot be rendered: {type(exc).__name__}",
            key="plan_template",
            source=str(path),
        ) from None
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def build_default_template(path: Path) -> None:
    """Write the packaged German template (how ``templates/integrationsplan.docx`` was made)."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.add_heading("{{ planart }}", level=1)
    document.add_paragraph("{{ versionstext }} · Planstatus: {{ planstatus }}")
    info = document.add_table(rows=0, cols=2)
    info.style = "Table Grid"
    for caption, tag in (
        ("Klient/in", "{{ vornamen }} {{ familienname }}"),
        ("Aktenzeichen", "{{ aktenzeichen }}"),
        ("Beratungsfall seit", "{{ fallbeginn }}"),
        ("Integrationsmanager/in (Personalnummer)", "{{ integrationsmanager }}"),
        ("Weitere einbezogene Personen", "{{ weitere_personen }}"),
        ("Erstellt am", "{{ erstellt_am }}"),
        ("Vereinbart am", "{{ vereinbart_am }}"),
        ("Nächste Überprüfung", "{{ naechste_ueberpruefung }}"),
    ):
        cells = info.add_row().cells
        cells[0].text = caption
        cells[1].text = tag
    document.add_heading("Ziele und Maßnahmen", level=2)
    headers = ("Handlungsfeld", "Ziel", "Maßnahme", "Verantwortlich", "Frist", "Status", "Statusdatum")
    keys = ("handlungsfeld", "ziel", "massnahme", "verantwortlich", "frist", "zielstatus", "statusdatum")
    goals = document.add_table(rows=1, cols=len(headers))
    goals.style = "Table Grid"
    for cell, text in zip(goals.rows[0].cells, headers, strict=True):
        cell.text = text
    goals.add_row().cells[0].text = "{%tr for z in ziele %}"
    row = goals.add_row().cells
    for cell, key in zip(row, keys, strict=True):
        cell.text = "{{ z." + key + " }}"
    goals.add_row().cells[0].text = "{%tr endfor %}"
    document.add_paragraph("")
    note = document.add_paragraph(
        "Die Teilnahme am Integrationsmanagement und diese Vereinbarung sind freiwillig. "
        "Die Vereinbarung wird regelmäßig überprüft und fortgeschrieben."
    )
    for run in note.runs:
        run.font.size = Pt(9)
    document.add_paragraph("")
    document.add_paragraph("Unterschrift Klient/in: ____________________    Datum: ____________")
    document.add_paragraph("Unterschrift Integrationsmanager/in: ____________________    Datum: ____________")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
