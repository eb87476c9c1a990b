"""The osrest (enaio appconnector, ``/osrest/api``) surface of the emulator over the shared store.

Shapes follow docs enaio-rest.md §2-§9; every decision the public record leaves open is listed in
docs/emulator-choices.md under "osrest".
"""

from __future__ import annotations

import base64
import json
import time
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from flask import Blueprint, Response, g, request
from werkzeug.datastructures import FileStorage

from connector import timeutil
from connector.enaio.emulator.osrest.render import DateStyle, format_moment, render_object
from connector.enaio.emulator.osrest.search import EmptySortField, parse_search, resolve_type
from connector.enaio.emulator.state import EmulatorState
from connector.enaio.emulator.store import (
    Conflict,
    Locked,
    NewFile,
    NotEmpty,
    NotFound,
    NotLocked,
    StoreError,
)
from connector.enaio.model import EnaioObject, ObjectKind
from connector.enaio.objdef import ObjdefLookupError, ObjectDefinition, ObjectType
from connector.enaio.query import Deleted, Query
from connector.errors import ValidationError

API_VERSION = "1.5.89"
SESSION_COOKIE = "JSESSIONID"

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    423: "Locked",
    500: "Internal Server Error",
}


def _error(status: int, message: str, error_type: str, code: int) -> Response:
    body = {
        "ErrorType": error_type,
        "ErrorCode": code,
        "DefaultMessage": message,
        "HttpStatusCode": f"{_REASONS.get(status, 'Error')} - [{status}]",
    }
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="enaio"'
    return response


def _store_error(exc: Exception) -> Response:
    if isinstance(exc, NotFound):
        return _error(404, str(exc.message), "OBJECT_NOT_FOUND", 1001)
    if isinstance(exc, Locked):
        return _error(423, str(exc.message), "OBJECT_LOCKED", 1200)
    if isinstance(exc, NotEmpty):
        return _error(400, str(exc.message), "PARAMETER_ERROR", 1)
    if isinstance(exc, NotLocked | Conflict):
        return _error(409, str(exc.message), "CONFLICT", 1300)
    if isinstance(exc, ValidationError | ObjdefLookupError):
        return _error(400, str(exc.message) if hasattr(exc, "message") else str(exc), "PARAMETER_ERROR", 1)
    return _error(500, str(exc), "INTERNAL_ERROR", 3003)


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, ensure_ascii=False), status=status, mimetype="application/json")


def objdef_mirror(objdef: ObjectDefinition) -> dict[str, Any]:
    """The documented personality's ``objdef/global``: a JSON "mirror" of the asobjdef XML. The public
    record gives no structure, so this is only one plausible shape; no client can be expected to read it."""
    return {
        "cabinets": [
            {
                "internal_name": cabinet,
                "objects": [
                    {
                        "internal_name": t.internal,
                        "name": t.name,
                        "maintype": str(t.maintype),
                        "cotype": str(t.cotype),
                        "fields": [
                            {
                                "internal_name": f.internal,
                                "name": f.name,
                                "fieldname": f.fieldname,
                                "dt": f.dt,
                            }
                            for f in t.fields
                        ],
                    }
                    for t in objdef.types
                    if t.cabinet == cabinet
                ],
            }
            for cabinet in sorted(objdef.cabinets)
        ]
    }


def blueprint(state: EmulatorState) -> Blueprint:
    bp = Blueprint("osrest", __name__, url_prefix="/osrest/api")
    store = state.store
    objdef = state.objdef
    tz = state.tz
    documented = state.documented
    objdef_modified = format_datetime(timeutil.now(tz), usegmt=False)

    # -- authentication ---------------------------------------------------------------------------

    def _basic_user() -> str | None:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return None
        return auth.username if state.check_password(auth.username, auth.password) else None

    @bp.before_request
    def authenticate() -> Response | None:
        g.new_session = None
        cookie = request.cookies.get(SESSION_COOKIE)
        guid = (request.args.get("sessionguid") or "").lstrip("_") or None
        user = state.session_user(cookie) or state.session_user(guid)
        if user is None and guid:
            return _error(401, "session guid unknown or expired", "AUTHENTICATION_ERROR", 401)
        if user is None:
            user = _basic_user()
            if user is None:
                message = "session expired" if cookie else "authentication required"
                return _error(401, message, "AUTHENTICATION_ERROR", 401)
            g.new_session = state.open_session(user)
        g.user = user
        g.session = g.new_session or cookie or guid
        return None

    @bp.after_request
    def set_cookie(response: Response) -> Response:
        new_session = getattr(g, "new_session", None)
        if new_session:
            response.set_cookie(SESSION_COOKIE, new_session, path="/", httponly=True)
        return response

    @bp.errorhandler(StoreError)
    def store_error(exc: StoreError) -> Response:
        return _store_error(exc)

    @bp.errorhandler(ValidationError)
    def validation_error(exc: ValidationError) -> Response:
        return _store_error(exc)

    @bp.errorhandler(ObjdefLookupError)
    def lookup_error(exc: ObjdefLookupError) -> Response:
        return _store_error(exc)

    # -- helpers ------------------------------------------------------------------------------------

    def date_style() -> DateStyle:
        if _flag("timestamps"):
            return "millis"
        if documented:  # dateformat=iso is our extension
            return "local"
        return "iso" if request.args.get("dateformat", "").lower() == "iso" else "local"

    def parent_type(obj: EnaioObject) -> ObjectType | None:
        otype = objdef.type_by_id(obj.type_id)
        if len(otype.parent_type_ids) == 1:
            return objdef.type_by_id(otype.parent_type_ids[0])
        if obj.parent_id is None:
            return None
        try:
            return objdef.type_by_id(store.get(obj.parent_id, include_deleted=True).type_id)
        except NotFound:
            return None

    def render(obj: EnaioObject, **kwargs: Any) -> dict[str, Any]:
        # documented: osid as a number (S1's type) and empty fields left out, the other choices
        kwargs.setdefault("numeric_id", documented)
        return render_object(
            obj,
            objdef,
            tz,
            dates=date_style(),
            parent_type=parent_type,
            omit_empty=documented,
            documented_system=documented,
            **kwargs,
        )

    def parents_of(obj: EnaioObject) -> list[EnaioObject]:
        chain: list[EnaioObject] = []
        current = obj
        while current.parent_id is not None and len(chain) < 64:
            current = store.get(current.parent_id, include_deleted=True)
            chain.append(current)
        return chain

    def object_id_of(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise ValidationError(f"{text!r} is not an object id") from None

    # -- service ------------------------------------------------------------------------------------

    @bp.get("/serviceinfo")
    def serviceinfo() -> Response:
        return _json(
            {
                "apiVersion": API_VERSION,
                "buildRevision": "emulator",
                "serverVersion": state.server_version,
                "serverAddress": request.host,
                "services": {"appconnector": True, "renditioncache": False, "fulltext": False},
                "capabilities": {"version": 1, "capabilities": []},
                "systemRoles": [],
            }
        )

    @bp.get("/serviceinfo/ping")
    def ping() -> Response:
        return _json(int(time.time() * 1000))

    @bp.get("/session")
    def session() -> Response:
        user: str = g.user
        names = sorted(state.users)
        return _json(
            {
                "userid": names.index(user) + 1 if user in names else 0,
                "username": user,
                "osGuid": base64.b16encode(user.encode()).decode()[:32].ljust(32, "0"),
                "wfGuid": "",
                "wfOrg": "",
                "isWorkflowAbsent": True,
                "sessionGuid": "_" + str(g.session),
                "language": "de",
                "languageObjDef": "de",
                "autostar": "2",
                "fullname": user,
                "email": f"{user}@example.invalid",
                "profile": -1,
                "groups": [],
            }
        )

    @bp.get("/session/logout")
    def logout() -> Response:
        return Response(status=204)

    @bp.get("/organization/users")
    def users() -> Response:
        return _json(
            [
                {
                    "id": number,
                    "name": name,
                    "fullname": name,
                    "description": "",
                    "locked": "0",
                    "limited": "0",
                    "valid": True,
                    "groups": [],
                    "email": f"{name}@example.invalid",
                    "guid": base64.b16encode(name.encode()).decode()[:32].ljust(32, "0"),
                }
                for number, name in enumerate(sorted(state.users), start=1)
            ]
        )

    # -- object definition -----------------------------------------------------------------------------

    @bp.get("/objdef/global")
    @bp.get("/objdef/full")
    def objdef_global() -> Response:
        if not documented and request.path.endswith("/full"):
            return _error(404, "not found", "NOT_FOUND", 1001)
        since = request.headers.get("If-Modified-Since")
        if since:
            try:
                if parsedate_to_datetime(since) >= parsedate_to_datetime(objdef_modified):
                    return Response(status=304, headers={"Last-Modified": objdef_modified})
            except (TypeError, ValueError):
                pass
        if documented:
            # the record: JSON whose structure "mirrors the XML" (not given); ours is a plausible guess
            response = _json(objdef_mirror(objdef))
        else:
            response = Response(objdef.source_bytes, mimetype="application/xml")
        response.headers["Last-Modified"] = objdef_modified
        return response

    @bp.get("/objdef/search/<ref>")
    def objdef_type(ref: str) -> Response:
        try:
            otype = objdef.resolve_type(int(ref) if ref.isdigit() else ref)
        except ObjdefLookupError:
            return _error(404, f"unknown object type {ref!r}", "OBJECT_TYPE_NOT_FOUND", 1030)
        return _json(
            {
                "objectTypeId": otype.type_id,
                "internalName": otype.internal,
                "displayName": otype.name,
                "objectType": otype.kind.value,
                "cabinet": otype.cabinet,
                "mainType": otype.maintype,
                "coType": otype.cotype,
                "parentTypeIds": list(otype.parent_type_ids),
                "fields": [
                    {
                        "internalName": f.internal,
                        "displayName": f.name,
                        "dbName": f.fieldname,
                        "type": f.value_type.value,
                        "dt": f.dt,
                        "required": f.required,
                        "readonly": f.readonly,
                        "length": f.input_length,
                        "catalogue": f.catalogue,
                        "columns": [
                            {"internalName": c.internal, "dbName": c.fieldname, "type": c.value_type.value}
                            for c in f.columns
                        ],
                    }
                    for f in otype.fields
                ],
            }
        )

    # -- search and read ------------------------------------------------------------------------------

    @bp.post("/documents/search", strict_slashes=False)
    def search() -> Response:
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            return _error(400, "search body is not JSON", "PARAMETER_ERROR", 1)
        try:
            parsed = parse_search(body, request.args, objdef, tz, documented=documented)
        except EmptySortField:
            trace = (
                "Search by example failed\n"
                "java.lang.IllegalArgumentException: internalName must not be null\n"
                "\tat com.os.ecm.appconnector.search.FieldSchemaItem.assertNotNull(FieldSchemaItem.java:88)\n"
                "\tat com.os.ecm.appconnector.search.SearchService.search(SearchService.java:412)\n"
            )
            return Response(trace, status=500, mimetype="text/plain")
        page = store.search(parsed.query, offset=parsed.offset, limit=parsed.limit)
        out: list[dict[str, Any]] = []
        for obj in page.objects:
            item = render(obj, mode=parsed.mode, schema_fields=parsed.schema_fields)
            if parsed.with_parents:
                item["parents"] = [render(p, mode="MIN") for p in parents_of(obj)]
            out.append(item)
        return _json(out)

    @bp.get("/documents/search/<object_id>", strict_slashes=False)
    def get_object(object_id: str) -> Response:
        obj = store.get(object_id_of(object_id), include_deleted=_flag("garbage"))
        return _json(render(obj))

    @bp.get("/documents/parents/<object_id>")
    def parents(object_id: str) -> Response:
        obj = store.get(object_id_of(object_id), include_deleted=True)
        chain = parents_of(obj)
        if documented:
            chain.reverse()  # "a sorted linear parent list": the default nearest first, documented root first
        # the default sends numbers here and strings elsewhere; documented the other way round
        return _json([render(p, mode="MIN", numeric_id=not documented) for p in chain])

    @bp.get("/documents/cabinets")
    def cabinets() -> Response:
        return _json(sorted(objdef.cabinets))

    @bp.get("/documents/cabinets/<name>")
    def cabinet(name: str) -> Response:
        try:
            cab = objdef.cabinet(name)
        except ObjdefLookupError:
            return _error(404, f"unknown cabinet {name!r}", "CABINET_NOT_FOUND", 1031)
        folder = next(
            (t for t in (objdef.type_by_name(n) for n in cab.type_names) if t.kind is ObjectKind.FOLDER), None
        )
        if folder is None:
            return _json([])
        size = int(request.args.get("pagesize") or 0) or None
        offset = int(request.args.get("offset") or 0)
        if request.args.get("page") and size:
            offset = int(request.args["page"]) * size
        page = store.search(Query(type_name=folder.internal), offset=offset, limit=size)
        return _json([render(o) for o in page.objects])

    @bp.get("/documents/history/<object_id>")
    def history(object_id: str) -> Response:
        entries = store.history(object_id_of(object_id))
        return _json(
            [
                {
                    "action": int(e.action),
                    "user": e.user,
                    "time": format_moment(e.timestamp, tz, date_style()),
                    "description": e.description,
                }
                for e in entries
            ]
        )

    # -- writes ----------------------------------------------------------------------------------------

    def _data_part() -> dict[str, Any]:
        raw = request.form.get("data")
        if raw is None and "data" in request.files:
            raw = request.files["data"].read().decode("utf-8")
        if raw is None:
            raise ValidationError("multipart part 'data' is missing")
        try:
            data = json.loads(raw)
        except ValueError:
            raise ValidationError("part 'data' is not JSON") from None
        if not isinstance(data, dict):
            raise ValidationError("part 'data' must be a JSON object")
        return data

    def _file_parts() -> list[NewFile]:
        files = []
        for name, upload in request.files.items(multi=True):
            if name == "data":
                continue
            assert isinstance(upload, FileStorage)  # noqa: S101 - werkzeug's type
            files.append(
                NewFile(
                    name=upload.filename or name,
                    mime_type=upload.mimetype or "application/octet-stream",
                    data=upload.read(),
                )
            )
        return files

    def _values(otype: ObjectType, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        fields: dict[str, Any] = {}
        tables: dict[str, Any] = {}
        raw = data.get("fields") or {}
        if not isinstance(raw, dict):
            raise ValidationError("fields must be an object")
        for key, spec in raw.items():
            spec = spec if isinstance(spec, dict) else {"value": spec}
            fd = otype.resolve_field(str(spec.get("internalName") or key))
            if fd.is_table:
                columns = [str(c.get("internalName")) for c in spec.get("columns") or []]
                rows = spec.get("rows") or []
                tables[fd.internal] = [
                    {name: value for name, value in zip(columns, row, strict=False) if value != ""}
                    for row in rows
                ]
                continue
            value = spec.get("value")
            fields[fd.internal] = None if value is None or value == "" else str(value)
        return fields, tables

    @bp.post("/documents/insert", defaults={"location_id": "0"}, strict_slashes=False)
    @bp.post("/documents/insert/<location_id>")
    def insert(location_id: str) -> Response:
        data = _data_part()
        otype = resolve_type(objdef, data, request.args.get("objecttypeid"))
        fields, tables = _values(otype, data)
        parent = object_id_of(location_id) or None
        new_id = store.insert(
            otype.internal,
            parent,
            {k: v for k, v in fields.items() if v is not None},
            tables,
            _file_parts(),
            user=g.user,
        )
        return Response(str(new_id), status=200, mimetype="text/plain")

    @bp.post("/documents/update/<object_id>")
    def update(object_id: str) -> Response:
        oid = object_id_of(object_id)
        current = store.get(oid)
        data = _data_part()
        otype = objdef.type_by_id(current.type_id)
        fields, tables = _values(otype, data)
        expected = None if documented else request.args.get("expectedmodified")  # our extension
        store.update(
            oid,
            fields,
            tables or None,
            _file_parts(),
            replace_files=_flag("replacefiles"),
            user=g.user,
            expected_modified=timeutil.parse_datetime(expected, tz) if expected else None,
        )
        return Response(status=200)

    @bp.delete("/documentfiles/delete/<object_id>")
    def delete(object_id: str) -> Response:
        store.delete(object_id_of(object_id), hard=_flag("hard"), cascade=_flag("recursive"), user=g.user)
        return Response("true", status=200, mimetype="application/json")

    @bp.post("/documents/restore/<object_id>")
    def restore(object_id: str) -> Response:
        store.restore(object_id_of(object_id), user=g.user)
        return _json(True)

    @bp.get("/documents/trash")
    def trash() -> Response:
        ref = request.args.get("objecttypeid")
        types = [resolve_type(objdef, {}, ref)] if ref else list(objdef.types)
        out: list[dict[str, Any]] = []
        for otype in types:
            page = store.search(Query(type_name=otype.internal, deleted=Deleted.ONLY), limit=None)
            out.extend(render(o) for o in page.objects)
        return _json(out)

    # -- files and check-out -----------------------------------------------------------------------------

    @bp.get("/documentfiles/<int:object_id>")
    def file_list(object_id: int) -> Response:
        obj = store.get(object_id)
        return _json(
            {
                "fav": False,
                "typeless": False,
                "pageCount": len(obj.files),
                "files": [f.name for f in obj.files],
                "fileInfos": [
                    {"index": str(f.index), "name": f.name, "mimeType": f.mime_type, "size": str(f.size)}
                    for f in obj.files
                ],
            }
        )

    @bp.get("/documentfiles/<int:object_id>/<page>")
    def file_content(object_id: int, page: str) -> Response:
        if page.isdigit():
            index = int(page)
        else:
            obj = store.get(object_id)
            index = next((f.index for f in obj.files if f.name == page), 0)
        info, content = store.file_content(object_id, index)
        response = Response(content, mimetype="application/octet-stream")
        response.headers["Content-Disposition"] = f'attachment; filename="{info.name}"'
        return response

    @bp.route("/documentfiles/checkout/<object_id>", methods=["GET", "POST"])
    def checkout(object_id: str) -> Response:
        store.checkout(object_id_of(object_id), user=g.user)
        return _json(True)

    @bp.route("/documentfiles/checkout/undo/<object_id>", methods=["GET", "POST"])
    def undo_checkout(object_id: str) -> Response:
        store.undo_checkout(object_id_of(object_id), user=g.user, force=_flag("force"))
        return _json(True)

    @bp.get("/documentfiles/checkout", strict_slashes=False)
    def checked_out() -> Response:
        return _json(
            [
                {
                    "osid": str(c.object.id),
                    "objectTypeId": c.object.type_id,
                    "since": format_moment(c.since, tz, "local"),
                }
                for c in store.checked_out(g.user)
            ]
        )

    return bp
