"""Kennzahlen and quality jobs against a live enaio: read once through the mapping layer, compute, write.

Every output of a run (reports, quality report, ``quarantine.jsonl``) is written into a staging directory and
moved into place only when all were written (`jobs.kennzahlen.staging`). Entities the site's profile does not
map are not read; the Kennzahlen that need them are reported as not computed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from connector.config import Settings
from connector.enaio.client import EnaioClient
from connector.errors import ConfigurationError, PartialFailureError
from connector.pseudonym import Pseudonymizer
from jobs.kennzahlen.compute import KennzahlenResult, compute
from jobs.kennzahlen.live import catalogue_labels, reader_input
from jobs.kennzahlen.outputs import output_names, stage_outputs
from jobs.kennzahlen.params import KennzahlenParams, load_params
from jobs.kennzahlen.periods import Period
from jobs.kennzahlen.rules import NEEDS, REQUIRED_ENTITIES
from jobs.kennzahlen.staging import Staging, check_out_dir
from jobs.quality import QUALITY_FILES, QualityCollector, stage_quality, type_ids_of
from mappings import MappingProfile, Quarantine, RecordReader, load_profile

__all__ = [
    "ENTITIES_READ",
    "QUARANTINE_FILE",
    "JobOutcome",
    "entities_to_read",
    "job_output_names",
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

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def quarantine_summary(self) -> str:
        """One line: how many records per entity went to the quarantine, and where they are listed."""
        per_entity = ", ".join(f"{entity}: {n}" for entity, n in sorted(self.quarantined.items()))
        where = f"; see {self.quarantine_path}" if self.quarantine_path else ""
        return f"{self.quarantined_total} records quarantined ({per_entity}){where}"

    def raise_for_quarantine(self) -> None:
        """Exit code 4 (after all outputs were written) when records were quarantined."""
        if self.quarantined_total:
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
) -> JobOutcome:
    """Compute the Kennzahlen (and with `quality` the staff data-quality report) from one read of enaio.

    `profile` defaults to `settings.mapping_profile`; everything that can fail without enaio is checked
    before the output directory is touched.
    """
    started = time.monotonic()
    pseudonymizer = pseudonymizer or Pseudonymizer.from_secret(settings.pseudonym_key)
    params = params or load_params()
    profile = profile or load_profile(settings.mapping_profile)
    mapped, unavailable = entities_to_read(profile)
    check_out_dir(out_dir, job_output_names(formats, quality=quality))
    if unavailable:
        log.info("entities not mapped by profile %s, not read: %s", profile.site, ", ".join(unavailable))
    quarantine = Quarantine()
    counts: Counter[str] = Counter()
    collector = QualityCollector(period.stichtag) if quality else None
    with Staging(out_dir) as staging, EnaioClient(settings) as client:
        reader = RecordReader(client, profile, quarantine=quarantine)
        data = reader_input(reader, [collector.add] if collector else [], mapped=mapped, counts=counts)
        labels = catalogue_labels(client.object_definition(), profile)
        result = compute(data, period, params, pseudonymizer, unavailable=unavailable, labels=labels)
        stage_outputs(result, staging, formats)
        if collector is not None:
            collector.add_quarantine(quarantine, client, profile)
            stage_quality(collector, staging, settings.url, type_ids_of(client, profile))
        _stage_quarantine(quarantine, staging)
        paths = staging.commit()
    outcome = JobOutcome(
        result,
        paths,
        quarantine.summary(),
        len(collector.issues) if collector else 0,
        time.monotonic() - started,
        _objects_per_entity(quarantine),
        dict(counts),
        out_dir / QUARANTINE_FILE,
    )
    log.info("kennzahlen written: %d files, %d quarantined objects", len(paths), outcome.quarantined_total)
    return outcome


def run_quality(
    settings: Settings, stichtag: date, out_dir: Path, *, profile: MappingProfile | None = None
) -> JobOutcome:
    """Only the data-quality report: every mapped entity is read once (to catch quarantined objects)."""
    started = time.monotonic()
    profile = profile or load_profile(settings.mapping_profile)
    check_out_dir(out_dir, job_output_names(quality=True))
    mapped = [entity for entity in ENTITIES_READ if entity in profile.entities]
    quarantine = Quarantine()
    counts: Counter[str] = Counter()
    collector = QualityCollector(stichtag)
    with Staging(out_dir) as staging, EnaioClient(settings) as client:
        reader = RecordReader(client, profile, quarantine=quarantine)
        for entity in mapped:
            for record in reader.iter_records(entity):
                counts[entity] += 1
                collector.add(record)
        collector.add_quarantine(quarantine, client, profile)
        stage_quality(collector, staging, settings.url, type_ids_of(client, profile))
        _stage_quarantine(quarantine, staging)
        paths = staging.commit()
    return JobOutcome(
        None,
        paths,
        quarantine.summary(),
        len(collector.issues),
        time.monotonic() - started,
        _objects_per_entity(quarantine),
        dict(counts),
        out_dir / QUARANTINE_FILE,
    )
