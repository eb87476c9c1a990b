"""Wire models of the osrest (appconnector) JSON, tolerant by design: servers add keys, ids arrive as
numbers or strings, index values as strings (sometimes numbers)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _text(value: Any) -> Any:
    # Values are strings on the wire; some servers (and mocks) send numbers or booleans.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return value


def _identifier(value: Any) -> Any:
    # ``osid`` and ``objectTypeId`` come as numbers (S1) or strings (S3); booleans are not ids.
    if isinstance(value, bool):
        raise ValueError("an id cannot be a boolean")
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise ValueError("not a numeric id")
        return int(text)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not an integer id")
        return int(value)
    return value


WireText = Annotated[str | None, BeforeValidator(_text)]
WireId = Annotated[int, BeforeValidator(_identifier)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class WireField(_Wire):
    internal_name: str = Field(default="", alias="internalName")
    display_name: str = Field(default="", alias="displayName")
    db_name: str = Field(default="", alias="dbName")
    type: str = ""
    value: WireText = None


class WireColumn(_Wire):
    internal_name: str = Field(default="", alias="internalName")
    db_name: str = Field(default="", alias="dbName")
    type: str = ""


class WireTableRow(_Wire):
    fields: list[WireField] = Field(default_factory=list, alias="ecmSimpleFields")


class WireTableField(_Wire):
    internal_name: str = Field(default="", alias="internalName")
    display_name: str = Field(default="", alias="displayName")
    db_name: str = Field(default="", alias="dbName")
    columns: list[WireColumn] = Field(default_factory=list)
    rows: list[WireTableRow] = Field(default_factory=list, alias="value")


class WireParam(_Wire):
    type: str
    value: WireText = None


class WireFile(_Wire):
    index: WireId
    name: str
    mime_type: str = Field(default="application/octet-stream", alias="mimeType")
    size: WireId = 0


class WireObject(_Wire):
    """One ``EnaioDocumentObject`` (enaio-rest.md §3.3)."""

    osid: WireId
    object_type_id: WireId = Field(alias="objectTypeId")
    object_type: str = Field(default="", alias="objectType")
    internal_name: str = Field(default="", alias="internalName")
    display_name: str = Field(default="", alias="displayName")
    simple_fields: list[WireField] = Field(default_factory=list, alias="ecmSimpleFields")
    table_fields: list[WireTableField] = Field(default_factory=list, alias="ecmTableFields")
    base_parameters: list[WireParam] = Field(default_factory=list, alias="baseParameters")
    system_fields: list[WireParam] = Field(default_factory=list, alias="systemFields")
    content_files: list[WireFile] = Field(default_factory=list, alias="contentFiles")
    parent_cabinet_key_type: str | None = Field(default=None, alias="parentCabinetKeyType")
    parent_cabinet_key: str | None = Field(default=None, alias="parentCabinetKey")

    def base(self, name: str) -> str | None:
        for param in self.base_parameters:
            if param.type.upper() == name:
                return param.value
        return None

    def system(self, name: str) -> str | None:
        for param in self.system_fields:
            if param.type.upper() == name:
                return param.value
        return None


class WireFileList(_Wire):
    """``GET documentfiles/{id}`` (S6) plus the emulator's ``fileInfos`` with type and size."""

    files: list[str] = Field(default_factory=list)
    file_infos: list[WireFile] = Field(default_factory=list, alias="fileInfos")


class WireSession(_Wire):
    userid: WireId | None = None
    username: str | None = None
    session_guid: str | None = Field(default=None, alias="sessionGuid")


class WireServiceInfo(_Wire):
    api_version: str | None = Field(default=None, alias="apiVersion")
    build_revision: WireText = Field(default=None, alias="buildRevision")
    server_version: str | None = Field(default=None, alias="serverVersion")


class WireHistoryEntry(_Wire):
    action: WireId
    user: str = ""
    time: WireText = None
    description: str = ""
