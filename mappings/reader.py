"""Read normalized schema records from enaio through a mapping profile, over any interface.

The reader only uses ``client.search(Query(...))`` and ``client.object_definition()``, so dms, osrest and
soap give the same records. It streams: objects are mapped in batches of ``batch_size`` as the search pages
arrive, and every record is yielded as soon as its batch is resolved.

Ancestor data (e.g. the Klientenakte's AKTENZEICHEN for a Kontakt) is looked up per batch: the batch's
missing folder/register ids are fetched with one ``OBJECT_ID IN (...)`` query per candidate type and kept in
a bounded LRU cache of compact nodes (id, type, parent, and only the ancestor fields the profile reads).
Memory therefore stays bounded by the batch size and the cache size, never by the number of documents; ids
that the profile only needs as ids (the folder via ``SDSTA_ID``, the register when it is the only allowed
parent type) are taken from the object itself without a lookup. Goals kept as separate child documents are
fetched the same way: one ``IN`` query over the batch's plan keys.

A record whose *identifying* field (``schemas.identifying_fields``: ids, the link to case and person, the date
that places it, Personalnummer and VZÄ) is missing or cannot be converted, or that breaks a record-level rule,
goes to the :class:`~mappings.quarantine.Quarantine` (object id, type, field, error type; never a value) and
the run goes on. Any other field that cannot be converted is left empty and the record is kept; such gaps,
and describing fields (``schemas.describing_fields``) the profile maps but the object leaves empty, are noted
in ``Quarantine.kept`` for the data-quality report. That includes objects whose server value does
not convert to its field's type (``31.06.1990`` in a date field): the rooms leave such a value out and report
it through ``search(..., on_skipped=...)``; when the profile reads that field (directly, from an ancestor or
a child document) the record is quarantined with the schema field and ``invalid_value: <phrase>``. Fields
the object definition does not know are reported the same way and listed by :meth:`RecordReader.drift`.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import islice
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from connector.enaio.client import EnaioClient
from connector.enaio.interface import SkippedField
from connector.enaio.model import EnaioObject, FieldValue, ObjectKind
from connector.enaio.objdef import FieldDef, ObjectDefinition, ObjectType, ValueType
from connector.enaio.query import Expr, Query, System, is_in
from connector.errors import ConfigurationError
from mappings.fit import Drift, ancestor_chain, drift, misfits
from mappings.profile import (
    EntityMapping,
    FieldMapping,
    MappingProfile,
    expected_kind,
    record_model,
    schema_item_model,
)
from mappings.quarantine import Quarantine, QuarantineEntry
from schemas import Record
from schemas import describing_fields as _describing_fields
from schemas import identifying_fields as _identifying_fields

__all__ = ["RecordReader", "add_years"]

log = logging.getLogger(__name__)

# per model, asked once per object: cached
describing_fields = cache(_describing_fields)
identifying_fields = cache(_identifying_fields)

_OMIT = object()

_PHRASES: Mapping[str, str] = {
    "missing": "required value is missing",
    "enum": "value is not an allowed member",
    "literal_error": "value is not an allowed member",
    "string_too_short": "value is too short or empty",
    "string_too_long": "value is too long",
    "string_pattern_mismatch": "value does not match the required pattern",
    "string_type": "value is not text",
    "int_parsing": "value is not an integer",
    "int_type": "value is not an integer",
    "decimal_parsing": "value is not a decimal",
    "decimal_max_digits": "decimal has too many digits",
    "decimal_max_places": "decimal has too many places",
    "greater_than": "number is too small",
    "greater_than_equal": "number is too small",
    "less_than": "number is too large",
    "less_than_equal": "number is too large",
    "bool_parsing": "value is not a yes/no value",
    "bool_type": "value is not a yes/no value",
    "extra_forbidden": "field is not part of the schema",
    "timezone_aware": "date-time has no time zone",
}

# What may survive from a validator's own message: words, never quoted text, dates or numbers.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBERS = re.compile(r"[\d][\d.:\-T+]*")


def _safe_message(message: str) -> str:
    text = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = _NUMBERS.sub("…", _QUOTED.sub("…", text))
    return re.sub(r"\s+", " ", text).strip()


def add_years(start: date, years: int) -> date:
    """``start`` + ``years``; 29 February becomes 28 February in a non-leap target year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


class _MappingFailure(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(slots=True)
class _Node:
    """A folder or register, as compact as the profile allows."""

    id: int
    type_name: str
    kind: ObjectKind
    parent_id: int | None
    values: dict[str, FieldValue]
    invalid: dict[str, str] = field(default_factory=dict)
    """Read fields whose server value did not convert -> reason (no value)."""


Invalid = dict[int, dict[str, str]]
"""Object id -> enaio field -> reason, for values a room left out (``invalid_value``)."""


class _NodeCache:
    """Bounded LRU cache of ancestor nodes by enaio id."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._nodes: OrderedDict[int, _Node] = OrderedDict()

    def get(self, object_id: int) -> _Node | None:
        node = self._nodes.get(object_id)
        if node is not None:
            self._nodes.move_to_end(object_id)
        return node

    def put(self, node: _Node) -> None:
        self._nodes[node.id] = node
        self._nodes.move_to_end(node.id)
        while len(self._nodes) > self.size:
            self._nodes.popitem(last=False)

    def __len__(self) -> int:
        return len(self._nodes)


@dataclass
class _Plan:
    """An entity's mapping compiled against the server's object definition."""

    entity: str
    model: type[Record]
    otype: ObjectType
    mapping: EntityMapping
    fields: list[tuple[str, FieldMapping]]
    ancestor_fields: dict[str, set[str]] = field(default_factory=dict)
    """Ancestor type -> index fields the profile reads from it."""
    ancestor_types: set[str] = field(default_factory=set)
    walk_registers: bool = False
    """True when register ancestors must be fetched (fields needed or the parent type is ambiguous)."""


class RecordReader:
    """Maps enaio objects to validated schema records, entity by entity, as a stream."""

    def __init__(
        self,
        client: EnaioClient,
        profile: MappingProfile,
        *,
        quarantine: Quarantine | None = None,
        batch_size: int = 200,
        cache_size: int = 20_000,
    ) -> None:
        self.client = client
        self.profile = profile
        self.quarantine = quarantine if quarantine is not None else Quarantine()
        self.batch_size = max(1, batch_size)
        self._cache = _NodeCache(max(cache_size, 4 * self.batch_size))
        self._objdef: ObjectDefinition | None = None
        self._plans: dict[str, _Plan] = {}
        self._seen_unknown: set[tuple[str, str]] = set()
        self.lookups = 0
        """Number of ancestor/child lookup queries issued (for measurements)."""
        profile.register_personal_fields()

    # --- public -----------------------------------------------------------------------------------------

    @property
    def objdef(self) -> ObjectDefinition:
        if self._objdef is None:
            self._objdef = self.client.object_definition()
        return self._objdef

    def iter_records(
        self, entity: str, *, since: datetime | None = None, where: Expr | None = None
    ) -> Iterator[Record]:
        """Valid records of ``entity`` (modified at or after ``since``, matching ``where``), streamed; the
        rest is quarantined."""
        if since is not None and since.tzinfo is None:
            raise ConfigurationError("since must be an aware datetime", key="since")
        plan = self._plan(entity)
        query = Query(type_name=plan.otype.internal, where=where, modified_since=since)
        # filled while the room converts a page, emptied object by object as the batches are mapped
        invalid: Invalid = {}
        objects = self.client.search(query, on_skipped=self._skipped_into(invalid))
        while True:
            batch = list(islice(objects, self.batch_size))
            if not batch:
                return
            yield from self._map_batch(plan, batch, invalid)

    def drift(self, entity: str | None = None) -> list[Drift]:
        """Server fields no mapping reads: from the object definition, and unknown fields seen in objects."""
        found = drift(self.profile, self.objdef, entity)
        found.extend(Drift(t, f, "objects") for t, f in sorted(self._seen_unknown))
        return found

    def _skipped_into(self, invalid: Invalid) -> Callable[[SkippedField], None]:
        """The ``on_skipped`` callback: unknown fields are drift, invalid values are kept per object."""

        def note(skipped: SkippedField) -> None:
            if skipped.kind == "unknown_field":
                self._seen_unknown.add((skipped.type_name, skipped.field))
            else:
                invalid.setdefault(skipped.object_id, {})[skipped.field] = skipped.reason

        return note

    # --- compile ----------------------------------------------------------------------------------------

    def _plan(self, entity: str) -> _Plan:
        if entity in self._plans:
            return self._plans[entity]
        mapping = self.profile.entity(entity)
        model = record_model(entity)
        if model is None:
            raise ConfigurationError(f"entity {entity!r} cannot be read from enaio", key=entity)
        problems = misfits(self.profile, self.objdef, entity)
        if problems:
            listed = "; ".join(str(p) for p in problems)
            raise ConfigurationError(
                f"profile {self.profile.site} does not fit the server for {entity}: {listed}",
                key=problems[0].key,
                source=self.profile.source,
            )
        otype = self.objdef.type_by_name(mapping.type)
        plan = _Plan(entity, model, otype, mapping, list(mapping.field_mappings()))
        for _, fm in plan.fields:
            if fm.ancestor is not None:
                plan.ancestor_types.add(fm.ancestor)
                needed = plan.ancestor_fields.setdefault(fm.ancestor, set())
                if fm.field is not None:
                    needed.add(fm.field)
        chain = ancestor_chain(self.objdef, otype)
        direct = chain[0] if chain else set()
        for name in plan.ancestor_types:
            atype = self.objdef.type_by_name(name)
            if atype.kind is ObjectKind.REGISTER and (plan.ancestor_fields[name] or direct != {name}):
                plan.walk_registers = True
        self._plans[entity] = plan
        return plan

    # --- batch resolution -------------------------------------------------------------------------------

    def _fetch(self, type_name: str, ids: Iterable[int], keep: set[str]) -> dict[int, _Node]:
        wanted = sorted(set(ids))
        found: dict[int, _Node] = {}
        for start in range(0, len(wanted), self.batch_size):
            chunk = wanted[start : start + self.batch_size]
            self.lookups += 1
            query = Query(type_name=type_name, where=is_in(System.OBJECT_ID.value, chunk, system=True))
            invalid: Invalid = {}
            for obj in self.client.search(query, on_skipped=self._skipped_into(invalid)):
                node = _Node(
                    obj.id,
                    obj.type_name,
                    obj.kind,
                    obj.parent_id,
                    {k: v for k, v in obj.fields.items() if k in keep},
                    {k: r for k, r in invalid.pop(obj.id, {}).items() if k in keep},
                )
                self._cache.put(node)
                found[obj.id] = node
        return found

    def _nodes(self, plan: _Plan, batch: list[EnaioObject]) -> dict[int, _Node]:
        """Ancestor nodes the batch needs, from the cache or fetched in IN queries."""
        nodes: dict[int, _Node] = {}
        objdef = self.objdef

        def collect(type_names: Iterable[str], ids: set[int]) -> None:
            missing: set[int] = set()
            for object_id in ids:
                node = self._cache.get(object_id)
                if node is not None:
                    nodes[object_id] = node
                else:
                    missing.add(object_id)
            for type_name in sorted(type_names):
                if not missing:
                    break
                fetched = self._fetch(type_name, missing, plan.ancestor_fields.get(type_name, set()))
                nodes.update(fetched)
                missing -= set(fetched)

        folder_types = {
            name
            for name in plan.ancestor_types
            if objdef.type_by_name(name).kind is ObjectKind.FOLDER and plan.ancestor_fields[name]
        }
        if folder_types:
            collect(folder_types, {o.folder_id for o in batch if o.folder_id is not None})
        if plan.walk_registers:
            levels = ancestor_chain(objdef, plan.otype)
            pending = {o.parent_id for o in batch if o.parent_id is not None and o.parent_id != o.folder_id}
            for level in levels:
                registers = {t for t in level if objdef.type_by_name(t).kind is ObjectKind.REGISTER}
                if not pending or not registers:
                    break
                collect(registers, pending)
                pending = {
                    n.parent_id
                    for i in pending
                    if (n := nodes.get(i)) is not None
                    and n.kind is ObjectKind.REGISTER
                    and n.parent_id is not None
                }
                pending -= {o.folder_id for o in batch}
        return nodes

    def _ancestor(
        self, plan: _Plan, obj: EnaioObject, type_name: str, nodes: dict[int, _Node]
    ) -> _Node | int | None:
        """The ancestor node (or only its id when no field is needed); None if it cannot be found."""
        atype = self.objdef.type_by_name(type_name)
        needs_fields = bool(plan.ancestor_fields.get(type_name))
        if atype.kind is ObjectKind.FOLDER:
            if obj.folder_id is None:
                return None
            if not needs_fields:
                return obj.folder_id
            node = nodes.get(obj.folder_id)
            return node if node is not None and node.type_name == type_name else None
        if not plan.walk_registers:
            return obj.parent_id
        current = obj.parent_id
        for _ in range(8):
            if current is None:
                return None
            node = nodes.get(current)
            if node is None or node.kind is not ObjectKind.REGISTER:
                return None
            if node.type_name == type_name:
                return node if needs_fields else node.id
            current = node.parent_id
        return None

    def _children(
        self, plan: _Plan, batch: list[EnaioObject], invalid: Invalid
    ) -> dict[str, dict[str, list[EnaioObject]]]:
        """Child documents per schema field and parent key, fetched with one IN query per batch; values the
        room left out of a child are noted in ``invalid``."""
        result: dict[str, dict[str, list[EnaioObject]]] = {}
        for name, fm in plan.fields:
            if fm.children is None or fm.link is None:
                continue
            child_type = self.objdef.type_by_name(fm.children)
            link_def = child_type.field(fm.link.field)
            keys = {k for obj in batch if (k := _parent_key(obj, fm)) is not None}
            grouped: dict[str, list[EnaioObject]] = {}
            typed = sorted({_typed_key(link_def, k) for k in keys}, key=str)
            for start in range(0, len(typed), self.batch_size):
                chunk = [v for v in typed[start : start + self.batch_size] if v is not None]
                if not chunk:
                    continue
                self.lookups += 1
                query = Query(type_name=child_type.internal, where=is_in(fm.link.field, chunk))
                for child in self.client.search(query, on_skipped=self._skipped_into(invalid)):
                    value = child.fields.get(fm.link.field)
                    if value is not None:
                        grouped.setdefault(str(value), []).append(child)
                    elif fm.link.field in invalid.get(child.id, {}):
                        log.warning(
                            "%s %d: link field %s left out (%s); not attached to a parent",
                            child.type_name,
                            child.id,
                            fm.link.field,
                            invalid[child.id][fm.link.field],
                        )
            order = fm.order_by
            for children in grouped.values():
                children.sort(key=lambda c: (_sortable(c.fields.get(order)) if order else (0, ""), c.id))
            result[name] = grouped
        return result

    def _map_batch(self, plan: _Plan, batch: list[EnaioObject], invalid: Invalid) -> Iterator[Record]:
        nodes = self._nodes(plan, batch) if plan.ancestor_types else {}
        child_invalid: Invalid = {}
        children = self._children(plan, batch, child_invalid)
        for obj in batch:
            self._note_unknown(obj)
            record = self._map_object(plan, obj, nodes, children, invalid.pop(obj.id, {}), child_invalid)
            if record is not None:
                yield record

    # --- one object -------------------------------------------------------------------------------------

    def _note_unknown(self, obj: EnaioObject) -> None:
        otype = self.objdef.types_by_name.get(obj.type_name)
        if otype is None:
            return
        for name in (*obj.fields, *obj.tables):
            if name not in otype.fields_by_name:
                self._seen_unknown.add((obj.type_name, name))

    def _quarantine(self, plan: _Plan, obj: EnaioObject, problems: list[tuple[str | None, str]]) -> None:
        for field_name, reason in problems:
            self.quarantine.add(
                QuarantineEntry(
                    entity=plan.entity,
                    enaio_id=obj.id,
                    enaio_type=obj.type_name,
                    field=field_name,
                    reason=reason,
                )
            )
        log.info("quarantined %s %s (%d problems)", plan.entity, obj.id, len(problems))

    def _map_object(
        self,
        plan: _Plan,
        obj: EnaioObject,
        nodes: dict[int, _Node],
        children: dict[str, dict[str, list[EnaioObject]]],
        invalid: Mapping[str, str],
        child_invalid: Invalid,
    ) -> Record | None:
        data: dict[str, Any] = {}
        problems: list[tuple[str | None, str]] = []
        gaps: list[tuple[str, str]] = []
        """Describing fields left empty: (dotted schema field, reason); kept only if the record is valid."""
        read = _read_fields(plan) if invalid else set()
        for enaio_field in sorted(invalid):
            if enaio_field.split(".")[0] not in read:
                log.info(
                    "%s %d: field %s left out (%s); not read by the profile",
                    obj.type_name,
                    obj.id,
                    enaio_field,
                    invalid[enaio_field],
                )
        describing = describing_fields(plan.model)
        identifying = identifying_fields(plan.model)
        for name, fm in plan.fields:
            if fm.derive is not None:
                continue
            try:
                value = self._value(
                    plan, plan.model, name, fm, obj, nodes, children, invalid, child_invalid, gaps
                )
            except _MappingFailure as failure:
                if _undotted(failure.field) not in identifying:
                    gaps.append((failure.field, failure.reason))
                else:
                    problems.append((failure.field, failure.reason))
                continue
            if value is not _OMIT:
                data[name] = value
        for name, fm in plan.fields:
            if fm.derive == "add_years" and fm.of is not None and fm.years is not None:
                base = data.get(fm.of)
                if isinstance(base, date) and not isinstance(base, datetime):
                    data[name] = add_years(base, fm.years)
        record: Record | None = None
        for attempt in range(2):
            try:
                record = plan.model.model_validate(data)
                break
            except PydanticValidationError as exc:
                failed = {name.split(".")[0] for name, _ in problems if name is not None}
                found: list[tuple[tuple[str | int, ...], str]] = []
                for error in exc.errors():
                    if error["loc"] and str(error["loc"][0]) in failed:
                        continue  # already reported by the mapping step (e.g. ancestor_missing)
                    found.append((tuple(error["loc"]), _reason(error["type"], error["msg"])))
                loose = [(loc, reason) for loc, reason in found if _is_loose(loc, identifying)]
                if problems or len(loose) < len(found) or not loose or attempt:
                    problems.extend((".".join(str(p) for p in loc) or None, reason) for loc, reason in found)
                    break
                # only values that do not identify the record failed: keep it with them empty, once
                for loc, reason in loose:
                    _drop(data, loc)
                    gaps.append((".".join(str(part) for part in loc), reason))
        if record is None or problems:
            self._quarantine(plan, obj, problems)
            return None
        gaps.extend(_missing(plan, data, describing, {path for path, _ in gaps}))
        for field_name, reason in sorted(set(gaps)):
            self.quarantine.keep(
                QuarantineEntry(
                    entity=plan.entity,
                    enaio_id=obj.id,
                    enaio_type=obj.type_name,
                    field=field_name,
                    reason=reason,
                )
            )
        return record

    def _value(
        self,
        plan: _Plan,
        model: type[BaseModel],
        name: str,
        fm: FieldMapping,
        obj: EnaioObject,
        nodes: dict[int, _Node],
        children: dict[str, dict[str, list[EnaioObject]]],
        invalid: Mapping[str, str],
        child_invalid: Invalid,
        gaps: list[tuple[str, str]],
    ) -> Any:
        if fm.table is not None:
            _check_valid(name, invalid, fm.table, table=True)
            return self._table(model, name, fm, obj, gaps)
        if fm.children is not None:
            if fm.link is not None and fm.link.parent_field is not None:
                _check_valid(name, invalid, fm.link.parent_field)  # without its key the children are unknown
            return self._child_items(plan, model, name, fm, obj, children, child_invalid, gaps)
        server: FieldDef | None = None
        raw: Any
        if "const" in fm.model_fields_set:
            raw = fm.const
        elif fm.ancestor is not None:
            found = self._ancestor(plan, obj, fm.ancestor, nodes)
            if found is None:
                raise _MappingFailure(name, "ancestor_missing: ancestor object not found")
            if fm.system is not None:
                raw = found if isinstance(found, int) else found.id
            else:
                if fm.field is None or not isinstance(found, _Node):
                    raise _MappingFailure(name, "ancestor_missing: ancestor object not found")
                _check_valid(name, found.invalid, fm.field)
                raw = found.values.get(fm.field)
                server = self.objdef.type_by_name(fm.ancestor).fields_by_name.get(fm.field)
        elif fm.system is not None:
            raw = _system(obj, fm.system)
        elif fm.field is not None:
            _check_valid(name, invalid, fm.field)
            raw = obj.fields.get(fm.field)
            server = _server_field(self.objdef, obj, fm.field)
        else:
            raw = None
        return _convert(model, name, fm, raw, server.valuesep if server is not None else None)

    def _table(
        self,
        model: type[BaseModel],
        name: str,
        fm: FieldMapping,
        obj: EnaioObject,
        gaps: list[tuple[str, str]],
    ) -> Any:
        item = schema_item_model(model, name)
        if item is None or fm.table is None:
            return _OMIT
        identifying = identifying_fields(item)
        rows = obj.tables.get(fm.table, [])
        items: list[dict[str, Any]] = []
        for index, row in enumerate(rows):
            converted: dict[str, Any] = {}
            for col_name, cm in (fm.columns or {}).items():
                raw = cm.const if "const" in cm.model_fields_set else row.get(cm.column or "")
                try:
                    value = _convert(item, col_name, cm, raw, None)
                except _MappingFailure as failure:
                    if col_name not in identifying:
                        gaps.append((f"{name}.{index}.{failure.field}", failure.reason))
                        continue
                    raise _MappingFailure(f"{name}.{index}.{failure.field}", failure.reason) from None
                if value is not _OMIT:
                    converted[col_name] = value
            items.append(converted)
        return tuple(items)

    def _child_items(
        self,
        plan: _Plan,
        model: type[BaseModel],
        name: str,
        fm: FieldMapping,
        obj: EnaioObject,
        children: dict[str, dict[str, list[EnaioObject]]],
        child_invalid: Invalid,
        gaps: list[tuple[str, str]],
    ) -> Any:
        item = schema_item_model(model, name)
        if item is None:
            return _OMIT
        identifying = identifying_fields(item)
        key = _parent_key(obj, fm)
        docs = children.get(name, {}).get(str(key), []) if key is not None else []
        items: list[dict[str, Any]] = []
        for index, child in enumerate(docs):
            converted: dict[str, Any] = {}
            for sub_name, sm in (fm.fields or {}).items():
                try:
                    if "const" in sm.model_fields_set:
                        raw: Any = sm.const
                        server = None
                    elif sm.system is not None:
                        raw, server = _system(child, sm.system), None
                    else:
                        _check_valid(sub_name, child_invalid.get(child.id, {}), sm.field or "")
                        raw = child.fields.get(sm.field or "")
                        server = _server_field(self.objdef, child, sm.field or "")
                    value = _convert(item, sub_name, sm, raw, server.valuesep if server else None)
                except _MappingFailure as failure:
                    if sub_name not in identifying:
                        gaps.append((f"{name}.{index}.{failure.field}", failure.reason))
                        continue
                    raise _MappingFailure(f"{name}.{index}.{failure.field}", failure.reason) from None
                if value is not _OMIT:
                    converted[sub_name] = value
            items.append(converted)
        return tuple(items)


def _reason(kind: str, message: str) -> str:
    """Error type and a fixed phrase; a validator's own message only without values."""
    if kind in _PHRASES:
        return f"{kind}: {_PHRASES[kind]}"
    if kind in ("value_error", "assertion_error"):
        return f"{kind}: {_safe_message(message)}"
    return f"{kind}: invalid value"


def _undotted(path: str) -> str:
    """``ziele.0.zielstatus`` -> ``ziele.zielstatus`` (the form of ``schemas.describing_fields``)."""
    return ".".join(part for part in path.split(".") if not part.isdigit())


def _is_loose(loc: tuple[str | int, ...], identifying: frozenset[str]) -> bool:
    """True for a field the record can do without (describing or optional), False for an identifying one and
    for record-level rules."""
    if not loc:
        return False
    return ".".join(str(part) for part in loc if not isinstance(part, int)) not in identifying


def _drop(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    """Remove the value at ``loc`` (``("geschlecht",)`` or ``("ziele", 0, "zielstatus")``)."""
    target: Any = data
    for part in loc[:-1]:
        try:
            target = target[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(target, dict):
        target.pop(loc[-1], None)


def _missing(
    plan: _Plan, data: Mapping[str, Any], describing: frozenset[str], noted: set[str]
) -> list[tuple[str, str]]:
    """Describing fields the profile maps but the object left empty (nested: per item); ``noted`` holds the
    dotted paths already reported as invalid."""
    reason = "missing: value is missing"
    found: list[tuple[str, str]] = []
    for name, fm in plan.mapping.fields.items():
        if name in describing and name not in noted and data.get(name) is None:
            found.append((name, reason))
        inner = fm.columns if fm.table is not None else fm.fields if fm.children is not None else None
        items = data.get(name)
        if inner is None or not isinstance(items, tuple):
            continue
        for index, item in enumerate(items):
            for column in inner:
                path = f"{name}.{index}.{column}"
                if (
                    f"{name}.{column}" in describing
                    and isinstance(item, dict)
                    and item.get(column) is None
                    and path not in noted
                ):
                    found.append((path, reason))
    return found


def _check_valid(name: str, invalid: Mapping[str, str], source: str, *, table: bool = False) -> None:
    """A ``_MappingFailure`` for schema field ``name`` when the room left its source value out."""
    for enaio_field, reason in invalid.items():
        if enaio_field == source or (table and enaio_field.startswith(source + ".")):
            raise _MappingFailure(name, reason)


def _read_fields(plan: _Plan) -> set[str]:
    """Index fields of the entity's own objects that the profile reads (incl. keys of child documents)."""
    names = {fm.field or fm.table or "" for _, fm in plan.fields if fm.ancestor is None}
    names.update(fm.link.parent_field or "" for _, fm in plan.fields if fm.link is not None)
    return names - {""}


def _server_field(objdef: ObjectDefinition, obj: EnaioObject, name: str) -> FieldDef | None:
    otype = objdef.types_by_name.get(obj.type_name)
    return otype.fields_by_name.get(name) if otype is not None else None


def _system(obj: EnaioObject, name: str) -> Any:
    return {
        "id": obj.id,
        "type": obj.type_name,
        "type_id": obj.type_id,
        "modified": obj.modified,
        "created": obj.created,
        "creator": obj.creator,
        "modifier": obj.modifier,
        "owner": obj.owner,
        "parent_id": obj.parent_id,
        "folder_id": obj.folder_id,
    }[name]


def _parent_key(obj: EnaioObject, fm: FieldMapping) -> str | None:
    link = fm.link
    if link is None:
        return None
    if link.parent_system == "id":
        return str(obj.id)
    value = obj.fields.get(link.parent_field or "")
    return None if value is None else str(value)


def _typed_key(link_def: FieldDef, key: str) -> FieldValue | None:
    if link_def.value_type in (ValueType.INTEGER,):
        try:
            return int(key)
        except ValueError:
            return None
    return key


def _sortable(value: FieldValue | None) -> tuple[int, str]:
    if value is None:
        return (1, "")
    if isinstance(value, int | Decimal):
        return (0, f"{Decimal(value):030.6f}")
    if isinstance(value, date):
        return (0, value.isoformat())
    return (0, str(value))


def _convert(model: type[BaseModel], name: str, fm: FieldMapping, raw: Any, server_sep: str | None) -> Any:
    """Source value -> the value handed to the schema; ``_OMIT`` leaves the schema default in place."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return fm.default if fm.has_default else _OMIT
    kind = expected_kind(model, name, fm)
    separator = fm.separator(server_sep)
    if separator is not None:
        parts = [part.strip() for part in str(raw).split(separator)]
        mapped = [_map_value(fm, part) for part in parts if part]
        return tuple(value for value in mapped if value is not None)
    if kind == "checkbox":
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise _MappingFailure(name, "checkbox: value is not 0 or 1") from None
        if number not in (0, 1):
            raise _MappingFailure(name, "checkbox: value is not 0 or 1")
        return number == 1
    if kind == "integer" and isinstance(raw, str | Decimal):
        try:
            return int(raw)
        except (ValueError, ArithmeticError):
            raise _MappingFailure(name, "int_parsing: value is not an integer") from None
    if kind == "decimal" and isinstance(raw, str | int) and not isinstance(raw, bool):
        try:
            return Decimal(str(raw))
        except InvalidOperation:
            raise _MappingFailure(name, "decimal_parsing: value is not a decimal") from None
    if kind == "text" and not isinstance(raw, str):
        raw = str(raw)
    if isinstance(raw, str):
        value = _map_value(fm, raw)
        return _OMIT if value is None else value
    return raw


def _map_value(fm: FieldMapping, key: str) -> str | None:
    """Catalogue key -> enum member via ``values``; keys not listed pass unchanged (identity)."""
    if fm.values is not None and key in fm.values:
        return fm.values[key]
    return key
