"""Issue 14 offline: the plan document (DOCX from the packaged or a county's own template) and the
profile-driven encoding of schema values into another site's index data."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document

from connector.enaio.objdef import default_objdef, load_objdef
from connector.errors import ConfigurationError, ValidationError
from jobs.writeback.encode import EntityEncoder, decode
from jobs.writeback.render import DEFAULT_TEMPLATE, build_default_template, plan_context, render_docx
from mappings import load_profile
from schemas.enums import Handlungsfeld, Planart, Planstatus, Zielstatus
from schemas.integrationsplan import Ziel

SECOND = Path(__file__).parent / "sites" / "second"
GOALS = (
    Ziel(
        handlungsfeld=Handlungsfeld.SPRACHE,
        ziel="Sprachkurs B1 abschließen",
        zielstatus=Zielstatus.IN_BEARBEITUNG,
        frist=date(2018, 12, 31),
    ),
    Ziel(
        handlungsfeld=Handlungsfeld.WOHNEN,
        ziel="Eigene Wohnung <finden> & halten",
        zielstatus=Zielstatus.OFFEN,
    ),
)
VALUES = {
    "planart": Planart.INTEGRATIONSZIELVEREINBARUNG,
    "planversion": 1,
    "erstellt_am": date(2018, 11, 9),
    "vereinbart_am": date(2018, 11, 12),
    "planstatus": Planstatus.VEREINBART,
    "unterschrift_klient": True,
    "weitere_personen": ("IM-T-0002", "IM-T-0003"),
    "ziele": GOALS,
}


def _texts(docx: bytes) -> tuple[list[str], list[list[str]]]:
    document = Document(BytesIO(docx))
    paragraphs = [p.text for p in document.paragraphs]
    cells = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    return paragraphs, cells


def _render(template: Path | None = None) -> bytes:
    objdef = default_objdef()
    encoder = EntityEncoder(load_profile(), objdef, "integrationsplan")
    encoded = encoder.encode(VALUES)
    names = {"planart": "PLANART", "planstatus": "PLANSTATUS", "erstellt_am": "ERSTELLT_AM", "ziele": "ZIELE"}
    names |= {"vereinbart_am": "VEREINBART_AM", "weitere_personen": "WEITERE_PERSONEN"}
    columns = {"ziele": {n: n.upper() for n in ("handlungsfeld", "ziel", "frist", "zielstatus")}}
    extra = {"aktenzeichen": "IM-T-0001", "vornamen": "Rania", "familienname": "Haddad", "versionstext": "V1"}
    context = plan_context(objdef, encoder.otype, encoded.fields, encoded.tables, names, columns, extra)
    return render_docx(context, template)


def test_packaged_template_renders_german_labels_and_the_goal_table() -> None:
    paragraphs, cells = _texts(_render())
    # catalogue labels (German) from the site definition, dates as dd.mm.yyyy
    assert paragraphs[0] == "Integrationszielvereinbarung"
    assert "Planstatus: vereinbart" in paragraphs[1]
    assert ["Klient/in", "Rania Haddad"] in cells
    assert ["Weitere einbezogene Personen", "IM-T-0002, IM-T-0003"] in cells
    assert ["Vereinbart am", "12.11.2018"] in cells
    goal_rows = [row for row in cells if row[0] in ("Sprache", "Wohnen")]
    assert goal_rows == [
        ["Sprache", "Sprachkurs B1 abschließen", "", "", "31.12.2018", "in Bearbeitung", ""],
        ["Wohnen", "Eigene Wohnung <finden> & halten", "", "", "", "offen", ""],
    ]
    assert not any("{{" in text or "{%" in text for row in cells for text in row)


def test_a_county_template_replaces_the_packaged_one(tmp_path: Path) -> None:
    own = tmp_path / "landkreis.docx"
    document = Document()
    document.add_paragraph("Landkreis Beispiel – {{ planart }} für {{ aktenzeichen }}")
    document.save(str(own))
    paragraphs, _ = _texts(_render(own))
    assert paragraphs == ["Landkreis Beispiel – Integrationszielvereinbarung für IM-T-0001"]
    with pytest.raises(ConfigurationError, match="does not exist"):
        _render(tmp_path / "missing.docx")
    broken = tmp_path / "broken.docx"
    Document().save(str(broken))
    doc = Document(str(broken))
    doc.add_paragraph("{% for %}")
    doc.save(str(broken))
    with pytest.raises(ConfigurationError, match="cannot be rendered"):
        _render(broken)


def test_packaged_template_is_the_one_the_builder_makes(tmp_path: Path) -> None:
    built = tmp_path / "t.docx"
    build_default_template(built)
    assert _texts(built.read_bytes()) == _texts(DEFAULT_TEMPLATE.read_bytes())


def test_encoding_follows_the_profile_of_another_site() -> None:
    profile = load_profile(SECOND / "profile.yaml")
    objdef = load_objdef(SECOND / "objdef.xml")
    encoder = EntityEncoder(profile, objdef, "integrationsplan")
    # member -> the site's catalogue key (VEREINBART is UNTERSCHRIEBEN there); a const source is checked
    encoded = encoder.encode(
        {"planstatus": Planstatus.VEREINBART, "planversion": 2, "erstellt_am": date(2018, 1, 2)}
    )
    assert encoded.type_name == "ZIELVEREINBARUNG"
    assert encoded.fields == {"STATUS": "UNTERSCHRIEBEN", "VERSION": 2, "ERSTELLT": date(2018, 1, 2)}
    assert decode(encoder, encoded.fields)["planstatus"] == "VEREINBART"
    with pytest.raises(ValidationError, match="only knows the value"):
        encoder.encode({"planart": Planart.INTEGRATIONSPLAN})
    # goals as child documents are not written yet: a clear configuration error, not a wrong write
    with pytest.raises(ConfigurationError, match="child documents"):
        encoder.encode({"ziele": GOALS})
    # the plan number ZV_NR is required on this site but not mapped: refused before any write
    with pytest.raises(ConfigurationError, match="requires ZV_NR"):
        encoder.check_writable()
    EntityEncoder(
        load_profile(), default_objdef(), "integrationsplan"
    ).check_writable()  # reference site: fine


def test_invalid_values_are_refused_without_the_value() -> None:
    encoder = EntityEncoder(load_profile(), default_objdef(), "integrationsplan")
    with pytest.raises(ValidationError) as caught:
        encoder.encode({"integrationsmanager": "7" * 30})  # text(20)
    assert "IM_PLAN.INTEGRATIONSMANAGER" in str(caught.value)
    assert "7777" not in str(caught.value)
