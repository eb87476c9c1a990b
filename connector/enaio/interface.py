"""What every interface room (dms, osrest, soap) offers, so jobs and scenario tests do not care which one
is configured. Each room compiles :class:`~connector.enaio.query.Query` to its wire form and maps its wire
models to :class:`~connector.enaio.model.EnaioObject`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import AwareDatetime, BaseModel, ConfigDict

from connector.enaio.model import EnaioObject, FieldValue, FileInfo
from connector.enaio.objdef import FieldValueError
from connector.enaio.query import Query
from connector.errors import ValidationError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from connector.enaio.objdef import FieldDef, ObjectDefinition, TableColumn

log = logging.getLogger(__name__)

SkipKind = Literal["invalid_value", "unknown_field"]


@dataclass(frozen=True, slots=True)
class SkippedField:
    """A field a room left out of an object it read, and why; never the value (it may be personal).

    ``invalid_value``: the server's value does not convert to the field's type (``31.06.1990`` in a date
    field); ``unknown_field``: the (cached) object definition does not know the field (drift).
    """

    object_id: int
    type_name: str
    field: str
    """Internal name; ``TABLE.COLUMN`` for a cell of a table field."""
    kind: SkipKind
    phrase: str
    """A fixed phrase (``not a valid date``), never a value."""

    @property
    def reason(self) -> str:
        """``kind: phrase`` as the quarantine writes it."""
        return f"{self.kind}: {self.phrase}"


OnSkipped = Callable[[SkippedField], None]
"""Called by ``search(..., on_skipped=...)`` for every field left out of a yielded object."""


def skip_field(skipped: SkippedField, on_skipped: OnSkipped | None, *, operation: str) -> None:
    """The one rule every room applies to a field it cannot put into an :class:`EnaioObject`.

    An unknown field is left out and logged at DEBUG (name only), never an error. A value that does not
    convert is left out and reported to ``on_skipped``; without a callback it is a ``ValidationError``
    naming the field (never the value), as ``get()`` raises it.
    """
    if skipped.kind == "unknown_field":
        log.debug(
            "object %d (%s): field %s is not in the object definition; skipped",
            skipped.object_id,
            skipped.type_name,
            skipped.field,
        )
    elif on_skipped is None:
        raise ValidationError(
            f"object {skipped.object_id}: {skipped.type_name}.{skipped.field}: {skipped.phrase}",
            field=f"{skipped.type_name}.{skipped.field}",
            operation=operation,
        )
    if on_skipped is not None:
        on_skipped(skipped)


_TYPE_PHRASES = {
    "TEXT": "not text",
    "DATE": "not a valid date",
    "DATETIME": "not a valid date-time",
    "INTEGER": "not an integer",
    "DECIMAL": "not a finite decimal number",
    "TABLE": "not a list of table rows",
}


def value_problem(
    spec: FieldDef | TableColumn, value: FieldValue | bool | None = None, *, tz: ZoneInfo | None = None
) -> str:
    """Why ``value`` does not fit ``spec``, as a fixed phrase without the value (the objdef codecs' own
    messages quote it). Without ``value``: the phrase for a value of the wrong type."""
    type_phrase = "checkbox value is not 0 or 1" if spec.is_checkbox else _TYPE_PHRASES[spec.value_type.value]
    if value is None:
        return type_phrase
    try:
        typed = spec.coerce(value, tz=tz)
    except FieldValueError:
        return type_phrase
    if isinstance(typed, str):
        if spec.input_length > 0 and len(typed) > spec.input_length:
            return f"value is longer than {spec.input_length} characters"
        if spec.allowed_keys is not None:
            return "value is not a key of the catalogue"
    return "value does not fit the field"


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|>[^<>]*<")


def without_values(message: str, field: str | None = None) -> str:
    """A server's refusal of a value without the value: servers quote what they refuse (``'31.06.1990' is
    not a date``), so quoted text goes; the field stays named (prefixed when the quote held it)."""
    text = _QUOTED.sub("…", message)
    if field and field not in text:
        text = f"{field}: {text}"
    return text


def value_error(
    spec: FieldDef | TableColumn,
    value: FieldValue | bool | None,
    *,
    tz: ZoneInfo | None = None,
    operation: str | None = None,
) -> ValidationError:
    """A ``ValidationError`` naming the field and what is wrong with a value to write, never the value."""
    name = spec.qualified_name
    return ValidationError(f"{name}: {value_problem(spec, value, tz=tz)}", field=name, operation=operation)


@dataclass(frozen=True, slots=True)
class UploadFile:
    """A content file to send: from memory or streamed from disk."""

    name: str
    mime_type: str
    data: bytes | None = None
    path: Path | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError(f"upload {self.name!r} has neither data nor path")
        return self.path.read_bytes()


@dataclass(frozen=True, slots=True)
class NewObject:
    """An object to insert under ``parent_id`` (``None`` for a folder)."""

    type_name: str
    parent_id: int | None
    fields: Mapping[str, FieldValue]
    tables: Mapping[str, Sequence[Mapping[str, FieldValue]]] = field(default_factory=dict)
    files: Sequence[UploadFile] = ()


class ServerInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    interface: str
    endpoint: str
    server_version: str
    api_version: str | None = None
    user: str | None = None


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: int
    """enaio history action code (2 created, 3 index data changed, 6 deleted, ...)."""
    user: str
    time: AwareDatetime
    description: str = ""


@runtime_checkable
class InterfaceClient(Protocol):
    """The operations every interface room implements with the same meaning."""

    interface: str

    def server_info(self) -> ServerInfo: ...

    def object_definition(self) -> ObjectDefinition: ...

    def search(self, query: Query, *, on_skipped: OnSkipped | None = None) -> Iterator[EnaioObject]:
        """Lazily page through all hits; every page is fetched only when needed.

        A field the room cannot convert is left out of the yielded object and reported to ``on_skipped``
        (without it: ``ValidationError`` naming the field); unknown fields are always left out (see
        :func:`skip_field`)."""
        ...

    def get(self, object_id: int) -> EnaioObject: ...

    def insert(self, new: NewObject) -> int: ...

    def update(
        self,
        object_id: int,
        fields: Mapping[str, FieldValue | None],
        *,
        tables: Mapping[str, Sequence[Mapping[str, FieldValue]]] | None = None,
        files: Sequence[UploadFile] = (),
        replace_files: bool = False,
        expected_modified: datetime | None = None,
    ) -> None:
        """Change only the given fields (``None`` clears one); tables given are replaced whole."""
        ...

    def delete(self, object_id: int, *, hard: bool = False, cascade: bool = False) -> None: ...

    def download(self, object_id: int, index: int, destination: Path) -> FileInfo:
        """Stream file ``index`` (1-based) of a document to ``destination``."""
        ...

    def checkout(self, object_id: int) -> None:
        """Check a document out for the current user; ``LockedError`` when someone else holds it."""
        ...

    def undo_checkout(self, object_id: int) -> None: ...

    def history(self, object_id: int) -> list[HistoryEntry]: ...

    def close(self) -> None: ...
