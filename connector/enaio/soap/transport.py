"""The SOAP transport: zeep over its own ``requests.Session``, the vendored WSDL, explicit timeouts, a
redacting log plugin, retries of idempotent jobs, MTOM both ways, and the ONE place where a job answer
becomes a typed result or a typed error (:meth:`SoapTransport.execute` -> :func:`unwrap`).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import requests
import zeep
import zeep.exceptions
import zeep.helpers
from lxml import etree

from connector.config import Settings
from connector.enaio.interface import without_values
from connector.enaio.soap import mtom
from connector.enaio.soap.codec import KNOWN_SYSTEM_FIELDS
from connector.enaio.soap.wire import JobError, JobFile, JobResult
from connector.errors import (
    AuthenticationError,
    ConflictError,
    EnaioError,
    LockedError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    ResponseFormatError,
    TransientError,
    ValidationError,
)
from connector.http import (
    TRANSIENT_STATUSES,
    HttpOptions,
    build_session,
    network_error,
    parse_retry_after,
    retry_policy,
    status_text,
)
from connector.logs import register_credentials
from connector.xmlsafe import XmlFormatError, XmlSecurityError

log = logging.getLogger(__name__)

WSDL_PATH = Path(__file__).with_name("wsdl") / "EcmWsMtom.wsdl"
WS_NS = "http://schemas.optimalsystems.de/OsEcm/Ws/"
TYPES_NS = "http://schemas.optimalsystems.de/OsEcm/Ws/Types/"
BINDING = f"{{{WS_NS}}}EcmWsMtomSoapBinding"
SOAP_ACTION = f"{WS_NS}execute"
APPLICATION_NAME = "enaio-connector"

JobParamValue = int | str | bytes | bool | float | datetime
UploadPart = tuple[str, str, bytes]
"""(file name, MIME type, content)"""

T = TypeVar("T")

RC_UNKNOWN_FIELD = -1031

# enaio return codes -> error class (docs/errors.md); the rest are PermanentError
_LOCKED = {-1038}
_CONFLICT = {-1037, -1041, -1050, -1051}
_NOT_FOUND = {-1014}
_DENIED = {-1069}
_INVALID = {-1016, -1024, -1025, -1029, -1030, -1031, -7, -24}
_AUTH_FAULTS = ("incorrect user name or password", "account check for user", "authentication failed")

_PARAM_TYPES: Mapping[type, str] = {
    bool: "BooleanParameter",
    int: "IntegerParameter",
    float: "DoubleParameter",
    str: "StringParameter",
    bytes: "Base64Parameter",
    datetime: "DateTimeParameter",
}


class RedactedLogPlugin(zeep.Plugin):
    """Logs job names, return codes and sizes; never envelopes (they carry passwords and personal data)."""

    def egress(self, envelope: Any, http_headers: Any, operation: Any, binding_options: Any) -> Any:
        log.debug("soap request job=%s", envelope.findtext(f".//{{{TYPES_NS}}}job/{{{TYPES_NS}}}name") or "?")
        return envelope, http_headers

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> Any:
        log.debug(
            "soap answer job=%s returnCode=%s",
            envelope.findtext(f".//{{{TYPES_NS}}}job/{{{TYPES_NS}}}name") or "?",
            envelope.findtext(f".//{{{TYPES_NS}}}job/{{{TYPES_NS}}}returnCode") or "-",
        )
        return envelope, http_headers


class _Transport(zeep.Transport):
    """zeep's transport plus: transient statuses raise at once (with ``Retry-After``), and MTOM answers are
    resolved byte-exactly before zeep sees them (see ``mtom``)."""

    def post(self, address: str, message: Any, headers: Any) -> requests.Response:
        response: requests.Response = cast(Any, super()).post(address, message, headers)
        if response.status_code in TRANSIENT_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            response.close()
            raise TransientError(
                f"HTTP {response.status_code}",
                retry_after=retry_after,
                operation="execute",
                url=address,
                status=response.status_code,
            )
        content_type = response.headers.get("Content-Type", "")
        if mtom.media_type(content_type) == "multipart/related":
            response._content = mtom.inline(response.content, content_type, operation="execute")
            response.headers["Content-Type"] = "text/xml; charset=UTF-8"
        return response


def ensure_quiet_zeep_logging() -> None:
    """``zeep.transports`` logs whole envelopes at DEBUG: keep it above DEBUG whatever the root level."""
    for name in ("zeep.transports", "zeep.wsdl.wsdl"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


class SoapTransport:
    """One zeep client with its own session; ``execute`` runs one server job."""

    def __init__(self, settings: Settings, *, wsdl: str | Path | None = None) -> None:
        if not settings.username or settings.password is None:
            raise AuthenticationError("the SOAP interface needs username and password", operation="execute")
        ensure_quiet_zeep_logging()
        self.settings = settings
        self.options = HttpOptions.from_settings(settings)
        self.address = settings.endpoint("soap")
        password = settings.password.get_secret_value()
        register_credentials(settings.username, password)
        # zeep mounts adapters on and changes the headers of the session it gets: give it its own
        self.session = build_session(self.options)
        self.lock = threading.RLock()
        """Held for each exchange (retries and the re-send included), so a prefetch worker and its caller
        never share the session, zeep's client or the session id at the same moment."""
        self._zeep_transport = cast(Any, _Transport)(
            session=self.session,
            timeout=settings.read_timeout,
            operation_timeout=(settings.connect_timeout, settings.soap_operation_timeout),
        )
        zeep_settings = zeep.Settings(
            strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        self.client: Any = cast(Any, zeep.Client)(
            str(wsdl or WSDL_PATH),
            transport=self._zeep_transport,
            settings=zeep_settings,
            plugins=[RedactedLogPlugin()],
        )
        self.service = self.client.create_service(BINDING, self.address)
        self.types = self.client.type_factory("ns0")
        self._auth = self.types.Authentication(
            user=settings.username,
            password=password,
            sessionIdentifier=str(uuid.uuid4()),
            applicationName=APPLICATION_NAME,
        )

    def close(self) -> None:
        self.session.close()

    # ---------------------------------------------------------------------------------------- calls

    def _job(self, name: str, params: Mapping[str, JobParamValue], files: Sequence[UploadPart]) -> Any:
        parameters = []
        for key, value in params.items():
            type_name = _PARAM_TYPES.get(type(value), "StringParameter")
            parameters.append(getattr(self.types, type_name)(name=key, value=value))
        file_parameters = [
            self.types.FileParameter(fileName=file_name, content=self.types.Content(attachment=b""))
            for file_name, _, _ in files
        ]
        return self.types.Job(name=name, parameter=parameters, fileParameter=file_parameters)

    def execute(
        self,
        name: str,
        params: Mapping[str, JobParamValue] | None = None,
        *,
        files: Sequence[UploadPart] = (),
        idempotent: bool = False,
    ) -> JobResult:
        """Run one job; transient failures of idempotent jobs are retried with the configured policy."""
        job = self._job(name, params or {}, files)

        def send() -> Any:
            if files:
                return self._send_mtom(job, files)
            return self.service.execute(authentication=self._auth, job=job, property=[])

        with self.lock:
            try:
                raw = self._retrying(name, idempotent, lambda: self._translate(name, send))
            except AuthenticationError:
                # An expired server session answers like refused credentials. The credentials travel with
                # every call, so one re-send under a new session id tells the two apart (the REST transports'
                # one re-login on 401); the job did not run, so this holds for writes too.
                log.info("authentication refused during %s; sending once more under a new session", name)
                self._auth.sessionIdentifier = str(uuid.uuid4())
                raw = self._retrying(name, idempotent, lambda: self._translate(name, send))
        # the answer is read whole inside the lock (zeep does not stream); unwrapping needs no session
        return unwrap(name, raw, url=self.address)

    def _send_mtom(self, job: Any, files: Sequence[UploadPart]) -> Any:
        """zeep builds the envelope, the files go as XOP parts; same session, same answer handling."""
        envelope = self.client.create_message(
            self.service, "execute", authentication=self._auth, job=job, property=[]
        )
        body, content_type = mtom.to_mtom(envelope, [(mime, data) for _, mime, data in files])
        headers = {"Content-Type": content_type, "SOAPAction": f'"{SOAP_ACTION}"'}
        log.debug("soap request job=%s (MTOM, %d file(s), %d bytes)", job.name, len(files), len(body))
        response = self._zeep_transport.post(self.address, body, headers)
        binding: Any = self.client.wsdl.bindings[BINDING]
        return binding.process_reply(self.client, binding.get("execute"), response)

    def _retrying(self, name: str, idempotent: bool, call: Callable[[], T]) -> T:
        return retry_policy(self.settings.retry, name, idempotent=idempotent)(call)

    def _translate(self, name: str, call: Callable[[], T]) -> T:
        """Transport and XML failures -> typed errors (job-level codes are ``unwrap``'s business)."""
        url = self.address
        try:
            return call()
        except EnaioError:
            raise
        except requests.exceptions.RequestException as exc:
            raise network_error(exc, url, name, self.options) from exc  # one message per cause
        except zeep.exceptions.Fault as exc:
            raise fault_error(name, exc.message or "", exc.code, exc.detail, url=url) from exc
        except (zeep.exceptions.DTDForbidden, zeep.exceptions.EntitiesForbidden) as exc:
            raise XmlSecurityError(
                "SOAP answer declares a DTD or entities; refused", operation=name, url=url
            ) from exc
        except zeep.exceptions.TransportError as exc:
            status = exc.status_code
            if status in TRANSIENT_STATUSES:
                raise TransientError(f"HTTP {status}", operation=name, url=url, status=status) from exc
            if status == 401:
                raise AuthenticationError("credentials refused", operation=name, url=url, status=401) from exc
            if status == 403:
                raise PermissionDeniedError("access denied", operation=name, url=url, status=403) from exc
            if status == 200:
                raise XmlFormatError("SOAP answer is not well-formed XML", operation=name, url=url) from exc
            raise PermanentError(status_text(status), operation=name, url=url, status=status) from exc
        except (zeep.exceptions.XMLSyntaxError, zeep.exceptions.XMLParseError, etree.XMLSyntaxError) as exc:
            raise XmlFormatError(f"unreadable SOAP answer: {exc}", operation=name, url=url) from exc
        except zeep.exceptions.ValidationError as exc:
            raise ResponseFormatError(
                f"SOAP answer does not fit the WSDL: {exc}", operation=name, url=url
            ) from exc
        except (IndexError, KeyError, AttributeError, TypeError, ValueError) as exc:
            # zeep's deserializer trips over answers it cannot map (an empty Body): a bad answer, not a bug
            raise ResponseFormatError(
                f"unreadable SOAP answer ({type(exc).__name__})", operation=name, url=url
            ) from exc


def fault_error(
    name: str, message: str, code: str | None, detail: Any, *, url: str | None = None
) -> EnaioError:
    """A SOAP fault as a typed error; fault codes are compared by local name (prefixes vary)."""
    error_code: int | None = None
    detail_text = ""
    if isinstance(detail, etree._Element):  # zeep hands over the raw body (bytes) when it read no fault
        found = detail.find(f".//{{{TYPES_NS}}}errorCode")
        if found is not None and (found.text or "").lstrip("-").isdigit():
            error_code = int(found.text or "0")
        detail_text = " / ".join(
            (el.text or "").strip()
            for el in detail.iter(f"{{{TYPES_NS}}}errorMessage")
            if (el.text or "").strip()
        )
    text = message or detail_text or "SOAP fault"
    if any(marker in text.lower() for marker in _AUTH_FAULTS):
        return AuthenticationError(without_values(text), operation=name, url=url, code=error_code)
    local = (code or "").rpartition(":")[2]
    named = _NAMED_FIELD.search(text)
    field = named.group(1) if named else None
    if error_code is not None:
        message = f"{name} refused (return code {error_code}): {without_values(text, field)}"
        return error_for_code(name, error_code, message, field=field, url=url)
    return PermanentError(f"{without_values(text, field)} (fault {local or '?'})", operation=name, url=url)


def error_for_code(
    name: str,
    code: int,
    message: str,
    *,
    field: str | None = None,
    holder: str | None = None,
    url: str | None = None,
) -> EnaioError:
    kwargs: dict[str, Any] = {"operation": name, "url": url, "code": code}
    if code in _LOCKED:
        return LockedError(message, holder=holder or None, **kwargs)
    if code in _CONFLICT:
        return ConflictError(message, **kwargs)
    if code in _NOT_FOUND:
        return NotFoundError(message, **kwargs)
    if code in _DENIED:
        return PermissionDeniedError(message, **kwargs)
    if code in _INVALID:
        return ValidationError(without_values(message), field=field, **kwargs)
    return PermanentError(message, **kwargs)


def unwrap(name: str, raw: Any, *, url: str | None = None) -> JobResult:
    """The one place where a job answer becomes a :class:`JobResult` or a typed error."""
    data = cast(Any, zeep.helpers.serialize_object)(raw, dict)
    if not isinstance(data, dict) or not isinstance(data.get("job"), dict):
        raise ResponseFormatError("SOAP answer without job", operation=name, url=url)
    job = data["job"]
    params: dict[str, object] = {}
    for p in job.get("parameter") or []:
        if isinstance(p, dict) and p.get("name"):
            params[str(p["name"])] = p.get("value")
    files = tuple(
        JobFile(name=str(f.get("fileName") or ""), content=(f.get("content") or {}).get("attachment") or b"")
        for f in job.get("fileParameter") or []
        if isinstance(f, dict)
    )
    grouped: dict[str, dict[str, str]] = {}
    for prop in data.get("property") or []:
        if not isinstance(prop, dict):
            continue
        key = str(prop.get("key") or "")
        if key.startswith("error."):
            _, number, attr = key.split(".", 2) if key.count(".") >= 2 else (key, "1", "message")
            grouped.setdefault(number, {})[attr] = str(prop.get("_value_1") or "")
    errors = tuple(
        JobError(
            code=int(e["code"]) if e.get("code", "").lstrip("-").isdigit() else None,
            message=e.get("message", ""),
            source=e.get("source", ""),
            field=e.get("field"),
        )
        for _, e in sorted(grouped.items())
    )
    return_code = int(job.get("returnCode") or 0)
    result = JobResult(
        name=str(job.get("name") or name), return_code=return_code, params=params, files=files, errors=errors
    )
    if return_code != 0:
        raise refused(name, result, url=url)
    return result


_ERROR_TEXT_PARAMS = ("errormessage", "errortext", "error", "errors", "description", "message")
"""Output parameters a server may carry a refused job's text in (compared case-insensitively): the WSDL's
``Fault`` names ``errorMessage``; ``krn.SessionLogin`` answers its error text as ``Description``."""

_NAMED_FIELD = re.compile(r">([^<>\s]+)<")
_WORD = re.compile(r"[A-Z][A-Z_]+")
"""enaio names the field it refuses as ``>NAME<`` (``The DMS field >NAME< could not be found``)."""


def error_text(result: JobResult) -> tuple[str, str | None]:
    """(the server's own text of a refused job, the field it names) from whichever place the server used: the
    error list in ``property`` entries ``error.N.*``, or an error-text output parameter."""
    texts = [e.message for e in result.errors if e.message]
    field = next((e.field for e in result.errors if e.field), None)
    if not texts:
        by_name = {key.lower(): value for key, value in result.params.items()}
        for key in _ERROR_TEXT_PARAMS:
            value = by_name.get(key)
            if isinstance(value, bytes):
                value = value.decode("utf-8", errors="replace")
            if isinstance(value, str) and value.strip():
                texts.append(value.strip())
                break
    text = " / ".join(texts)
    if field is None:
        named = _NAMED_FIELD.search(text)
        field = named.group(1) if named else None
    if field is None:  # a system field named plainly ("unknown field OBJECT_LOCKUSER"): the only one named
        system = {word for word in _WORD.findall(text) if word in KNOWN_SYSTEM_FIELDS}
        field = system.pop() if len(system) == 1 else None
    return text, field


def refused(name: str, result: JobResult, *, url: str | None = None) -> EnaioError:
    """A job answered with a return code other than 0, as a typed error carrying the server's text without
    the values it quotes (``without_values``) and the field it names."""
    code = result.return_code
    text, field = error_text(result)
    if text:
        message = f"{name} refused (return code {code}): {without_values(text, field)}"
    else:
        message = f"{name} refused (return code {code}); the server sent no error text"
    holder = result.text("Info") or None
    return error_for_code(name, code, message, field=field, holder=holder, url=url)
