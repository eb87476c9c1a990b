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


_NO_INVALID: Mapping[str, str] = {}
"""Shared by the nodes without invalid values (most of them): never written to."""


@dataclass(slots=True)
class _Node:
    """A folder or register, as compact as the profile allows."""

    id: int
    type_name: str
    kind: ObjectKind
    parent_id: int | None
    values: dict[str, FieldValue]
    invalid: Mapping[str, str]
    """Read fields whose server value did not convert -> reason (no value)."""


Invalid = dict[int, dict[str, str]]
"""Object id -> enaio field -> reason, for values a room left out (``invalid_value``)."""


class _NodeCache:
    """Bounded cache of ancestor nodes by enaio id.

    The entities are read one after another, each in id order, and each touches the same folders again in
    about the same order: a cyclic scan, on which a plain LRU cache hits nothing as soon as the folders
    outnumber it. So most of the room is a *stable* part that keeps the first nodes put into it (hit by every
    later entity: ``size / folders`` of the lookups are saved even when the folders do not fit), and a small
    LRU part keeps the locality within one entity (a case's documents in neighbouring batches).
    """

    def __init__(self, size: int, recent: int) -> None:
        self.size = size
        self._recent_size = max(1, min(size, recent))
        self._stable_size = size - self._recent_size
        self._stable: dict[int, _Node] = {}
        self._recent: OrderedDict[int, _Node] = OrderedDict()

    def get(self, object_id: int) -> _Node | None:
        node = self._stable.get(object_id)
        if node is None:
            node = self._recent.get(object_id)
            if node is not None:
                self._recent.move_to_end(object_id)
        return node

    def put(self, node: _Node) -> None:
        if node.id in self._stable or len(self._stable) < self._stable_size:
            self._stable[node.id] = node  # a fresher copy replaces the old one in place
            return
        self._recent[node.id] = node
        self._recent.move_to_end(node.id)
        while len(self._recent) > self._recent_size:
            self._recent.popitem(last=False)

    def __len__(self) -> int:
        return len(self._stable) + len(self._recent)


Converter = Callable[[Any], Any]
"""A source value -> the value handed to the schema (or ``_OMIT``); raises ``_MappingFailure``."""

# Sources of a compiled field, in the order the per-object loop tests them (the common ones first).
_FIELD, _SYSTEM, _ANCESTOR, _CONST, _TABLE, _CHILDREN, _NONE = range(7)

_SYSTEM_ATTRS: Mapping[str, str] = {
    "id": "id",
    "type": "type_name",
    "type_id": "type_id",
    "modified": "modified",
    "created": "created",
    "creator": "creator",
    "modifier": "modifier",
    "owner": "owner",
    "parent_id": "parent_id",
    "folder_id": "folder_id",
}


@dataclass(slots=True)
class _Sub:
    """One column of a table mapping or one field of a child-document mapping, compiled."""

    name: str
    mapping: FieldMapping
    source: int
    key: str
    """Column, enaio field, or the ``EnaioObject`` attribute of a system value."""
    convert: Converter
    identifying: bool


@dataclass(slots=True)
class _Step:
    """One schema field of an entity, compiled once: what it reads and how it converts, so the per-object
    loop does no schema introspection and no profile lookups."""

    name: str
    mapping: FieldMapping
    source: int
    key: str
    """Enaio field, table, or the ``EnaioObject`` attribute of a system value."""
    convert: Converter
    """For the entity's own type (fields) or the ancestor's type (ancestor fields)."""
    ancestor_folder: bool = False
    needs_fields: bool = False
    """Ancestor steps: the ancestor is a folder; its index fields are read (not only its id)."""
    item: type[BaseModel] | None = None
    """Tables and child documents: the nested schema model (None: the schema has no such list)."""
    subs: list[_Sub] = field(default_factory=list)


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
    steps: list[_Step] = field(default_factory=list)
    """Every field but the derived ones, in the profile's order."""
    derived: list[tuple[str, str, int]] = field(default_factory=list)
    """(field, field it is derived from, years) of the ``add_years`` derivations."""
    identifying: frozenset[str] = frozenset()
    describing: frozenset[str] = frozenset()
    read_fields: set[str] = field(default_factory=set)
    known: frozenset[str] = frozenset()
    """Field names of ``otype`` on the server (anything else in an object is drift)."""
    missing_top: list[str] = field(default_factory=list)
    missing_nested: list[tuple[str, list[str]]] = field(default_factory=list)
    """Describing fields (and describing columns of nested items) the profile maps: empty ones are gaps."""
    warm: frozenset[str] = frozenset()
    """Index fields kept when the entity's own objects are cached as ancestor nodes of later entities."""
    warms: bool = False


class RecordReader:
    """Maps enaio objects to validated schema records, entity by entity, as a stream."""

    def __init__(
        self,
        client: EnaioClient,
        profile: MappingProfile,
        *,
        quarantine: Quarantine | None = None,
        batch_size: int = 200,
        cache_size: int = 30_000,
    ) -> None:
        self.client = client
        self.profile = profile
        self.quarantine = quarantine if quarantine is not None else Quarantine()
        self.batch_size = max(1, batch_size)
        size = max(cache_size, 4 * self.batch_size)
        self._cache = _NodeCache(size, recent=max(2 * self.batch_size, size // 10))
        self._keep = _ancestor_keep(profile)
        """Ancestor type -> index fields any entity reads from it (one node serves them all)."""
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
        plan.identifying = identifying_fields(model)
        plan.describing = describing_fields(model)
        plan.read_fields = _read_fields(plan)
        plan.known = frozenset(otype.fields_by_name)
        for name, fm in plan.fields:
            if fm.derive is None:
                plan.steps.append(self._step(plan, name, fm))
            elif fm.derive == "add_years" and fm.of is not None and fm.years is not None:
                plan.derived.append((name, fm.of, fm.years))
        for name, fm in mapping.fields.items():
            if name in plan.describing:
                plan.missing_top.append(name)
            inner = fm.columns if fm.table is not None else fm.fields if fm.children is not None else None
            columns = [column for column in inner or {} if f"{name}.{column}" in plan.describing]
            if columns:
                plan.missing_nested.append((name, columns))
        # the entity's own objects are ancestors of later entities: cached as they pass, they spare lookups
        plan.warm = frozenset(self._keep.get(otype.internal, ()))
        plan.warms = bool(plan.warm)
        self._plans[entity] = plan
        return plan

    def _step(self, plan: _Plan, name: str, fm: FieldMapping) -> _Step:
        """One field compiled; the source order is the one the mapping has always been read in."""
        model, objdef = plan.model, self.objdef
        if fm.table is not None:
            item = schema_item_model(model, name)
            subs: list[_Sub] = []
            if item is not None:
                inner_identifying = identifying_fields(item)
                for col_name, cm in (fm.columns or {}).items():
                    source = _CONST if "const" in cm.model_fields_set else _FIELD
                    convert = _converter(item, col_name, cm, None)
                    subs.append(
                        _Sub(col_name, cm, source, cm.column or "", convert, col_name in inner_identifying)
                    )
            return _Step(name, fm, _TABLE, fm.table, _converter(model, name, fm, None), item=item, subs=subs)
        if fm.children is not None:
            item = schema_item_model(model, name)
            child_type = objdef.types_by_name.get(fm.children)
            subs = []
            if item is not None:
                inner_identifying = identifying_fields(item)
                for sub_name, sm in (fm.fields or {}).items():
                    separator: str | None = None
                    if "const" in sm.model_fields_set:
                        source, key = _CONST, ""
                    elif sm.system is not None:
                        source, key = _SYSTEM, _SYSTEM_ATTRS[sm.system]
                    else:
                        source, key = _FIELD, sm.field or ""
                        server = child_type.fields_by_name.get(key) if child_type is not None else None
                        separator = server.valuesep if server is not None else None
                    convert = _converter(item, sub_name, sm, separator)
                    subs.append(_Sub(sub_name, sm, source, key, convert, sub_name in inner_identifying))
            return _Step(
                name, fm, _CHILDREN, fm.children, _converter(model, name, fm, None), item=item, subs=subs
            )
        if "const" in fm.model_fields_set:
            return _Step(name, fm, _CONST, "", _converter(model, name, fm, None))
        if fm.ancestor is not None:
            atype = objdef.type_by_name(fm.ancestor)
            separator = None
            if fm.system is None and fm.field is not None:
                server = atype.fields_by_name.get(fm.field)
                separator = server.valuesep if server is not None else None
            return _Step(
                name,
                fm,
                _ANCESTOR,
                fm.field or "",
                _converter(model, name, fm, separator),
                ancestor_folder=atype.kind is ObjectKind.FOLDER,
                needs_fields=bool(plan.ancestor_fields.get(fm.ancestor)),
            )
        if fm.system is not None:
            return _Step(name, fm, _SYSTEM, _SYSTEM_ATTRS[fm.system], _converter(model, name, fm, None))
        if fm.field is not None:
            server = plan.otype.fields_by_name.get(fm.field)
            separator = server.valuesep if server is not None else None
            return _Step(name, fm, _FIELD, fm.field, _converter(model, name, fm, separator))
        return _Step(name, fm, _NONE, "", _converter(model, name, fm, None))

    # --- batch resolution -------------------------------------------------------------------------------

    def _fetch(self, type_name: str, ids: Iterable[int], keep: frozenset[str]) -> dict[int, _Node]:
        wanted = sorted(set(ids))
        found: dict[int, _Node] = {}
        for start in range(0, len(wanted), self.batch_size):
            chunk = wanted[start : start + self.batch_size]
            self.lookups += 1
            query = Query(type_name=type_name, where=is_in(System.OBJECT_ID.value, chunk, system=True))
            invalid: Invalid = {}
            for obj in self.client.search(query, on_skipped=self._skipped_into(invalid)):
                node = _node(obj, keep, invalid.pop(obj.id, _NO_INVALID))
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
                fetched = self._fetch(type_name, missing, self._keep.get(type_name, frozenset()))
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
        self, plan: _Plan, step: _Step, obj: EnaioObject, nodes: dict[int, _Node]
    ) -> _Node | int | None:
        """The ancestor node (or only its id when no field is needed); None if it cannot be found."""
        type_name = step.mapping.ancestor
        if step.ancestor_folder:
            if obj.folder_id is None:
                return None
            if not step.needs_fields:
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
                return node if step.needs_fields else node.id
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
            self._note_unknown(plan, obj)
            own_invalid = invalid.pop(obj.id, _NO_INVALID)
            if plan.warms:
                self._cache.put(_node(obj, plan.warm, own_invalid))
            record = self._map_object(plan, obj, nodes, children, own_invalid, child_invalid)
            if record is not None:
                yield record

    # --- one object -------------------------------------------------------------------------------------

    def _note_unknown(self, plan: _Plan, obj: EnaioObject) -> None:
        known: Mapping[str, object] | frozenset[str]
        if obj.type_name == plan.otype.internal:
            known = plan.known
            if obj.fields.keys() <= known and obj.tables.keys() <= known:
                return  # the usual case, decided without a loop
        else:
            otype = self.objdef.types_by_name.get(obj.type_name)
            if otype is None:
                return
            known = otype.fields_by_name
        for name in (*obj.fields, *obj.tables):
            if name not in known:
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
        if invalid:
            read = plan.read_fields
            for enaio_field in sorted(invalid):
                if enaio_field.split(".")[0] not in read:
                    log.info(
                        "%s %d: field %s left out (%s); not read by the profile",
                        obj.type_name,
                        obj.id,
                        enaio_field,
                        invalid[enaio_field],
                    )
        identifying = plan.identifying
        fields = obj.fields
        own_type = obj.type_name == plan.otype.internal
        for step in plan.steps:
            source = step.source
            try:
                # the two common sources inline; the rest in _value
                if source == _FIELD:
                    if invalid and step.key in invalid:
                        raise _MappingFailure(step.name, invalid[step.key])
                    if own_type:
                        value = step.convert(fields.get(step.key))
                    else:
                        value = self._convert_foreign(plan.model, step.name, step.mapping, obj, step.key)
                elif source == _SYSTEM:
                    value = step.convert(getattr(obj, step.key))
                else:
                    value = self._value(plan, step, obj, nodes, children, invalid, child_invalid, gaps)
            except _MappingFailure as failure:
                if _undotted(failure.field) not in identifying:
                    gaps.append((failure.field, failure.reason))
                else:
                    problems.append((failure.field, failure.reason))
                continue
            if value is not _OMIT:
                data[step.name] = value
        for name, of, years in plan.derived:
            base = data.get(of)
            if isinstance(base, date) and not isinstance(base, datetime):
                data[name] = add_years(base, years)
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
        gaps.extend(_missing(plan, data, {path for path, _ in gaps}))
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

    def _convert_foreign(
        self, model: type[BaseModel], name: str, fm: FieldMapping, obj: EnaioObject, key: str
    ) -> Any:
        """An object of another type than the compiled one (not seen in practice): its own separator."""
        server = _server_field(self.objdef, obj, key)
        return _converter(model, name, fm, server.valuesep if server is not None else None)(
            obj.fields.get(key)
        )

    def _value(
        self,
        plan: _Plan,
        step: _Step,
        obj: EnaioObject,
        nodes: dict[int, _Node],
        children: dict[str, dict[str, list[EnaioObject]]],
        invalid: Mapping[str, str],
        child_invalid: Invalid,
        gaps: list[tuple[str, str]],
    ) -> Any:
        name, fm, source = step.name, step.mapping, step.source
        if source == _TABLE:
            if invalid:
                _check_valid(name, invalid, step.key, table=True)
            return self._table(step, obj, gaps)
        if source == _CHILDREN:
            if invalid and fm.link is not None and fm.link.parent_field is not None:
                _check_valid(name, invalid, fm.link.parent_field)  # without its key the children are unknown
            return self._child_items(step, obj, children, child_invalid, gaps)
        if source == _CONST:
            return step.convert(fm.const)
        if source == _ANCESTOR:
            found = self._ancestor(plan, step, obj, nodes)
            if found is None:
                raise _MappingFailure(name, "ancestor_missing: ancestor object not found")
            if fm.system is not None:
                return step.convert(found if isinstance(found, int) else found.id)
            if fm.field is None or not isinstance(found, _Node):
                raise _MappingFailure(name, "ancestor_missing: ancestor object not found")
            if found.invalid:
                _check_valid(name, found.invalid, fm.field)
            return step.convert(found.values.get(fm.field))
        return step.convert(None)

    def _table(self, step: _Step, obj: EnaioObject, gaps: list[tuple[str, str]]) -> Any:
        if step.item is None:
            return _OMIT
        name = step.name
        items: list[dict[str, Any]] = []
        for index, row in enumerate(obj.tables.get(step.key, [])):
            converted: dict[str, Any] = {}
            for sub in step.subs:
                raw = sub.mapping.const if sub.source == _CONST else row.get(sub.key)
                try:
                    value = sub.convert(raw)
                except _MappingFailure as failure:
                    if not sub.identifying:
                        gaps.append((f"{name}.{index}.{failure.field}", failure.reason))
                        continue
                    raise _MappingFailure(f"{name}.{index}.{failure.field}", failure.reason) from None
                if value is not _OMIT:
                    converted[sub.name] = value
            items.append(converted)
        return tuple(items)

    def _child_items(
        self,
        step: _Step,
        obj: EnaioObject,
        children: dict[str, dict[str, list[EnaioObject]]],
        child_invalid: Invalid,
        gaps: list[tuple[str, str]],
    ) -> Any:
        if step.item is None:
            return _OMIT
        name, item = step.name, step.item
        key = _parent_key(obj, step.mapping)
        docs = children.get(name, {}).get(str(key), []) if key is not None else []
        items: list[dict[str, Any]] = []
        for index, child in enumerate(docs):
            converted: dict[str, Any] = {}
            for sub in step.subs:
                try:
                    if sub.source == _CONST:
                        value = sub.convert(sub.mapping.const)
                    elif sub.source == _SYSTEM:
                        value = sub.convert(getattr(child, sub.key))
                    else:
                        _check_valid(sub.name, child_invalid.get(child.id, _NO_INVALID), sub.key)
                        if child.type_name == step.key:
                            value = sub.convert(child.fields.get(sub.key))
                        else:
                            value = self._convert_foreign(item, sub.name, sub.mapping, child, sub.key)
                except _MappingFailure as failure:
                    if not sub.identifying:
                        gaps.append((f"{name}.{index}.{failure.field}", failure.reason))
                        continue
                    raise _MappingFailure(f"{name}.{index}.{failure.field}", failure.reason) from None
                if value is not _OMIT:
                    converted[sub.name] = value
            items.append(converted)
        return tuple(items)


def _ancestor_keep(profile: MappingProfile) -> dict[str, frozenset[str]]:
    """Index fields each ancestor type is read for, over every entity of the profile."""
    keep: dict[str, set[str]] = {}
    for mapping in profile.entities.values():
        for _, fm in mapping.field_mappings():
            if fm.ancestor is not None and fm.field is not None:
                keep.setdefault(fm.ancestor, set()).add(fm.field)
    return {name: frozenset(fields) for name, fields in keep.items()}


def _node(obj: EnaioObject, keep: frozenset[str], invalid: Mapping[str, str]) -> _Node:
    """The compact node of a folder or register: only the index fields some ancestor mapping reads."""
    fields = obj.fields
    return _Node(
        obj.id,
        obj.type_name,
        obj.kind,
        obj.parent_id,
        {name: fields[name] for name in keep if name in fields},
        {k: r for k, r in invalid.items() if k in keep} if invalid else _NO_INVALID,
    )


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


def _missing(plan: _Plan, data: Mapping[str, Any], noted: set[str]) -> list[tuple[str, str]]:
    """Describing fields the profile maps but the object left empty (nested: per item); ``noted`` holds the
    dotted paths already reported as invalid."""
    reason = "missing: value is missing"
    found = [(name, reason) for name in plan.missing_top if data.get(name) is None and name not in noted]
    for name, columns in plan.missing_nested:
        items = data.get(name)
        if not isinstance(items, tuple):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            for column in columns:
                if item.get(column) is None and (path := f"{name}.{index}.{column}") not in noted:
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


def _converter(model: type[BaseModel], name: str, fm: FieldMapping, server_sep: str | None) -> Converter:
    """Compile the conversion of one field: source value -> the value handed to the schema; ``_OMIT`` leaves
    the schema default in place. Kind, separator and catalogue mapping are looked up here, once per entity,
    not once per object."""
    kind = expected_kind(model, name, fm)
    separator = fm.separator(server_sep)
    empty = fm.default if fm.has_default else _OMIT
    values = fm.values
    """Catalogue key -> enum member; keys not listed pass unchanged (identity)."""

    if separator is not None:

        def convert_multi(raw: Any) -> Any:
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                return empty
            parts = [stripped for part in str(raw).split(separator) if (stripped := part.strip())]
            if values is None:
                return tuple(parts)
            mapped = [values.get(part, part) for part in parts]
            return tuple(value for value in mapped if value is not None)

        return convert_multi

    def convert(raw: Any) -> Any:
        if raw is None:
            return empty
        is_text = isinstance(raw, str)
        if is_text and not raw.strip():
            return empty
        if kind == "checkbox":
            try:
                number = int(raw)
            except (TypeError, ValueError):
                raise _MappingFailure(name, "checkbox: value is not 0 or 1") from None
            if number not in (0, 1):
                raise _MappingFailure(name, "checkbox: value is not 0 or 1")
            return number == 1
        if kind == "integer" and (is_text or isinstance(raw, Decimal)):
            try:
                return int(raw)
            except (ValueError, ArithmeticError):
                raise _MappingFailure(name, "int_parsing: value is not an integer") from None
        if kind == "decimal" and (is_text or isinstance(raw, int)) and not isinstance(raw, bool):
            try:
                return Decimal(str(raw))
            except InvalidOperation:
                raise _MappingFailure(name, "decimal_parsing: value is not a decimal") from None
        if kind == "text" and not is_text:
            raw, is_text = str(raw), True
        if is_text:
            if values is None:
                return raw
            value = values.get(raw, raw)
            return _OMIT if value is None else value
        return raw

    return convert
