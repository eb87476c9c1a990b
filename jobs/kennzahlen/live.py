"""Live input: schema records read through the configured interface via `mappings.RecordReader`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from jobs.kennzahlen.compute import KennzahlenInput
from mappings import RecordReader
from schemas import Beratungsfall, Einwilligung, Integrationsplan, Klient, Kontakt, Mitarbeitende, Record

__all__ = ["Sink", "reader_input", "tap"]

_R = TypeVar("_R", bound=Record)
Sink = Callable[[Record], None]


def tap(records: Iterable[_R], sinks: Sequence[Sink]) -> Iterator[_R]:
    """Pass the stream through, showing every record to `sinks` (so one read feeds several jobs)."""
    for record in records:
        for sink in sinks:
            sink(record)
        yield record


def _typed(reader: RecordReader, entity: str, model: type[_R]) -> Iterator[_R]:
    for record in reader.iter_records(entity):
        if not isinstance(record, model):  # pragma: no cover - the profile binds entity to model
            raise TypeError(f"{entity} reader yielded {type(record).__name__}")
        yield record


def reader_input(reader: RecordReader, sinks: Sequence[Sink] = ()) -> KennzahlenInput:
    """Lazy streams, one per entity; nothing is read until the computation consumes them."""
    return KennzahlenInput(
        mitarbeitende=tap(_typed(reader, "mitarbeitende", Mitarbeitende), sinks),
        klienten=tap(_typed(reader, "klient", Klient), sinks),
        faelle=tap(_typed(reader, "beratungsfall", Beratungsfall), sinks),
        kontakte=tap(_typed(reader, "kontakt", Kontakt), sinks),
        plaene=tap(_typed(reader, "integrationsplan", Integrationsplan), sinks),
        einwilligungen=tap(_typed(reader, "einwilligung", Einwilligung), sinks),
    )
