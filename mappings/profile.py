"""Mapping profiles: per-site YAML that says where each normalized schema field comes from in enaio.

A profile is data, not code: adapting the connector to another county means writing another YAML file.
Loading validates the file twice: structurally (this module's pydantic models, unknown keys forbidden) and
against the normalized schemas (entity and field names, personal markers, enum members, required fields).
Every problem is reported as ``file:line: key: message`` (lines come from the YAML node marks), raised as
one :class:`ProfileError` (a ``ConfigurationError``).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticValidationError

from connector.errors import ConfigurationError
from connector.logs import register_personal_fields
from schemas import ENTITIES, Record, describing_fields, identifying_fields, personal_fields

__all__ = [
    "PROFILES_DIR",
    "ChildLink",
    "EntityMapping",
    "FieldMapping",
    "MappingProfile",
    "ProfileError",
    "ValueKind",
    "expected_kind",
    "load_profile",
    "record_model",
    "required_kind",
    "schema_enum",
    "schema_item_model",
]

PROFILES_DIR = Path(__file__).parent / "profiles"

SystemName = Literal[
    "id", "type", "type_id", "modified", "created", "creator", "modifier", "owner", "parent_id", "folder_id"
]
ValueKind = Literal["text", "date", "datetime", "integer", "decimal", "checkbox"]
RequiredKind = Literal["identifying", "describing"]

# Record provenance fields every entity gets from system data unless the profile says otherwise.
PROVENANCE: Mapping[str, SystemName] = {"enaio_id": "id", "enaio_type": "type", "modified_at": "modified"}

_PRIMARY_SOURCES = ("field", "column", "system", "const", "derive", "table", "children")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChildLink(_Strict):
    """How child documents point at their parent record: ``field`` on the child holds the parent's key."""

    field: str = Field(min_length=1, description="Index field of the child document")
    parent_field: str | None = Field(default=None, min_length=1, description="Index field of the parent")
    parent_system: Literal["id"] | None = Field(default=None, description="Or the parent's enaio id")


class FieldMapping(_Strict):
    """Source, conversion and default of one schema field (or one column of a nested item)."""

    # sources: exactly one of field/column/system/const/derive/table/children; ancestor qualifies field/system
    field: str | None = Field(default=None, min_length=1)
    column: str | None = Field(default=None, min_length=1)
    system: SystemName | None = None
    ancestor: str | None = Field(default=None, min_length=1)
    const: Any = None
    derive: Literal["add_years"] | None = None
    of: str | None = Field(default=None, min_length=1, description="Schema field a derivation reads")
    years: int | None = None
    table: str | None = Field(default=None, min_length=1)
    columns: dict[str, FieldMapping] | None = None
    children: str | None = Field(default=None, min_length=1)
    link: ChildLink | None = None
    order_by: str | None = Field(default=None, min_length=1)
    fields: dict[str, FieldMapping] | None = None
    # conversion
    type: ValueKind | None = None
    multi: bool | str | None = None
    values: dict[str, str | None] | None = None
    default: Any = None
    personal: bool | None = None
    required: RequiredKind | None = Field(
        default=None,
        description="identifying: else the record is quarantined; describing: kept with the field empty",
    )

    def sources(self) -> list[str]:
        return [name for name in _PRIMARY_SOURCES if name in self.model_fields_set]

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set

    def separator(self, server_sep: str | None) -> str | None:
        """The multi-value separator: explicit, else the server's (E5), else ``;``; None if not multi."""
        if self.multi is None or self.multi is False:
            return None
        if isinstance(self.multi, str):
            return self.multi
        return server_sep or ";"


class EntityMapping(_Strict):
    """One normalized entity: the enaio object type and a mapping per schema field."""

    type: str = Field(min_length=1, description="Internal name of the enaio object type")
    fields: dict[str, FieldMapping]
    ignore: tuple[str, ...] = Field(
        default=(), description="Server fields deliberately left unmapped (not reported as drift)"
    )

    def field_mappings(self) -> Iterator[tuple[str, FieldMapping]]:
        """Declared mappings plus the implicit provenance sources (enaio_id, enaio_type, modified_at)."""
        for name, system in PROVENANCE.items():
            if name not in self.fields:
                yield name, FieldMapping(system=system)
        yield from self.fields.items()


class CountyData(_Strict):
    """County data the mapping layer owns (not in the schemas, not in code)."""

    name: str | None = None
    ags: dict[str, str | None] = Field(
        default_factory=dict,
        description="Municipality name (catalogue key) -> 8-digit AGS; null = not yet verified",
    )


class MappingProfile(_Strict):
    """A site's mapping profile; :func:`load_profile` builds it and checks it against the schemas."""

    site: str = Field(min_length=1)
    description: str = ""
    county: CountyData = CountyData()
    entities: dict[str, EntityMapping]
    _source: str = PrivateAttr(default="<memory>")

    @property
    def source(self) -> str:
        return self._source

    def entity(self, name: str) -> EntityMapping:
        try:
            return self.entities[name]
        except KeyError:
            raise ConfigurationError(
                f"entity {name!r} is not mapped in profile {self.site} ({self._source})", key=name
            ) from None

    def ags(self, municipality: str) -> str | None:
        """The AGS of a municipality (as the site's catalogue names it); None if unknown or unverified."""
        return self.county.ags.get(municipality)

    def personal_field_names(self) -> frozenset[str]:
        """The enaio field and column names whose values are personal: every source of a schema field the
        schema marks personal (``schemas.personal_fields``) or the profile marks ``personal: true``, in
        nested tables and child documents too (e.g. FAMILIENNAME, or NACHNAME on another site)."""
        names: set[str] = set()
        for entity, mapping in self.entities.items():
            model = record_model(entity)
            if model is not None:
                names.update(_personal_sources(model, mapping.fields))
        return frozenset(names)

    def register_personal_fields(self) -> None:
        """Tell the log redaction (``connector.logs``) which enaio names carry personal values."""
        register_personal_fields(self.personal_field_names())


class ProfileError(ConfigurationError):
    """An unusable profile; ``problems`` lists (line, key, message), the first gives ``line`` and ``key``."""

    def __init__(self, file: str, problems: Sequence[tuple[int | None, str | None, str]]) -> None:
        lines = [_format(file, line, key, message) for line, key, message in problems]
        first_line, first_key, _ = problems[0]
        source = f"{file}:{first_line}" if first_line is not None else file
        super().__init__("invalid mapping profile:\n  " + "\n  ".join(lines), key=first_key, source=source)
        self.file = file
        self.line = first_line
        self.problems = list(problems)


def _format(file: str, line: int | None, key: str | None, message: str) -> str:
    where = f"{file}:{line}" if line is not None else file
    return f"{where}: {key}: {message}" if key else f"{where}: {message}"


# --- schema introspection ---------------------------------------------------------------------------------


def record_model(entity: str) -> type[Record] | None:
    """The schema model of an entity readable from enaio (a ``Record``); None otherwise."""
    model = ENTITIES.get(entity)
    if isinstance(model, type) and issubclass(model, Record):
        return model
    return None


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, is_sequence) for ``X``, ``X | None``, ``Annotated[X, ...]``, ``tuple[X, ...]``."""
    sequence = False
    for _ in range(6):
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (types.UnionType, typing.Union):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                break
        elif origin in (tuple, list):
            sequence = True
            annotation = typing.get_args(annotation)[0]
        else:
            break
    return annotation, sequence


def schema_item_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The nested model of a ``tuple[Model, ...]`` field (e.g. Integrationsplan.ziele -> Ziel)."""
    info = model.model_fields.get(name)
    if info is None:
        return None
    inner, sequence = _unwrap(info.annotation)
    if sequence and isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner
    return None


def schema_enum(model: type[BaseModel], name: str) -> type[Enum] | None:
    info = model.model_fields.get(name)
    if info is None:
        return None
    inner, _ = _unwrap(info.annotation)
    if isinstance(inner, type) and issubclass(inner, Enum):
        return inner
    return None


def schema_is_sequence(model: type[BaseModel], name: str) -> bool:
    info = model.model_fields.get(name)
    return info is not None and _unwrap(info.annotation)[1]


def expected_kind(model: type[BaseModel], name: str, mapping: FieldMapping) -> ValueKind | None:
    """The value kind a source must deliver: declared ``type``, else inferred from the schema field."""
    if mapping.type is not None:
        return mapping.type
    info = model.model_fields.get(name)
    if info is None:
        return None
    inner, _ = _unwrap(info.annotation)
    if inner is bool:
        return "checkbox"
    if inner is datetime:
        return "datetime"
    if inner is date:
        return "date"
    if inner is int:
        return "integer"
    if inner is Decimal:
        return "decimal"
    if inner is str or (isinstance(inner, type) and issubclass(inner, Enum)):
        return "text"
    return None


def _personal_sources(model: type[BaseModel], fields: Mapping[str, FieldMapping]) -> set[str]:
    personal = personal_fields(model)
    names: set[str] = set()
    for name, fm in fields.items():
        item = schema_item_model(model, name)
        inner = fm.columns if fm.table is not None else fm.fields
        if item is not None and inner is not None:
            names.update(_personal_sources(item, inner))
            continue
        if fm.personal is True or (fm.personal is None and name in personal):
            names.update(source for source in (fm.field, fm.column) if source is not None)
    return names


def _is_required(model: type[BaseModel], name: str) -> bool:
    return model.model_fields[name].is_required()


def required_kind(model: type[BaseModel], name: str) -> RequiredKind | None:
    """What the schema says of a field: identifying, describing, or None (optional by nature)."""
    if name in identifying_fields(model):
        return "identifying"
    if name in describing_fields(model):
        return "describing"
    return None


# --- semantic validation ----------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]


def _semantic_problems(profile: MappingProfile) -> list[tuple[Path_, str]]:
    problems: list[tuple[Path_, str]] = []
    for entity, mapping in profile.entities.items():
        base: Path_ = ("entities", entity)
        model = record_model(entity)
        if model is None:
            known = ", ".join(name for name in ENTITIES if record_model(name) is not None)
            problems.append((base, f"unknown entity {entity!r} (entities read from enaio: {known})"))
            continue
        for name in mapping.fields:
            if name not in model.model_fields:
                problems.append(((*base, "fields", name), f"{model.__name__} has no field {name!r}"))
        problems.extend(_check_fields(model, mapping.fields, (*base, "fields"), entity, top=True))
        mapped = set(mapping.fields) | set(PROVENANCE)
        for name in model.model_fields:
            if name not in mapped and _is_required(model, name):
                problems.append(
                    ((*base, "fields"), f"required field {name!r} of {model.__name__} is not mapped")
                )
    for name in profile.county.ags:
        code = profile.county.ags[name]
        if code is not None and not (len(code) == 8 and code.isdigit()):
            problems.append((("county", "ags", name), "AGS must be 8 digits"))
    return problems


def _check_fields(
    model: type[BaseModel],
    fields: Mapping[str, FieldMapping],
    base: Path_,
    entity: str,
    *,
    top: bool,
    nested: str | None = None,
) -> list[tuple[Path_, str]]:
    problems: list[tuple[Path_, str]] = []
    personal = personal_fields(model)
    for name, fm in fields.items():
        if name not in model.model_fields:
            if not top:
                problems.append(((*base, name), f"{model.__name__} has no field {name!r}"))
            continue
        path: Path_ = (*base, name)
        sources = fm.sources()
        if len(sources) != 1:
            found = ", ".join(sources) if sources else "none"
            problems.append(
                (path, f"needs exactly one source of {', '.join(_PRIMARY_SOURCES)} (found: {found})")
            )
            continue
        source = sources[0]
        if fm.ancestor is not None and source not in ("field", "system"):
            problems.append(((*path, "ancestor"), "ancestor goes with 'field' or 'system'"))
        if source == "column" and nested != "table":
            problems.append(((*path, "column"), "'column' is only allowed inside a table mapping's columns"))
        if source == "field" and nested == "table":
            problems.append(((*path, "field"), "inside a table mapping use 'column'"))
        if fm.personal is not None and fm.personal != (name in personal):
            marker = "personal" if name in personal else "not personal"
            problems.append(
                ((*path, "personal"), f"disagrees with the schema: {model.__name__}.{name} is {marker}")
            )
        if fm.required is not None and fm.required != required_kind(model, name):
            kind = required_kind(model, name) or "optional"
            problems.append(
                ((*path, "required"), f"disagrees with the schema: {model.__name__}.{name} is {kind}")
            )
        item_model = schema_item_model(model, name)
        if source in ("table", "children"):
            if item_model is None or not top:
                problems.append(((*path, source), f"{model.__name__}.{name} is not a list of nested records"))
                continue
            inner_key = "columns" if source == "table" else "fields"
            inner = fm.columns if source == "table" else fm.fields
            if inner is None:
                problems.append((path, f"'{source}' needs '{inner_key}'"))
                continue
            if source == "children" and fm.link is None:
                problems.append((path, "'children' needs 'link'"))
            if fm.link is not None and (fm.link.parent_field is None) == (fm.link.parent_system is None):
                problems.append(((*path, "link"), "needs exactly one of parent_field, parent_system"))
            problems.extend(
                _check_fields(item_model, inner, (*path, inner_key), entity, top=False, nested=source)
            )
            for item_field in item_model.model_fields:
                if item_field not in inner and _is_required(item_model, item_field):
                    problems.append(
                        (
                            (*path, inner_key),
                            f"required field {item_field!r} of {item_model.__name__} is not mapped",
                        )
                    )
            continue
        if fm.columns is not None or fm.fields is not None or fm.link is not None:
            problems.append((path, "'columns', 'fields' and 'link' belong to 'table' or 'children'"))
        if source == "derive":
            if fm.of is None or fm.years is None:
                problems.append((path, "derive add_years needs 'of' (a schema field) and 'years'"))
            elif fm.of not in fields or fm.of == name:
                problems.append(((*path, "of"), f"{fm.of!r} is not another mapped field of this entity"))
        elif fm.of is not None or fm.years is not None:
            problems.append((path, "'of' and 'years' belong to 'derive'"))
        enum = schema_enum(model, name)
        if enum is not None:
            members = {member.value for member in enum}
            for key in ("const", "default"):
                value = getattr(fm, key)
                if key in fm.model_fields_set and isinstance(value, str) and value not in members:
                    problems.append(((*path, key), f"{value!r} is not a member of {enum.__name__}"))
        if fm.values is not None and enum is not None:
            members = {member.value for member in enum}
            for key, target in fm.values.items():
                if target is not None and target not in members:
                    problems.append(
                        ((*path, "values", key), f"{target!r} is not a member of {enum.__name__}")
                    )
        if fm.multi not in (None, False) and not schema_is_sequence(model, name):
            problems.append(((*path, "multi"), f"{model.__name__}.{name} holds a single value"))
    return problems


# --- loading ----------------------------------------------------------------------------------------------


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text or text.endswith((".yaml", ".yml")):
        return Path(name_or_path)
    return PROFILES_DIR / f"{text}.yaml"


class _Marks:
    """Line numbers (1-based) of every mapping key and sequence item, by path."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.lines: dict[Path_, int] = {}
        self.duplicates: list[tuple[Path_, int]] = []
        if root is not None:
            self.lines[()] = root.start_mark.line + 1
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: Path_) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = (*path, key)
                if key in seen:
                    self.duplicates.append((child, key_node.start_mark.line + 1))
                seen.add(key)
                self.lines[child] = key_node.start_mark.line + 1
                self._walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.lines[child] = item.start_mark.line + 1
                self._walk(item, child)

    def line(self, path: Path_) -> int | None:
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in path) if path else "(profile)"


def parse_profile(text: str, file: str) -> MappingProfile:
    """Validate a profile's YAML text; ``file`` is only used in messages."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ProfileError(file, [(line, None, f"invalid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise ProfileError(file, [(None, None, f"invalid YAML: {exc}")]) from None
    marks = _Marks(root)
    if marks.duplicates:
        raise ProfileError(file, [(line, _dotted(path), "duplicate key") for path, line in marks.duplicates])
    if not isinstance(data, dict):
        raise ProfileError(
            file, [(marks.line(()), None, "a profile is a mapping with 'site' and 'entities'")]
        )
    try:
        profile = MappingProfile.model_validate(data)
    except PydanticValidationError as exc:
        problems: list[tuple[int | None, str | None, str]] = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            if error["type"] == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}" if loc else "unknown key"
            elif error["type"] == "missing":
                message = "required key is missing"
            else:
                message = error["msg"]
            problems.append((marks.line(loc), _dotted(loc), message))
        raise ProfileError(file, problems) from None
    semantic = _semantic_problems(profile)
    if semantic:
        raise ProfileError(file, [(marks.line(path), _dotted(path), message) for path, message in semantic])
    profile._source = file
    profile.register_personal_fields()
    return profile


def load_profile(name_or_path: str | Path = "default") -> MappingProfile:
    """A packaged profile by name (``mappings/profiles/<name>.yaml``) or a YAML file by path."""
    path = _resolve(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read mapping profile {path}: {exc.strerror or type(exc).__name__}",
            key="mapping_profile",
            source=str(path),
        ) from exc
    except UnicodeDecodeError:
        raise ConfigurationError(
            f"mapping profile {path} is not UTF-8", key="mapping_profile", source=str(path)
        ) from None
    return parse_profile(text, str(path))
