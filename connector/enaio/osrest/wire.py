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


class WireFile(_Wire):
    index: WireId
    name: str
    mime_type: str = Field(default="application/octet-stream", alias="mimeType")
    size: WireId = 0


# -- search answers: decoded by hand --------------------------------------------------------------------
#
# A search page holds hundreds of objects with dozens of fields each; a pydantic model per field cost more
# than the rest of the read together. The decoder below walks the JSON once and keeps the models' rules:
# the same keys (alias first, then the field name), the same defaults and the same tolerance (ids as
# numbers or strings, values as text, numbers or booleans, unknown keys ignored). Anything else is a
# ``WireShapeError`` naming the place (``3.ecmSimpleFields.2.value``), never the value.

_MISSING: Any = object()


class WireShapeError(Exception):
    """A search answer whose shape does not fit; ``where`` is the path to the offending item."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def _get(item: dict[str, Any], alias: str, name: str) -> Any:
    value = item.get(alias, _MISSING)
    if value is _MISSING and name != alias:
        value = item.get(name, _MISSING)  # populate_by_name, as the models allowed
    return value


def _optional_str(item: dict[str, Any], alias: str, name: str, where: str) -> str | None:
    value = _get(item, alias, name)
    if value is _MISSING or value is None:
        return None
    if isinstance(value, str):
        return value
    raise WireShapeError(f"{where}.{alias}", "not a string")


def _name(item: dict[str, Any], alias: str, name: str, where: str) -> str:
    value = _get(item, alias, name)
    if value is _MISSING:
        return ""
    if isinstance(value, str):
        return value
    raise WireShapeError(f"{where}.{alias}", "not a string")


def _wire_text(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return _text(value)  # type: ignore[no-any-return]
    raise WireShapeError(where, "not a text value")


def _wire_id(value: Any, where: str) -> int:
    try:
        checked = _identifier(value)
    except ValueError as exc:
        raise WireShapeError(where, str(exc)) from None
    if type(checked) is not int:
        if isinstance(checked, int) and not isinstance(checked, bool):
            return int(checked)
        raise WireShapeError(where, "not a numeric id")
    return checked


def _list(item: dict[str, Any], alias: str, name: str, where: str) -> list[Any]:
    value = _get(item, alias, name)
    if value is _MISSING:
        return []
    if not isinstance(value, list):
        raise WireShapeError(f"{where}.{alias}", "not a list")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WireShapeError(where, "not an object")
    return value


class WireField:
    """One ``ecmSimpleFields`` entry (a table cell too): how it is named and its raw text."""

    __slots__ = ("db_name", "display_name", "internal_name", "type", "value")

    def __init__(
        self, internal_name: str, display_name: str, db_name: str, type: str, value: str | None
    ) -> None:
        self.internal_name = internal_name
        self.display_name = display_name
        self.db_name = db_name
        self.type = type
        self.value = value

    @property
    def ref(self) -> str:
        return self.internal_name or self.db_name or self.display_name


def _field(raw: Any, where: str) -> WireField:
    item = _object(raw, where)
    value = item.get("value", _MISSING)
    return WireField(
        _name(item, "internalName", "internal_name", where),
        _name(item, "displayName", "display_name", where),
        _name(item, "dbName", "db_name", where),
        _name(item, "type", "type", where),
        None if value is _MISSING else _wire_text(value, f"{where}.value"),
    )


class WireTableField:
    """One ``ecmTableFields`` entry: its name and rows of cells."""

    __slots__ = ("db_name", "display_name", "internal_name", "rows")

    def __init__(
        self, internal_name: str, display_name: str, db_name: str, rows: list[list[WireField]]
    ) -> None:
        self.internal_name = internal_name
        self.display_name = display_name
        self.db_name = db_name
        self.rows = rows

    @property
    def ref(self) -> str:
        return self.internal_name or self.db_name or self.display_name


def _table(raw: Any, where: str) -> WireTableField:
    item = _object(raw, where)
    for n, column in enumerate(_list(item, "columns", "columns", where)):
        place = f"{where}.columns.{n}"
        column = _object(column, place)
        for alias, name in (("internalName", "internal_name"), ("dbName", "db_name"), ("type", "type")):
            _name(column, alias, name, place)
    rows: list[list[WireField]] = []
    for n, row in enumerate(_list(item, "value", "rows", where)):
        place = f"{where}.value.{n}"
        cells = _list(_object(row, place), "ecmSimpleFields", "fields", place)
        rows.append([_field(cell, f"{place}.ecmSimpleFields.{m}") for m, cell in enumerate(cells)])
    return WireTableField(
        _name(item, "internalName", "internal_name", where),
        _name(item, "displayName", "display_name", where),
        _name(item, "dbName", "db_name", where),
        rows,
    )


def _params(item: dict[str, Any], alias: str, name: str, where: str) -> dict[str, str | None]:
    """``{TYPE: value}`` with the type upper-cased; the first entry of a type wins (as a scan would)."""
    params: dict[str, str | None] = {}
    for n, raw in enumerate(_list(item, alias, name, where)):
        place = f"{where}.{alias}.{n}"
        param = _object(raw, place)
        kind = param.get("type", _MISSING)
        if not isinstance(kind, str):
            raise WireShapeError(f"{place}.type", "missing" if kind is _MISSING else "not a string")
        value = param.get("value")
        params.setdefault(kind.upper(), _wire_text(value, f"{place}.value"))
    return params


def _file(raw: Any, where: str) -> WireFile:
    item = _object(raw, where)
    index = _get(item, "index", "index")
    name = _get(item, "name", "name")
    if index is _MISSING:
        raise WireShapeError(f"{where}.index", "missing")
    if not isinstance(name, str):
        raise WireShapeError(f"{where}.name", "missing" if name is _MISSING else "not a string")
    size = _get(item, "size", "size")
    mime_type = _get(item, "mimeType", "mime_type")
    if mime_type is _MISSING:
        mime_type = "application/octet-stream"
    elif not isinstance(mime_type, str):
        raise WireShapeError(f"{where}.mimeType", "not a string")
    # few per object: built without a second validation of what was just checked
    return WireFile.model_construct(
        index=_wire_id(index, f"{where}.index"),
        name=name,
        mime_type=mime_type,
        size=0 if size is _MISSING else _wire_id(size, f"{where}.size"),
    )


class WireObject:
    """One ``EnaioDocumentObject`` (enaio-rest.md §3.3), decoded by :func:`decode_object`."""

    __slots__ = (
        "base_params",
        "content_files",
        "display_name",
        "internal_name",
        "object_type",
        "object_type_id",
        "osid",
        "parent_cabinet_key",
        "parent_cabinet_key_type",
        "simple_fields",
        "system_params",
        "table_fields",
    )

    def __init__(
        self,
        *,
        osid: int,
        object_type_id: int,
        object_type: str = "",
        internal_name: str = "",
        display_name: str = "",
        simple_fields: list[WireField] | None = None,
        table_fields: list[WireTableField] | None = None,
        base_params: dict[str, str | None] | None = None,
        system_params: dict[str, str | None] | None = None,
        content_files: list[WireFile] | None = None,
        parent_cabinet_key_type: str | None = None,
        parent_cabinet_key: str | None = None,
    ) -> None:
        self.osid = osid
        self.object_type_id = object_type_id
        self.object_type = object_type
        self.internal_name = internal_name
        self.display_name = display_name
        self.simple_fields = simple_fields or []
        self.table_fields = table_fields or []
        self.base_params = base_params or {}
        self.system_params = system_params or {}
        self.content_files = content_files or []
        self.parent_cabinet_key_type = parent_cabinet_key_type
        self.parent_cabinet_key = parent_cabinet_key

    def base(self, name: str) -> str | None:
        """The first base parameter of this type (``name`` upper case)."""
        return self.base_params.get(name)

    def system(self, name: str) -> str | None:
        """The first system field of this type (``name`` upper case)."""
        return self.system_params.get(name)


def _checked_object(raw: Any, where: str) -> WireObject:
    item = _object(raw, where)
    osid = _get(item, "osid", "osid")
    if osid is _MISSING:
        raise WireShapeError(f"{where}.osid", "missing")
    type_id = _get(item, "objectTypeId", "object_type_id")
    if type_id is _MISSING:
        raise WireShapeError(f"{where}.objectTypeId", "missing")
    return WireObject(
        osid=_wire_id(osid, f"{where}.osid"),
        object_type_id=_wire_id(type_id, f"{where}.objectTypeId"),
        object_type=_name(item, "objectType", "object_type", where),
        internal_name=_name(item, "internalName", "internal_name", where),
        display_name=_name(item, "displayName", "display_name", where),
        simple_fields=[
            _field(field, f"{where}.ecmSimpleFields.{n}")
            for n, field in enumerate(_list(item, "ecmSimpleFields", "simple_fields", where))
        ],
        table_fields=[
            _table(table, f"{where}.ecmTableFields.{n}")
            for n, table in enumerate(_list(item, "ecmTableFields", "table_fields", where))
        ],
        base_params=_params(item, "baseParameters", "base_parameters", where),
        system_params=_params(item, "systemFields", "system_fields", where),
        content_files=[
            _file(file, f"{where}.contentFiles.{n}")
            for n, file in enumerate(_list(item, "contentFiles", "content_files", where))
        ],
        parent_cabinet_key_type=_optional_str(item, "parentCabinetKeyType", "parent_cabinet_key_type", where),
        parent_cabinet_key=_optional_str(item, "parentCabinetKey", "parent_cabinet_key", where),
    )


class _Irregular(Exception):
    """The quick path met something unusual; the checked path decides (and names the place)."""


def _quick_name(item: dict[str, Any], alias: str, name: str) -> str:
    value = item.get(alias, _MISSING)
    if type(value) is str:
        return value
    if value is _MISSING and name not in item:
        return ""
    raise _Irregular


def _quick_list(item: dict[str, Any], alias: str, name: str) -> list[Any]:
    value = item.get(alias, _MISSING)
    if type(value) is list:
        return value
    if value is _MISSING and name not in item:
        return []
    raise _Irregular


def _quick_id(value: Any) -> int:
    if type(value) is int:
        return value
    try:
        checked = _identifier(value)
    except ValueError:
        raise _Irregular from None
    if type(checked) is not int:
        raise _Irregular
    return checked


def _quick_text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if type(value) is int or type(value) is float or type(value) is bool:
        return _text(value)  # type: ignore[no-any-return]
    raise _Irregular


def _quick_field(raw: Any) -> WireField:
    # inlined for the usual shape: a field is what a page holds most of
    if type(raw) is not dict:
        raise _Irregular
    internal = raw.get("internalName", _MISSING)
    display = raw.get("displayName", _MISSING)
    db = raw.get("dbName", _MISSING)
    kind = raw.get("type", _MISSING)
    if type(internal) is not str or type(display) is not str or type(db) is not str or type(kind) is not str:
        internal = _quick_name(raw, "internalName", "internal_name")
        display = _quick_name(raw, "displayName", "display_name")
        db = _quick_name(raw, "dbName", "db_name")
        kind = _quick_name(raw, "type", "type")
    return WireField(internal, display, db, kind, _quick_text(raw.get("value")))


def _quick_params(item: dict[str, Any], alias: str, name: str) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    for raw in _quick_list(item, alias, name):
        if type(raw) is not dict:
            raise _Irregular
        kind = raw.get("type")
        if type(kind) is not str:
            raise _Irregular
        params.setdefault(kind.upper(), _quick_text(raw.get("value")))
    return params


def _quick_object(raw: Any) -> WireObject:
    if type(raw) is not dict:
        raise _Irregular
    item: dict[str, Any] = raw
    osid = item.get("osid", _MISSING)
    type_id = item.get("objectTypeId", _MISSING)
    if osid is _MISSING or type_id is _MISSING:
        raise _Irregular
    tables = _quick_list(item, "ecmTableFields", "table_fields")
    files = _quick_list(item, "contentFiles", "content_files")
    return WireObject(
        osid=_quick_id(osid),
        object_type_id=_quick_id(type_id),
        object_type=_quick_name(item, "objectType", "object_type"),
        internal_name=_quick_name(item, "internalName", "internal_name"),
        display_name=_quick_name(item, "displayName", "display_name"),
        simple_fields=[
            _quick_field(field) for field in _quick_list(item, "ecmSimpleFields", "simple_fields")
        ],
        # tables and files are few: the checked decoders serve (a problem sends the object to the checked one)
        table_fields=[_table(table, "") for table in tables] if tables else [],
        base_params=_quick_params(item, "baseParameters", "base_parameters"),
        system_params=_quick_params(item, "systemFields", "system_fields"),
        content_files=[_file(file, "") for file in files] if files else [],
        parent_cabinet_key_type=_optional_str(item, "parentCabinetKeyType", "parent_cabinet_key_type", ""),
        parent_cabinet_key=_optional_str(item, "parentCabinetKey", "parent_cabinet_key", ""),
    )


def decode_object(raw: Any, where: str = "object") -> WireObject:
    """One object of a search answer (plain JSON already parsed); ``WireShapeError`` naming the place when
    it does not fit. The quick path takes the usual shape; anything unusual is decided by the checked one."""
    try:
        return _quick_object(raw)
    except (_Irregular, WireShapeError):
        return _checked_object(raw, where)


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
