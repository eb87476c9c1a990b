"""Typed errors of the emulator store; each message names the offending type, field, object or user.

They derive from the connector's error classes, so the emulator's surfaces can map them to the
vendor's codes and the tests can catch them by recovery intent.
"""

from __future__ import annotations

from connector.errors import ConflictError, EnaioError, LockedError, NotFoundError, ValidationError


class StoreError(EnaioError):
    """Base of every store error."""


class UnknownType(StoreError, ValidationError):
    def __init__(self, name: str | int) -> None:
        super().__init__(f"unknown object type {name!r}")
        self.name = name


class UnknownField(StoreError, ValidationError):
    def __init__(self, name: str, *, scope: str) -> None:
        super().__init__(f"unknown field {name!r} in {scope}", field=name)
        self.name = name


class InvalidValue(StoreError, ValidationError):
    """Type conversion, catalogue, input length, read-only field or a request that makes no sense."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class ReadOnlyField(InvalidValue):
    def __init__(self, name: str) -> None:
        super().__init__(f"field {name} is read-only (only the server writes it)", field=name)


class MissingRequired(StoreError, ValidationError):
    def __init__(self, names: list[str]) -> None:
        super().__init__(
            f"required field(s) without value: {', '.join(names)}", field=names[0] if names else None
        )
        self.names = tuple(names)


class WrongParent(StoreError, ValidationError):
    """A child of the wrong type, under the wrong parent, or a folder given a parent."""


class NotFound(StoreError, NotFoundError):
    def __init__(self, message: str, *, object_id: int | None = None) -> None:
        super().__init__(message)
        self.object_id = object_id


class Locked(StoreError, LockedError):
    def __init__(self, object_id: int, holder: str) -> None:
        super().__init__(f"object {object_id} is checked out by {holder}", holder=holder)
        self.object_id = object_id


class NotLocked(StoreError, ConflictError):
    def __init__(self, object_id: int) -> None:
        super().__init__(f"object {object_id} is not checked out")
        self.object_id = object_id


class Conflict(StoreError, ConflictError):
    """The object changed since the caller read it (or a key field value already exists)."""

    def __init__(self, message: str, *, object_id: int | None = None) -> None:
        super().__init__(message)
        self.object_id = object_id


class NotEmpty(StoreError, ConflictError):
    def __init__(self, object_id: int, children: int) -> None:
        super().__init__(f"object {object_id} is not empty ({children} child object(s)); delete with cascade")
        self.object_id = object_id
        self.children = children
