"""Kennzahlen from an extraction sink (``kennzahlen --source sink --sink URL``) instead of a live read.

Rows are turned back into schema records without re-validating the pseudonymized identifiers (a pseudonym
is longer than an Aktenzeichen may be); every other value goes through its field's type again. Personal
fields a pseudonymized sink does not hold come back as a neutral placeholder when their ``_vorhanden`` flag
says a value existed (the rules only ask whether a justification exists), birth dates as unknown - so the
age breakdowns of a pseudonymized sink show "unbekannt"; a sink filled with ``--export-identifiers`` gives
them too. The Personalnummern in the staff sheet are the sink's pseudonyms.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, TypeVar

from pydantic import BaseModel, TypeAdapter

from connector.errors import ConfigurationError, UsageError
from connector.pseudonym import Pseudonymizer
from connector.runlock import RunLock
from jobs.extract.rows import IDENTIFIERS, _nested_model, _strip_optional, table_spec
from jobs.extract.sinks import Sink, SinkSchemaError, open_sink
from jobs.kennzahlen.compute import KennzahlenInput, compute
from jobs.kennzahlen.job import JobOutcome
from jobs.kennzahlen.params import KennzahlenParams, load_params
from jobs.kennzahlen.periods import Period
from jobs.kennzahlen.staging import LOCK_NAME, Staging, check_out_dir
from schemas import Beratungsfall, Einwilligung, Integrationsplan, Klient, Kontakt, Mitarbeitende, Record
from schemas.registry import ENTITIES

__all__ = ["PLACEHOLDER", "kennzahlen_from_sink", "records_from_sink", "sink_input"]

PLACEHOLDER: Final = "(nicht exportiert)"
_R = TypeVar("_R", bound=BaseModel)


@lru_cache(maxsize=512)
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    annotation: Any = model.model_fields[name].annotation
    return TypeAdapter(annotation)


def _value(model: type[BaseModel], name: str, raw: Any) -> Any:
    info = model.model_fields[name]
    if raw is None or raw == "":
        return info.get_default(call_default_factory=True) if not info.is_required() else None
    if name in IDENTIFIERS:
        if isinstance(raw, str) and raw.startswith("["):
            return tuple(json.loads(raw))
        return tuple(raw) if isinstance(raw, list) else raw
    nested = _nested_model(info.annotation)
    if nested is not None:
        items = json.loads(raw) if isinstance(raw, str) else raw
        return tuple(_construct(nested, item) for item in items)
    if isinstance(raw, str) and raw.startswith("[") and typing_is_sequence(info.annotation):
        raw = json.loads(raw)
    if isinstance(raw, str) and raw in ("ja", "nein") and _strip_optional(info.annotation) is bool:
        raw = raw == "ja"  # CSV dialect
    return _adapter(model, name).validate_python(raw)


def typing_is_sequence(annotation: Any) -> bool:
    import typing

    return typing.get_origin(_strip_optional(annotation)) in (tuple, list)


def _construct(model: type[_R], row: dict[str, Any]) -> _R:
    data: dict[str, Any] = {}
    for name in model.model_fields:
        if name in row:
            data[name] = _value(model, name, row[name])
        elif f"{name}_vorhanden" in row:
            flag = row[f"{name}_vorhanden"]
            data[name] = PLACEHOLDER if flag in (True, "ja", "true", 1) else None
        else:  # e.g. geburtsdatum in a pseudonymized sink
            info = model.model_fields[name]
            data[name] = None if info.is_required() else info.get_default(call_default_factory=True)
    return model.model_construct(**data)


def records_from_sink(sink: Sink, entity: str) -> Iterator[Record]:
    model = ENTITIES[entity]
    for row in sink.rows(entity):
        record = _construct(model, row)
        if isinstance(record, Record):
            yield record


def _open_for_reading(url: str, entities: Sequence[str]) -> Sink:
    """Open a sink filled by ``extract`` in either export mode (never creates a table of another mode)."""
    last: SinkSchemaError | None = None
    for identifiers in (False, True):
        sink = open_sink(url)
        try:
            sink.open({e: table_spec(e, identifiers=identifiers) for e in entities})
        except SinkSchemaError as exc:
            sink.close()
            last = exc
            continue
        return sink
    raise ConfigurationError(f"the sink was not written by extract: {last}", key="--sink")


def sink_input(sink: Sink, counts: Counter[str] | None = None) -> KennzahlenInput:
    def typed(entity: str, model: type[_R]) -> Iterator[_R]:
        for record in records_from_sink(sink, entity):
            if isinstance(record, model):
                if counts is not None:
                    counts[entity] += 1
                yield record

    return KennzahlenInput(
        mitarbeitende=typed("mitarbeitende", Mitarbeitende),
        klienten=typed("klient", Klient),
        faelle=typed("beratungsfall", Beratungsfall),
        kontakte=typed("kontakt", Kontakt),
        plaene=typed("integrationsplan", Integrationsplan),
        einwilligungen=typed("einwilligung", Einwilligung),
    )


def kennzahlen_from_sink(
    sink_url: str | None,
    period: Period,
    out_dir: Path,
    formats: Sequence[str],
    *,
    pseudonymizer: Pseudonymizer,
    params: KennzahlenParams | None = None,
) -> JobOutcome:
    """Like `jobs.kennzahlen.job.run_kennzahlen`, but reading the sink; files go into ``out_dir``."""
    from jobs.kennzahlen.job import ENTITIES_READ, job_output_names
    from jobs.kennzahlen.outputs import stage_outputs

    if not sink_url:
        raise UsageError("--source sink needs --sink URL (sqlite:///PATH or postgresql://...)")
    started = time.monotonic()
    params = params or load_params()
    check_out_dir(out_dir, job_output_names(formats))
    counts: Counter[str] = Counter()
    sink = _open_for_reading(sink_url, ENTITIES_READ)
    with RunLock(out_dir / LOCK_NAME), sink, Staging(out_dir) as staging:
        result = compute(sink_input(sink, counts), period, params, pseudonymizer, unavailable=[])
        stage_outputs(result, staging, formats)
        paths = staging.commit()
    return JobOutcome(result, paths, seconds=time.monotonic() - started, records=dict(counts))
