"""Generated JSON Schema files: determinism, drift against the models, and the `schema export` command."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from jobs.cli import main
from jobs.commands.schema import schema
from schemas.export import JSON_DIR, export_json_schemas, render_json_schemas, stale_json_schemas
from schemas.registry import ENTITIES

EXPECTED_FILES = sorted(f"{entity}.schema.json" for entity in ENTITIES)


def test_registry_names_every_entity() -> None:
    assert sorted(ENTITIES) == [
        "beratungsfall",
        "einwilligung",
        "integrationsplan",
        "jobcenter_datenweitergabe",
        "kennzahlwert",
        "klient",
        "kontakt",
        "mitarbeitende",
    ]


def test_packaged_json_schemas_match_the_models() -> None:
    """Fails when a model changed without `enaio-connector schema export`."""
    assert stale_json_schemas(JSON_DIR) == []
    assert sorted(path.name for path in JSON_DIR.glob("*.schema.json")) == EXPECTED_FILES


def test_rendering_is_deterministic_and_formatted() -> None:
    first = render_json_schemas()
    assert first == render_json_schemas()
    assert sorted(first) == EXPECTED_FILES
    for text in first.values():
        assert text.endswith("}\n")
        parsed = json.loads(text)
        assert text == json.dumps(parsed, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert parsed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert parsed["additionalProperties"] is False


def test_schema_content_describes_serialized_records() -> None:
    rendered = {name: json.loads(text) for name, text in render_json_schemas().items()}
    klient = rendered["klient.schema.json"]
    assert klient["properties"]["geburtsdatum"]["personal"] is True
    assert {"type": "string", "format": "date"} in klient["properties"]["geburtsdatum"]["anyOf"]
    assert klient["properties"]["modified_at"]["format"] == "date-time"
    # Serialized records always carry every key.
    assert set(klient["required"]) == set(klient["properties"])
    kontaktart = rendered["kontakt.schema.json"]["$defs"]["Kontaktart"]["enum"]
    assert "SONDIERUNG" in kontaktart
    ziel = rendered["integrationsplan.schema.json"]["$defs"]["Ziel"]
    assert ziel["properties"]["ziel"]["personal"] is True
    assert rendered["mitarbeitende.schema.json"]["properties"]["vzae"]["type"] == "string"


def test_drift_is_detected_and_repaired(tmp_path: Path) -> None:
    assert stale_json_schemas(tmp_path / "missing") == EXPECTED_FILES

    written = export_json_schemas(tmp_path)
    assert sorted(path.name for path in written) == EXPECTED_FILES
    assert stale_json_schemas(tmp_path) == []

    (tmp_path / "kontakt.schema.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "klient.schema.json").unlink()
    (tmp_path / "altlast.schema.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("kept", encoding="utf-8")
    assert stale_json_schemas(tmp_path) == [
        "altlast.schema.json",
        "klient.schema.json",
        "kontakt.schema.json",
    ]

    export_json_schemas(tmp_path)
    assert stale_json_schemas(tmp_path) == []
    assert not (tmp_path / "altlast.schema.json").exists()
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "kept"


def test_cli_export_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "json"
    result = CliRunner().invoke(schema, ["export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(Path(line).name for line in result.output.splitlines()) == EXPECTED_FILES
    assert {path.name: path.read_text(encoding="utf-8") for path in out.iterdir()} == render_json_schemas()


def test_cli_check_passes_on_current_files(tmp_path: Path) -> None:
    export_json_schemas(tmp_path)
    result = CliRunner().invoke(schema, ["export", "--out", str(tmp_path), "--check"])
    assert result.exit_code == 0
    assert "up to date" in result.output


def test_cli_check_fails_and_lists_drifted_files(tmp_path: Path) -> None:
    export_json_schemas(tmp_path)
    (tmp_path / "mitarbeitende.schema.json").write_text("{}\n", encoding="utf-8")
    result = CliRunner().invoke(schema, ["export", "--out", str(tmp_path), "--check"])
    assert result.exit_code == 1
    assert "mitarbeitende.schema.json" in result.output
    assert "klient.schema.json" not in result.output
    # --check writes nothing.
    assert (tmp_path / "mitarbeitende.schema.json").read_text(encoding="utf-8") == "{}\n"


def test_cli_check_defaults_to_the_packaged_directory() -> None:
    result = CliRunner().invoke(schema, ["export", "--check"])
    assert result.exit_code == 0, result.output
    assert str(JSON_DIR) in result.output


def test_cli_reports_an_unwritable_target_without_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["schema", "export", "--out", str(blocker / "sub")])
    assert result.exit_code == 2  # a path the operator gave that cannot be used is a usage error
    assert "cannot write JSON Schema files" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _marked(entity: str, marker: str) -> set[str]:
    schema = json.loads((JSON_DIR / f"{entity}.schema.json").read_text(encoding="utf-8"))
    return {name for name, prop in schema["properties"].items() if prop.get(marker) is True}


def test_identifying_and_describing_are_explicit_in_the_json_schema() -> None:
    # Identifying: the record cannot be placed without it (quarantined); describing: kept with null.
    assert _marked("mitarbeitende", "identifying") >= {"personalnummer", "vzae", "gueltig_ab"}
    assert _marked("mitarbeitende", "describing") == {"traeger", "name"}
    assert _marked("klient", "identifying") == {"enaio_id", "enaio_type", "modified_at", "aktenzeichen"}
    assert {"geschlecht", "wohnkommune", "unterbringungsart", "staatsangehoerigkeit"} <= _marked(
        "klient", "describing"
    )
    assert "regionalteam" in _marked("beratungsfall", "describing")
    assert {"fallbeginn", "aktenzeichen", "klient_enaio_id"} <= _marked("beratungsfall", "identifying")
    assert "datum" in _marked("kontakt", "identifying")
    assert "kontaktart" in _marked("kontakt", "describing")


def test_markers_agree_with_the_models() -> None:
    from schemas import Record, describing_fields, identifying_fields

    for entity, model in ENTITIES.items():
        if not issubclass(model, Record):
            continue
        identifying, describing = identifying_fields(model), describing_fields(model)
        assert not identifying & describing, entity
        required = {name for name, info in model.model_fields.items() if info.is_required()}
        # every required field identifies, every identifying top-level field is required
        assert required == {name for name in identifying if "." not in name}, entity
        for name in describing:
            if "." in name:
                continue
            info = model.model_fields[name]
            assert info.default is None, (entity, name)
            assert not info.is_required(), (entity, name)
        assert _marked(entity, "identifying") == {n for n in identifying if "." not in n}
        assert _marked(entity, "describing") == {n for n in describing if "." not in n}
