"""Kennzahlen and quality jobs against a live enaio: read once through the mapping layer, compute, write.

Every output of a run (reports, quality report, ``quarantine.jsonl``) is written into a staging directory and
moved into place only when all were written (`jobs.kennzahlen.staging`). Entities the site's profile does not
map are not read; the Kennzahlen that need them are reported as not computed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from connector.config import Settings
from connector.enaio.client import EnaioClient
from connector.errors import ConfigurationError, PartialFailureError, redact_url
from connector.extras import require
from connector.pseudonym import Pseudonymizer
from connector.runlock import RunLock
from jobs.kennzahlen.compute import KennzahlenResult, compute
from jobs.kennzahlen.live import Sink, catalogue_labels, reader_input
from jobs.kennzahlen.outputs import DEFAULT_CSV_DIALECT, CsvDialect, output_names, stage_outputs
from jobs.kennzahlen.params import KennzahlenParams, load_params
from jobs.kennzahlen.periods import Period
from jobs.kennzahlen.rules import NEEDS, REQUIRED_ENTITIES
from jobs.kennzahlen.staging import Staging, check_out_dir, remove_stale
from jobs.progress import Progress
from jobs.quality import QUALITY_FILES, QualityCollector, stage_quality, type_ids_of
from mappings import MappingProfile, Quarantine, RecordReader, load_profile

__all__ = [
    "ENTITIES_READ",
    "MANIFEST_FILE",
    "QUARANTINE_FILE",
    "JobOutcome",
    "entities_to_read",
    "job_output_names",
    "period_file_label",
    "run_kennzahlen",
    "run_quality",
]

log = logging.getLogger(__name__)

ENTITIES_READ: Final = (
    "mitarbeitende",
    "klient",
    "beratungsfall",
    "kontakt",
    "integrationsplan",
    "einwilligung",
)
"""In this order: the quality checks of contacts and plans look up the cases read before them."""
QUARANTINE_FILE: Final = "quarantine.jsonl"
MANIFEST_FILE: Final = "manifest.json"
"""Written with every published run: inputs, period, rule version, counts, durations, files with sha256."""
MANIFEST_VERSION: Final = 1


@dataclass
class JobOutcome:
    result: KennzahlenResult | None
    paths: list[Path] = field(default_factory=list)
    quarantine: dict[str, int] = field(default_factory=dict)
    """Quarantine entries by ``entity.field: reason`` (no ids, no values)."""
    issues: int = 0
    seconds: float = 0.0
    quarantined: dict[str, int] = field(default_factory=dict)
    """Quarantined objects per entity."""
    records: dict[str, int] = field(default_factory=dict)
    """Records read and used, per entity."""
    quarantine_path: Path | None = None
    published: Path | None = None
    """The run's directory as readers see it (published runs only)."""
    manifest: dict[str, Any] | None = None

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def quarantine_summary(self) -> str:
        """One line: how many records per entity went to the quarantine, and where they are listed."""
        per_entity = ", ".join(f"{entity}: {n}" for entity, n in sorted(self.quarantined.items()))
        where = f"; see {self.quarantine_path}" if self.quarantine_path else ""
        line = f"{self.quarantined_total} records quarantined ({per_entity}){where}"
        uncounted = self.result.nicht_zaehlbar if self.result is not None else {}
        if uncounted:  # figures that could not count every record (docs/kennzahlen.md, "nicht zählbar")
            named = ", ".join(f"{code} ({sum(by_reason.values())})" for code, by_reason in uncounted.items())
            line += f"; records not countable in {named}"
        return line

    @property
    def findings(self) -> bool:
        return self.quarantined_total > 0 or bool(self.result is not None and self.result.nicht_zaehlbar)

    def raise_for_quarantine(self) -> None:
        """Exit code 4 (after all outputs were written) when records were quarantined or not countable."""
        if self.findings:
            raise PartialFailureError(
                self.quarantine_summary(),
                failed=self.quarantined_total,
                succeeded=sum(self.records.values()),
            )


def job_output_names(formats: Sequence[str] = (), *, quality: bool = False) -> list[str]:
    """Every file a run writes into the output directory."""
    return [*output_names(formats), *(QUALITY_FILES if quality else ()), QUARANTINE_FILE]


def entities_to_read(profile: MappingProfile) -> tuple[set[str], list[str]]:
    """(entities to read, optional entities the site does not map); the required ones must be mapped."""
    missing = [entity for entity in REQUIRED_ENTITIES if entity not in profile.entities]
    if missing:
        raise ConfigurationError(
            f"mapping profile {profile.site} ({profile.source}) maps no {', '.join(missing)}: "
            "the Kennzahlen need persons and cases",
            key="mapping_profile",
            source=profile.source,
        )
    mapped: set[str] = {entity for entity in ENTITIES_READ if entity in profile.entities}
    return mapped, [entity for entity in NEEDS if entity not in mapped]


def _stage_quarantine(quarantine: Quarantine, staging: Staging) -> None:
    """quarantine.jsonl, always written (empty when nothing was quarantined), so it never shows an old run."""

    def write(path: Path) -> None:
        path.touch()
        with Quarantine(path) as out:
            for entry in sorted(quarantine.entries, key=lambda e: e.sort_key()):
                out.add(entry)

    staging.write(QUARANTINE_FILE, write)


def _objects_per_entity(quarantine: Quarantine) -> dict[str, int]:
    return dict(sorted(Counter(entity for entity, _ in quarantine.objects()).items()))


def period_file_label(period: Period) -> str:
    """The period as it appears in file names: `2018-Q2`, `2018-05`, `2018-01-01_2018-03-31`."""
    return period.label.replace("..", "_")


def _with_label(label: str) -> Callable[[str], str]:
    """`kennzahlen.csv` → `kennzahlen_2018-Q2.csv`, so a file copied elsewhere still says its period."""

    def rename(name: str) -> str:
        if name == MANIFEST_FILE:
            return name
        stem, dot, suffix = name.partition(".")
        return f"{stem}_{label}{dot}{suffix}"

    return rename


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stage_manifest(staging: Staging, manifest: dict[str, Any]) -> None:
    """manifest.json last, listing every other file of the run with size and sha256."""
    manifest["files"] = [
        {"name": path.name, "bytes": path.stat().st_size, "sha256": _sha256(path)}
        for path in staging.written()
    ]
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    staging.write(MANIFEST_FILE, lambda path: path.write_text(text, encoding="utf-8", newline="\n"))


def _manifest(
    job: str,
    settings: Settings,
    started: datetime,
    inputs: Mapping[str, Any] | None,
    counts: Mapping[str, int],
    quarantined: Mapping[str, int],
) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        connector_version = version("enaio-connector")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        connector_version = "unknown"
    return {
        "manifest_version": MANIFEST_VERSION,
        "job": job,
        "connector_version": connector_version,
        "started": started.isoformat(timespec="seconds"),
        "inputs": {
            "url": redact_url(settings.url),
            "interface": settings.interface,
            "mapping_profile": settings.mapping_profile,
            "timezone": settings.timezone,
            **dict(inputs or {}),
        },
        "counts": {
            "records": dict(sorted(counts.items())),
            "quarantined": dict(quarantined),
            "quarantined_total": sum(quarantined.values()),
        },
    }


def _finish_manifest(manifest: dict[str, Any], durations: Mapping[str, float]) -> None:
    manifest["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    manifest["durations_seconds"] = {name: round(value, 3) for name, value in durations.items()}
    findings = manifest["counts"]["quarantined_total"] or manifest["counts"].get("nicht_zaehlbar")
    manifest["status"] = "findings" if findings else "ok"


def _progress_sink(progress: Progress | None) -> list[Sink]:
    if progress is None:
        return []
    return [lambda record: progress.record(type(record).__name__.lower())]


def run_kennzahlen(
    settings: Settings,
    period: Period,
    out_dir: Path,
    formats: Sequence[str],
    *,
    params: KennzahlenParams | None = None,
    pseudonymizer: Pseudonymizer | None = None,
    profile: MappingProfile | None = None,
    quality: bool = False,
    publish: bool = False,
    lock: RunLock | None = None,
    progress: Progress | None = None,
    inputs: Mapping[str, Any] | None = None,
    csv_dialect: CsvDialect = DEFAULT_CSV_DIALECT,
) -> JobOutcome:
    """Compute the Kennzahlen (and with `quality` the staff data-quality report) from one read of enaio.

    `profile` defaults to `settings.mapping_profile`; everything that can fail without enaio is checked
    before the output directory is touched.

    With `publish`, the run goes into its own directory, published atomically as
    ``<out>/kennzahlen_<period>/`` with the period in every file name and a ``manifest.json`` (`inputs` are
    added to its inputs); without, the files are moved into `out_dir` itself (library use, the demo).
    `lock` is the run lock the caller holds for `out_dir`: with it, what dead runs left behind is removed.
    """
    if quality:
        require("jinja2", extra="reports", purpose="the quality report (quality.html)", key="quality")
    started = time.monotonic()
    started_at = datetime.now(UTC)
    pseudonymizer = pseudonymizer or Pseudonymizer.from_secret(settings.pseudonym_key)
    params = params or load_params()
    profile = profile or load_profile(settings.mapping_profile)
    mapped, unavailable = entities_to_read(profile)
    label = period_file_label(period)
    names = job_output_names(formats, quality=quality)
    check_out_dir(out_dir, () if publish else names)
    _clean(out_dir, lock)
    if unavailable:
        log.info("entities not mapped by profile %s, not read: %s", profile.site, ", ".join(unavailable))
    quarantine = Quarantine()
    counts: Counter[str] = Counter()
    collector = QualityCollector(period.stichtag) if quality else None
    sinks: list[Sink] = [collector.add] if collector else []
    sinks += _progress_sink(progress)
    publish_as = f"kennzahlen_{label}" if publish else None
    rename = _with_label(label) if publish else None
    durations: dict[str, float] = {}
    manifest: dict[str, Any] | None = None
    if progress is not None:
        progress.phase("reading")
    with Staging(out_dir, publish_as, rename=rename) as staging, EnaioClient(settings) as client:
        reader = RecordReader(client, profile, quarantine=quarantine)
        data = reader_input(reader, sinks, mapped=mapped, counts=counts)
        labels = catalogue_labels(client.object_definition(), profile)
        result = compute(data, period, params, pseudonymizer, unavailable=unavailable, labels=labels)
        result.county = profile.county.name or profile.site  # the report's head names the county
        durations["read_and_compute"] = time.monotonic() - started
        if progress is not None:
            progress.phase("writing")
        written = time.monotonic()
        stage_outputs(result, staging, formats, csv_dialect=csv_dialect)
        if collector is not None:
            collector.add_quarantine(quarantine, client, profile)
            stage_quality(collector, staging, settings.web_client(), type_ids_of(client, profile))
        _stage_quarantine(quarantine, staging)
        if publish:
            manifest = _manifest(
                "kennzahlen", settings, started_at, inputs, counts, _objects_per_entity(quarantine)
            )
            manifest["period"] = _period_json(period)
            manifest["rule_version"] = result.rule_version
            manifest["counts"]["values"] = len(result.values)
            manifest["counts"]["not_computed"] = sorted(result.not_computed)
            manifest["counts"]["nicht_zaehlbar"] = {
                code: sum(by_reason.values()) for code, by_reason in result.nicht_zaehlbar.items()
            }
            if collector is not None:
                manifest["counts"]["quality_issues"] = len(collector.issues)
            durations["write"] = time.monotonic() - written
            durations["total"] = time.monotonic() - started
            _finish_manifest(manifest, durations)
            _stage_manifest(staging, manifest)
        paths = staging.commit()
        target = staging.target
    if progress is not None:
        progress.close()
    outcome = JobOutcome(
        result,
        paths,
        quarantine.summary(),
        len(collector.issues) if collector else 0,
        time.monotonic() - started,
        _objects_per_entity(quarantine),
        dict(counts),
        target / staging.file_name(QUARANTINE_FILE),
        target if publish else None,
        manifest,
    )
    log.info("kennzahlen written: %d files, %d quarantined objects", len(paths), outcome.quarantined_total)
    return outcome


def _period_json(period: Period) -> dict[str, str]:
    return {
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "stichtag": period.stichtag.isoformat(),
    }


def _clean(out_dir: Path, lock: RunLock | None) -> None:
    """Leftovers of dead runs; only under the run lock (another run's directory is unreferenced too)."""
    if lock is not None and lock.held:
        remove_stale(out_dir)


def run_quality(
    settings: Settings,
    stichtag: date,
    out_dir: Path,
    *,
    profile: MappingProfile | None = None,
    publish: bool = False,
    lock: RunLock | None = None,
    progress: Progress | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> JobOutcome:
    """Only the data-quality report: every mapped entity is read once (to catch quarantined objects).

    With `publish`: ``<out>/quality_<stichtag>/`` published atomically, with a manifest (as `run_kennzahlen`).
    """
    started = time.monotonic()
    started_at = datetime.now(UTC)
    profile = profile or load_profile(settings.mapping_profile)
    label = stichtag.isoformat()
    check_out_dir(out_dir, () if publish else job_output_names(quality=True))
    _clean(out_dir, lock)
    mapped = [entity for entity in ENTITIES_READ if entity in profile.entities]
    quarantine = Quarantine()
    counts: Counter[str] = Counter()
    collector = QualityCollector(stichtag)
    publish_as = f"quality_{label}" if publish else None
    rename = _with_label(label) if publish else None
    manifest: dict[str, Any] | None = None
    if progress is not None:
        progress.phase("reading")
    with Staging(out_dir, publish_as, rename=rename) as staging, EnaioClient(settings) as client:
        reader = RecordReader(client, profile, quarantine=quarantine)
        for entity in mapped:
            for record in reader.iter_records(entity):
                counts[entity] += 1
                collector.add(record)
                if progress is not None:
                    progress.record(entity)
        read_seconds = time.monotonic() - started
        if progress is not None:
            progress.phase("writing")
        collector.add_quarantine(quarantine, client, profile)
        stage_quality(collector, staging, settings.web_client(), type_ids_of(client, profile))
        _stage_quarantine(quarantine, staging)
        if publish:
            manifest = _manifest(
                "quality", settings, started_at, inputs, counts, _objects_per_entity(quarantine)
            )
            manifest["stichtag"] = label
            manifest["counts"]["quality_issues"] = len(collector.issues)
            total = time.monotonic() - started
            _finish_manifest(manifest, {"read": read_seconds, "write": total - read_seconds, "total": total})
            _stage_manifest(staging, manifest)
        paths = staging.commit()
        target = staging.target
    if progress is not None:
        progress.close()
    return JobOutcome(
        None,
        paths,
        quarantine.summary(),
        len(collector.issues),
        time.monotonic() - started,
        _objects_per_entity(quarantine),
        dict(counts),
        target / staging.file_name(QUARANTINE_FILE),
        target if publish else None,
        manifest,
    )
