"""DMS service endpoints over the shared :class:`~connector.http.HttpTransport`, and error bodies turned into
typed errors that carry the server's own text (redacted: quoted values removed).

The record has no DMS error body (enaio-rest.md §8.4), so every plausible shape is read: ``{"code",
"message", "field"?, "holder"?}``, a Spring Boot ``{"status", "error", "message", "path"}``,
``{"errorCode", "errorMessage"}``, plain text. A ``system:`` property named in the message becomes the
error's field (so it survives the redaction and the client can learn a refused property)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from connector.config import Settings
from connector.enaio.interface import without_values
from connector.errors import (
    ConflictError,
    EnaioError,
    LockedError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    ResponseFormatError,
    ValidationError,
)
from connector.http import (
    ErrorDetail,
    HttpOptions,
    HttpTransport,
    error_for_status,
    plain_error_message,
    status_text,
)

# Client errors this room decodes itself (HttpTransport handles 401 and the transient statuses).
_DECODED = frozenset({400, 403, 404, 405, 409, 410, 412, 413, 415, 422, 423})

_PROPERTY = re.compile(r"system:[A-Za-z_][A-Za-z0-9_]*")

_VALIDATION_CODES = frozenset(
    {"UNKNOWN_FIELD", "UNKNOWN_OBJECT_TYPE", "INVALID_VALUE", "SYNTAX_ERROR", "MISSING_PARAMETER"}
)


def parse_error_body(response: requests.Response) -> tuple[str | int | None, str, str | None, str | None]:
    """(code, message, field, holder) of an error response; tolerant of non-JSON bodies."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None, plain_error_message(response), None, None  # never an HTML page
    if not isinstance(body, Mapping):
        return None, response.reason or "", None, None
    code = body.get("code", body.get("errorCode"))
    message = body.get("message") or body.get("errorMessage") or body.get("error") or response.reason or ""
    field = body.get("field")
    if not isinstance(field, str):
        named = _PROPERTY.search(str(message))
        field = named.group() if named else None
    holder = body.get("holder")
    return (
        code if isinstance(code, str | int) else None,
        str(message)[:500],
        field if isinstance(field, str) else None,
        holder if isinstance(holder, str) else None,
    )


def error_detail(response: requests.Response) -> ErrorDetail:
    code, message, field, _ = parse_error_body(response)
    return code, without_values(message, field) if message else message


def error_from_response(response: requests.Response, operation: str) -> EnaioError:
    """The typed error for a DMS error response, carrying the field or the lock holder."""
    code, message, field, holder = parse_error_body(response)
    status = response.status_code
    kwargs: dict[str, Any] = {"operation": operation, "url": response.url, "code": code, "status": status}
    text = without_values(message, field) if message else status_text(status)
    if status == 423 or code == "LOCKED":
        return LockedError(text, holder=holder, **kwargs)
    if status in (400, 422) or code in _VALIDATION_CODES:
        return ValidationError(text, field=field, **kwargs)
    if status == 404:
        return NotFoundError(text, **kwargs)
    if status == 403:
        return PermissionDeniedError(text, **kwargs)
    if status in (409, 412):
        return ConflictError(text, **kwargs)
    if status in _DECODED:
        return PermanentError(text, **kwargs)
    return error_for_status(response, operation, (code, text))


class DmsTransport:
    """Sends DMS requests: URLs relative to the DMS endpoint, JSON decoding, typed errors."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings.endpoint("dms")
        auth = None
        if settings.username is not None:
            password = settings.password.get_secret_value() if settings.password else ""
            auth = (settings.username, password)
        self.http = HttpTransport(HttpOptions.from_settings(settings), auth=auth, error_detail=error_detail)

    def url(self, *parts: str | int) -> str:
        return "/".join([self.base, *(quote(str(part), safe="") for part in parts)])

    def call(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        idempotent: bool,
        ok_statuses: frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> requests.Response:
        response = self.http.request(
            method,
            url,
            operation=operation,
            idempotent=idempotent,
            ok_statuses=_DECODED | ok_statuses,
            **kwargs,
        )
        if response.status_code >= 400 and response.status_code not in ok_statuses:
            error = error_from_response(response, operation)
            response.close()
            raise error
        return response

    def close(self) -> None:
        self.http.close()


def decode_json(response: requests.Response, operation: str) -> Any:
    """The JSON body, decimals kept exact; ``ResponseFormatError`` when it is not JSON."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResponseFormatError(
            f"response is not valid JSON: {exc}",
            operation=operation,
            url=response.url,
            status=response.status_code,
        ) from None
