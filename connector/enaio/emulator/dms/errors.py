"""The DMS surface's error shape and the one place where store and statement errors become HTTP statuses.

Default personality: ``{"code", "message", "field"?, "holder"?}``. Documented personality (the record has
no error body, §8.4): the other plausible shape, a Spring Boot service's default
``{"timestamp", "status", "error", "message", "path"}`` (field and lock holder only inside the message)."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from flask import Response, jsonify, request

from connector.enaio.emulator.dms.sql import SqlError
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
from connector.errors import ValidationError


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        holder: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.holder = holder

    def response(self, documented: bool = False) -> Response:
        body: dict[str, Any]
        if documented:
            message = self.message
            if self.holder is not None and self.holder not in message:
                message = f"{message} (checked out by {self.holder})"
            try:
                reason = HTTPStatus(self.status).phrase
            except ValueError:
                reason = "Error"
            body = {
                "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "status": self.status,
                "error": reason,
                "message": message,
                "path": request.path,
            }
        else:
            body = {"code": self.code, "message": self.message}
            if self.field is not None:
                body["field"] = self.field
            if self.holder is not None:
                body["holder"] = self.holder
        response = jsonify(body)
        response.status_code = self.status
        if self.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="enaio"'
        return response


# (store error class, status, code); the first match wins, so subclasses come first
_STORE_ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (UnknownType, 422, "UNKNOWN_OBJECT_TYPE"),
    (UnknownField, 422, "UNKNOWN_FIELD"),
    (MissingRequired, 422, "MISSING_REQUIRED"),
    (ReadOnlyField, 422, "READ_ONLY_FIELD"),
    (InvalidValue, 422, "INVALID_VALUE"),
    (WrongParent, 422, "WRONG_PARENT"),
    (NotFound, 404, "NOT_FOUND"),
    (Locked, 423, "LOCKED"),
    (NotLocked, 409, "NOT_LOCKED"),
    (NotEmpty, 409, "NOT_EMPTY"),
    (Conflict, 409, "CONFLICT"),
)


def api_error(exc: Exception) -> ApiError:
    """The API error for a statement or store error."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, SqlError):
        return ApiError(exc.status, exc.code, exc.message, field=exc.field)
    for cls, status, code in _STORE_ERRORS:
        if isinstance(exc, cls):
            field = getattr(exc, "field", None)
            if isinstance(exc, UnknownType):
                field = str(exc.name)
            holder = exc.holder if isinstance(exc, Locked) else None
            return ApiError(status, code, _message(exc), field=field, holder=holder)
    if isinstance(exc, ValidationError):
        return ApiError(422, "INVALID_VALUE", _message(exc), field=exc.field)
    if isinstance(exc, StoreError):
        return ApiError(400, "NOT_ALLOWED", _message(exc))
    raise exc


def _message(exc: Exception) -> str:
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc)
