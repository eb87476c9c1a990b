"""The emulator's object store (SQLite): hierarchy, index data, files, locks, recycle bin, history, search."""

from __future__ import annotations

from connector.enaio.emulator.store.errors import (
    Conflict,
    InvalidValue,
    Locked,
    MissingRequired,
    NotEmpty,
    NotFound,
    NotLocked,
    ReadOnlyField,
    StoreError,
    UnknownField,
    UnknownType,
    WrongParent,
)
from connector.enaio.emulator.store.store import (
    FIRST_ID,
    BulkWriter,
    CheckedOut,
    FileSource,
    HistoryAction,
    HistoryEntry,
    NewFile,
    SearchPage,
    Store,
)

__all__ = [
    "FIRST_ID",
    "BulkWriter",
    "CheckedOut",
    "Conflict",
    "FileSource",
    "HistoryAction",
    "HistoryEntry",
    "InvalidValue",
    "Locked",
    "MissingRequired",
    "NewFile",
    "NotEmpty",
    "NotFound",
    "NotLocked",
    "ReadOnlyField",
    "SearchPage",
    "Store",
    "StoreError",
    "UnknownField",
    "UnknownType",
    "WrongParent",
]
