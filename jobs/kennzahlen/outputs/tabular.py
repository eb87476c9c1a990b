"""Machine-readable outputs: kennzahlen.json (list of Kennzahlwert) and kennzahlen.csv (same columns)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Final

from jobs.kennzahlen.compute import KennzahlenResult
from jobs.kennzahlen.outputs.fmt import neutralize_formula

__all__ = ["CSV_COLUMNS", "write_csv", "write_json"]

CSV_COLUMNS: Final = (
    "code",
    "name",
    "value",
    "unit",
    "period_from",
    "period_to",
    "stichtag",
    "dimensions",
    "suppressed",
    "rule_version",
)


def write_json(result: KennzahlenResult, path: Path) -> Path:
    payload = [value.model_dump(mode="json") for value in result.values]
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
    return path


def write_csv(result: KennzahlenResult, path: Path) -> Path:
    """RFC 4180, UTF-8, comma; `dimensions` is a JSON object with sorted keys ({} = total)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for value in result.values:
            writer.writerow(
                [
                    neutralize_formula(value.code),
                    neutralize_formula(value.name),
                    "" if value.value is None else str(value.value),
                    neutralize_formula(value.unit),
                    value.period_from.isoformat(),
                    value.period_to.isoformat(),
                    "" if value.stichtag is None else value.stichtag.isoformat(),
                    json.dumps(value.dimensions, ensure_ascii=False, sort_keys=True),
                    "true" if value.suppressed else "false",
                    neutralize_formula(value.rule_version),
                ]
            )
    return path
