"""``DmsClient``: the :class:`~connector.enaio.interface.InterfaceClient` over enaio's DMS service
(``/api/dms``): Basic auth on every request, SQL search with ``@parameters`` and ``skipCount`` paging,
multipart writes, streamed downloads, the object definition cached and revalidated with ``If-None-Match``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from connector import timeutil
from connector.config import Settings
from connector.download import stream_download
from connector.enaio.dms.codec import (
    FILTER_CANDIDATES,
    OPTIONAL_COLUMNS,
    CompiledSearch,
    LocationFilterRefused,
    compile_search,
    parse_model,
    search_body,
)
from connector.enaio.dms.convert import Converter, properties
from connector.enaio.dms.transport import DmsTransport, decode_json
from connector.enaio.dms.wire import (
    InfoResponse,
    ObjectsResponse,
    RawPage,
    WireObject,
    decode_object,
    decode_search_page,
)
from connector.enaio.interface import (
    HistoryEntry,
    NewObject,
    OnSkipped,
    ServerInfo,
    SkippedField,
    UploadFile,
)
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import ObjectDefinition, ObjectType, UnknownObjectTypeError, load_objdef
from connector.enaio.query import Deleted, Query, System, eq
from connector.errors import ResponseFormatError, ValidationError
from connector.prefetch import prefetched

log = logging.getLogger(__name__)

_HISTORY_PAGE = 200
_PROPERTY = re.compile(r"system:[A-Za-z_][A-Za-z0-9_]*")


def _ignore_skipped(skipped: SkippedField) -> None:
    """For reads that need only ids: a field left out does not matter."""


class DmsClient:
    """One DMS service connection; not thread-safe (one ``requests.Session``). A search's own requests run on
    a prefetch worker; the transport's lock serializes them with any other call made meanwhile."""

    interface = "dms"
    ancestor_batch = 500
    """Ancestor ids per ``IN (...)`` filter of a search with ancestor conditions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tz: ZoneInfo = timeutil.zone(settings.timezone)
        self.transport = DmsTransport(settings)
        self._objdef: ObjectDefinition | None = None
        self._etag: str | None = None
        self._converter: Converter | None = None
        self._refused: dict[str, set[str]] = {}
        """Per object type: optional system properties the server refused in SELECT (learnt once per run)."""
        self._refused_filters: dict[str, set[str]] = {}
        """Per object type: location properties the server refused in conditions."""
        self._learning = threading.Lock()
        """Guards the two above: a prefetch worker learns while the caller may compile a nested search."""

    # -- metadata ------------------------------------------------------------------------------

    def server_info(self) -> ServerInfo:
        operation = "dms.info"
        response = self.transport.call(
            "GET", self.transport.url("info"), operation=operation, idempotent=True
        )
        info = parse_model(InfoResponse, decode_json(response, operation), operation)
        version = info.server_version or info.version
        if not version:
            raise ResponseFormatError("info without a server version", operation=operation)
        return ServerInfo(
            interface=self.interface,
            endpoint=self.transport.base,
            server_version=version,
            api_version=info.api_version,
            user=info.user or self.settings.username,
        )

    def object_definition(self) -> ObjectDefinition:
        """Fetched once, then revalidated with ``If-None-Match`` (304 keeps the cached model)."""
        operation = "dms.schema.native"
        headers = {"Accept": "application/xml"}
        if self._objdef is not None and self._etag:
            headers["If-None-Match"] = self._etag
        response = self.transport.call(
            "GET",
            self.transport.url("schema", "native"),
            operation=operation,
            idempotent=True,
            ok_statuses=frozenset({304}),
            headers=headers,
        )
        if response.status_code == 304 and self._objdef is not None:
            response.close()
            log.debug("object definition unchanged (ETag %s)", self._etag)
            return self._objdef
        objdef = load_objdef(response.content)
        self._objdef = objdef
        self._etag = response.headers.get("ETag")
        self._converter = Converter(objdef, self.tz)
        log.info("object definition loaded: %d types", len(objdef.types_by_name))
        return objdef

    def use_object_definition(self, objdef: ObjectDefinition) -> None:
        """The definition from ``objdef_file`` (set by ``EnaioClient``); searches then never fetch one."""
        self._objdef = objdef
        self._converter = Converter(objdef, self.tz)

    def _conv(self) -> Converter:
        if self._converter is None:
            self.object_definition()
        assert self._converter is not None  # noqa: S101 - set by object_definition()
        return self._converter

    def _type(self, name: str, operation: str) -> ObjectType:
        try:
            return self._conv().objdef.type_by_name(name)
        except UnknownObjectTypeError:
            raise ValidationError(
                f"unknown object type {name!r}", field=name, operation=operation, code="UNKNOWN_OBJECT_TYPE"
            ) from None

    # -- search --------------------------------------------------------------------------------

    def search(self, query: Query, *, on_skipped: OnSkipped | None = None) -> Iterator[EnaioObject]:
        """Lazily page through the hits with ``skipCount``/``maxItems``.

        Ancestor conditions follow S2's recipe: the ancestors are searched first and their ids become
        ``system:SDSTA_ID IN (...)`` / ``system:SDREG_ID IN (...)`` filters, at most ``ancestor_batch`` ids
        per search, streamed batch by batch (never one list of all ancestor ids). With more ancestors than
        one batch, the hits come batch by batch: ``order_by`` holds within a batch, every hit comes once.
        """
        operation = "dms.search"
        object_type = self._type(query.type_name, operation)
        filters: list[tuple[System, Query]] = []
        for ancestor in query.ancestors:
            ancestor_type = self._type(ancestor.type_name, operation)
            if ancestor_type.kind is ObjectKind.DOCUMENT:
                raise ValidationError(
                    f"ancestor type {ancestor_type.internal} is a document", field=ancestor_type.internal
                )
            column = System.FOLDER_ID if ancestor_type.kind is ObjectKind.FOLDER else System.REGISTER_ID
            filters.append((column, Query(ancestor.type_name, where=ancestor.where)))
        if self._filters_refused(object_type, filters):
            yield from self._filter_locally(query, filters, on_skipped)
            return
        yielded = 0
        try:
            for ancestors in self._ancestor_batches(filters):
                limit = None if query.max_hits is None else query.max_hits - yielded
                for obj in self._pages(query, object_type, ancestors, limit, on_skipped):
                    yield obj
                    yielded += 1
                if query.max_hits is not None and yielded >= query.max_hits:
                    return
        except LocationFilterRefused:
            if yielded or not filters or not self._filters_refused(object_type, filters):
                raise
            yield from self._filter_locally(query, filters, on_skipped)

    def _filters_refused(self, object_type: ObjectType, filters: Sequence[tuple[System, Query]]) -> bool:
        with self._learning:
            refused = set(self._refused_filters.get(object_type.internal, ()))
        return any(all(name in refused for name in FILTER_CANDIDATES[system]) for system, _ in filters)

    def _filter_locally(
        self, query: Query, filters: Sequence[tuple[System, Query]], on_skipped: OnSkipped | None
    ) -> Iterator[EnaioObject]:
        """Ancestor conditions for a type the server will not filter by folder or register (e.g. registers
        when ``SDSTA_ID`` is a document's location only): the ancestor ids are collected (ids only), the
        type is searched without them and each hit is kept when its own location is among them."""
        wanted: list[tuple[System, set[int]]] = []
        for system, ancestor_query in filters:
            ids = {
                obj.id
                for obj in self.search(
                    replace(ancestor_query, page_size=max(self.ancestor_batch, 1)), on_skipped=_ignore_skipped
                )
            }
            if not ids:
                return
            wanted.append((system, ids))
        log.info("DMS service cannot filter %s by location; filtering the hits here", query.type_name)
        kept = 0
        for obj in self.search(replace(query, ancestors=(), max_hits=None), on_skipped=on_skipped):
            if all(_place(obj, system) in ids for system, ids in wanted):
                yield obj
                kept += 1
                if query.max_hits is not None and kept >= query.max_hits:
                    return

    def _ancestor_batches(
        self, filters: Sequence[tuple[System, Query]]
    ) -> Iterator[list[tuple[System, Sequence[int]]]]:
        """Every combination of ancestor id batches; inner ancestor searches are repeated, not kept."""
        if not filters:
            yield []
            return
        (column, ancestor_query), rest = filters[0], filters[1:]
        batch: list[int] = []
        # ancestors are only needed as ids: a field they cannot convert does not matter here
        for obj in self.search(
            replace(ancestor_query, page_size=max(self.ancestor_batch, 1)), on_skipped=_ignore_skipped
        ):
            batch.append(obj.id)
            if len(batch) >= self.ancestor_batch:
                for tail in self._ancestor_batches(rest):
                    yield [(column, batch), *tail]
                batch = []
        if batch:
            for tail in self._ancestor_batches(rest):
                yield [(column, batch), *tail]

    def _compile(
        self, query: Query, object_type: ObjectType, ancestors: Sequence[tuple[System, Sequence[int]]]
    ) -> CompiledSearch:
        with self._learning:
            refused = frozenset(self._refused.get(object_type.internal, ()))
            refused_filters = frozenset(self._refused_filters.get(object_type.internal, ()))
        return compile_search(
            query, object_type, self.tz, ancestors, refused=refused, refused_filters=refused_filters
        )

    def _learn(self, object_type: ObjectType, compiled: CompiledSearch, error: ValidationError) -> bool:
        """Whether the refusal names a property the search can do without (then it is left out from now on,
        for this type and this client). A property used as a filter is blamed first: a server may accept it
        in SELECT but not in WHERE."""
        if error.status not in (400, 422):
            return False
        named = [error.field] if error.field and error.field.startswith("system:") else []
        named += [name for name in _PROPERTY.findall(error.message) if name not in named]
        for name in named:
            if name in compiled.filters:
                with self._learning:
                    self._refused_filters.setdefault(object_type.internal, set()).add(name)
                log.info(
                    "DMS service refuses %s in conditions on %s; trying without it",
                    name,
                    object_type.internal,
                )
                return True
            if name in compiled.selected and name in OPTIONAL_COLUMNS:
                with self._learning:
                    self._refused.setdefault(object_type.internal, set()).add(name)
                log.info("DMS service refuses %s for %s; reading without it", name, object_type.internal)
                return True
        return False

    def _pages(
        self,
        query: Query,
        object_type: ObjectType,
        ancestors: Sequence[tuple[System, Sequence[int]]],
        limit: int | None,
        on_skipped: OnSkipped | None,
    ) -> Iterator[EnaioObject]:
        """One search, page by page: the requests run ahead on a worker thread (:func:`prefetched`, see
        :meth:`_raw_pages` for the paging rules) while the pages are converted here, in the caller's thread
        (``on_skipped`` is called there). A page whose objects all came on the page before means the server
        does not advance ``skipCount``: a ``ResponseFormatError`` instead of an endless loop."""
        operation = "dms.search"
        compiled = self._compile(query, object_type, ancestors)
        if compiled.empty:
            return
        page_size = max(1, query.page_size)
        if limit is not None:
            page_size = max(1, min(page_size, limit))

        def produce() -> Iterator[tuple[RawPage, frozenset[str]]]:
            return self._raw_pages(query, object_type, ancestors, compiled, page_size, limit)

        # one page answers it (a lookup by id, a small max_hits): no worker worth starting
        one_page = limit is not None and limit <= page_size
        pages = produce() if one_page else prefetched(produce, name="enaio-dms-search")
        deleted = query.deleted is Deleted.ONLY
        converter = self._conv()
        skip = 0
        yielded = 0
        previous: list[int] | None = None
        try:
            for page, selected in pages:
                objects = [
                    self._located(
                        converter.to_object(wire, operation, on_skipped, selected=selected, deleted=deleted),
                        operation,
                    )
                    for wire in page.objects
                ]
                ids = [obj.id for obj in objects]
                if previous is not None and (ids == previous or set(ids) <= set(previous)):
                    raise ResponseFormatError(
                        f"page at skipCount {skip} repeats the previous page's objects; the server does not "
                        "advance skipCount",
                        operation=operation,
                    )
                for obj in objects:
                    yield obj
                    yielded += 1
                    if limit is not None and yielded >= limit:
                        return
                skip += len(objects)
                previous = ids
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()  # stops the worker at once, not when the generator is collected

    def _raw_pages(
        self,
        query: Query,
        object_type: ObjectType,
        ancestors: Sequence[tuple[System, Sequence[int]]],
        compiled: CompiledSearch,
        page_size: int,
        limit: int | None,
    ) -> Iterator[tuple[RawPage, frozenset[str]]]:
        """The decoded pages of one search, each with the system properties its statement selected. The
        server may cap ``maxItems`` below the page size asked for, so a short page ends the search only
        when the answer says nothing else: ``hasMoreItems`` decides when present, else ``totalNumItems``,
        else a page shorter than asked for. A refusal naming an optional system property is learnt and the
        page asked again without it. Runs on the prefetch worker: every request goes through the
        transport's lock, nothing is yielded while holding it."""
        operation = "dms.search"
        url = self.transport.url("objects", "search")
        skip = 0
        while True:
            body = search_body(compiled, query.deleted, skip, page_size)
            # a search is a read: retrying it is safe
            try:
                response = self.transport.call("POST", url, operation=operation, idempotent=True, json=body)
            except ValidationError as error:
                if not self._learn(object_type, compiled, error):
                    raise
                compiled = self._compile(query, object_type, ancestors)
                continue
            page = decode_search_page(decode_json(response, operation), operation)
            if not page.objects:
                return
            yield page, compiled.selected
            skip += len(page.objects)
            if limit is not None and skip >= limit:
                return  # the caller stops there: asking for more would be a wasted request
            more = page.has_more_items
            if more is None and page.total_num_items is not None:
                more = skip < page.total_num_items
            if more is None:
                more = len(page.objects) >= page_size
            if not more:
                return

    # -- read ----------------------------------------------------------------------------------

    def get(self, object_id: int) -> EnaioObject:
        """One object; a value that does not fit its field is a ``ValidationError`` naming the field."""
        operation = "dms.get"
        response = self.transport.call(
            "GET", self.transport.url("objects", object_id), operation=operation, idempotent=True
        )
        obj = self._conv().to_object(decode_object(decode_json(response, operation), operation), operation)
        if obj.id != object_id:
            raise ResponseFormatError(f"asked for object {object_id}, got {obj.id}", operation=operation)
        if obj.kind is not ObjectKind.FOLDER and obj.folder_id is None:
            obj = self._locate(obj, operation)
        return obj

    def _locate(self, obj: EnaioObject, operation: str) -> EnaioObject:
        """A GET need not carry the parents (enaio-rest.md §10.2: only via search): ask a search by id."""
        query = Query(obj.type_name, where=eq(System.OBJECT_ID.value, obj.id, system=True), max_hits=1)
        for hit in self.search(query, on_skipped=_ignore_skipped):
            update: dict[str, Any] = {"folder_id": hit.folder_id, "parent_id": hit.parent_id}
            if not obj.lock_known and hit.lock_known:
                update.update(locked_by=hit.locked_by, lock_known=True)
            return obj.model_copy(update=update)
        raise ResponseFormatError(
            f"{obj.type_name} {obj.id}: the DMS service names no parent for it, not even in a search",
            operation=operation,
        )

    @staticmethod
    def _located(obj: EnaioObject, operation: str) -> EnaioObject:
        """A register or document whose folder the server does not tell cannot be placed: one clear line."""
        if obj.kind is not ObjectKind.FOLDER and obj.folder_id is None:
            raise ResponseFormatError(
                f"the DMS service does not tell where {obj.type_name} {obj.id} lies (no system:SDSTA_ID, "
                'system:FOLDERID or system:parentId in its answer); set interface = "soap" or "osrest" '
                "(ENAIO_INTERFACE)",
                operation=operation,
            )
        return obj

    def download(self, object_id: int, index: int, destination: Path) -> FileInfo:
        """Stream file ``index`` (1-based) to ``destination`` through the one download helper
        (``connector.download``: ``.part`` file, renamed when whole; a cut-off body is retried)."""
        operation = "dms.download"
        url = self.transport.url("objects", object_id, "contents", "file", index)

        def open_response() -> requests.Response:
            return self.transport.call("GET", url, operation=operation, idempotent=True, stream=True)

        got = stream_download(
            open_response, destination, operation=operation, retry=self.settings.retry, url=url
        )
        mime = got.mime_type or "application/octet-stream"
        return FileInfo(index=index, name=got.filename or destination.name, mime_type=mime, size=got.size)

    def history(self, object_id: int) -> list[HistoryEntry]:
        operation = "dms.history"
        url = self.transport.url("objects", object_id, "history")
        entries: list[HistoryEntry] = []
        page = 0
        while True:
            response = self.transport.call(
                "GET",
                url,
                operation=operation,
                idempotent=True,
                params={"size": _HISTORY_PAGE, "page": page},
            )
            body = parse_model(ObjectsResponse, decode_json(response, operation), operation)
            for wire in body.objects:
                entries.append(self._history_entry(wire, operation))
            if len(body.objects) < _HISTORY_PAGE:
                entries.reverse()  # the service pages newest first; callers get them in order
                return entries
            page += 1

    def _history_entry(self, wire: WireObject, operation: str) -> HistoryEntry:
        action = wire.value("action")
        user = wire.value("system:createdBy")
        when = wire.value("system:creationDate")
        description = wire.value("description")
        if isinstance(action, str) and action.strip().lstrip("-").isdigit():
            action = int(action)
        if not isinstance(action, int) or isinstance(action, bool):
            raise ResponseFormatError("history entry without a numeric action", operation=operation)
        if not isinstance(user, str) or not isinstance(when, str):
            raise ResponseFormatError("history entry without user or time", operation=operation)
        try:
            moment = timeutil.parse_datetime(when, self.tz)
        except ValueError:
            raise ResponseFormatError("history time is not a date-time", operation=operation) from None
        return HistoryEntry(
            action=action,
            user=user,
            time=moment,
            description=description if isinstance(description, str) else "",
        )

    # -- write ---------------------------------------------------------------------------------

    def insert(self, new: NewObject) -> int:
        operation = "dms.insert"
        object_type = self._type(new.type_name, operation)
        props = properties(new.fields, new.tables, self.tz, object_type, operation)
        props["system:objectTypeId"] = {"value": object_type.internal}
        if new.parent_id is not None:
            props["system:parentId"] = {"value": str(new.parent_id)}
        body = self._write(
            "POST",
            self.transport.url("objects"),
            operation,
            {"objects": [self._envelope(props, new.files)]},
            new.files,
        )
        objects = parse_model(ObjectsResponse, body, operation).objects
        if len(objects) != 1:
            raise ResponseFormatError(f"insert answered with {len(objects)} objects", operation=operation)
        object_id = objects[0].value("system:objectId")
        if isinstance(object_id, str) and object_id.strip().isdigit():
            return int(object_id)
        if isinstance(object_id, int) and not isinstance(object_id, bool):
            return object_id
        raise ResponseFormatError("insert answered without a numeric object id", operation=operation)

    def update(
        self,
        object_id: int,
        fields: Mapping[str, FieldValue | None],
        *,
        tables: Mapping[str, Sequence[Mapping[str, FieldValue]]] | None = None,
        files: Sequence[UploadFile] = (),
        replace_files: bool = False,
        expected_modified: datetime | None = None,
    ) -> None:
        """Index data with ``PATCH`` (only given properties change); with files a multipart ``POST``."""
        props = properties(fields, tables, self.tz)
        headers: dict[str, str] = {}
        if expected_modified is not None:
            if expected_modified.tzinfo is None:
                raise ValidationError("expected_modified must be an aware datetime")
            headers["If-Unmodified-Since"] = _http_date(expected_modified)
        if not files and not replace_files:
            operation = "dms.patch"
            self._write(
                "PATCH",
                self.transport.url("objects", object_id),
                operation,
                {"properties": props},
                (),
                headers=headers,
            )
            return
        operation = "dms.update"
        self._write(
            "POST",
            self.transport.url("objects", object_id),
            operation,
            {"objects": [self._envelope(props, files)]},
            files,
            headers=headers,
            params={"replaceFiles": "true" if replace_files else "false"},
        )

    def delete(self, object_id: int, *, hard: bool = False, cascade: bool = False) -> None:
        operation = "dms.delete"
        params = {"hardDelete": str(hard).lower(), "cascadeDelete": str(cascade).lower()}
        response = self.transport.call(
            "DELETE",
            self.transport.url("objects", object_id),
            operation=operation,
            idempotent=False,
            params=params,
        )
        response.close()

    def checkout(self, object_id: int) -> None:
        response = self.transport.call(
            "PUT",
            self.transport.url("objects", object_id, "lock"),
            operation="dms.checkout",
            idempotent=False,
        )
        response.close()

    def undo_checkout(self, object_id: int) -> None:
        response = self.transport.call(
            "DELETE",
            self.transport.url("objects", object_id, "lock"),
            operation="dms.undoCheckout",
            idempotent=False,
        )
        response.close()

    def close(self) -> None:
        self.transport.close()

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _envelope(props: dict[str, dict[str, Any]], files: Sequence[UploadFile]) -> dict[str, Any]:
        envelope: dict[str, Any] = {"properties": props}
        if files:
            envelope["contentStreams"] = [
                {"mimeType": upload.mime_type, "fileName": upload.name, "cid": f"file{number}"}
                for number, upload in enumerate(files, start=1)
            ]
        return envelope

    def _write(
        self,
        method: str,
        url: str,
        operation: str,
        payload: dict[str, Any],
        files: Sequence[UploadFile],
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """One write; multipart when files go along, else plain JSON. Writes are never retried."""
        kwargs: dict[str, Any] = {"headers": dict(headers or {}), "params": dict(params or {})}
        with contextlib.ExitStack() as stack:
            if files:
                parts: dict[str, Any] = {"data": (None, json.dumps(payload), "application/json")}
                for number, upload in enumerate(files, start=1):
                    cid = f"file{number}"
                    handle: Any = upload.data if upload.data is not None else None
                    if handle is None:
                        if upload.path is None:
                            raise ValidationError(f"upload {number} has neither data nor path", field="files")
                        handle = stack.enter_context(upload.path.open("rb"))
                    parts[cid] = (upload.name, handle, upload.mime_type, {"Content-ID": f"<{cid}>"})
                kwargs["files"] = parts
            else:
                kwargs["json"] = payload
            response = self.transport.call(method, url, operation=operation, idempotent=False, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return decode_json(response, operation)


def _place(obj: EnaioObject, system: System) -> int | None:
    """The folder (``FOLDER_ID``) or direct register (``REGISTER_ID``) an object lies in."""
    if system is System.FOLDER_ID:
        return obj.folder_id
    return obj.parent_id if obj.parent_id != obj.folder_id else None


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)
