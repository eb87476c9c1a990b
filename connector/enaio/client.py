"""``EnaioClient``: the one façade jobs use. It builds the configured interface's client from one
``Settings`` object and offers the same operations whichever interface is behind it."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, cast

from connector.config import Interface, Settings
from connector.enaio.interface import InterfaceClient, OnSkipped, ServerInfo
from connector.enaio.model import EnaioObject
from connector.enaio.query import Query
from connector.errors import ConfigurationError, ResponseFormatError

if TYPE_CHECKING:
    from connector.enaio.objdef import ObjectDefinition

OBJDEF_SETTING = "objdef_file"

# Interface rooms, imported only when configured (the SOAP room pulls in zeep).
_ROOMS: dict[str, str] = {
    "dms": "connector.enaio.dms.client:DmsClient",
    "osrest": "connector.enaio.osrest.client:OsrestClient",
    "soap": "connector.enaio.soap.client:SoapClient",
}


class _ClientFactory(Protocol):
    def __call__(self, settings: Settings) -> InterfaceClient: ...


def interface_client(settings: Settings, interface: Interface | None = None) -> InterfaceClient:
    """Build the client of one interface room."""
    name = interface or settings.interface
    target = _ROOMS.get(name)
    if target is None:
        raise ConfigurationError(f"unknown interface {name!r}", key="interface")
    module_name, _, class_name = target.partition(":")
    factory = cast(_ClientFactory, getattr(importlib.import_module(module_name), class_name))
    if name != settings.interface:
        settings = settings.model_copy(update={"interface": name})
    return factory(settings)


def load_objdef_file(path: Path) -> ObjectDefinition:
    """The administrator's asobjdef export; any problem is a ``ConfigurationError`` naming the setting."""
    from connector.enaio.objdef import load_objdef

    try:
        return load_objdef(path.read_bytes())
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(
            f"cannot read the object definition file {path}: {reason}", key=OBJDEF_SETTING, source=str(path)
        ) from None
    except ResponseFormatError as exc:
        raise ConfigurationError(
            f"{path} is not an asobjdef export enaio-editor writes: {exc.message}",
            key=OBJDEF_SETTING,
            source=str(path),
        ) from None


class _UsesObjdef(Protocol):
    def use_object_definition(self, objdef: ObjectDefinition) -> None: ...


class EnaioClient:
    """Façade over one interface client; ``client.rest``-style sub-clients are not needed because all
    interfaces answer the same operations (see :class:`~connector.enaio.interface.InterfaceClient`)."""

    def __init__(self, settings: Settings) -> None:
        settings.require_credentials()  # missing username/password: exit 2 naming the keys, not a 401
        self.settings = settings
        preset = load_objdef_file(settings.objdef_file) if settings.objdef_file is not None else None
        self.api: InterfaceClient = interface_client(settings)
        self._objdef: ObjectDefinition | None = preset
        if preset is not None:
            # every room takes the file's definition and never asks its server for one
            room = cast(_UsesObjdef, self.api)
            if not callable(getattr(room, "use_object_definition", None)):
                self.api.close()
                raise ConfigurationError(
                    f"the {self.api.interface} interface cannot take an object definition from a file",
                    key=OBJDEF_SETTING,
                )
            room.use_object_definition(preset)

    @property
    def interface(self) -> str:
        return self.api.interface

    def server_info(self) -> ServerInfo:
        return self.api.server_info()

    def object_definition(self) -> ObjectDefinition:
        """Fetched once per client (the rooms revalidate with ETag / If-Modified-Since when asked again);
        with ``objdef_file`` set, the file's definition, never the server's."""
        if self._objdef is None:
            self._objdef = self.api.object_definition()
        return self._objdef

    def search(self, query: Query, *, on_skipped: OnSkipped | None = None) -> Iterator[EnaioObject]:
        """See :meth:`InterfaceClient.search`; ``on_skipped`` hears of every field left out of an object."""
        return self.api.search(query, on_skipped=on_skipped)

    def get(self, object_id: int) -> EnaioObject:
        return self.api.get(object_id)

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> EnaioClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
