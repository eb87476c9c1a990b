"""Live input: schema records read through the configured interface via `mappings.RecordReader`."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final, TypeVar

from connector.config import Settings
from connector.enaio.objdef import ObjectDefinition
from jobs.kennzahlen.compute import KennzahlenInput, collect, compute_facts
from jobs.kennzahlen.periods import Period
from mappings import MappingProfile, RecordReader
from schemas import Beratungsfall, Einwilligung, Integrationsplan, Klient, Kontakt, Mitarbeitende, Record

__all__ = ["Sink", "benchmark_split", "catalogue_labels", "reader_input", "tap"]

_LABELLED: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "regionalteam": (("beratungsfall", "regionalteam"), ("mitarbeitende", "regionalteam")),
    "kommune": (("klient", "wohnkommune"),),
    "geschlecht": (("klient", "geschlecht"),),
    "staatsangehoerigkeit": (("klient", "staatsangehoerigkeit"),),
    "aufenthaltsstatus": (("klient", "aufenthaltsstatus"),),
    "abschlussgrund": (("beratungsfall", "abschlussgrund"),),
}
"""Breakdown dimensions whose values are site catalogue keys, and the schema fields they come from."""

_R = TypeVar("_R", bound=Record)
Sink = Callable[[Record], None]


def tap(records: Iterable[_R], sinks: Sequence[Sink]) -> Iterator[_R]:
    """Pass the stream through, showing every record to `sinks` (so one read feeds several jobs)."""
    for record in records:
        for sink in sinks:
            sink(record)
        yield record


def _typed(
    reader: RecordReader,
    entity: str,
    model: type[_R],
    mapped: Collection[str] | None,
    counts: Counter[str] | None,
) -> Iterator[_R]:
    if mapped is not None and entity not in mapped:
        return  # the site does not map it: the Kennzahlen that need it are "not computed"
    for record in reader.iter_records(entity):
        if not isinstance(record, model):  # pragma: no cover - the profile binds entity to model
            raise TypeError(f"{entity} reader yielded {type(record).__name__}")
        if counts is not None:
            counts[entity] += 1
        yield record


def reader_input(
    reader: RecordReader,
    sinks: Sequence[Sink] = (),
    *,
    mapped: Collection[str] | None = None,
    counts: Counter[str] | None = None,
) -> KennzahlenInput:
    """Lazy streams, one per entity; nothing is read until the computation consumes them.

    With `mapped`, entities outside it are not read (empty streams); `counts` counts the records per entity.
    """
    return KennzahlenInput(
        mitarbeitende=tap(_typed(reader, "mitarbeitende", Mitarbeitende, mapped, counts), sinks),
        klienten=tap(_typed(reader, "klient", Klient, mapped, counts), sinks),
        faelle=tap(_typed(reader, "beratungsfall", Beratungsfall, mapped, counts), sinks),
        kontakte=tap(_typed(reader, "kontakt", Kontakt, mapped, counts), sinks),
        plaene=tap(_typed(reader, "integrationsplan", Integrationsplan, mapped, counts), sinks),
        einwilligungen=tap(_typed(reader, "einwilligung", Einwilligung, mapped, counts), sinks),
        quarantine=reader.quarantine,
    )


def catalogue_labels(objdef: ObjectDefinition, profile: MappingProfile) -> dict[str, dict[str, str]]:
    """Display labels of site values (Regionalteam, Kommune) from the catalogues of the object definition.

    Only fields the profile reads one to one (no `values` translation) are labelled: their schema value is the
    catalogue key. The site's first language is used (German for enaio in Baden-Württemberg).
    """
    labels: dict[str, dict[str, str]] = {}
    for dimension, sources in _LABELLED.items():
        for entity, name in sources:
            mapping = profile.entities.get(entity)
            fm = mapping.fields.get(name) if mapping is not None else None
            if mapping is None or fm is None or fm.field is None or fm.ancestor is not None or fm.values:
                continue
            try:
                catalogue_name = objdef.type_by_name(mapping.type).field(fm.field).catalogue
            except KeyError:  # drift: `enaio-connector check` reports it
                continue
            catalogue = objdef.catalogues.get(catalogue_name) if catalogue_name else None
            if catalogue is None:
                continue
            target = labels.setdefault(dimension, {})
            for key in catalogue.rows:
                target.setdefault(key, catalogue.label(key, objdef.default_language))
    return labels


def benchmark_split(
    settings: Settings, period: Period, *, formats: Sequence[str] = ("json", "csv")
) -> dict[str, float | int]:
    """The Kennzahlen job's stages timed apart, for `benchmarks/suite.py` (kind ``kennzahlen``).

    ``read_seconds``: enaio read through the mapping layer into the compact facts (the job streams the
    records into them, so building the facts is part of the read); ``compute_seconds``: rules, suppression,
    pseudonyms, staff sheet; ``write_seconds``: `formats` written into a temporary directory;
    ``after_read_seconds``: the last two together. Same steps as `job.run_kennzahlen`, without the manifest
    and the publishing; pseudonyms under the demo key.
    """
    from connector.enaio.client import EnaioClient
    from connector.pseudonym import DEMO_KEY, Pseudonymizer
    from jobs.kennzahlen.job import entities_to_read
    from jobs.kennzahlen.outputs import stage_outputs
    from jobs.kennzahlen.params import load_params
    from jobs.kennzahlen.staging import Staging
    from mappings import Quarantine, load_profile

    params = load_params()
    profile = load_profile(settings.mapping_profile)
    mapped, unavailable = entities_to_read(profile)
    quarantine = Quarantine()
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    with EnaioClient(settings) as client:
        reader = RecordReader(client, profile, quarantine=quarantine)
        facts = collect(reader_input(reader, mapped=mapped, counts=counts), period, params)
        labels = catalogue_labels(client.object_definition(), profile)
    read = time.perf_counter()
    result = compute_facts(
        facts, Pseudonymizer(DEMO_KEY), quarantine=quarantine, unavailable=unavailable, labels=labels
    )
    computed = time.perf_counter()
    with tempfile.TemporaryDirectory() as out, Staging(Path(out)) as staging:
        stage_outputs(result, staging, formats)
        staging.commit()
    written = time.perf_counter()
    return {
        "records": sum(counts.values()),
        "persons": counts["klient"],
        "values": len(result.values),
        "read_seconds": round(read - started, 2),
        "compute_seconds": round(computed - read, 2),
        "write_seconds": round(written - computed, 2),
        "after_read_seconds": round(written - read, 2),
    }
