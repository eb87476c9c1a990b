"""``OsrestClient``: the enaio appconnector (``/osrest/api``) behind the ``InterfaceClient`` operations."""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any, cast

import requests

from connector.config import Settings
from connector.download import stream_download
from connector.enaio.interface import (
    HistoryEntry,
    NewObject,
    OnSkipped,
    ServerInfo,
    SkippedField,
    UploadFile,
)
from connector.enaio.model import EnaioObject, FieldValue, FileInfo, ObjectKind
from connector.enaio.objdef import ObjdefLookupError, ObjectDefinition, load_objdef
from connector.enaio.osrest import codec
from connector.enaio.osrest.convert import Converter, parse_wire_datetime, to_enaio_object
from connector.enaio.osrest.filters import matches
from connector.enaio.osrest.transport import OsrestTransport
from connector.enaio.osrest.wire import WireObject, WireServiceInfo, WireSession
from connector.enaio.query import Condition, Deleted, Expr, Group, Op, Query, System
from connector.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermanentError,
    ResponseFormatError,
    ValidationError,
)
from connector.http import HttpOptions
from connector.prefetch import prefetched
from connector.timeutil import zone

log = logging.getLogger(__name__)

MAX_PAGES = 1_000_000
"""Loop guard beyond the repeated-page check: no real search has this many pages."""

OBJDEF_HINT = (
    "export the object definition (asobjdef XML) with enaio-editor and set objdef_file "
    "(config file), ENAIO_OBJDEF_FILE or --objdef FILE"
)


def objdef_unavailable(why: str) -> ConfigurationError:
    """One line: the server has no object definition this client reads, and the setting that fixes it."""
    return ConfigurationError(
        f"the osrest interface does not deliver an object definition this client can read ({why}); "
        + OBJDEF_HINT,
        key="objdef_file",
    )


def _ignore_skipped(skipped: SkippedField) -> None:
    """For reads that need only system data: a field left out does not matter."""


def _http_date(value: str | None) -> str | None:
    """An HTTP date normalized to GMT (``If-Modified-Since`` form); ``None`` when absent or unreadable."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # RFC 9110: HTTP dates are GMT
    return format_datetime(moment.astimezone(UTC), usegmt=True)


class _ExtensionsRefused(Exception):
    """The first page of a search using emulator extensions was refused; they are now switched off."""


def _id_lookup(query: Query) -> list[int] | None:
    """The ids of a query that is an id lookup (``OBJECT_ID`` = / IN, alone or AND-ed with other
    conditions; no ancestors, no order but by id, no recycle bin), sorted; else ``None``."""
    if query.ancestors or query.deleted is not Deleted.EXCLUDE:
        return None
    if any(not (s.system and s.field == System.OBJECT_ID and not s.descending) for s in query.order_by):
        return None
    items: tuple[Expr, ...]
    if isinstance(query.where, Condition):
        items = (query.where,)
    elif isinstance(query.where, Group) and (not query.where.any_of or len(query.where.items) == 1):
        items = query.where.items
    else:
        return None
    for item in items:
        if (
            isinstance(item, Condition)
            and item.system
            and item.field == System.OBJECT_ID
            and item.op in (Op.EQ, Op.IN)
        ):
            try:
                return sorted({int(str(value)) for value in item.values})
            except ValueError:
                return None
    return None


@dataclass
class _RawPage:
    """One search answer as the prefetch worker hands it over: parsed JSON, decoded only in scan mode."""

    offset: int
    items: list[Any]
    decoded: list[WireObject] | None = None


class _RepeatGuard:
    """A page repeating the previous page's ids means paging does not advance: an error, not a loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.previous: list[int] | None = None

    def check(self, page: list[WireObject], offset: int) -> None:
        ids = [item.osid for item in page]
        if ids and ids == self.previous:
            raise ResponseFormatError(
                f"the server returned the same page twice (offset {offset}); paging does not advance",
                operation="osrest.search",
                url=self.url,
            )
        self.previous = ids


class OsrestClient:
    """One HTTP session (Basic, then the ``JSESSIONID`` cookie), retries of idempotent calls (search counts
    as idempotent), one re-login on 401/403, lazy paginated search."""

    interface = "osrest"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tz = zone(settings.timezone)
        self.endpoint = settings.endpoint("osrest")
        password = settings.password.get_secret_value() if settings.password is not None else None
        self.transport = OsrestTransport(
            self.endpoint, HttpOptions.from_settings(settings), settings.username, password
        )
        self._objdef: ObjectDefinition | None = None
        self._objdef_modified: str | None = None
        self._objdef_fixed = False
        self._extensions = True
        """Emulator search extensions in use; off for good once a server refuses them."""
        self._serves_at_least = 0
        """The longest page this server has answered: a shorter page than that (and than asked) is the end."""

    # -- plumbing ----------------------------------------------------------------------------------------

    def _get(self, *parts: str | int, operation: str, **kwargs: Any) -> requests.Response:
        return self.transport.request("GET", self.transport.url(*parts), operation=operation, **kwargs)

    def close(self) -> None:
        self.transport.close()

    # -- metadata --------------------------------------------------------------------------------------------

    def server_info(self) -> ServerInfo:
        response = self._get("serviceinfo", operation="osrest.serviceinfo")
        info = codec.parse_model(WireServiceInfo, response.content, "osrest.serviceinfo")
        response = self._get("session", operation="osrest.session")
        session = codec.parse_model(WireSession, response.content, "osrest.session")
        return ServerInfo(
            interface=self.interface,
            endpoint=self.endpoint,
            server_version=info.server_version or "unknown",
            api_version=info.api_version,
            user=session.username,
        )

    def use_object_definition(self, objdef: ObjectDefinition) -> None:
        """The definition from ``objdef_file`` (set by ``EnaioClient``): the server is never asked."""
        self._objdef = objdef
        self._objdef_fixed = True

    def object_definition(self) -> ObjectDefinition:
        """``objdef/global``, revalidated with ``If-Modified-Since`` (304 keeps the cached copy).

        The public record says ``objdef/global`` answers JSON that "mirrors the XML" without giving its
        structure; only an asobjdef XML answer is read. Anything else (404, JSON, another XML) is a
        ``ConfigurationError`` naming ``objdef_file``."""
        if self._objdef_fixed and self._objdef is not None:
            return self._objdef
        headers = (
            {"If-Modified-Since": self._objdef_modified} if self._objdef and self._objdef_modified else {}
        )
        try:
            response = self._get(
                "objdef", "global", operation="osrest.objdef", headers=headers, ok_statuses=frozenset({304})
            )
        except NotFoundError:
            raise objdef_unavailable("objdef/global: HTTP 404") from None
        if response.status_code == 304 and self._objdef is not None:
            return self._objdef
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type.endswith("json") or response.content.lstrip()[:1] in (b"{", b"["):
            raise objdef_unavailable("objdef/global answers JSON, whose structure is not public")
        try:
            self._objdef = load_objdef(response.content)
        except ResponseFormatError as exc:
            raise objdef_unavailable(f"objdef/global: {exc.message}") from None
        # The validator must be the server's time, never this host's clock or zone: Last-Modified, else the
        # answer's Date (an HTTP date is GMT); without either the next call fetches the definition again.
        self._objdef_modified = response.headers.get("Last-Modified") or _http_date(
            response.headers.get("Date")
        )
        return self._objdef

    @property
    def objdef(self) -> ObjectDefinition:
        if self._objdef is None:
            return self.object_definition()
        return self._objdef

    # -- reads -------------------------------------------------------------------------------------------

    def search(self, query: Query, *, on_skipped: OnSkipped | None = None) -> Iterator[EnaioObject]:
        """Pages of ``query.page_size`` until the end; a page repeating the previous ids is an error.

        osrest answers a search with a bare JSON array: no total and no "more" flag, and a server may cap
        ``pagesize`` (enaio-rest.md §9). An empty page ends the search; a shorter page than asked ends it
        only when the server has served longer pages before (so it is no cap); otherwise the next page is
        asked for (docs/emulator-choices.md, osrest)."""
        compiled = self._compile(query)  # a bad query fails here, before the first page
        return self._search(query, compiled, on_skipped)

    def _search(
        self, query: Query, compiled: codec.CompiledSearch, on_skipped: OnSkipped | None
    ) -> Iterator[EnaioObject]:
        ids = _id_lookup(query)
        if ids is not None and not self._extensions:
            yield from self._by_ids(query, compiled, ids, on_skipped)
            return
        try:
            yield from self._pages(query, compiled, on_skipped)
        except _ExtensionsRefused:
            # nothing was yielded yet: ask again in the documented form
            compiled = self._compile(query)
            if ids is not None:
                yield from self._by_ids(query, compiled, ids, on_skipped)
            else:
                yield from self._pages(query, compiled, on_skipped)

    def _by_ids(
        self, query: Query, compiled: codec.CompiledSearch, ids: list[int], on_skipped: OnSkipped | None
    ) -> Iterator[EnaioObject]:
        """An id lookup without ``systemfields``: ``GET documents/search/{id}`` per id (documented, §4.2),
        each hit checked against the whole query on the client."""
        since = codec.floor_second(query.modified_since) if query.modified_since is not None else None
        yielded = 0
        for object_id in ids:
            try:
                obj = self._read(object_id, on_skipped)
            except NotFoundError:
                continue
            if obj.type_id != compiled.otype.type_id or obj.deleted:
                continue
            if since is not None and obj.modified < since:
                continue
            if query.where is not None and not matches(query.where, obj, compiled.otype, self.tz):
                continue
            yield obj
            yielded += 1
            if query.max_hits is not None and yielded >= query.max_hits:
                return

    def _compile(self, query: Query) -> codec.CompiledSearch:
        return codec.compile_search(
            query, self.objdef, self.tz, self.settings.osrest_incremental, extensions=self._extensions
        )

    def _first_page(self, query: Query, compiled: codec.CompiledSearch, url: str) -> requests.Response:
        """The first page. When a body using an emulator extension is refused, the extensions are switched
        off for the rest of the client's life and ``_ExtensionsRefused`` asks for the documented form (the
        client then checks the rest itself)."""
        body, params = compiled.page(0, query.page_size)
        try:
            return self.transport.request(
                "POST", url, operation="osrest.search", idempotent=True, json=body, params=params
            )
        except (ValidationError, PermanentError) as exc:
            # refused as invalid (400), or failed as osrest fails on bad search input (500, "Search by
            # example failed", S3); other permanent errors (404, 403, 423, ...) are no refusal of the body
            refused = isinstance(exc, ValidationError) or (type(exc) is PermanentError and exc.status == 500)
            if not compiled.extended or not refused:
                raise
        log.info(
            "the server refused a search using emulator extensions (range syntax, values, systemfields); "
            "searching with documented conditions only and checking the rest on the client"
        )
        self._extensions = False
        raise _ExtensionsRefused

    def _pages(
        self, query: Query, compiled: codec.CompiledSearch, on_skipped: OnSkipped | None
    ) -> Iterator[EnaioObject]:
        """Decodes and converts the pages :meth:`_raw_pages` fetches on a worker thread: the server prepares
        the next page while this one is decoded and converted (``locate`` lookups and checks run here)."""
        url = self.transport.url("documents", "search")
        pages = cast(
            Generator[_RawPage, None, None],
            prefetched(lambda: self._raw_pages(query, compiled, url), name="enaio-osrest-search"),
        )
        converter = Converter(
            self.objdef,
            self.tz,
            on_skipped,
            operation="osrest.search",
            locate=self._locate,
            deleted=query.deleted is Deleted.ONLY,
        )
        repeats = _RepeatGuard(url)
        yielded = 0
        try:
            for page in pages:
                objects = page.decoded
                if objects is None:
                    objects = codec.decode_page(page.items)
                    repeats.check(objects, page.offset)
                for item in objects:
                    obj = converter.convert(item)
                    if compiled.stop_before is not None and obj.modified < compiled.stop_before:
                        return
                    if compiled.residual is not None and not matches(
                        compiled.residual, obj, compiled.otype, self.tz
                    ):
                        continue
                    yield obj
                    yielded += 1
                    if compiled.max_hits is not None and yielded >= compiled.max_hits:
                        return
        finally:
            pages.close()  # stops the worker at once, also when the caller stops early or fails

    def _raw_pages(self, query: Query, compiled: codec.CompiledSearch, url: str) -> Iterator[_RawPage]:
        """The search's requests, run on the prefetch worker: each answer parsed as JSON, and from its
        length alone whether another page follows. The objects are decoded by the caller, so that work
        overlaps the server's (scan decodes here: whether to go on depends on the objects' times).
        Never yields while holding the transport's lock."""
        page_size = query.page_size
        offset = 0
        repeats = _RepeatGuard(url)
        previous_modified: datetime | None = None
        # without a residual filter every hit is yielded (until stop_before), so the caller takes no more
        # than max_hits raw hits: asking for more would be a wasted request
        wanted = compiled.max_hits if compiled.residual is None else None
        for _ in range(MAX_PAGES):
            if offset == 0:
                response = self._first_page(query, compiled, url)
            else:
                body, params = compiled.page(offset, page_size)
                response = self.transport.request(
                    "POST", url, operation="osrest.search", idempotent=True, json=body, params=params
                )
            items = codec.page_items(response.content)
            decoded: list[WireObject] | None = None
            if compiled.stop_before is not None:
                decoded = codec.decode_page(items)
                repeats.check(decoded, offset)
                previous_modified = self._check_newest_first(decoded, previous_modified)
            yield _RawPage(offset, items, decoded)
            count = len(items)
            if not count:
                return
            if wanted is not None:
                wanted -= count
                if wanted <= 0:
                    return
            if (
                compiled.stop_before is not None
                and previous_modified is not None
                and previous_modified < compiled.stop_before
            ):
                return  # newest first: the caller stops on this page at the latest
            # No total, no "more" flag: a short page ends the search only when this server has served
            # longer pages before; else it may be a page-size cap, and the next page tells.
            if count < page_size and count < self._serves_at_least:
                return
            self._serves_at_least = max(self._serves_at_least, count)
            offset += count
        raise ResponseFormatError(
            "search did not end after the maximum number of pages", operation="osrest.search"
        )

    def _check_newest_first(self, page: list[WireObject], previous: datetime | None) -> datetime | None:
        """Scan (``osrest_incremental = "scan"``) stops at the first hit older than the bookmark, which is
        right only when the server sorts by modification time, newest first: check the whole page (and its
        start against the previous page) before anything is yielded."""
        for item in page:
            raw = item.base("MODIFIED") or item.base("CREATED") or item.base("CREATION_DATE")
            try:
                modified = parse_wire_datetime(raw, self.tz) if raw else None
            except ValueError:
                modified = None  # the conversion of the hit reports it
            if modified is None:
                continue
            if previous is not None and modified > previous:
                raise ConfigurationError(
                    "the server does not sort search hits by modification time, which "
                    'osrest_incremental = "scan" needs; set osrest_incremental = "server"',
                    key="osrest_incremental",
                )
            previous = modified
        return previous

    def get(self, object_id: int) -> EnaioObject:
        """One object; a value that does not fit its field is a ``ValidationError`` naming the field."""
        return self._read(object_id, None)

    def _read(self, object_id: int, on_skipped: OnSkipped | None) -> EnaioObject:
        response = self._get("documents", "search", object_id, operation="osrest.get")
        wire = codec.parse_object(response.content)
        return to_enaio_object(
            wire, self.objdef, self.tz, on_skipped, operation="osrest.get", locate=self._locate
        )

    def _parent_chain(self, object_id: int) -> list[tuple[int, ObjectKind | None]]:
        """(id, kind) of the object's parents, nearest first. The record calls ``documents/parents`` "a
        sorted linear parent list" without saying which end comes first; the folder is always the root,
        so a list that starts with the folder is turned round."""
        response = self._get("documents", "parents", object_id, operation="osrest.parents")
        chain: list[tuple[int, ObjectKind | None]] = []
        for item in codec.parse_objects(response.content, "osrest.parents"):
            try:
                kind: ObjectKind | None = self.objdef.type_by_id(item.object_type_id).kind
            except ObjdefLookupError:
                kind = ObjectKind(item.object_type) if item.object_type in ObjectKind.__members__ else None
            chain.append((item.osid, kind))
        if len(chain) > 1 and chain[0][1] is ObjectKind.FOLDER:
            chain.reverse()
        return chain

    def parents(self, object_id: int) -> list[int]:
        """Ids of the object's parents, nearest first (``documents/parents/{id}``)."""
        return [osid for osid, _ in self._parent_chain(object_id)]

    def _locate(self, object_id: int) -> tuple[int | None, int | None]:
        """(folder, direct parent) from ``documents/parents`` for answers without SDSTA_ID/SDREG_ID."""
        try:
            chain = self._parent_chain(object_id)
        except NotFoundError:
            log.debug("no parents for object %d; its location stays unknown", object_id)
            return None, None
        folder = next((osid for osid, kind in chain if kind is ObjectKind.FOLDER), None)
        return folder, chain[0][0] if chain else None

    # -- writes --------------------------------------------------------------------------------------------

    def _multipart(self, data: dict[str, Any], files: Sequence[UploadFile]) -> list[tuple[str, Any]]:
        parts: list[tuple[str, Any]] = [
            ("data", (None, json.dumps(data, ensure_ascii=False).encode("utf-8")))
        ]
        for upload in files:
            parts.append(("file", (upload.name, upload.read(), upload.mime_type)))
        return parts

    def insert(self, new: NewObject) -> int:
        otype = codec.resolve_type(self.objdef, new.type_name)
        data = {
            "objectTypeId": str(otype.type_id),
            "fields": codec.field_values(otype, new.fields, new.tables, self.tz),
        }
        parts: list[str | int] = ["documents", "insert"]
        if new.parent_id is not None:
            parts.append(new.parent_id)
        response = self.transport.request(
            "POST",
            self.transport.url(*parts),
            operation="osrest.insert",
            params={"objecttypeid": str(otype.type_id)},
            files=self._multipart(data, new.files),
        )
        return codec.parse_new_id(response.content)

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
        # only type and modification time are needed: a stored value that does not convert must not block
        current = self._read(object_id, _ignore_skipped)
        if expected_modified is not None and current.modified != expected_modified.replace(microsecond=0):
            # osrest has no concurrency token (enaio-rest.md §6.4): compare right before writing
            raise ConflictError(
                f"object {object_id} changed since it was read (modified {current.modified.isoformat()})",
                operation="osrest.update",
            )
        otype = self.objdef.type_by_id(current.type_id)
        data = {
            "osid": str(object_id),
            "objectTypeId": str(otype.type_id),
            "fields": codec.field_values(otype, fields, tables, self.tz),
        }
        params = {"objecttypeid": str(otype.type_id), "replacefiles": "true" if replace_files else "false"}
        if expected_modified is not None:
            # emulator extension: the server re-checks atomically (the GET above leaves a race window)
            params["expectedmodified"] = codec.wire_datetime(
                expected_modified.replace(microsecond=0), self.tz
            )
        self.transport.request(
            "POST",
            self.transport.url("documents", "update", object_id),
            operation="osrest.update",
            params=params,
            files=self._multipart(data, files),
        )

    def delete(self, object_id: int, *, hard: bool = False, cascade: bool = False) -> None:
        params = {"recursive": "true" if cascade else "false"}
        if hard:
            params["hard"] = "true"
        # never retried: a committed delete whose answer got lost would come back as NotFoundError
        response = self.transport.request(
            "DELETE",
            self.transport.url("documentfiles", "delete", object_id),
            operation="osrest.delete",
            idempotent=False,
            params=params,
        )
        if response.text.strip().strip('"').lower() not in ("true", ""):
            raise ResponseFormatError("delete did not answer true", operation="osrest.delete")

    def restore(self, object_id: int) -> None:
        """Take an object back out of the recycle bin (emulator endpoint ``documents/restore/{id}``)."""
        self.transport.request(
            "POST", self.transport.url("documents", "restore", object_id), operation="osrest.restore"
        )

    def files(self, object_id: int) -> tuple[FileInfo, ...]:
        response = self._get("documentfiles", object_id, operation="osrest.files")
        listing = codec.parse_file_list(response.content)
        if listing.file_infos:
            return tuple(
                FileInfo(index=f.index, name=f.name, mime_type=f.mime_type, size=f.size)
                for f in sorted(listing.file_infos, key=lambda f: f.index)
            )
        return tuple(
            FileInfo(index=n, name=name, mime_type="application/octet-stream", size=0)
            for n, name in enumerate(listing.files, start=1)
        )

    def download(self, object_id: int, index: int, destination: Path) -> FileInfo:
        """File ``index`` (1-based) streamed to ``destination`` through the one download helper: a body
        that breaks off is retried as a whole; the destination only ever holds a complete file."""
        info = next((f for f in self.files(object_id) if f.index == index), None)
        if info is None:
            raise NotFoundError(f"object {object_id} has no file {index}", operation="osrest.download")
        url = self.transport.url("documentfiles", object_id, index)

        def open_response() -> requests.Response:
            return self.transport.request("GET", url, operation="osrest.download", stream=True)

        got = stream_download(
            open_response, destination, operation="osrest.download", retry=self.settings.retry, url=url
        )
        return info.model_copy(update={"size": got.size}) if info.size != got.size else info

    def checkout(self, object_id: int) -> None:
        self.transport.request(
            "POST", self.transport.url("documentfiles", "checkout", object_id), operation="osrest.checkout"
        )

    def undo_checkout(self, object_id: int) -> None:
        self.transport.request(
            "POST",
            self.transport.url("documentfiles", "checkout", "undo", object_id),
            operation="osrest.undo_checkout",
        )

    def history(self, object_id: int) -> list[HistoryEntry]:
        response = self._get("documents", "history", object_id, operation="osrest.history")
        entries = []
        for item in codec.parse_history(response.content):
            if item.time is None:
                raise ResponseFormatError("history entry without time", operation="osrest.history")
            entries.append(
                HistoryEntry(
                    action=item.action,
                    user=item.user,
                    time=parse_wire_datetime(item.time, self.tz),
                    description=item.description,
                )
            )
        return entries
