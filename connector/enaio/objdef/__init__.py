"""The object definition (asobjdef): types, fields, catalogues, value codecs; one model for all."""

from __future__ import annotations

from connector.enaio.objdef.errors import (
    FieldValueError,
    ObjdefFormatError,
    ObjdefLookupError,
    UnknownCabinetError,
    UnknownCatalogueError,
    UnknownFieldError,
    UnknownObjectTypeError,
)
from connector.enaio.objdef.model import (
    DEFAULT_LANGUAGE,
    Cabinet,
    Catalogue,
    CatalogueRow,
    FieldDef,
    Language,
    ObjectDefinition,
    ObjectType,
    TableColumn,
    ValueType,
)
from connector.enaio.objdef.parse import default_objdef, default_site_path, load_objdef

__all__ = [
    "DEFAULT_LANGUAGE",
    "Cabinet",
    "Catalogue",
    "CatalogueRow",
    "FieldDef",
    "FieldValueError",
    "Language",
    "ObjdefFormatError",
    "ObjdefLookupError",
    "ObjectDefinition",
    "ObjectType",
    "TableColumn",
    "UnknownCabinetError",
    "UnknownCatalogueError",
    "UnknownFieldError",
    "UnknownObjectTypeError",
    "ValueType",
    "default_objdef",
    "default_site_path",
    "load_objdef",
]
