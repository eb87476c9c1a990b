"""Pydantic models of the DMS service's JSON (``/api/dms``). Tolerant: servers add keys, so unknown keys
are ignored; values stay untyped here and are typed against the object definition in ``convert``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


class SearchResponse(_Wire):
    objects: list[WireObject] = Field(default_factory=list)
    num_items: int | None = Field(default=None, alias="numItems")
    has_more_items: bool | None = Field(default=None, alias="hasMoreItems")
    total_num_items: int | None = Field(default=None, alias="totalNumItems")


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
