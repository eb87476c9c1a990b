"""The DMS service surface (``/api/dms``) over the shared store: Basic auth on every request, SQL search,
object CRUD with multipart content, files, history, the native schema with ETag, lock endpoints.

Every error leaves in the personality's one shape (see ``errors.py``); every choice the public record does
not fix is listed in docs/emulator-choices.md, section "DMS service (/api/dms)", the documented personality's
differences (``state.documented``) under "DMS: documented personality".
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException

from connector.enaio.emulator.dms.errors import ApiError, api_error
from connector.enaio.emulator.dms.render import render_object
from connector.enaio.emulator.dms.sql import SqlError, parse_statement
from connector.enaio.emulator.state import EmulatorState
from connector.enaio.emulator.store import NewFile, StoreError
from connector.enaio.model import EnaioObject
from connector.enaio.objdef import ObjectType, UnknownObjectTypeError
from connector.enaio.query import Deleted, Query

API_VERSION = "dms-emulator/1"
DEFAULT_MAX_ITEMS = 50
MAX_ITEMS_CAP = 10_000
DOCUMENTED_MAX_ITEMS_CAP = 100
"""The documented personality answers at most this many hits per page, whatever ``maxItems`` asks for."""
HISTORY_PAGE = 50
_CHUNK = 64 * 1024

_DELETED = {
    "DELETED_DOCUMENTS_EXCLUDE": Deleted.EXCLUDE,
    "DELETED_DOCUMENTS_ONLY": Deleted.ONLY,
    "EXCLUDE": Deleted.EXCLUDE,
    "ONLY": Deleted.ONLY,
}

# system properties a write may carry without effect (they name the object itself or its old place)
_IGNORED_ON_WRITE = frozenset(
    {"system:objectId", "system:FOLDERID", "system:REGISTERID", "system:baseTypeId"}
)


def _json_body() -> Any:
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "INVALID_JSON", f"request body is not valid JSON: {exc}") from None


def _flag(name: str, default: bool = False) -> bool:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes")


def _int_arg(value: Any, name: str, default: int, minimum: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ApiError(400, "INVALID_REQUEST", f"{name} must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, "INVALID_REQUEST", f"{name} must be an integer") from None
    if number < minimum:
        raise ApiError(400, "INVALID_REQUEST", f"{name} must be at least {minimum}")
    return number


def blueprint(state: EmulatorState) -> Blueprint:
    bp = Blueprint("dms", __name__, url_prefix="/api/dms")
    objdef = state.objdef
    store = state.store
    tz = state.tz
    documented = state.documented

    def user() -> str:
        auth = request.authorization
        if auth is None or auth.username is None:  # pragma: no cover - before_request refused it
            raise ApiError(401, "UNAUTHORIZED", "valid Basic credentials required")
        return auth.username

    @bp.before_request
    def authenticate() -> Response | None:
        auth = request.authorization
        if auth is None or auth.type != "basic" or not state.check_password(auth.username, auth.password):
            return ApiError(401, "UNAUTHORIZED", "valid Basic credentials required").response(documented)
        return None

    @bp.errorhandler(ApiError)
    @bp.errorhandler(SqlError)
    @bp.errorhandler(StoreError)
    def on_error(exc: Exception) -> Response:
        return api_error(exc).response(documented)

    @bp.errorhandler(HTTPException)
    def on_http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "TOO_LARGE"}.get(status, "BAD_REQUEST")
        return ApiError(status, code, exc.description or exc.name).response(documented)

    def type_of(obj: EnaioObject) -> ObjectType:
        return objdef.type_by_id(obj.type_id)

    def object_json(obj: EnaioObject) -> dict[str, Any]:
        return render_object(obj, type_of(obj), tz, documented=documented)

    # -- service -------------------------------------------------------------------------------

    @bp.get("/info")
    def info() -> Response:
        return jsonify(
            {
                "serverVersion": state.server_version,
                "apiVersion": API_VERSION,
                "product": "enaio dms-service (emulator)",
                "user": user(),
            }
        )

    @bp.get("/schema/native")
    def schema_native() -> Response:
        etag = objdef.etag
        if etag and etag in request.if_none_match:
            response = Response(status=304)
            response.set_etag(etag)
            return response
        response = Response(objdef.source_bytes, mimetype="application/xml")
        if etag:
            response.set_etag(etag)
        response.headers["Cache-Control"] = "no-cache"
        return response

    # -- search --------------------------------------------------------------------------------

    @bp.post("/objects/search")
    def search() -> Response:
        body = _json_body()
        if not isinstance(body, dict):
            raise ApiError(400, "INVALID_REQUEST", 'send {"query": {"statement": ...}}')
        query_body = body.get("query", body)
        if not isinstance(query_body, dict):
            raise ApiError(400, "INVALID_REQUEST", "query must be an object")
        statement = query_body.get("statement")
        if not isinstance(statement, str):
            raise ApiError(400, "SYNTAX_ERROR", "query.statement must be a string")
        skip = _int_arg(query_body.get("skipCount"), "skipCount", 0, 0)
        asked = (
            query_body.get("maxItems") if documented else query_body.get("maxItems", query_body.get("limit"))
        )
        max_items = _int_arg(asked, "maxItems", DEFAULT_MAX_ITEMS, 1)
        max_items = min(max_items, DOCUMENTED_MAX_ITEMS_CAP if documented else MAX_ITEMS_CAP)
        mode = query_body.get("handleDeletedDocuments") or "DELETED_DOCUMENTS_EXCLUDE"
        deleted = _DELETED.get(str(mode).upper())
        if documented and not str(mode).startswith("DELETED_DOCUMENTS_"):
            deleted = None
        if deleted is None:
            raise ApiError(400, "INVALID_REQUEST", f"handleDeletedDocuments {mode!r} is not supported")
        parameters = query_body.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise ApiError(400, "INVALID_REQUEST", "parameters must be an object")
        options = query_body.get("options") or {}
        with_files = not isinstance(options, dict) or options.get("FileInfo", 1) not in (0, "0", False)
        parsed = parse_statement(statement, objdef, parameters, tz, documented=documented)
        query = Query(parsed.type.internal, where=parsed.where, order_by=parsed.order_by, deleted=deleted)
        page = store.search(query, offset=skip, limit=max_items)
        objects = [
            render_object(
                obj,
                parsed.type,
                tz,
                parsed.columns or [f.internal for f in parsed.type.fields],
                documented=documented,
            )
            for obj in page.objects
        ]
        if not with_files:
            for rendered in objects:
                rendered.pop("contentStreams", None)
        answer: dict[str, Any] = {
            "objects": objects,
            "numItems": len(objects),
            "hasMoreItems": skip + len(objects) < page.total,
        }
        if not documented:  # documented: totalNumItems only "fixed in 6.8.0" (S7 1.3), so left out
            answer["totalNumItems"] = page.total
        return jsonify(answer)

    # -- read ----------------------------------------------------------------------------------

    @bp.get("/objects/<int:object_id>")
    def get_object(object_id: int) -> Response:
        obj = store.get(object_id, include_deleted=_flag("garbageMode"))
        return jsonify(object_json(obj))

    @bp.get("/objects/<int:object_id>/history")
    def history(object_id: int) -> Response:
        size = _int_arg(request.args.get("size"), "size", HISTORY_PAGE, 1)
        page = _int_arg(request.args.get("page"), "page", 0, 0)
        entries = list(reversed(store.history(object_id)))  # newest first
        chosen = entries[page * size : (page + 1) * size]
        return jsonify(
            {
                "objects": [
                    {
                        "properties": {
                            "action": {"value": int(entry.action)},
                            "description": {"value": entry.description or entry.action.name.lower()},
                            "detail": {"value": entry.description},
                            "system:createdBy": {"value": entry.user},
                            "system:creationDate": {"value": entry.timestamp.astimezone(tz).isoformat()},
                        }
                    }
                    for entry in chosen
                ]
            }
        )

    def _file_response(data: bytes, name: str, mime: str) -> Response:
        def chunks() -> Iterator[bytes]:
            for start in range(0, len(data), _CHUNK):
                yield data[start : start + _CHUNK]

        response = Response(chunks(), mimetype=mime, direct_passthrough=True)
        response.headers["Content-Length"] = str(len(data))
        ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "_")
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
        )
        return response

    @bp.get("/objects/<int:object_id>/contents/file/<int:index>")
    def file_by_index(object_id: int, index: int) -> Response:
        info, data = store.file_content(object_id, index)
        return _file_response(data, info.name, info.mime_type)

    @bp.get("/objects/<int:object_id>/contents/file")
    def file_all(object_id: int) -> Response:
        obj = store.get(object_id)
        if not obj.files:
            raise ApiError(404, "NO_CONTENT", f"object {object_id} has no content files")
        if len(obj.files) == 1:
            info, data = store.file_content(object_id, 1)
            return _file_response(data, info.name, info.mime_type)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for info in obj.files:
                _, data = store.file_content(object_id, info.index)
                archive.writestr(f"{info.index:02d}_{info.name}", data)
        return _file_response(buffer.getvalue(), f"{object_id}.zip", "application/zip")

    # -- write ---------------------------------------------------------------------------------

    def read_write_request() -> tuple[list[Any], Mapping[str, FileStorage]]:
        """(objects, content parts by cid) of a multipart or plain JSON write."""
        if request.mimetype.startswith("multipart/"):
            raw: Any = request.form.get("data")
            if raw is None and "data" in request.files:
                raw = request.files["data"].read()
            if raw is None:
                raise ApiError(400, "INVALID_REQUEST", "multipart request without a 'data' part")
            try:
                payload = json.loads(raw, parse_float=Decimal)
            except (ValueError, UnicodeDecodeError) as exc:
                raise ApiError(400, "INVALID_JSON", f"'data' part is not valid JSON: {exc}") from None
            files: Mapping[str, FileStorage] = request.files
        else:
            payload = _json_body()
            files = {}
        if isinstance(payload, dict) and isinstance(payload.get("objects"), list):
            objects = payload["objects"]
        elif isinstance(payload, dict) and isinstance(payload.get("properties"), dict):
            objects = [payload]
        else:
            raise ApiError(400, "INVALID_REQUEST", 'send {"objects": [{"properties": {...}}]}')
        for item in objects:
            if not isinstance(item, dict) or not isinstance(item.get("properties"), dict):
                raise ApiError(400, "INVALID_REQUEST", "every object needs a 'properties' object")
        return objects, files

    def uploads(item: Mapping[str, Any], files: Mapping[str, FileStorage]) -> list[NewFile]:
        streams = item.get("contentStreams") or []
        if not isinstance(streams, list):
            raise ApiError(400, "INVALID_REQUEST", "contentStreams must be a list")
        result = []
        for stream in streams:
            cid = stream.get("cid") if isinstance(stream, dict) else None
            if not isinstance(cid, str):
                raise ApiError(400, "INVALID_REQUEST", "every content stream needs a cid")
            part = files.get(cid) or files.get(f"<{cid}>")
            if part is None:
                raise ApiError(400, "MISSING_CONTENT", f"no multipart part for cid {cid!r}", field=cid)
            name = stream.get("fileName") or part.filename or cid
            mime = stream.get("mimeType") or part.mimetype or "application/octet-stream"
            result.append(NewFile(name=str(name), mime_type=str(mime), data=part.read()))
        return result

    def split_properties(
        object_type: ObjectType, props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, list[Mapping[str, Any]]], dict[str, Any]]:
        """(index fields, tables, system properties) of a properties envelope."""
        fields: dict[str, Any] = {}
        tables: dict[str, list[Mapping[str, Any]]] = {}
        system: dict[str, Any] = {}
        for name, prop in props.items():
            if not isinstance(prop, dict) or "value" not in prop:
                if prop is not None:
                    raise ApiError(
                        400, "INVALID_REQUEST", f"property {name} must be {{'value': ...}}", field=name
                    )
                value = None
            else:
                value = prop["value"]
            if name.startswith("system:"):
                system[name] = value
                continue
            field = object_type.fields_by_name.get(name)
            if field is not None and field.is_table:
                if value is None:
                    value = []
                if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
                    raise ApiError(
                        422, "INVALID_VALUE", f"table field {name} takes a list of rows", field=name
                    )
                tables[name] = value
            else:
                fields[name] = value
        return fields, tables, system

    def resolve_type(ref: Any) -> ObjectType:
        if isinstance(ref, bool) or not isinstance(ref, str | int) or ref == "":
            raise ApiError(
                422, "UNKNOWN_OBJECT_TYPE", "system:objectTypeId is missing", field="system:objectTypeId"
            )
        try:
            return objdef.resolve_type(ref)
        except UnknownObjectTypeError:
            raise ApiError(
                422, "UNKNOWN_OBJECT_TYPE", f"unknown object type {ref!r}", field=str(ref)
            ) from None

    def parse_id(value: Any, name: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if value == "system:tray":
            raise ApiError(422, "NOT_SUPPORTED", "the emulator has no user tray", field=name)
        raise ApiError(422, "INVALID_VALUE", f"{name} {value!r} is not an object id", field=name)

    def check_system(system: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for name in system:
            if name not in allowed and name not in _IGNORED_ON_WRITE:
                raise ApiError(422, "READ_ONLY_FIELD", f"{name} cannot be written", field=name)

    def expected_modified() -> Any:
        header = request.headers.get("If-Unmodified-Since")
        if not header:
            return None
        moment = request.if_unmodified_since
        if moment is None:
            raise ApiError(400, "INVALID_REQUEST", "If-Unmodified-Since is not an HTTP date")
        return moment

    def apply_update(
        object_id: int,
        item: Mapping[str, Any],
        files: list[NewFile],
        *,
        replace_files: bool,
        allow_move: bool,
    ) -> EnaioObject:
        current = store.get(object_id)
        object_type = type_of(current)
        fields, tables, system = split_properties(object_type, item["properties"])
        check_system(system, frozenset({"system:objectTypeId", "system:parentId"}))
        given_type = system.get("system:objectTypeId")
        if given_type is not None and resolve_type(given_type).type_id != object_type.type_id:
            raise ApiError(
                422, "INVALID_VALUE", "changing the object type is not supported", field="system:objectTypeId"
            )
        new_parent = parse_id(system.get("system:parentId"), "system:parentId")
        if fields or tables or files or replace_files:
            store.update(
                object_id,
                fields,
                tables,
                files,
                replace_files,
                user=user(),
                expected_modified=expected_modified(),
            )
        if new_parent is not None and new_parent != current.parent_id:
            if not allow_move:
                raise ApiError(422, "NOT_SUPPORTED", "move objects with PATCH", field="system:parentId")
            store.move(object_id, new_parent, user=user())
        return store.get(object_id)

    def minimal(obj: EnaioObject) -> dict[str, Any]:
        return {"properties": {"system:objectId": {"value": obj.id if documented else str(obj.id)}}}

    @bp.post("/objects")
    def write_objects() -> Response:
        objects, files = read_write_request()
        results = []
        for position, item in enumerate(objects, start=1):
            try:
                props = item["properties"]
                object_id_prop = props.get("system:objectId")
                object_id = parse_id(
                    object_id_prop.get("value") if isinstance(object_id_prop, dict) else None,
                    "system:objectId",
                )
                contents = uploads(item, files)
                if object_id is not None:
                    obj = apply_update(
                        object_id, item, contents, replace_files=_flag("replaceFiles"), allow_move=True
                    )
                else:
                    type_prop = props.get("system:objectTypeId")
                    object_type = resolve_type(
                        type_prop.get("value") if isinstance(type_prop, dict) else None
                    )
                    fields, tables, system = split_properties(object_type, props)
                    check_system(system, frozenset({"system:objectTypeId", "system:parentId"}))
                    parent = parse_id(system.get("system:parentId"), "system:parentId")
                    new_id = store.insert(object_type.internal, parent, fields, tables, contents, user=user())
                    obj = store.get(new_id)
            except (ApiError, SqlError, StoreError) as exc:
                error = api_error(exc)
                if error.status in (400, 422) and len(objects) > 1:
                    error.message = f"object {position}: {error.message}"
                raise error from None
            results.append(minimal(obj) if _flag("minimalResponse") else object_json(obj))
        return jsonify({"objects": results})

    @bp.post("/objects/<int:object_id>")
    def update_object(object_id: int) -> Response:
        objects, files = read_write_request()
        if len(objects) != 1:
            raise ApiError(400, "INVALID_REQUEST", "send exactly one object")
        item = objects[0]
        obj = apply_update(
            object_id, item, uploads(item, files), replace_files=_flag("replaceFiles"), allow_move=True
        )
        return jsonify({"objects": [object_json(obj)]})

    @bp.patch("/objects/<int:object_id>")
    def patch_object(object_id: int) -> Response:
        body = _json_body()
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            raise ApiError(400, "INVALID_REQUEST", 'send {"properties": {...}}')
        obj = apply_update(object_id, body, [], replace_files=False, allow_move=True)
        return jsonify(object_json(obj))

    @bp.delete("/objects/<int:object_id>")
    def delete_object(object_id: int) -> Response:
        options = {
            part.strip().upper() for part in request.args.get("options", "").split(",") if part.strip()
        }
        hard = _flag("hardDelete") or "HARDDELETE" in options
        cascade = _flag("cascadeDelete") or "DELETECASCADING" in options
        store.delete(object_id, hard=hard, cascade=cascade, user=user())
        return Response(status=204)

    # -- locks (emulator choice: PUT/DELETE .../lock) ------------------------------------------

    @bp.put("/objects/<int:object_id>/lock")
    def checkout(object_id: int) -> Response:
        current = store.get(object_id)
        if current.locked_by != user():  # checking out one's own document again is a no-op
            store.checkout(object_id, user=user())
        return jsonify(object_json(store.get(object_id)))

    @bp.delete("/objects/<int:object_id>/lock")
    def undo_checkout(object_id: int) -> Response:
        store.undo_checkout(object_id, user=user(), force=_flag("force"))
        return Response(status=204)

    @bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def unknown(rest: str) -> Response:
        raise ApiError(404, "NOT_FOUND", f"no DMS endpoint /api/dms/{rest} for {request.method}")

    return bp
