"""Live input: schema records read through the configured interface via `mappings.RecordReader`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Final, TypeVar

from connector.enaio.objdef import ObjectDefinition
from jobs.kennzahlen.compute import KennzahlenInput
from mappings import MappingProfile, RecordReader
from schemas import Beratungsfall, Einwilligung, Integrationsplan, Klient, Kontakt, Mitarbeitende, Record

__all__ = ["Sink", "catalogue_labels", "reader_input", "tap"]

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
