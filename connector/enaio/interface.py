"""What every interface room (dms, osrest, soap) offers, so jobs and scenario tests do not care which one
is configured. Each room compiles :class:`~connector.enaio.query.Query` to its wire form and maps its wire
models to :class:`~connector.enaio.model.EnaioObject`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import AwareDatetime, BaseModel, ConfigDict

from connector.enaio.model import EnaioObject, FieldValue, FileInfo
from connector.enaio.query import Query

if TYPE_CHECKING:
    from connector.enaio.objdef import ObjectDefinition


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

    def search(self, query: Query) -> Iterator[EnaioObject]:
        """Lazily page through all hits; every page is fetched only when needed."""
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
