"""Mapping profile loader: the packaged profiles load, and every error names file, line and key."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from connector import logs
from connector.enaio.objdef import default_objdef, load_objdef
from connector.errors import ConfigurationError
from mappings import MappingProfile, ProfileError, drift, load_profile, misfits
from mappings.profile import PROFILES_DIR
from mappings.reader import add_years

SECOND = Path(__file__).parent / "sites" / "second"

MINIMAL = """\
site: Test
entities:
  mitarbeitende:
    type: ORG_MITARBEITENDE
    fields:
      personalnummer: {field: PERSONALNUMMER}
      name: {field: NAME, personal: true}
      vzae: {field: VZAE}
      gueltig_ab: {field: GUELTIG_AB}
      traeger: {field: TRAEGER}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> ProfileError:
    path = _write(tmp_path, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    error = info.value
    assert isinstance(error, ConfigurationError)
    assert error.file == str(path)
    assert str(path) in str(error)
    return error


def test_default_profile_loads_and_fits_the_reference_site() -> None:
    profile = load_profile()
    assert isinstance(profile, MappingProfile)
    assert profile.source == str(PROFILES_DIR / "default.yaml")
    assert set(profile.entities) == {
        "klient",
        "beratungsfall",
        "kontakt",
        "integrationsplan",
        "einwilligung",
        "jobcenter_datenweitergabe",
        "mitarbeitende",
    }
    assert misfits(profile, default_objdef()) == []
    assert drift(profile, default_objdef()) == []
    assert profile.ags("Tübingen") == "08416041"
    assert profile.ags("Nehren") is None  # listed, not yet verified


def test_second_site_profile_fits_its_site_and_not_the_reference_site() -> None:
    profile = load_profile(SECOND / "profile.yaml")
    assert misfits(profile, load_objdef(SECOND / "objdef.xml")) == []
    wrong = misfits(profile, default_objdef())
    assert any("object type PERSON is missing" in str(m) for m in wrong)


def test_minimal_profile(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, MINIMAL))
    assert list(profile.entities) == ["mitarbeitende"]
    with pytest.raises(ConfigurationError, match="not mapped"):
        profile.entity("klient")


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    error = _error(tmp_path, MINIMAL.replace("vzae: {field: VZAE}", "vzae: {field: VZAE"))
    assert error.line is not None
    assert error.line >= 9
    assert "invalid YAML" in str(error)


def test_unknown_key_names_line_and_key(tmp_path: Path) -> None:
    error = _error(tmp_path, MINIMAL.replace("{field: VZAE}", "{field: VZAE, sorce: x}"))
    assert error.line == 8
    assert error.key == "entities.mitarbeitende.fields.vzae.sorce"
    assert f"{error.file}:8: entities.mitarbeitende.fields.vzae.sorce: unknown key 'sorce'" in str(error)


def test_unknown_entity(tmp_path: Path) -> None:
    text = MINIMAL + "  klienten:\n    type: IM_KLIENT\n    fields: {}\n"
    error = _error(tmp_path, text)
    assert error.line == 11
    assert error.key == "entities.klienten"
    assert "unknown entity 'klienten'" in str(error)


def test_output_entity_is_not_readable(tmp_path: Path) -> None:
    text = MINIMAL + "  kennzahlwert:\n    type: X\n    fields: {}\n"
    error = _error(tmp_path, text)
    assert error.key == "entities.kennzahlwert"


def test_unknown_schema_field(tmp_path: Path) -> None:
    error = _error(
        tmp_path, MINIMAL.replace("vzae: {field: VZAE}", "vzae: {field: VZAE}\n      stelle: {const: 1}")
    )
    assert error.line == 9
    assert error.key == "entities.mitarbeitende.fields.stelle"
    assert "Mitarbeitende has no field 'stelle'" in str(error)


def test_personal_flag_must_agree_with_schema(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        MINIMAL.replace("name: {field: NAME, personal: true}", "name: {field: NAME, personal: false}"),
    )
    assert error.line == 7
    assert error.key == "entities.mitarbeitende.fields.name.personal"
    assert "Mitarbeitende.name is personal" in str(error)
    error = _error(tmp_path, MINIMAL.replace("vzae: {field: VZAE}", "vzae: {field: VZAE, personal: true}"))
    assert error.line == 8
    assert "is not personal" in str(error)


def test_nested_personal_flag(tmp_path: Path) -> None:
    default = (PROFILES_DIR / "default.yaml").read_text(encoding="utf-8")
    original = "ziel: {column: ZIEL, personal: true, required: describing}"
    broken = default.replace(original, original.replace("personal: true", "personal: false"))
    error = _error(tmp_path, broken)
    line = default.splitlines().index("          " + original) + 1
    assert error.line == line
    assert error.key == "entities.integrationsplan.fields.ziele.columns.ziel.personal"


def test_required_field_not_mapped(tmp_path: Path) -> None:
    # identifying fields must be mapped; a describing one (traeger) may be missing on a site
    error = _error(tmp_path, MINIMAL.replace("      vzae: {field: VZAE}\n", ""))
    assert error.line == 5
    assert "required field 'vzae'" in str(error)
    assert load_profile(_write(tmp_path, MINIMAL.replace("      traeger: {field: TRAEGER}\n", "")))


def test_required_kind_must_agree_with_the_schema(tmp_path: Path) -> None:
    error = _error(tmp_path, MINIMAL.replace("{field: TRAEGER}", "{field: TRAEGER, required: identifying}"))
    assert error.key == "entities.mitarbeitende.fields.traeger.required"
    assert "Mitarbeitende.traeger is describing" in str(error)
    error = _error(tmp_path, MINIMAL.replace("{field: VZAE}", "{field: VZAE, required: describing}"))
    assert "Mitarbeitende.vzae is identifying" in str(error)
    error = _error(tmp_path, MINIMAL.replace("{field: VZAE}", "{field: VZAE, required: optional}"))
    assert error.key == "entities.mitarbeitende.fields.vzae.required"
    profile = load_profile(
        _write(tmp_path, MINIMAL.replace("{field: TRAEGER}", "{field: TRAEGER, required: describing}"))
    )
    assert profile.entities["mitarbeitende"].fields["traeger"].required == "describing"


def test_default_profile_marks_every_identifying_and_describing_field() -> None:
    from mappings.profile import record_model, required_kind, schema_item_model

    profile = load_profile()
    for entity, mapping in profile.entities.items():
        model = record_model(entity)
        assert model is not None
        for name, fm in mapping.fields.items():
            assert fm.required == required_kind(model, name), (entity, name)
            item = schema_item_model(model, name)
            for column, cm in (fm.columns or {}).items():
                assert item is not None
                assert cm.required == required_kind(item, column), (entity, column)


def test_exactly_one_source(tmp_path: Path) -> None:
    error = _error(tmp_path, MINIMAL.replace("{field: VZAE}", "{field: VZAE, const: 1}"))
    assert error.line == 8
    assert "exactly one source" in str(error)
    error = _error(tmp_path, MINIMAL.replace("{field: VZAE}", "{type: decimal}"))
    assert "found: none" in str(error)


def test_values_must_be_enum_members(tmp_path: Path) -> None:
    error = _error(tmp_path, MINIMAL.replace("{field: TRAEGER}", "{field: TRAEGER, values: {LRA: LANDRAT}}"))
    assert error.key == "entities.mitarbeitende.fields.traeger.values.LRA"
    assert "'LANDRAT' is not a member of Traeger" in str(error)
    error = _error(tmp_path, MINIMAL.replace("traeger: {field: TRAEGER}", "traeger: {const: LRA}"))
    assert error.key == "entities.mitarbeitende.fields.traeger.const"
    assert error.line == 10


def test_wrong_value_type_and_duplicate_key(tmp_path: Path) -> None:
    error = _error(tmp_path, MINIMAL.replace("{field: VZAE}", "{field: VZAE, type: money}"))
    assert error.line == 8
    assert error.key == "entities.mitarbeitende.fields.vzae.type"
    error = _error(
        tmp_path,
        MINIMAL.replace("      vzae: {field: VZAE}\n", "      vzae: {field: VZAE}\n      vzae: {field: X}\n"),
    )
    assert error.line == 9
    assert "duplicate key" in str(error)


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    text = MINIMAL.replace("{field: VZAE}", "{field: VZAE, foo: 1}").replace(
        "{field: TRAEGER}", "{field: T, bar: 2}"
    )
    error = _error(tmp_path, text)
    assert len(error.problems) == 2
    assert [p[0] for p in error.problems] == [8, 10]


def test_missing_file_and_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read mapping profile"):
        load_profile(tmp_path / "nope.yaml")
    error = _error(tmp_path, "- just\n- a list\n")
    assert error.line == 1


def test_add_years_handles_leap_day() -> None:
    from datetime import date

    assert add_years(date(2020, 2, 29), 3) == date(2023, 2, 28)
    assert add_years(date(2018, 4, 1), 3) == date(2021, 4, 1)


def test_personal_enaio_field_names_come_from_the_profile() -> None:
    assert load_profile("default").personal_field_names() >= {
        "FAMILIENNAME",
        "VORNAMEN",
        "GEBURTSDATUM",
        "ZIEL",
    }
    second = load_profile(SECOND / "profile.yaml").personal_field_names()
    assert second >= {"NACHNAME", "VORNAME", "GEBDAT", "TEXT"}  # TEXT: the goal text of ZIEL documents
    assert "AZ" not in second
    assert "GEMEINDE" not in second


def test_loading_a_profile_registers_its_personal_fields_for_log_redaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logs, "_personal_fields", set())  # nothing registered by earlier tests
    stream = io.StringIO()
    handler = logs.configure_logging("DEBUG", "text", stream=stream)
    canary = logging.getLogger("tests.canary")
    try:
        canary.debug("before NACHNAME=Kanarienvogel-Vorher")
        load_profile(SECOND / "profile.yaml")
        canary.debug(
            "NACHNAME=%s VORNAME=%s GEBDAT=%s AZ=%s",
            "Kanarienvogel-Müßig",
            "Zilpzalp",
            "17.05.1990",
            "BK-001",
        )
        load_profile("default")
        canary.debug("FAMILIENNAME=Kanarienvogel-Tübingen GEBURTSDATUM=1991-03-14")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    text = stream.getvalue()
    assert "Kanarienvogel-Vorher" in text  # the canary works: unmasked before the profile was loaded
    for value in ("Kanarienvogel-Müßig", "Zilpzalp", "17.05.1990", "Kanarienvogel-Tübingen", "1991-03-14"):
        assert value not in text
    assert f"NACHNAME={logs.MASK}" in text
    assert "AZ=BK-001" in text  # not personal, stays readable
