"""Errors grouped by what the caller should do about them (see docs/errors.md).

Every error carries the operation, a redacted URL, the server's code and its message, so a log line
or an exit message is useful without ever containing credentials.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict, Unpack


class Recovery(StrEnum):
    """What the caller should do."""

    RETRY = "retry"
    RELOGIN = "relogin"
    FAIL = "fail"
    SKIP_RECORD = "skip_record"


class ErrorContext(TypedDict, total=False):
    """Where an error happened: the operation, the (redacted) URL, the server's code and HTTP status."""

    operation: str | None
    url: str | None
    code: str | int | None
    status: int | None


class EnaioError(Exception):
    """Base class of every error the connector raises on purpose."""

    recovery: Recovery = Recovery.FAIL
    exit_code: int = 1

    def __init__(self, message: str, **context: Unpack[ErrorContext]) -> None:
        super().__init__(message)
        self.message = message
        self.operation = context.get("operation")
        url = context.get("url")
        self.url = redact_url(url) if url else None
        self.code = context.get("code")
        self.status = context.get("status")

    def __str__(self) -> str:
        parts = [self.message]
        context = []
        if self.operation:
            context.append(f"operation={self.operation}")
        if self.status is not None:
            context.append(f"status={self.status}")
        if self.code is not None:
            context.append(f"code={self.code}")
        if self.url:
            context.append(f"url={self.url}")
        if context:
            parts.append(f"({', '.join(context)})")
        return " ".join(parts)


class ConfigurationError(EnaioError):
    """Broken or missing configuration; fix the config, do not retry."""

    exit_code = 2

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.source = source


class UsageError(EnaioError):
    """Bad command-line input (impossible date, unknown period, ...)."""

    exit_code = 2


class AuthenticationError(EnaioError):
    """Credentials refused. Retrying with the same credentials will not help."""


class SessionExpiredError(AuthenticationError):
    """The server forgot the session: log in again once, then retry."""

    recovery = Recovery.RELOGIN


class TransientError(EnaioError):
    """Timeouts, connection resets, 429/502/503/504: retry with back-off."""

    recovery = Recovery.RETRY

    def __init__(
        self, message: str, *, retry_after: float | None = None, **context: Unpack[ErrorContext]
    ) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class PermanentError(EnaioError):
    """The server refused the request for a reason retrying will not change."""


class PermissionDeniedError(PermanentError):
    """Authenticated, but not allowed (403, enaio -1069)."""


class NotFoundError(PermanentError):
    """The object or endpoint does not exist."""


class ConflictError(PermanentError):
    """The object changed since it was read (optimistic concurrency)."""


class LockedError(ConflictError):
    """The document is checked out by someone else; never write to it."""

    def __init__(self, message: str, *, holder: str | None = None, **context: Unpack[ErrorContext]) -> None:
        super().__init__(message, **context)
        self.holder = holder


class ResponseFormatError(EnaioError):
    """The server answered with something we cannot read (malformed JSON/XML, unexpected shape)."""


class ValidationError(EnaioError):
    """A record or a request value is invalid (unknown field, bad catalogue value, impossible date).

    For records read from the server this means: quarantine the record and go on.
    """

    recovery = Recovery.SKIP_RECORD

    def __init__(self, message: str, *, field: str | None = None, **context: Unpack[ErrorContext]) -> None:
        super().__init__(message, **context)
        self.field = field


class PartialFailureError(EnaioError):
    """A run finished but some records failed; the summary says which."""

    exit_code = 4

    def __init__(self, message: str, *, failed: int, succeeded: int) -> None:
        super().__init__(message)
        self.failed = failed
        self.succeeded = succeeded


def redact_url(url: str) -> str:
    """Drop user info and query values that could carry secrets (sessionguid, passwords)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = urlencode([(key, "***") for key, _ in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
