"""Refusals of the write-back jobs, each with its own exit code (docs/writeback.md)."""

from __future__ import annotations

from connector.errors import ConflictError, LockedError, PermanentError

__all__ = [
    "EXIT_CHECKED_OUT",
    "EXIT_CONFLICT",
    "EXIT_NO_CONSENT",
    "ChangedError",
    "CheckedOutError",
    "ConsentError",
]

EXIT_CHECKED_OUT = 6
EXIT_CONFLICT = 7
EXIT_NO_CONSENT = 8
# 5 is extract's "unreachable"; these stay distinct across the whole CLI


class CheckedOutError(LockedError):
    """A person has the document checked out; nothing was written."""

    exit_code = EXIT_CHECKED_OUT


class ChangedError(ConflictError):
    """The document changed since it was read (optimistic concurrency), or a different document already holds
    the natural key; nothing was overwritten."""

    exit_code = EXIT_CONFLICT
    document_id: int | None = None


class ConsentError(PermanentError):
    """No consent covers the hand-over on that day; ``reason`` is ``none``, ``revoked`` or ``expired``."""

    exit_code = EXIT_NO_CONSENT

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
