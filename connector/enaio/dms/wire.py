"""Pydantic models of the DMS service's JSON (``/api/dms``), and the hand decoder of search pages that reads
exactly what they read. Tolerant: servers add keys, so unknown keys are ignored; values stay untyped here and
are typed against the object definition in ``convert``."""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from connector.errors import ResponseFormatError


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Property(_Wire):
    value: Any = None
    local_name: str | None = Field(default=None, alias="localName")


class ContentStream(_Wire):
    cid: str | None = None
    file_name: str | None = Field(default=None, alias="fileName")
    mime_type: str | None = Field(default=None, alias="mimeType")
    length: int | None = None


class WireObject(_Wire):
    properties: dict[str, Property] = Field(default_factory=dict)
    content_streams: list[ContentStream] = Field(default_factory=list, alias="contentStreams")

    def value(self, name: str) -> Any:
        prop = self.properties.get(name)
        return None if prop is None else prop.value


class ObjectsResponse(_Wire):
    """Answer of ``POST /api/dms/objects`` (insert/update batch) and of history."""

    objects: list[WireObject] = Field(default_factory=list)


class InfoResponse(_Wire):
    server_version: str | None = Field(default=None, alias="serverVersion")
    version: str | None = None
    api_version: str | None = Field(default=None, alias="apiVersion")
    user: str | None = None


class ErrorBody(_Wire):
    code: str | int | None = None
    message: str | None = None
    field: str | None = None
    holder: str | None = None


# -- the search hot path: plain structures, checked by hand ---------------------------------------------
#
# A page of 500 objects validated into the models above costs more than all the rest of the read. These
# functions walk the decoded JSON once and check every type the models check (same leniency: unknown keys
# ignored, a field also found under its Python name, the scalars' lax forms through pydantic itself), so a
# malformed answer is still a ResponseFormatError naming the place.

_MISSING: Any = object()
_INT: TypeAdapter[int | None] = TypeAdapter(int | None)
_BOOL: TypeAdapter[bool | None] = TypeAdapter(bool | None)


class RawStream(NamedTuple):
    file_name: str | None
    mime_type: str | None
    length: int | None


class RawObject:
    """One object of an answer: its ``system:`` property values and its index property values, by name
    in answer order; the type's ``localName``; its content streams."""

    __slots__ = ("index", "streams", "system", "type_local_name")

    def __init__(
        self,
        system: dict[str, Any],
        index: dict[str, Any],
        type_local_name: str | None,
        streams: list[RawStream],
    ) -> None:
        self.system = system
        self.index = index
        self.type_local_name = type_local_name
        self.streams = streams

    def value(self, name: str) -> Any:
        return self.system.get(name) if name.startswith("system:") else self.index.get(name)

    @classmethod
    def from_wire(cls, wire: WireObject) -> RawObject:
        """The same object from its validated model (reads outside the search hot path)."""
        system: dict[str, Any] = {}
        index: dict[str, Any] = {}
        for name, prop in wire.properties.items():
            (system if name.startswith("system:") else index)[name] = prop.value
        type_prop = wire.properties.get("system:objectTypeId")
        return cls(
            system,
            index,
            None if type_prop is None else type_prop.local_name,
            [RawStream(s.file_name, s.mime_type, s.length) for s in wire.content_streams],
        )


class RawPage(NamedTuple):
    objects: list[RawObject]
    has_more_items: bool | None
    total_num_items: int | None


def shape_error(where: str, problem: str, operation: str) -> ResponseFormatError:
    return ResponseFormatError(
        f"unexpected response shape at {where or '(body)'}: {problem}", operation=operation
    )


def _key(body: dict[str, Any], alias: str, name: str) -> Any:
    """A model field's value: by its alias, else by its Python name (``populate_by_name``)."""
    value = body.get(alias, _MISSING)
    return body.get(name, _MISSING) if value is _MISSING else value


def _lax(adapter: TypeAdapter[Any], value: Any, where: str, operation: str) -> Any:
    try:
        return adapter.validate_python(value)
    except PydanticValidationError as exc:
        raise shape_error(where, exc.errors()[0]["msg"], operation) from None


def _text(value: Any, where: str, operation: str) -> str | None:
    if value is None or value is _MISSING or isinstance(value, str):
        return None if value is _MISSING else value
    raise shape_error(where, "Input should be a valid string", operation)


def _int(value: Any, where: str, operation: str) -> int | None:
    if value is _MISSING or value is None:
        return None
    if type(value) is int:
        return value
    return _lax(_INT, value, where, operation)  # type: ignore[no-any-return]


def decode_object(body: Any, operation: str, where: str = "") -> RawObject:
    """One ``{"properties": {name: {"value", "localName"?}}, "contentStreams": [...]}``."""
    if not isinstance(body, dict):
        raise shape_error(where, "Input should be a valid dictionary", operation)
    where = f"{where}." if where else ""
    props = body.get("properties", _MISSING)
    if props is _MISSING:
        props = {}
    elif not isinstance(props, dict):
        raise shape_error(f"{where}properties", "Input should be a valid dictionary", operation)
    system: dict[str, Any] = {}
    index: dict[str, Any] = {}
    type_local_name: str | None = None
    for name, prop in props.items():
        if not isinstance(prop, dict):
            raise shape_error(f"{where}properties.{name}", "Input should be a valid dictionary", operation)
        (system if name.startswith("system:") else index)[name] = prop.get("value")
        if "localName" in prop or "local_name" in prop:
            local = _text(
                _key(prop, "localName", "local_name"), f"{where}properties.{name}.localName", operation
            )
            if name == "system:objectTypeId":
                type_local_name = local
    streams: list[RawStream] = []
    raw_streams = _key(body, "contentStreams", "content_streams")
    if raw_streams is not _MISSING:
        if not isinstance(raw_streams, list):
            raise shape_error(f"{where}contentStreams", "Input should be a valid list", operation)
        for position, stream in enumerate(raw_streams):
            at = f"{where}contentStreams.{position}"
            if not isinstance(stream, dict):
                raise shape_error(at, "Input should be a valid dictionary", operation)
            _text(stream.get("cid", _MISSING), f"{at}.cid", operation)
            streams.append(
                RawStream(
                    _text(_key(stream, "fileName", "file_name"), f"{at}.fileName", operation),
                    _text(_key(stream, "mimeType", "mime_type"), f"{at}.mimeType", operation),
                    _int(stream.get("length", _MISSING), f"{at}.length", operation),
                )
            )
    return RawObject(system, index, type_local_name, streams)


def decode_search_page(body: Any, operation: str) -> RawPage:
    """A search answer: ``{"objects": [...], "numItems"?, "hasMoreItems"?, "totalNumItems"?}``."""
    if not isinstance(body, dict):
        raise shape_error("", "Input should be a valid dictionary", operation)
    raw_objects = body.get("objects", _MISSING)
    objects: list[RawObject] = []
    if raw_objects is not _MISSING:
        if not isinstance(raw_objects, list):
            raise shape_error("objects", "Input should be a valid list", operation)
        objects = [decode_object(item, operation, f"objects.{n}") for n, item in enumerate(raw_objects)]
    _int(_key(body, "numItems", "num_items"), "numItems", operation)
    more = _key(body, "hasMoreItems", "has_more_items")
    if more is _MISSING:
        more = None
    elif more is not None and type(more) is not bool:
        more = _lax(_BOOL, more, "hasMoreItems", operation)
    total = _int(_key(body, "totalNumItems", "total_num_items"), "totalNumItems", operation)
    return RawPage(objects, more, total)
