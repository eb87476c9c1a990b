"""Does a profile fit a server's object definition? Misfits (missing or mistyped types, fields, columns,
catalogue values) and drift (server fields no mapping reads). Used by ``enaio-connector check`` and by the
reader before it reads anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from connector.enaio.objdef import FieldDef, ObjectDefinition, ObjectType, TableColumn, ValueType
from mappings.profile import (
    EntityMapping,
    FieldMapping,
    MappingProfile,
    ValueKind,
    expected_kind,
    record_model,
    schema_enum,
    schema_item_model,
)

__all__ = ["Drift", "Misfit", "ancestor_chain", "drift", "misfits"]

_COMPATIBLE: dict[ValueKind, frozenset[ValueType]] = {
    "text": frozenset({ValueType.TEXT}),
    "date": frozenset({ValueType.DATE}),
    "datetime": frozenset({ValueType.DATETIME}),
    "integer": frozenset({ValueType.INTEGER}),
    "decimal": frozenset({ValueType.DECIMAL, ValueType.INTEGER}),
    "checkbox": frozenset({ValueType.INTEGER}),
}


@dataclass(frozen=True, slots=True)
class Misfit:
    entity: str
    key: str
    """Profile key, e.g. ``klient.geburtsdatum``."""
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass(frozen=True, slots=True)
class Drift:
    type_name: str
    field: str
    seen_in: str
    """``object definition`` or ``objects``."""

    def __str__(self) -> str:
        return f"{self.type_name}.{self.field} is not mapped (seen in {self.seen_in})"


def ancestor_chain(objdef: ObjectDefinition, otype: ObjectType) -> list[set[str]]:
    """Possible ancestor types per level above ``otype`` (nearest first), from the relations (E12)."""
    levels: list[set[str]] = []
    current = {otype.internal}
    for _ in range(8):
        parents: set[str] = set()
        for name in current:
            t = objdef.types_by_name[name]
            if t.parent_type_ids:
                parents.update(objdef.types_by_id[pid].internal for pid in t.parent_type_ids)
            elif t.kind.value != "FOLDER":
                parents.update(p.internal for p in objdef.types_by_name.values() if t.allows_parent(p))
        if not parents:
            break
        levels.append(parents)
        current = parents
    return levels


def _kind_problem(kind: ValueKind | None, server: FieldDef | TableColumn) -> str | None:
    if kind is None or server.value_type in _COMPATIBLE[kind]:
        return None
    return f"type {server.value_type.value.lower()} on the server, profile expects {kind}"


def _values_problems(
    fm: FieldMapping, model: type[BaseModel], name: str, server: FieldDef | TableColumn, label: str
) -> Iterator[str]:
    allowed = server.allowed_keys
    if allowed is None:
        return
    for key in fm.values or {}:
        if key not in allowed:
            yield f"catalogue value {key!r} of {label} is missing on the server"
    enum = schema_enum(model, name)
    if enum is None:
        return
    members = {member.value for member in enum}
    for key in sorted(allowed):
        target = (fm.values or {}).get(key, key)
        if fm.values is not None and key in fm.values and target is None:
            continue
        if target not in members:
            yield f"catalogue value {key!r} of {label} maps to no {enum.__name__} member (add it to 'values')"


def misfits(profile: MappingProfile, objdef: ObjectDefinition, entity: str | None = None) -> list[Misfit]:
    """Everything the profile maps that the server lacks or types differently."""
    found: list[Misfit] = []
    for name, em in profile.entities.items():
        if entity is not None and name != entity:
            continue
        model = record_model(name)
        if model is None:
            continue
        found.extend(_entity_misfits(name, em, model, objdef))
    return found


def _entity_misfits(
    entity: str, em: EntityMapping, model: type[BaseModel], objdef: ObjectDefinition
) -> Iterator[Misfit]:
    otype = objdef.types_by_name.get(em.type)
    if otype is None:
        yield Misfit(entity, f"{entity}.type", f"object type {em.type} is missing on the server")
        return
    chain = {t for level in ancestor_chain(objdef, otype) for t in level}
    for name, fm in em.field_mappings():
        key = f"{entity}.{name}"
        yield from (Misfit(entity, key, m) for m in _field_misfits(fm, model, name, otype, chain, objdef))


def _field_misfits(
    fm: FieldMapping,
    model: type[BaseModel],
    name: str,
    otype: ObjectType,
    chain: set[str],
    objdef: ObjectDefinition,
) -> Iterator[str]:
    kind = expected_kind(model, name, fm)
    target = otype
    if fm.ancestor is not None:
        if fm.ancestor not in objdef.types_by_name:
            yield f"ancestor type {fm.ancestor} is missing on the server"
            return
        if fm.ancestor not in chain:
            yield f"{fm.ancestor} is not an ancestor type of {otype.internal} on the server"
            return
        target = objdef.types_by_name[fm.ancestor]
    if fm.field is not None:
        server = target.fields_by_name.get(fm.field)
        if server is None:
            yield f"field {target.internal}.{fm.field} is missing on the server (profile expects {kind})"
            return
        if fm.multi not in (None, False) and kind is not None:
            kind = "text"
        problem = _kind_problem(kind, server)
        if problem:
            yield f"field {server.qualified_name}: {problem}"
        yield from _values_problems(fm, model, name, server, f"field {server.qualified_name}")
    elif fm.table is not None:
        server = otype.fields_by_name.get(fm.table)
        item = schema_item_model(model, name)
        if server is None or not server.is_table:
            what = (
                "missing" if server is None else f"not a table field (type {server.value_type.value.lower()})"
            )
            yield f"table field {otype.internal}.{fm.table} is {what} on the server"
            return
        if item is None:
            return
        for col_name, cm in (fm.columns or {}).items():
            if cm.column is None:
                continue
            column = server.columns_by_name.get(cm.column)
            col_kind = expected_kind(item, col_name, cm)
            if column is None:
                yield (
                    f"column {server.qualified_name}.{cm.column} is missing on the server"
                    f" (profile expects {col_kind})"
                )
                continue
            problem = _kind_problem(col_kind, column)
            if problem:
                yield f"column {column.qualified_name}: {problem}"
            yield from _values_problems(cm, item, col_name, column, f"column {column.qualified_name}")
    elif fm.children is not None:
        child = objdef.types_by_name.get(fm.children)
        item = schema_item_model(model, name)
        if child is None:
            yield f"child document type {fm.children} is missing on the server"
            return
        if fm.link is not None:
            if fm.link.field not in child.fields_by_name:
                yield f"link field {child.internal}.{fm.link.field} is missing on the server"
            if fm.link.parent_field is not None and fm.link.parent_field not in otype.fields_by_name:
                yield f"link field {otype.internal}.{fm.link.parent_field} is missing on the server"
        if fm.order_by is not None and fm.order_by not in child.fields_by_name:
            yield f"order field {child.internal}.{fm.order_by} is missing on the server"
        if item is None:
            return
        child_chain = {t for level in ancestor_chain(objdef, child) for t in level}
        for sub_name, sm in (fm.fields or {}).items():
            for message in _field_misfits(sm, item, sub_name, child, child_chain, objdef):
                yield f"{sub_name}: {message}"


def referenced_fields(em: EntityMapping) -> dict[str, set[str]]:
    """Server fields (and ``TABLE.COLUMN``s) each mapped object type reads, by type name."""
    refs: dict[str, set[str]] = {em.type: set(em.ignore)}

    def walk(owner: str, fields: dict[str, FieldMapping]) -> None:
        for fm in fields.values():
            if fm.ancestor is not None:
                if fm.field is not None:
                    refs.setdefault(fm.ancestor, set()).add(fm.field)
                continue
            if fm.field is not None:
                refs.setdefault(owner, set()).add(fm.field)
            if fm.table is not None:
                refs.setdefault(owner, set()).add(fm.table)
                for cm in (fm.columns or {}).values():
                    if cm.column is not None:
                        refs[owner].add(f"{fm.table}.{cm.column}")
            if fm.children is not None:
                child = refs.setdefault(fm.children, set())
                if fm.link is not None:
                    child.add(fm.link.field)
                    if fm.link.parent_field is not None:
                        refs[owner].add(fm.link.parent_field)
                if fm.order_by is not None:
                    child.add(fm.order_by)
                walk(fm.children, fm.fields or {})

    walk(em.type, em.fields)
    return refs


def drift(profile: MappingProfile, objdef: ObjectDefinition, entity: str | None = None) -> list[Drift]:
    """Fields of mapped types (and columns of mapped tables) that no mapping reads and none ignores."""
    used = _all_refs(profile)
    mapped_types: set[str] = set()
    for name, em in profile.entities.items():
        if entity is None or name == entity:
            mapped_types.add(em.type)
            mapped_types.update(sub.children for sub in em.fields.values() if sub.children is not None)
    found: list[Drift] = []
    for type_name in sorted(mapped_types):
        otype = objdef.types_by_name.get(type_name)
        if otype is None:
            continue
        names = used.get(type_name, set())
        for fdef in otype.fields:
            if fdef.internal not in names:
                found.append(Drift(type_name, fdef.internal, "object definition"))
            elif fdef.is_table:
                found.extend(
                    Drift(type_name, f"{fdef.internal}.{c.internal}", "object definition")
                    for c in fdef.columns
                    if f"{fdef.internal}.{c.internal}" not in names
                )
    return found


def _all_refs(profile: MappingProfile) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for em in profile.entities.values():
        for type_name, names in referenced_fields(em).items():
            merged.setdefault(type_name, set()).update(names)
    return merged
