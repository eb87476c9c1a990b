"""The shared object model: one shape for an enaio object, whichever interface delivered it.

Values are typed by the object definition's data type codes (``flags@dt``):
text and catalogue fields -> ``str`` (catalogue values are the row keys; multi-value fields keep enaio's
joined string, the mapping layer splits them), ``D`` -> ``date``, ``Z`` (datetime) -> aware ``datetime``,
``I``/``9`` and checkboxes -> ``int``, ``#`` -> ``Decimal``. Empty fields are absent from ``fields``.
System datetimes are aware, in the configured zone, truncated to whole seconds (enaio stores seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

FieldValue = str | int | Decimal | date | datetime
"""A non-empty index value. ``datetime`` must be aware."""

TableRow = Mapping[str, FieldValue]


class ObjectKind(StrEnum):
    FOLDER = "FOLDER"
    REGISTER = "REGISTER"
    DOCUMENT = "DOCUMENT"

    @classmethod
    def from_maintype(cls, maintype: int) -> ObjectKind:
        if maintype == 0:
            return cls.FOLDER
        if maintype == 99:
            return cls.REGISTER
        return cls.DOCUMENT


def type_id(maintype: int, cotype: int) -> int:
    """enaio object type id: ``(maintype << 16) | cotype``."""
    return (maintype << 16) | cotype


def split_type_id(object_type_id: int) -> tuple[int, int]:
    """Inverse of :func:`type_id`: ``(maintype, cotype)``."""
    return object_type_id >> 16, object_type_id & 0xFFFF


class FileInfo(BaseModel):
    """One content file of a document (1-based ``index`` as the REST interfaces count)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int = Field(ge=1)
    name: str
    mime_type: str
    size: int = Field(ge=0)


class EnaioObject(BaseModel):
    """An enaio folder, register or document with its index data and system data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    type_id: int
    type_name: str
    kind: ObjectKind
    parent_id: int | None = None
    """Direct parent: the folder or register it sits in; ``None`` for folders."""
    folder_id: int | None = None
    """The folder the object belongs to (``SDSTA_ID``); ``None`` for folders."""
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    tables: dict[str, list[dict[str, FieldValue]]] = Field(default_factory=dict)
    created: AwareDatetime
    creator: str
    modified: AwareDatetime
    modifier: str
    owner: str
    """The owner's login; ``""`` when the server does not say (not every server exposes it)."""
    locked_by: str | None = None
    lock_known: bool = True
    """``False`` when the server did not say whether the object is checked out (``locked_by`` is then
    ``None``): a lock state that cannot be read is unknown, not an error and not "unlocked"."""
    deleted: bool = False
    files: tuple[FileInfo, ...] = ()

    def field(self, name: str) -> FieldValue | None:
        return self.fields.get(name)
