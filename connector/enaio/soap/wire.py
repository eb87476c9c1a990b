"""Wire models of the SOAP room: what a job answer and the server-api XML formats carry, still as text.

Tolerant (``extra="ignore"``): servers add attributes and parameters. Typing happens in ``convert.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class JobError(_Wire):
    """One entry of a job's error list."""

    code: int | None = None
    message: str = ""
    source: str = ""
    field: str | None = None


class JobFile(_Wire):
    """A ``fileParameter`` of a job answer (content already decoded from MTOM/base64)."""

    name: str
    content: bytes


class JobResult(_Wire):
    """A successful job: output parameters by name (``int``, ``str``, ``bytes``, ``bool``, ``float``)."""

    name: str
    return_code: int = 0
    params: dict[str, object] = Field(default_factory=dict)
    files: tuple[JobFile, ...] = ()
    errors: tuple[JobError, ...] = ()

    def text(self, name: str, default: str = "") -> str:
        value = self.params.get(name)
        if value is None:
            return default
        if isinstance(value, bytes):
            return value.decode("utf-8")
        return str(value)

    def integer(self, name: str, default: int = 0) -> int:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        return int(str(value))

    def binary(self, name: str) -> bytes:
        value = self.params.get(name)
        if value is None:
            return b""
        if isinstance(value, bytes):
            return value
        return str(value).encode("utf-8")


class WireFile(_Wire):
    index: int
    name: str
    mime_type: str = "application/octet-stream"
    size: int = 0


class WireObject(_Wire):
    """One object of a DMSContent (LOL row or HOL object): values as the server wrote them."""

    id: int
    type_id: int
    type_name: str
    maintype: int
    fields: dict[str, str] = Field(default_factory=dict)
    """Index fields by internal name (empty values left out)."""
    system: dict[str, str] = Field(default_factory=dict)
    """System fields by server-api name: the raw ``value`` attribute when present, else the text."""
    system_text: dict[str, str] = Field(default_factory=dict)
    """The display text of each system field (a name where ``value`` holds a number or GUID)."""
    tables: dict[str, list[dict[str, str]]] = Field(default_factory=dict)
    files: tuple[WireFile, ...] = ()


@dataclass(frozen=True, slots=True)
class RawFile:
    """A ``File`` of a search page, checked by the decoder (``index`` ≥ 1, ``size`` ≥ 0)."""

    index: int
    name: str
    mime_type: str
    size: int


class RawObject(NamedTuple):
    """One object of a search page, as :class:`WireObject` carries it but decoded without a model: the
    decoder checked every place it read (the hot path of a search; see ``codec.decode_page``)."""

    id: int
    type_id: int
    fields: dict[str, str]
    system: dict[str, str]
    system_text: dict[str, str]
    tables: dict[str, list[dict[str, str]]]
    files: tuple[RawFile, ...]


class WireHistoryEntry(_Wire):
    action: int
    time: str
    user: str
    description: str = ""


class CheckedOut(_Wire):
    """One entry of ``dms.GetCheckedOutDocuments`` ``Info``: ``typeId,docId,timestamp,variantId``."""

    type_id: int
    object_id: int
    timestamp: int
    variant_id: int
