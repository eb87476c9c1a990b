"""Errors of the object-definition model."""

from __future__ import annotations

from connector.errors import EnaioError, ResponseFormatError, ValidationError


class ObjdefFormatError(ResponseFormatError):
    """The asobjdef XML is well-formed but not an object definition we can read."""


class ObjdefLookupError(EnaioError, KeyError):
    """A name that the object definition does not know. Also a ``KeyError``, so mapping-style code works."""

    kind = "name"

    def __init__(self, name: str | int, *, scope: str | None = None) -> None:
        where = f" in {scope}" if scope else ""
        super().__init__(f"unknown {self.kind} {name!r}{where}")
        self.name = name
        self.scope = scope


class UnknownCabinetError(ObjdefLookupError):
    kind = "cabinet"


class UnknownObjectTypeError(ObjdefLookupError):
    kind = "object type"


class UnknownFieldError(ObjdefLookupError):
    kind = "field"


class UnknownCatalogueError(ObjdefLookupError):
    kind = "catalogue"


class FieldValueError(ValidationError):
    """A value that does not fit its field (type, format, catalogue, length); ``field`` names the field."""
