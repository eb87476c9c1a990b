"""Interface-neutral search model, shared by the clients (which compile it to their wire form)
and the emulator (which parses each wire form back into it and evaluates it on the store).

Field references name index fields by internal name. System fields use the server-api names
(``OBJECT_ID``, ``OBJECT_MODIFYTIME``, ``SDSTA_ID``, ``SDREG_ID``, ...) with ``system=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from connector.enaio.model import FieldValue


class Op(StrEnum):
    EQ = "="
    NE = "<>"
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "IN"
    BETWEEN = "BETWEEN"
    LIKE = "LIKE"
    """Wildcards ``*`` (any run) and ``?`` (one character), as enaio's search masks use them."""
    IS_NULL = "IS NULL"
    NOT_NULL = "IS NOT NULL"


class System(StrEnum):
    """System fields the connector queries. Values are the server-api names."""

    OBJECT_ID = "OBJECT_ID"
    CREATED = "OBJECT_CRDATE"
    CREATOR = "OBJECT_CRID"
    MODIFIED = "OBJECT_MODIFYTIME"
    MODIFIER = "OBJECT_MODIFYUSER"
    LOCKUSER = "OBJECT_LOCKUSER"
    FOLDER_ID = "SDSTA_ID"
    REGISTER_ID = "SDREG_ID"
    PARENT_ID = "PARENT_ID"
    """Direct parent (folder or register); emulator-level convenience over SDSTA_ID/SDREG_ID."""


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: Op
    values: tuple[FieldValue, ...] = ()
    """No value for IS NULL / IS NOT NULL, two for BETWEEN, one or more for IN, else one."""
    system: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    """AND / OR of conditions and nested groups."""

    items: tuple[Condition | Group, ...]
    any_of: bool = False


Expr = Condition | Group


@dataclass(frozen=True, slots=True)
class AncestorCondition:
    """The object must have an ancestor (folder or register) of this type matching ``where``."""

    type_name: str
    where: Expr


@dataclass(frozen=True, slots=True)
class Sort:
    field: str
    descending: bool = False
    system: bool = False


class Deleted(StrEnum):
    EXCLUDE = "EXCLUDE"
    ONLY = "ONLY"


@dataclass(frozen=True, slots=True)
class Query:
    """A search for objects of one type.

    ``modified_since`` is the incremental bookmark (inclusive: ``>=``); how it reaches the server is the
    interface's business (osrest has no documented range syntax; see docs/emulator-choices.md).
    """

    type_name: str
    where: Expr | None = None
    ancestors: tuple[AncestorCondition, ...] = ()
    modified_since: datetime | None = None
    order_by: tuple[Sort, ...] = field(default_factory=tuple)
    deleted: Deleted = Deleted.EXCLUDE
    page_size: int = 500
    max_hits: int | None = None


def all_of(*items: Expr) -> Group:
    return Group(items=tuple(items))


def any_of(*items: Expr) -> Group:
    return Group(items=tuple(items), any_of=True)


def eq(name: str, value: FieldValue, *, system: bool = False) -> Condition:
    return Condition(name, Op.EQ, (value,), system)


def is_in(name: str, values: Sequence[FieldValue], *, system: bool = False) -> Condition:
    return Condition(name, Op.IN, tuple(values), system)
