"""The server jobs the emulator's ``execute`` tunnel runs, over the shared store.

Each job gets the authenticated user and the parsed request and returns a :class:`JobAnswer`; store errors
become enaio return codes with an error list (see docs/emulator-choices.md for the codes the public record
does not fix).
"""

from __future__ import annotations

import dataclasses
import logging
import mimetypes
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from lxml import etree

from connector import xmlsafe
from connector.enaio.emulator.soap.envelope import ExecuteRequest, JobAnswer, Output, Param
from connector.enaio.emulator.soap.formats import (
    DataObject,
    XmlJobError,
    parse_data,
    parse_query,
    render_history,
    render_hol,
    render_lol,
    system_available,
)
from connector.enaio.emulator.state import EmulatorState
from connector.enaio.emulator.store import (
    Conflict,
    Locked,
    NewFile,
    NotEmpty,
    NotFound,
    NotLocked,
    StoreError,
    UnknownField,
    UnknownType,
)
from connector.enaio.model import EnaioObject, ObjectKind
from connector.enaio.objdef import ObjdefLookupError, ObjectType
from connector.enaio.query import Deleted, Query

log = logging.getLogger(__name__)

# Return codes. Documented: -1030, -1031, -1016, -1029, -1037, -1038, -1041, -1069. The rest are the
# emulator's choice (docs/emulator-choices.md).
RC_XML_PARSE = -1016
RC_INVALID_VALUE = -1024
RC_MISSING_PARAMETER = -1025
RC_XML_INVALID = -1029
RC_UNKNOWN_TYPE = -1030
RC_UNKNOWN_FIELD = -1031
RC_NOT_FOUND = -1014
RC_CHECKED_IN = -1037
RC_CHECKED_OUT = -1038
RC_NO_PAGES = -1041
RC_CONFLICT = -1050
RC_NOT_EMPTY = -1051
RC_UNKNOWN_JOB = -1043332470

DEFAULT_SYSTEM_FIELDS = (
    "OBJECT_ID",
    "SDSTA_ID",
    "SDREG_ID",
    "REG_STAID",
    "REG_PARID",
    "OBJECT_CRID",
    "OBJECT_CRDATE",
    "OBJECT_MODIFYUSER",
    "OBJECT_MODIFYTIME",
    "OBJECT_USERGUID",
    "OBJECT_LOCKUSER",
    "OBJECT_DELETED",
)

FLAG_UTF8 = 4096

DOCUMENTED_PAGE_CAP = 100
"""The documented personality answers at most this many rows per ``dms.GetResultList`` call, whatever
``PageSize`` asks for (``-1`` included); ``TotalHits`` stays the whole count. The record gives no limit."""


class JobFailure(Exception):
    def __init__(self, code: int, message: str, *, field: str | None = None, info: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.info = info


# ------------------------------------------------------------------------------------------- parameters


def _param(request: ExecuteRequest, name: str) -> Param | None:
    return request.params.get(name.lower())


def int_param(request: ExecuteRequest, name: str, default: int | None = None) -> int:
    p = _param(request, name)
    if p is None or p.value is None or p.value == "":
        if default is None:
            raise JobFailure(RC_MISSING_PARAMETER, f"Missing Request Parameter {name}")
        return default
    try:
        if isinstance(p.value, bytes):
            return int(p.value.decode("ascii"))
        return int(p.value)
    except ValueError as exc:
        raise JobFailure(RC_INVALID_VALUE, f"parameter {name} is not an integer") from exc


def str_param(request: ExecuteRequest, name: str, default: str = "") -> str:
    p = _param(request, name)
    if p is None or p.value is None:
        return default
    if isinstance(p.value, bytes):
        return p.value.decode("utf-8")
    return str(p.value)


def xml_param(request: ExecuteRequest, name: str = "XML", *, required: bool = True) -> bytes | None:
    """A BASE64 XML parameter; ``Base64AsStringParameter`` (XML as text) is accepted too."""
    p = _param(request, name)
    if p is None or p.value in (None, b"", ""):
        if required:
            raise JobFailure(RC_MISSING_PARAMETER, f"Missing Request Parameter {name}")
        return None
    if isinstance(p.value, bytes):
        return p.value
    return str(p.value).encode("utf-8")


def options(request: ExecuteRequest) -> dict[str, bool]:
    out = {}
    for part in str_param(request, "Options").split(";"):
        key, _, value = part.partition("=")
        if key.strip():
            out[key.strip().upper()] = value.strip() in ("1", "true", "TRUE")
    return out


def _encoding(state: EmulatorState, request: ExecuteRequest, flags: int = 0) -> str:
    """DMSContent's encoding: UTF-16 unless asked for UTF-8 (``Encoding`` or flag 4096); the documented
    personality answers UTF-16 whatever the client asks (the record names UTF-16 as the default and does not
    say that every job honours the switch)."""
    if state.documented:
        return "UTF-16"
    if flags & FLAG_UTF8:
        return "UTF-8"
    value = str_param(request, "Encoding", "UTF-16").upper().replace("_", "-")
    return "UTF-8" if value in ("UTF-8", "UTF8") else "UTF-16"


# ------------------------------------------------------------------------------------------------- jobs

Job = Callable[[EmulatorState, str, ExecuteRequest], JobAnswer]


def get_server_info(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    return JobAnswer(
        outputs=[
            Output("Version", "STRING", state.server_version),
            Output("ServerName", "STRING", "enaio-emulator"),
            Output("UserName", "STRING", user),
        ]
    )


def empty_job(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    return JobAnswer()


def get_objdef(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    flags = int_param(request, "Flags", 0)
    data = state.objdef.source_bytes
    if not flags & FLAG_UTF8:
        data = etree.tostring(xmlsafe.parse_bytes(data), xml_declaration=True, encoding="UTF-16")
    if flags & 1:
        return JobAnswer(outputs=[Output("sRet", "BASE64", data)])
    return JobAnswer(files=[("asobjdef.xml", data)])


def get_object_type_by_id(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    obj = state.store.get(int_param(request, "ObjectID"), include_deleted=True)
    return JobAnswer(outputs=[Output("ObjectType", "INT", obj.type_id)])


def get_result_list(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    flags = int_param(request, "Flags", 0)
    xml = xml_param(request) or b""
    offset = max(int_param(request, "Offset", 0), 0)
    page_size = int_param(request, "PageSize", -1)
    max_hits = int_param(request, "MaxHits", -1)
    deleted = int_param(request, "GarbageMode", 0) == 1
    pq = parse_query(xml, state.objdef, state.tz, deleted=deleted, documented=state.documented)
    query = pq.query
    if max_hits > 0:
        query = dataclasses.replace(query, max_hits=max_hits)
    limit = None if page_size < 0 else page_size
    if state.documented:
        limit = DOCUMENTED_PAGE_CAP if limit is None else min(limit, DOCUMENTED_PAGE_CAP)
    page = state.store.search(query, offset=offset, limit=limit)
    request_type = (pq.attributes.get("requesttype") or str_param(request, "RequestType", "LOL")).upper()
    encoding = _encoding(state, request)
    fileinfo = pq.fileinfo or int_param(request, "FileInfo", 0) == 1
    if request_type == "HOL":
        listed = [name for name, is_system in pq.listed if is_system]
        _check_system(listed, pq.otype.kind, documented=state.documented)
        content = render_hol(
            state.objdef,
            [(pq.otype, page.objects)],
            user,
            state.tz,
            system_names=listed or list(DEFAULT_SYSTEM_FIELDS),
            fileinfo=fileinfo,
            baseparams=pq.baseparams,
            encoding=encoding,
            documented=state.documented,
        )
    else:
        pq.fileinfo = fileinfo
        content = render_lol(
            state.objdef, pq, page.objects, user, state.tz, encoding=encoding, documented=state.documented
        )
    total = page.total if max_hits != 0 else -1
    answer = JobAnswer(outputs=[Output("Count", "INT", len(page.objects)), Output("TotalHits", "INT", total)])
    if flags & 16:
        answer.files.append(("result.xml", content))
    else:
        answer.outputs.append(Output("XML", "BASE64", content))
    return answer


def _check_system(names: list[str], kind: ObjectKind, *, documented: bool) -> None:
    for name in names:
        if not system_available(name, kind, documented=documented):
            raise JobFailure(RC_UNKNOWN_FIELD, f"The DMS field >{name}< could not be found", field=name)


def get_object_details(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    obj = state.store.get(int_param(request, "ObjectID"))
    otype = state.objdef.type_by_id(obj.type_id)
    content = render_hol(
        state.objdef,
        [(otype, [obj])],
        user,
        state.tz,
        system_names=DEFAULT_SYSTEM_FIELDS,
        encoding=_encoding(state, request, int_param(request, "Flags", 0)),
        documented=state.documented,
    )
    return JobAnswer(outputs=[Output("XML", "BASE64", content), Output("Count", "INT", 1)])


def _parent_of(state: EmulatorState, item: DataObject) -> int | None:
    if item.register_id is not None:
        if item.folder_id is not None:
            register = state.store.get(item.register_id)
            if register.folder_id != item.folder_id:
                raise JobFailure(
                    RC_INVALID_VALUE,
                    f"register {item.register_id} is not in folder {item.folder_id}",
                )
        return item.register_id
    return item.folder_id


def _upload(request: ExecuteRequest) -> list[NewFile]:
    files = []
    for f in request.files:
        mime = f.mime_type or mimetypes.guess_type(f.name)[0] or "application/octet-stream"
        files.append(NewFile(name=f.name, mime_type=mime, data=f.data))
    return files


def xml_insert(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    items = parse_data(xml_param(request) or b"", state.objdef)
    item = items[0]
    opts = options(request)
    object_id = state.store.insert(
        item.otype.internal,
        _parent_of(state, item),
        {k: v for k, v in item.fields.items() if v is not None},
        item.tables,
        _upload(request) or None,
        user=user,
        check_key_fields=opts.get("CHECKKEYFIELDS", False),
    )
    return JobAnswer(
        outputs=[Output("ObjectID", "INT", object_id), Output("ObjectType", "INT", item.otype.type_id)]
    )


def _own_object(state: EmulatorState, item: DataObject) -> EnaioObject:
    if item.object_id is None:
        raise JobFailure(RC_XML_INVALID, "Object@object_id missing")
    obj = state.store.get(item.object_id)
    if obj.type_id != item.otype.type_id:
        raise JobFailure(
            RC_UNKNOWN_TYPE,
            f"object {obj.id} is of type {obj.type_name}, not {item.otype.internal}",
            field=item.otype.internal,
        )
    return obj


def xml_update(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    opts = options(request)
    for item in parse_data(xml_param(request) or b"", state.objdef):
        obj = _own_object(state, item)
        tables: dict[str, list[Mapping[str, object]]] = {}
        for name, rows in item.tables.items():
            if opts.get("REPLACETABLEFIELDS", False):
                tables[name] = list(rows)
            else:  # enaio appends rows unless told to replace
                tables[name] = [*obj.tables.get(name, []), *rows]
        expected = None
        if item.concurrency_timestamp is not None:
            expected = datetime.fromtimestamp(item.concurrency_timestamp, UTC).astimezone(state.tz)
        state.store.update(
            obj.id,
            item.fields,
            tables,
            _upload(request) or None,
            opts.get("REPLACEFILES", False),
            user=user,
            expected_modified=expected,
            check_key_fields=opts.get("CHECKKEYFIELDS", False),
        )
    return JobAnswer()


def xml_delete(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    opts = options(request)
    hard = opts.get("HARDDELETE", False)
    for item in parse_data(xml_param(request) or b"", state.objdef):
        if item.object_id is None:
            raise JobFailure(RC_XML_INVALID, "Object@object_id missing")
        obj = state.store.get(item.object_id, include_deleted=hard)
        if obj.type_id != item.otype.type_id:
            raise JobFailure(RC_UNKNOWN_TYPE, f"object {obj.id} is of type {obj.type_name}")
        state.store.delete(obj.id, hard=hard, cascade=opts.get("DELETECASCADING", False), user=user)
    return JobAnswer()


def xml_move(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    for item in parse_data(xml_param(request) or b"", state.objdef):
        obj = _own_object(state, item)
        target = _parent_of(state, item)
        if target is None:
            raise JobFailure(RC_XML_INVALID, "XMLMove needs the new location (folder_id or register_id)")
        state.store.move(obj.id, target, user=user)
    return JobAnswer()


def check_out(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    object_id = int_param(request, "ObjectID")
    obj = state.store.get(object_id)
    if obj.kind is not ObjectKind.DOCUMENT:
        raise JobFailure(RC_NO_PAGES, f"object {object_id} is not a document and has no pages")
    state.store.checkout(object_id, user=user)
    return JobAnswer(outputs=[Output("Info", "STRING", "")])


def undo_check_out(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    object_id = int_param(request, "ObjectID")
    force = int_param(request, "Flags", 0) & 1 == 1
    state.store.undo_checkout(object_id, user=user, force=force)
    return JobAnswer(outputs=[Output("Info", "STRING", "")])


def get_checked_out(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    entries = [
        f"{c.object.type_id},{c.object.id},{int(c.since.timestamp())},{c.object.id}"
        for c in state.store.checked_out(user)
    ]
    return JobAnswer(outputs=[Output("Info", "STRING", ";".join(entries))])


def get_deleted_objects(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    user_id = int_param(request, "UserID", 0)
    xml = xml_param(request, required=False)
    groups: list[tuple[ObjectType, list[EnaioObject]]] = []
    if xml is not None:
        pq = parse_query(xml, state.objdef, state.tz, deleted=True, documented=state.documented)
        listed = [name for name, is_system in pq.listed if is_system]
        _check_system(listed, pq.otype.kind, documented=state.documented)
        queries = [pq.query]
    else:
        queries = [Query(type_name=t.internal, deleted=Deleted.ONLY) for t in state.objdef.types]
    total = 0
    for query in queries:
        objects = [o for o in state.store.search(query).objects if user_id == -1 or o.modifier == user]
        if objects:
            groups.append((state.objdef.type_by_name(query.type_name), objects))
            total += len(objects)
    content = render_hol(
        state.objdef,
        groups,
        user,
        state.tz,
        system_names=DEFAULT_SYSTEM_FIELDS,
        encoding=_encoding(state, request),
        documented=state.documented,
    )
    return JobAnswer(
        outputs=[
            Output("Count", "INT", total),
            Output("TotalHits", "INT", total),
            Output("XML", "BASE64", content),
        ]
    )


def get_object_history(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    flags = int_param(request, "Flags", 0)
    entries = state.store.history(int_param(request, "ObjectID"))
    data = render_history(entries, state.tz, utf8=bool(flags & FLAG_UTF8))
    return JobAnswer(outputs=[Output("History", "BASE64", data)])


def _files_of(state: EmulatorState, object_id: int) -> list[tuple[str, bytes]]:
    obj = state.store.get(object_id)
    if obj.kind is not ObjectKind.DOCUMENT:
        raise JobFailure(RC_NO_PAGES, f"object {object_id} is not a document and has no files")
    out = []
    for f in obj.files:
        info, data = state.store.file_content(object_id, f.index)
        out.append((info.name, data))
    return out


def store_in_cache(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    object_id = int_param(request, "dwObjectID")
    if int_param(request, "DocState", 1) == 0:
        state.store.checkout(object_id, user=user)
    files = _files_of(state, object_id)
    return JobAnswer(outputs=[Output("FileCount", "INT", len(files))], files=files)


def store_in_cache_by_id(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    object_id = int_param(request, "dwObjectID")
    if int_param(request, "Convert", 0) != 0:
        raise JobFailure(RC_INVALID_VALUE, "the emulator does not convert documents (Convert=0 only)")
    files = _files_of(state, object_id)
    return JobAnswer(outputs=[Output("FileCount", "INT", len(files))], files=files)


JOBS: dict[str, Job] = {
    "krn.getserverinfo": get_server_info,
    "krn.emptyjob": empty_job,
    "dms.getobjdef": get_objdef,
    "dms.getobjecttypebyid": get_object_type_by_id,
    "dms.getresultlist": get_result_list,
    "dms.getobjectdetails": get_object_details,
    "dms.xmlinsert": xml_insert,
    "dms.xmlupdate": xml_update,
    "dms.xmldelete": xml_delete,
    "dms.xmlmove": xml_move,
    "dms.checkoutdocument": check_out,
    "dms.undocheckoutdocument": undo_check_out,
    "dms.getcheckedoutdocuments": get_checked_out,
    "dms.getdeletedobjects": get_deleted_objects,
    "dms.getobjecthistory": get_object_history,
    "std.storeincache": store_in_cache,
    "std.storeincachebyid": store_in_cache_by_id,
}


def run_job(state: EmulatorState, user: str, request: ExecuteRequest) -> JobAnswer:
    """Dispatch on the job name (namespace prefix case-insensitive) and turn failures into return codes."""
    prefix, _, rest = request.job.partition(".")
    job = JOBS.get(f"{prefix.lower()}.{rest.lower()}")
    documented = state.documented
    if job is None:
        message = f"job {request.job} is not known to the server"
        return _failed(request.job, RC_UNKNOWN_JOB, message, documented=documented)
    try:
        return job(state, user, request)
    except JobFailure as exc:
        return _failed(
            request.job, exc.code, exc.message, field=exc.field, info=exc.info, documented=documented
        )
    except XmlJobError as exc:
        return _failed(request.job, exc.code, exc.message, field=exc.field, documented=documented)
    except StoreError as exc:
        code, info = _store_code(exc)
        field = getattr(exc, "field", None)
        return _failed(request.job, code, exc.message, field=field, info=info, documented=documented)
    except ObjdefLookupError as exc:
        code = RC_UNKNOWN_FIELD if "field" in exc.kind else RC_UNKNOWN_TYPE
        return _failed(request.job, code, exc.message, field=str(exc.name), documented=documented)


def _store_code(exc: StoreError) -> tuple[int, str | None]:
    if isinstance(exc, Locked):
        return RC_CHECKED_OUT, exc.holder
    if isinstance(exc, NotLocked):
        return RC_CHECKED_IN, None
    if isinstance(exc, NotFound):
        return RC_NOT_FOUND, None
    if isinstance(exc, NotEmpty):
        return RC_NOT_EMPTY, None
    if isinstance(exc, Conflict):
        return RC_CONFLICT, None
    if isinstance(exc, UnknownType):
        return RC_UNKNOWN_TYPE, None
    if isinstance(exc, UnknownField):
        return RC_UNKNOWN_FIELD, None
    return RC_INVALID_VALUE, None


def _failed(
    job: str,
    code: int,
    message: str,
    *,
    field: str | None = None,
    info: str | None = None,
    documented: bool = False,
) -> JobAnswer:
    """A refused job. Default: the error list as ``outParameter/property`` entries ``error.N.*``. Documented
    personality: no properties; the text goes as the job's output parameters ``errorCode`` (INT) and
    ``errorMessage`` (STRING), named like the WSDL ``Fault`` type's elements, with the field only inside the
    text as enaio words it (``>NAME<``)."""
    if documented:
        text = message
        if field and f">{field}<" not in text:
            text = f"{text} (field >{field}<)"
        answer = JobAnswer(
            return_code=code,
            outputs=[Output("errorCode", "INT", code), Output("errorMessage", "STRING", text)],
        )
    else:
        error = {"code": str(code), "message": message, "source": job}
        if field:
            error["field"] = field
        answer = JobAnswer(return_code=code, errors=[error])
    if info is not None:
        answer.outputs.append(Output("Info", "STRING", info))
    return answer
