"""``SoapClient``: the osws ``EcmWsMtom`` job interface as an :class:`InterfaceClient`.

Reads use ``dms.GetResultList`` (LOL, paged with ``Offset``/``PageSize``; one object by its ``OBJECT_ID``);
writes go through the DMSData jobs; files come from ``std.StoreInCacheByID`` and go up as MTOM parts.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from connector.config import Settings
from connector.enaio.interface import (
    HistoryEntry,
    NewObject,
    OnSkipped,
    ServerInfo,
    SkippedField,
    UploadFile,
)
from connector.enaio.model import EnaioObject, FieldValue, FileInfo
from connector.enaio.objdef import ObjdefLookupError, ObjectDefinition, ObjectType, load_objdef
from connector.enaio.query import Condition, Deleted, Op, Query, System
from connector.enaio.soap import codec
from connector.enaio.soap.convert import to_history, to_objects
from connector.enaio.soap.transport import JobParamValue, SoapTransport, UploadPart
from connector.enaio.soap.wire import CheckedOut, JobResult, RawObject
from connector.errors import NotFoundError, ResponseFormatError, ValidationError
from connector.prefetch import prefetched
from connector.timeutil import zone

log = logging.getLogger(__name__)

FLAG_UTF8 = 4096
MAX_PAGES = 1_000_000
"""Loop guard: no search pages forever, whatever the server answers."""

T = TypeVar("T")


def _ignore_skipped(skipped: SkippedField) -> None:
    """For reads that need only system data or files: a field left out does not matter."""


def _count(result: JobResult, name: str, default: int) -> int:
    """A paging number of the answer; one that is not a number is a bad answer, not a ``ValueError``."""
    try:
        return result.integer(name, default)
    except ValueError as exc:
        raise ResponseFormatError(f"{name} is not a number", operation=result.name) from exc


def _named(call: Callable[[], T]) -> T:
    """Names the client rejects before sending become ``ValidationError`` naming the name."""
    try:
        return call()
    except ObjdefLookupError as exc:
        raise ValidationError(exc.message, field=str(exc.name)) from exc


class SoapClient:
    interface = "soap"

    def __init__(self, settings: Settings, *, wsdl: str | Path | None = None) -> None:
        self.settings = settings
        self.tz = zone(settings.timezone)
        self.transport = SoapTransport(settings, wsdl=wsdl)
        self._objdef: ObjectDefinition | None = None
        self._refused: dict[str, frozenset[str]] = {}
        """System columns this server refused, per object type: learned once per run, never asked again.
        Replaced, never changed in place: a search's prefetch worker learns while the caller may read."""

    def close(self) -> None:
        self.transport.close()

    def _execute(
        self,
        name: str,
        params: Mapping[str, JobParamValue] | None = None,
        *,
        files: Sequence[UploadFile] = (),
        idempotent: bool = False,
    ) -> JobResult:
        parts: list[UploadPart] = []
        for f in files:
            if "\r" in f.mime_type or "\n" in f.mime_type:
                raise ValidationError("a file's MIME type contains a line break", field="mime_type")
            parts.append((f.name, f.mime_type, f.read()))
        return self.transport.execute(name, params, files=parts, idempotent=idempotent)

    # ------------------------------------------------------------------------------------------ reading

    def server_info(self) -> ServerInfo:
        result = self._execute("krn.GetServerInfo", {"Flags": 0}, idempotent=True)
        return ServerInfo(
            interface=self.interface,
            endpoint=self.transport.address,
            server_version=result.text("Version"),
            user=result.text("UserName") or self.settings.username,
        )

    def object_definition(self) -> ObjectDefinition:
        result = self._execute("dms.GetObjDef", {"Flags": 1 + FLAG_UTF8}, idempotent=True)
        self._objdef = load_objdef(result.binary("sRet"))
        return self._objdef

    def use_object_definition(self, objdef: ObjectDefinition) -> None:
        """The definition from ``objdef_file`` (set by ``EnaioClient``); jobs then never fetch one."""
        self._objdef = objdef

    @property
    def objdef(self) -> ObjectDefinition:
        if self._objdef is None:
            return self.object_definition()
        return self._objdef

    def object_type(self, object_id: int) -> ObjectType:
        result = self._execute("dms.GetObjectTypeByID", {"Flags": 0, "ObjectID": object_id}, idempotent=True)
        return _named(lambda: self.objdef.type_by_id(result.integer("ObjectType")))

    def search(self, query: Query, *, on_skipped: OnSkipped | None = None) -> Iterator[EnaioObject]:
        xml = self._query_xml(query)  # unknown names fail here, before the first page
        return self._pages(query, xml, on_skipped)

    def _query_xml(self, query: Query) -> bytes:
        objdef = self.objdef
        refused = self._refused.get(query.type_name, frozenset())
        return _named(lambda: codec.build_query(query, objdef, self.tz, refused=refused))

    def _learn_refusal(self, exc: ValidationError, query: Query) -> bool:
        """A server that refuses an optional system column (a field or XML error naming it, ``-1031`` as a
        rule) is asked again without it, for the rest of the run: the owner, lock or recycle-bin state it
        carried becomes unknown, a location column gives way to the record's generic helper. ``False``: not
        such a refusal (each column is learned once, so this cannot loop)."""
        column = (exc.field or "").upper()
        if not column or not codec.optional_column(column):
            return False
        otype = _named(lambda: self.objdef.type_by_name(query.type_name))
        refused = self._refused.get(otype.internal, frozenset())
        if column in refused or column not in codec.system_columns(otype.kind, refused):
            return False
        self._refused[otype.internal] = refused | {column}
        log.info("the server refuses system column %s for %s; reading without it", column, otype.internal)
        return True

    def _pages(self, query: Query, xml: bytes, on_skipped: OnSkipped | None) -> Iterator[EnaioObject]:
        """The search's objects: its pages are requested and decoded by ``_raw_pages`` (on a prefetch
        worker when there can be more than one page, so the server prepares the next page while this one
        is converted) and converted here, in the caller's thread."""
        produce = functools.partial(self._raw_pages, query, xml)
        single = query.max_hits is not None and query.max_hits <= max(1, query.page_size)
        pages = produce() if single else prefetched(produce, name="enaio-soap-search")
        in_recycle_bin = query.deleted is Deleted.ONLY
        try:
            for page in pages:
                yield from to_objects(page, self.objdef, self.tz, on_skipped, in_recycle_bin=in_recycle_bin)
        finally:
            close = getattr(pages, "close", None)  # stops the worker at once when the caller leaves early
            if close is not None:
                close()

    def _raw_pages(self, query: Query, xml: bytes) -> Iterator[list[RawObject]]:
        """``Offset``/``PageSize`` paging; each step depends only on the raw page before it. The server may
        answer fewer rows than ``PageSize`` asked for (a cap), so ``TotalHits`` decides the end when the
        server sends it; only without it does a short page end the search. An empty page always ends it; a
        page starting with the previous page's first object is an error (the server does not advance
        ``Offset``), and so is a page whose rows differ from its ``Count`` (raised before any of its objects
        is handed out). A refused optional system column is dropped and the page asked again
        (``_learn_refusal``)."""
        page_size = max(1, query.page_size)
        limit = query.max_hits
        offset = 0
        previous_first: int | None = None
        for _ in range(MAX_PAGES):
            size = page_size if limit is None else min(page_size, limit - offset)
            if size <= 0:
                return
            params: dict[str, JobParamValue] = {
                "Flags": 0,
                "XML": xml,
                "Encoding": "UTF-8",
                "Offset": offset,
                "PageSize": size,
                "MaxHits": -1 if limit is None else limit,
            }
            if query.deleted is Deleted.ONLY:
                params["GarbageMode"] = 1
            try:
                result = self._execute("dms.GetResultList", params, idempotent=True)
            except ValidationError as exc:
                if not self._learn_refusal(exc, query):
                    raise
                xml = self._query_xml(query)
                continue
            count = _count(result, "Count", 0)
            total = _count(result, "TotalHits", -1)
            page = codec.decode_page(result.binary("XML"))
            if page:
                if page[0].id == previous_first:
                    raise ResponseFormatError(
                        f"pagination does not advance (offset {offset} repeats object {page[0].id})",
                        operation="dms.GetResultList",
                    )
                previous_first = page[0].id
            seen = len(page)
            if seen != count:
                raise ResponseFormatError(
                    f"Count says {count} rows, DMSContent has {seen}", operation="dms.GetResultList"
                )
            if page:
                yield page
            offset += seen
            if seen == 0 or (offset >= total if total >= 0 else seen < size):
                return
        raise ResponseFormatError(f"more than {MAX_PAGES} pages; giving up", operation="dms.GetResultList")

    def get(self, object_id: int) -> EnaioObject:
        """One object; a value that does not fit its field is a ``ValidationError`` naming the field."""
        return self._by_id(object_id, None)

    def _by_id(self, object_id: int, on_skipped: OnSkipped | None) -> EnaioObject:
        """One object through documented jobs only: ``dms.GetObjectTypeByID``, then ``dms.GetResultList``
        with an ``OBJECT_ID`` condition (the parameters of ``dms.GetObjectDetails`` are not public). The same
        path as a search, so a detail read equals the search hit."""
        otype = self.object_type(object_id)
        query = Query(
            otype.internal,
            where=Condition(System.OBJECT_ID, Op.EQ, (object_id,), system=True),
            page_size=1,
            max_hits=1,
        )
        for obj in self._pages(query, self._query_xml(query), on_skipped):
            if obj.id == object_id:
                return obj
        raise NotFoundError(f"object {object_id} not found", operation="dms.GetResultList")

    def deleted_objects(self, type_name: str | None = None, *, everyone: bool = True) -> list[EnaioObject]:
        """The recycle bin (``dms.GetDeletedObjects``): the whole system's, or what this user deleted."""
        params: dict[str, JobParamValue] = {"Flags": 0, "UserID": -1 if everyone else 0, "Encoding": "UTF-8"}
        query = Query(type_name) if type_name is not None else None
        for _ in range(len(codec.SYSTEM_COLUMNS) + 1):  # each round learns one refused column at most
            if query is not None:
                params["XML"] = self._query_xml(query)
            try:
                result = self._execute("dms.GetDeletedObjects", params, idempotent=True)
                break
            except ValidationError as exc:
                if query is None or not self._learn_refusal(exc, query):
                    raise
        else:
            raise ResponseFormatError(
                "the server refuses every system column", operation="dms.GetDeletedObjects"
            )
        reader = codec.read_content(result.binary("XML"), operation="dms.GetDeletedObjects")
        return list(
            to_objects(reader, self.objdef, self.tz, operation="dms.GetDeletedObjects", in_recycle_bin=True)
        )

    def history(self, object_id: int) -> list[HistoryEntry]:
        result = self._execute("dms.GetObjectHistory", {"Flags": 0, "ObjectID": object_id}, idempotent=True)
        entries = [to_history(e, self.tz) for e in codec.read_history(result.binary("History"))]
        entries.reverse()  # the server sends newest first; callers get them in order
        return entries

    def checked_out(self) -> list[CheckedOut]:
        result = self._execute("dms.GetCheckedOutDocuments", {"Flags": 0}, idempotent=True)
        return codec.read_checked_out(result.text("Info"))

    def download(self, object_id: int, index: int, destination: Path) -> FileInfo:
        """File ``index`` (1-based) to ``destination``: the job answers with the whole file (MTOM), written to
        ``<destination>.part`` and renamed over ``destination``, so no reader ever sees half a file. The file
        comes from ``std.StoreInCacheByID`` alone; the search's file list (its ``Files`` element is the
        emulator's) only adds the MIME type: without it, name and size come from the file itself."""
        result = self._execute(
            "std.StoreInCacheByID", {"Flags": 1, "dwObjectID": object_id, "Convert": 0}, idempotent=True
        )
        if not 1 <= index <= len(result.files):
            raise NotFoundError(f"object {object_id} has no file {index}", operation="std.StoreInCacheByID")
        returned = result.files[index - 1]
        listed = next((f for f in self._files(object_id) if f.index == index), None)
        info = FileInfo(
            index=index,
            name=listed.name if listed is not None else returned.name,
            mime_type=listed.mime_type
            if listed is not None
            else mimetypes.guess_type(returned.name)[0] or "application/octet-stream",
            size=len(returned.content),
        )
        partial = destination.with_name(destination.name + ".part")
        try:
            partial.write_bytes(returned.content)
            os.replace(partial, destination)
        finally:
            partial.unlink(missing_ok=True)
        return info

    def _files(self, object_id: int) -> tuple[FileInfo, ...]:
        """The file list of an object; its index values do not matter here."""
        return self._by_id(object_id, _ignore_skipped).files

    # ------------------------------------------------------------------------------------------ writing

    def insert(self, new: NewObject) -> int:
        objdef = self.objdef
        otype = _named(lambda: objdef.type_by_name(new.type_name))
        parent_type = self.object_type(new.parent_id) if new.parent_id is not None else None
        xml = _named(
            lambda: codec.build_insert(
                objdef,
                otype,
                parent_id=new.parent_id,
                parent_type=parent_type,
                fields=new.fields,
                tables=new.tables,
                tz=self.tz,
            )
        )
        result = self._execute(
            "dms.XMLInsert",
            {"Flags": 0, "Options": codec.options(checkkeyfields=True), "XML": xml, "JobUserGUID": ""},
            files=new.files,
        )
        object_id = result.integer("ObjectID", -1)
        if object_id <= 0:
            raise ResponseFormatError("dms.XMLInsert returned no ObjectID", operation="dms.XMLInsert")
        log.info("inserted %s %d", otype.internal, object_id)
        return object_id

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
        otype = self.object_type(object_id)
        stamp = None
        if expected_modified is not None:
            if expected_modified.tzinfo is None:
                raise ValidationError("expected_modified must be aware", field="expected_modified")
            stamp = int(expected_modified.timestamp())
        xml = _named(
            lambda: codec.build_update(
                self.objdef,
                otype,
                object_id,
                fields=fields,
                tables=tables,
                concurrency_timestamp=stamp,
                tz=self.tz,
            )
        )
        opts = codec.options(replacetablefields=True, replacefiles=replace_files, checkkeyfields=True)
        self._execute(
            "dms.XMLUpdate", {"Flags": 0, "Options": opts, "XML": xml, "JobUserGUID": ""}, files=files
        )

    def delete(self, object_id: int, *, hard: bool = False, cascade: bool = False) -> None:
        otype = self.object_type(object_id)
        xml = codec.build_object_ref(self.objdef, otype, object_id)
        opts = codec.options(harddelete=hard, deletecascading=cascade)
        self._execute("dms.XMLDelete", {"Flags": 0, "Options": opts, "XML": xml, "JobUserGUID": ""})

    def move(self, object_id: int, new_parent_id: int) -> None:
        otype = self.object_type(object_id)
        parent_type = self.object_type(new_parent_id)
        xml = codec.build_object_ref(
            self.objdef, otype, object_id, parent_id=new_parent_id, parent_type=parent_type
        )
        self._execute("dms.XMLMove", {"Flags": 0, "Options": "", "XML": xml, "JobUserGUID": ""})

    def checkout(self, object_id: int) -> None:
        otype = self.object_type(object_id)
        self._execute(
            "dms.CheckOutDocument", {"Flags": 0, "ObjectType": otype.type_id, "ObjectID": object_id}
        )

    def undo_checkout(self, object_id: int) -> None:
        otype = self.object_type(object_id)
        self._execute(
            "dms.UndoCheckOutDocument", {"Flags": 0, "ObjectID": object_id, "ObjectType": otype.type_id}
        )
