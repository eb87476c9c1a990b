"""Generated JSON Schema files (`schemas/json/<entity>.schema.json`) and the drift check keeping them current.

The files describe records as serialized (`mode="serialization"`): dates as ISO strings, decimals as strings,
which is what data teams receive. Personal fields carry `"personal": true`.
"""

from __future__ import annotations

import json
from pathlib import Path

from schemas.registry import ENTITIES

__all__ = ["JSON_DIR", "SUFFIX", "export_json_schemas", "render_json_schemas", "stale_json_schemas"]

JSON_DIR = Path(__file__).resolve().parent / "json"
SUFFIX = ".schema.json"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def render_json_schemas() -> dict[str, str]:
    """File name → JSON text, byte-for-byte deterministic (sorted keys, 2-space indent, trailing newline)."""
    rendered: dict[str, str] = {}
    for entity, model in sorted(ENTITIES.items()):
        schema = {"$schema": _DIALECT, **model.model_json_schema(mode="serialization")}
        rendered[entity + SUFFIX] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return rendered


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def stale_json_schemas(directory: Path) -> list[str]:
    """Sorted file names in `directory` that are missing, differ from the models, or belong to no entity."""
    expected = render_json_schemas()
    stale = {name for name, text in expected.items() if _read(directory / name) != text}
    if directory.is_dir():
        stale.update(path.name for path in directory.glob("*" + SUFFIX) if path.name not in expected)
    return sorted(stale)


def export_json_schemas(directory: Path) -> list[Path]:
    """Write all schema files into `directory` (created if needed), remove orphans, return the paths."""
    expected = render_json_schemas()
    directory.mkdir(parents=True, exist_ok=True)
    for orphan in directory.glob("*" + SUFFIX):
        if orphan.name not in expected:
            orphan.unlink()
    written: list[Path] = []
    for name, text in expected.items():
        path = directory / name
        if _read(path) != text:
            path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written
