"""Kennzahlen and quality jobs against a live enaio: read once through the mapping layer, compute, write."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from connector.config import Settings
from connector.enaio.client import EnaioClient
from connector.pseudonym import Pseudonymizer
from jobs.kennzahlen.compute import KennzahlenResult, compute
from jobs.kennzahlen.live import reader_input
from jobs.kennzahlen.outputs import write_outputs
from jobs.kennzahlen.params import KennzahlenParams, load_params
from jobs.kennzahlen.periods import Period
from jobs.quality import QualityCollector, type_ids_of, write_quality
from mappings import Quarantine, RecordReader, load_profile

__all__ = ["ENTITIES_READ", "JobOutcome", "run_kennzahlen", "run_quality"]

log = logging.getLogger(__name__)

ENTITIES_READ = ("mitarbeitende", "klient", "beratungsfall", "kontakt", "integrationsplan", "einwilligung")
_TYPES = (
    "IM_KLIENT",
    "IM_FALL",
    "IM_KONTAKT",
    "IM_PLAN",
    "IM_EINWILLIGUNG",
    "IM_JC_DATEN",
    "ORG_MITARBEITENDE",
)


@dataclass
class JobOutcome:
    result: KennzahlenResult | None
    paths: list[Path] = field(default_factory=list)
    quarantine: dict[str, int] = field(default_factory=dict)
    issues: int = 0
    seconds: float = 0.0


def run_kennzahlen(
    settings: Settings,
    period: Period,
    out_dir: Path,
    formats: Sequence[str],
    *,
    params: KennzahlenParams | None = None,
    pseudonymizer: Pseudonymizer | None = None,
    quality: bool = False,
) -> JobOutcome:
    """Compute the Kennzahlen (and with `quality` the staff data-quality report) from one read of enaio."""
    started = time.monotonic()
    pseudonymizer = pseudonymizer or Pseudonymizer.from_secret(settings.pseudonym_key)
    params = params or load_params()
    profile = load_profile(settings.mapping_profile)
    quarantine = Quarantine()
    collector = QualityCollector(period.stichtag) if quality else None
    with EnaioClient(settings) as client:
        reader = RecordReader(client, profile, quarantine=quarantine)
        data = reader_input(reader, [collector.add] if collector else [])
        result = compute(data, period, params, pseudonymizer)
        paths = write_outputs(result, out_dir, formats)
        if collector is not None:
            collector.add_quarantine(quarantine, client, profile)
            paths += write_quality(collector, out_dir, settings.url, type_ids_of(client, _TYPES))
    outcome = JobOutcome(
        result,
        paths,
        quarantine.summary(),
        len(collector.issues) if collector else 0,
        time.monotonic() - started,
    )
    log.info("kennzahlen written: %d files, %d quarantined objects", len(paths), len(quarantine.objects()))
    return outcome


def run_quality(settings: Settings, stichtag: date, out_dir: Path) -> JobOutcome:
    """Only the data-quality report: every entity is read once (to catch quarantined objects)."""
    started = time.monotonic()
    profile = load_profile(settings.mapping_profile)
    quarantine = Quarantine()
    collector = QualityCollector(stichtag)
    with EnaioClient(settings) as client:
        reader = RecordReader(client, profile, quarantine=quarantine)
        for entity in ENTITIES_READ:
            for record in reader.iter_records(entity):
                collector.add(record)
        collector.add_quarantine(quarantine, client, profile)
        paths = write_quality(collector, out_dir, settings.url, type_ids_of(client, _TYPES))
    return JobOutcome(None, paths, quarantine.summary(), len(collector.issues), time.monotonic() - started)
