from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.enaio.model import ObjectKind, type_id
from connector.enaio.objdef import (
    FieldValueError,
    ObjdefFormatError,
    ObjectDefinition,
    UnknownCatalogueError,
    UnknownFieldError,
    UnknownObjectTypeError,
    ValueType,
    default_objdef,
    default_site_path,
    load_objdef,
)
from connector.errors import ValidationError
from connector.xmlsafe import XmlSecurityError

BERLIN = ZoneInfo("Europe/Berlin")
# shared/ lies beside the repository (in development and in CI's clean clone)
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "site" / "objdef.xml"


@pytest.fixture(scope="module")
def od() -> ObjectDefinition:
    return load_objdef(default_site_path())


def test_shipped_copy_is_the_reference() -> None:
    if not REFERENCE.parent.parent.is_dir():
        pytest.skip(f"no shared reference beside the repository ({REFERENCE.parent.parent})")
    assert default_site_path().read_bytes() == REFERENCE.read_bytes()


def test_types_and_hierarchy(od: ObjectDefinition) -> None:
    assert {t.internal for t in od.types} == {
        "IM_KLIENT",
        "IM_FALL",
        "IM_KONTAKT",
        "IM_PLAN",
        "IM_EINWILLIGUNG",
        "IM_JC_DATEN",
        "ORG_MITARBEITENDE",
    }
    klient = od.type_by_name("IM_KLIENT")
    fall = od.type_by_id(6488095)
    kontakt = od.type_by_name("IM_KONTAKT")
    assert klient.type_id == 12
    assert klient.kind is ObjectKind.FOLDER
    assert klient.table_name == "stamm12"
    assert fall.kind is ObjectKind.REGISTER
    assert fall.type_id == type_id(99, 31)
    assert kontakt.kind is ObjectKind.DOCUMENT
    assert kontakt.parent_type_ids == (6488095,)
    assert klient.allows_parent(None)
    assert not klient.allows_parent(fall)
    assert fall.allows_parent(klient)
    assert not fall.allows_parent(None)
    assert not fall.allows_parent(fall)
    assert kontakt.allows_parent(fall)
    assert not kontakt.allows_parent(klient)
    assert {t.internal for t in od.children_of(fall)} == {
        "IM_KONTAKT",
        "IM_PLAN",
        "IM_EINWILLIGUNG",
        "IM_JC_DATEN",
    }
    assert {t.internal for t in od.children_of(None)} == {"IM_KLIENT", "ORG_MITARBEITENDE"}
    assert od.cabinet("IM").type_names[0] == "IM_KLIENT"
    assert od.cabinet("ORG").cotype == 13
    assert klient.names["en_US"] == "Client file"
    assert od.resolve_type("Client file") is klient
    assert od.resolve_type("stamm12") is klient
    assert od.resolve_type("12") is klient
    assert od.resolve_type(262185) is kontakt


def test_fields(od: ObjectDefinition) -> None:
    klient = od.type_by_name("IM_KLIENT")
    assert [f.internal for f in klient.fields][:3] == ["AKTENZEICHEN", "FAMILIENNAME", "VORNAMEN"]
    az = klient.field("AKTENZEICHEN")
    assert az.key_field
    assert az.required
    assert az.input_length == 20
    assert az.fieldname == "feld1"
    g = klient.field("GESCHLECHT")
    assert g.catalogue == "GESCHLECHT"
    assert g.allowed_keys == frozenset({"WEIBLICH", "MAENNLICH", "DIVERS", "OHNE_ANGABE"})
    assert klient.field("IM_UEBERTRAGEN").is_checkbox
    assert klient.resolve_field("datum1").internal == "GEBURTSDATUM"
    assert klient.resolve_field("Date of birth").internal == "GEBURTSDATUM"
    themen = od.field("IM_KONTAKT", "THEMEN")
    assert themen.valuesep == ";"
    assert themen.multiselection
    assert themen.catalogue == "HANDLUNGSFELD"
    assert od.field("IM_FALL", "HOECHSTDAUER_BIS").readonly
    vzae = od.field("ORG_MITARBEITENDE", "VZAE")
    assert vzae.value_type is ValueType.DECIMAL
    ziele = od.field("IM_PLAN", "ZIELE")
    assert ziele.is_table
    assert [c.internal for c in ziele.columns] == [
        "HANDLUNGSFELD",
        "ZIEL",
        "MASSNAHME",
        "VERANTWORTLICH",
        "FRIST",
        "ZIELSTATUS",
        "STATUSDATUM",
    ]
    status = ziele.column("ZIELSTATUS")
    assert status.required
    assert status.catalogue == "ZIELSTATUS"
    assert "ERREICHT" in (status.allowed_keys or ())
    assert ziele.column("FRIST").value_type is ValueType.DATE


def test_catalogues(od: ObjectDefinition) -> None:
    cat = od.catalogue("UNTERBRINGUNGSART")
    assert list(cat.rows) == ["VU", "AU", "PRIVAT"]
    assert cat.label("AU") == "Anschlussunterbringung"
    assert cat.label("AU", "en_US") == "Follow-up municipal accommodation"
    assert len(cat.os_guid) == 32
    with pytest.raises(UnknownCatalogueError):
        cat.label("NOPE")


def test_lookup_errors_name_the_thing(od: ObjectDefinition) -> None:
    with pytest.raises(UnknownObjectTypeError, match="IM_NOPE"):
        od.type_by_name("IM_NOPE")
    with pytest.raises(KeyError):
        od.type_by_id(4711)
    with pytest.raises(UnknownFieldError, match="IM_KLIENT") as info:
        od.field("IM_KLIENT", "NOPE")
    assert "NOPE" in str(info.value)
    with pytest.raises(UnknownFieldError, match="ZIELE"):
        od.field("IM_PLAN", "ZIELE").column("NOPE")
    with pytest.raises(UnknownCatalogueError):
        od.catalogue("NOPE")
    with pytest.raises(KeyError):
        od.cabinet("NOPE")


def test_source_bytes_and_etag(od: ObjectDefinition) -> None:
    data = default_site_path().read_bytes()
    assert od.source_bytes == data
    assert od.etag == hashlib.sha256(data).hexdigest()
    assert load_objdef(data).etag == od.etag
    assert load_objdef(data.replace(b"Klientenakte", b"Klientenakte2", 1)).etag != od.etag
    assert default_objdef() is default_objdef()


def test_date_codec(od: ObjectDefinition) -> None:
    f = od.field("IM_KLIENT", "GEBURTSDATUM")
    assert f.from_wire_text("01.02.1990") == date(1990, 2, 1)
    assert f.from_wire_text("1990-02-01") == date(1990, 2, 1)
    assert f.from_wire_text("1990-02-01T00:00:00+01:00") == date(1990, 2, 1)
    assert f.from_wire_text("") is None
    assert f.from_wire_text("  ") is None
    assert f.to_wire_text(date(1990, 2, 1)) == "01.02.1990"
    assert f.to_wire_text(None) == ""
    with pytest.raises(FieldValueError, match=r"IM_KLIENT\.GEBURTSDATUM") as info:
        f.from_wire_text("31.02.1990")
    assert info.value.field == "IM_KLIENT.GEBURTSDATUM"
    assert isinstance(info.value, ValidationError)
    with pytest.raises(FieldValueError):
        f.coerce(datetime(2020, 1, 1, tzinfo=UTC))


def test_number_codecs(od: ObjectDefinition) -> None:
    dauer = od.field("IM_KONTAKT", "DAUER_MIN")
    assert dauer.from_wire_text("45") == 45
    assert dauer.to_wire_text(45) == "45"
    with pytest.raises(FieldValueError, match="DAUER_MIN"):
        dauer.from_wire_text("45.5")
    check = od.field("IM_KONTAKT", "DOLMETSCHUNG")
    assert check.from_wire_text("1") == 1
    assert check.normalize(True) == 1
    assert check.to_wire_text(False) == "0"
    with pytest.raises(FieldValueError):
        check.from_wire_text("2")
    vzae = od.field("ORG_MITARBEITENDE", "VZAE")
    assert vzae.from_wire_text("0.75") == Decimal("0.75")
    assert vzae.to_wire_text(Decimal("0.50")) == "0.50"
    assert vzae.coerce(1) == Decimal(1)
    for bad in ("0,75", "NaN", "abc"):
        with pytest.raises(FieldValueError, match="VZAE"):
            vzae.from_wire_text(bad)


def test_text_and_catalogue_checks(od: ObjectDefinition) -> None:
    themen = od.field("IM_KONTAKT", "THEMEN")
    assert themen.normalize("SPRACHE;WOHNEN") == "SPRACHE;WOHNEN"
    with pytest.raises(FieldValueError, match="NOPE"):
        themen.normalize("SPRACHE;NOPE")
    with pytest.raises(FieldValueError):
        themen.normalize("SPRACHE;")
    az = od.field("IM_KLIENT", "AKTENZEICHEN")
    with pytest.raises(FieldValueError, match="longer than 20"):
        az.normalize("X" * 21)
    with pytest.raises(FieldValueError, match="expected text"):
        az.normalize(5)
    assert az.to_wire_text("IM-2024-0001") == "IM-2024-0001"
    with pytest.raises(FieldValueError):
        od.field("IM_PLAN", "ZIELE").from_wire_text("x")
    col = od.field("IM_PLAN", "ZIELE").column("ZIELSTATUS")
    with pytest.raises(FieldValueError, match=r"ZIELE\.ZIELSTATUS"):
        col.normalize("NOPE")


def test_datetime_codec(od: ObjectDefinition) -> None:
    xml = default_site_path().read_bytes()
    # the reference has no datetime field; add one the E7 way to exercise the codec
    xml = xml.replace(
        b'dt="D" flags="0" flags1="0" flags2="0" control_type="edit" datatype="date"',
        b'dt="Z" flags="0" flags1="0" flags2="0" control_type="edit" datatype="datetime"',
        1,
    )
    f = load_objdef(xml).field("IM_KLIENT", "GEBURTSDATUM")
    assert f.value_type is ValueType.DATETIME
    value = f.from_wire_text("01.07.2024 14:30:05", tz=BERLIN)
    assert value == datetime(2024, 7, 1, 14, 30, 5, tzinfo=BERLIN)
    assert isinstance(value, datetime)
    assert value.utcoffset() is not None
    assert f.from_wire_text("2024-07-01T12:30:05Z", tz=BERLIN) == value
    assert (
        f.to_wire_text(datetime(2024, 7, 1, 12, 30, 5, 999, tzinfo=UTC), tz=BERLIN) == "01.07.2024 14:30:05"
    )
    with pytest.raises(FieldValueError):
        f.coerce(datetime(2024, 7, 1))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(FieldValueError):
        f.from_wire_text("yesterday")


def test_malformed_definitions() -> None:
    with pytest.raises(ObjdefFormatError):
        load_objdef(b"<other/>")
    bad_oid = default_site_path().read_bytes().replace(b'<ids oid="12"', b'<ids oid="13"', 1)
    with pytest.raises(ObjdefFormatError, match="oid"):
        load_objdef(bad_oid)
    with pytest.raises(XmlSecurityError):
        load_objdef(b'<!DOCTYPE a [<!ENTITY x "y">]><asobjdef>&x;</asobjdef>')


def test_vendor_shape_without_catalogues_extension() -> None:
    xml = b"""<asobjdef version="5.00">
      <languages>
        <language lang_id="7" active="1" name="de_DE"/><language lang_id="9" name="en_US"/>
      </languages>
      <cabinet cotype="1" name="Akten" internal="AKTEN">
        <object maintype="0" cotype="1" tablename="stamm1" name="Akte" internal="AKTE">
          <names><name lang_id="7">Akte</name><name lang_id="9">File</name></names>
          <fields>
            <field name="Farbe" internal="FARBE" fieldname="feld1">
              <flags dt="X" control_type="list" input_length="10"/>
              <list><rawdata/><row value="ROT">rot</row><row value="BLAU">blau</row></list>
            </field>
          </fields>
        </object>
        <object maintype="99" cotype="2" tablename="register2" name="Reg" internal="REG"><fields/></object>
      </cabinet>
    </asobjdef>"""
    od = load_objdef(xml)
    akte = od.type_by_name("AKTE")
    assert akte.names["en_US"] == "File"
    assert akte.field("FARBE").allowed_keys == frozenset({"ROT", "BLAU"})
    assert od.catalogue("FARBE").keys == {"ROT", "BLAU"}
    reg = od.type_by_name("REG")
    assert reg.allows_parent(akte)
    assert reg.allows_parent(reg)
    assert not reg.allows_parent(None)
