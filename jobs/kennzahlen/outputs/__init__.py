"""Output writers: json, csv, xlsx, html (and pdf with the optional extra)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Final, cast

from connector.errors import UsageError
from connector.extras import require
from jobs.kennzahlen.compute import KennzahlenResult
from jobs.kennzahlen.outputs.tabular import (
    CSV_DIALECTS,
    DEFAULT_CSV_DIALECT,
    CsvDialect,
    parse_csv_dialect,
    write_csv,
)
from jobs.kennzahlen.staging import Staging, check_out_dir

__all__ = [
    "CSV_DIALECTS",
    "DEFAULT_CSV_DIALECT",
    "DEFAULT_FORMATS",
    "FORMATS",
    "CsvDialect",
    "output_names",
    "parse_csv_dialect",
    "parse_formats",
    "stage_outputs",
    "write_outputs",
    "writer",
]

Writer = Callable[[KennzahlenResult, Path], Path]

FORMATS: Final[dict[str, tuple[str, str | Writer]]] = {
    "json": ("kennzahlen.json", "jobs.kennzahlen.outputs.tabular:write_json"),
    "csv": ("kennzahlen.csv", "jobs.kennzahlen.outputs.tabular:write_csv"),
    "xlsx": ("kennzahlen.xlsx", "jobs.kennzahlen.outputs.xlsx:write_xlsx"),
    "html": ("kennzahlen.html", "jobs.kennzahlen.outputs.html:write_html"),
    "pdf": ("kennzahlen.pdf", "jobs.kennzahlen.outputs.html:write_pdf"),
}
"""Format -> (file name, writer). Writers are imported when used: xlsx and html need the [reports] extra."""
NEEDS: Final[dict[str, tuple[str, ...]]] = {
    "xlsx": ("openpyxl",),
    "html": ("jinja2", "matplotlib"),
    "pdf": ("jinja2", "matplotlib"),
}


def writer(name: str) -> Writer:
    target = FORMATS[name][1]
    if not isinstance(target, str):
        return target
    module, _, function = target.partition(":")
    return cast(Writer, getattr(importlib.import_module(module), function))


DEFAULT_FORMATS: Final = ("xlsx", "csv", "json", "html")


def parse_formats(text: str) -> tuple[str, ...]:
    """`xlsx,csv` → ("xlsx", "csv"); unknown names are a UsageError; pdf is checked for its extra here."""
    names = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not names:
        raise UsageError(f"unknown format {', '.join(unknown) or text!r}: choose from {', '.join(FORMATS)}")
    for name in names:
        if name in NEEDS:
            require(*NEEDS[name], extra="reports", purpose=f"--format {name}", key="--format")
    if "pdf" in names:
        from jobs.kennzahlen.outputs.html import require_pdf_support

        require_pdf_support()
    return names


def output_names(formats: Iterable[str]) -> list[str]:
    return [FORMATS[f][0] for f in formats]


def stage_outputs(
    result: KennzahlenResult,
    staging: Staging,
    formats: Iterable[str],
    *,
    csv_dialect: CsvDialect = DEFAULT_CSV_DIALECT,
) -> None:
    """Write the chosen formats into the staging directory (moved into place by `staging.commit()`).

    `csv_dialect`: `excel` (German Excel, the default) or `rfc4180` (programs); see `outputs.tabular`.
    """
    for name in formats:
        file_name = FORMATS[name][0]
        if name == "csv":
            staging.write(file_name, partial(write_csv, result, dialect=csv_dialect))
        else:
            staging.write(file_name, partial(writer(name), result))


def write_outputs(
    result: KennzahlenResult,
    out_dir: Path,
    formats: Iterable[str],
    *,
    csv_dialect: CsvDialect = DEFAULT_CSV_DIALECT,
) -> list[Path]:
    """All chosen formats, all or nothing."""
    chosen = list(formats)
    check_out_dir(out_dir, output_names(chosen))
    with Staging(out_dir) as staging:
        stage_outputs(result, staging, chosen, csv_dialect=csv_dialect)
        return staging.commit()
