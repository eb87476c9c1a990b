"""SOAP 1.1 envelopes of the osws ``EcmWsMtom`` service, hand-written with lxml: request parsing (plain or
MTOM/XOP multipart), schema validation against the XSD embedded in the WSDL, responses with typed output
parameters (binaries as MTOM attachments) and faults."""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from connector import xmlsafe

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
TYPES = "http://schemas.optimalsystems.de/OsEcm/Ws/Types/"
WS = "http://schemas.optimalsystems.de/OsEcm/Ws/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XOP = "http://www.w3.org/2004/08/xop/include"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL_PATH = Path(__file__).with_name("EcmWsMtom.wsdl")
CID_DOMAIN = "schemas.optimalsystems.de"

# output kinds -> xsi:type
KIND_TYPES = {
    "STRING": "StringParameter",
    "INT": "IntegerParameter",
    "BOOL": "BooleanParameter",
    "DOUBLE": "DoubleParameter",
    "DATETIME": "DateTimeParameter",
    "BASE64": "Base64Parameter",
}


class SoapFault(Exception):
    """Answered as a SOAP 1.1 fault (HTTP 500)."""

    def __init__(self, message: str, *, code: str = "Server", error_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.error_code = error_code


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    """Local xsi:type name, e.g. ``IntegerParameter``."""
    value: str | int | bool | float | bytes | None


@dataclass(frozen=True, slots=True)
class InFile:
    name: str
    data: bytes
    mime_type: str | None = None
    """The MTOM part's Content-Type when it names one (inline base64 carries none)."""


@dataclass(slots=True)
class ExecuteRequest:
    user: str | None
    password: str | None
    job: str
    params: dict[str, Param] = field(default_factory=dict)
    """By lower-cased name (enaio matches parameter names case-insensitively)."""
    files: list[InFile] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    kind: str
    value: str | int | bool | float | bytes


@dataclass(slots=True)
class JobAnswer:
    return_code: int = 0
    outputs: list[Output] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ WSDL, XSD


@lru_cache(maxsize=1)
def _wsdl_bytes() -> bytes:
    return WSDL_PATH.read_bytes()


def render_wsdl(address: str) -> bytes:
    """The WSDL with ``soap:address`` pointing at the requested host (ephemeral ports work)."""
    root = xmlsafe.parse_bytes(_wsdl_bytes())
    for el in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address"):
        el.set("location", address)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    root = xmlsafe.parse_bytes(_wsdl_bytes())
    schema_el = root.find(f"{{http://schemas.xmlsoap.org/wsdl/}}types/{{{XSD}}}schema")
    if schema_el is None:  # pragma: no cover - the shipped file has it
        raise RuntimeError("WSDL without embedded schema")
    # the xmime attributes reference a schema we do not load; they carry no constraint
    doc = xmlsafe.parse_bytes(etree.tostring(schema_el), operation="wsdl")
    for el in doc.iter():
        for key in [k for k in el.attrib if k.startswith("{http://www.w3.org/2005/05/xmlmime}")]:
            del el.attrib[key]
    return etree.XMLSchema(doc)


# ------------------------------------------------------------------------------------------ multipart


def split_multipart(body: bytes, content_type: str) -> tuple[bytes, dict[str, tuple[str, bytes]]]:
    """(root part, attachments by Content-ID without angle brackets: (content type, bytes))."""
    params = _content_type_params(content_type)
    boundary = params.get("boundary")
    if not boundary:
        raise SoapFault("multipart/related without boundary", code="Client")
    start = params.get("start", "").strip("<>")
    delimiter = b"--" + boundary.encode("ascii")
    chunks = body.split(b"\r\n" + delimiter)
    first = chunks[0]
    if first.startswith(delimiter):
        chunks[0] = first[len(delimiter) :]
    parts: list[tuple[dict[str, str], bytes]] = []
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break
        head, sep, content = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append((headers, content))
    if not parts:
        raise SoapFault("empty multipart message", code="Client")
    root_index = 0
    for i, (headers, _) in enumerate(parts):
        if start and headers.get("content-id", "").strip("<>") == start:
            root_index = i
    attachments = {
        headers.get("content-id", "").strip("<>"): (headers.get("content-type", ""), content)
        for i, (headers, content) in enumerate(parts)
        if i != root_index
    }
    return parts[root_index][1], attachments


def _content_type_params(content_type: str) -> dict[str, str]:
    out = {}
    for piece in content_type.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        out[key.strip().lower()] = value.strip().strip('"')
    return out


# ------------------------------------------------------------------------------------------ requests


def parse_request(body: bytes, content_type: str) -> ExecuteRequest:
    media = content_type.split(";")[0].strip().lower()
    attachments: dict[str, tuple[str, bytes]] = {}
    if media == "multipart/related":
        body, attachments = split_multipart(body, content_type)
    elif media == "application/soap+xml":
        raise SoapFault("SOAP 1.2 is not served; use SOAP 1.1 (text/xml)", code="VersionMismatch")
    try:
        envelope = xmlsafe.parse_bytes(body, operation="execute")
    except xmlsafe.XmlSecurityError as exc:
        raise SoapFault(f"request refused: {exc.message}", code="Client") from exc
    except xmlsafe.XmlFormatError as exc:
        raise SoapFault(f"malformed request: {exc.message}", code="Client") from exc
    if envelope.tag == f"{{{SOAP12_ENV}}}Envelope":
        raise SoapFault("SOAP 1.2 is not served; use SOAP 1.1", code="VersionMismatch")
    if envelope.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault("not a SOAP envelope", code="Client")
    body_el = envelope.find(f"{{{SOAP_ENV}}}Body")
    if body_el is None or not len(body_el):
        raise SoapFault("SOAP body is empty", code="Client")
    payload = body_el[0]
    mime_types: list[str | None] = []
    for fp in payload.iterfind(f"{_t('job')}/{_t('fileParameter')}"):
        include = fp.find(f"{_t('content')}/{_t('attachment')}/{{{XOP}}}Include")
        part = attachments.get(_cid(include.get("href", ""))) if include is not None else None
        media = part[0].split(";")[0].strip() if part is not None else ""
        mime_types.append(media if media and media != "application/octet-stream" else None)
    for include in list(payload.iter(f"{{{XOP}}}Include")):
        href = include.get("href", "")
        found = attachments.get(_cid(href))
        if found is None:
            raise SoapFault(f"XOP reference {href!r} has no MIME part", code="Client")
        parent = include.getparent()
        if parent is None:
            raise SoapFault("XOP include at the document root", code="Client")
        parent.remove(include)
        parent.text = base64.b64encode(found[1]).decode("ascii")
    if payload.tag != f"{{{TYPES}}}inParameter":
        local = etree.QName(payload).localname
        raise SoapFault(f"operation {local} is not supported by the emulator; use execute", code="Client")
    schema = _schema()
    if not schema.validate(payload):
        error = schema.error_log.last_error
        raise SoapFault(
            f"request does not match the schema: {error.message if error else 'invalid'}", code="Client"
        )
    request = _execute_request(payload)
    request.files = [
        InFile(f.name, f.data, mime) for f, mime in zip(request.files, mime_types, strict=False)
    ] + request.files[len(mime_types) :]
    return request


def _cid(href: str) -> str:
    return unquote(href[4:] if href.startswith("cid:") else href).strip("<>")


def _t(name: str) -> str:
    return f"{{{TYPES}}}{name}"


def _execute_request(payload: etree._Element) -> ExecuteRequest:
    auth = payload.find(_t("authentication"))
    user = auth.findtext(_t("user")) if auth is not None else None
    password = auth.findtext(_t("password")) if auth is not None else None
    job = payload.find(_t("job"))
    if job is None:  # the schema requires it; kept for non-validating callers
        raise SoapFault("inParameter without job", code="Client")
    request = ExecuteRequest(user=user, password=password, job=(job.findtext(_t("name")) or "").strip())
    for p in job.iterfind(_t("parameter")):
        name = p.findtext(_t("name")) or ""
        xsi_type = (p.get(f"{{{XSI}}}type") or "").rpartition(":")[2]
        request.params[name.lower()] = Param(name, xsi_type, _param_value(xsi_type, p))
    for f in job.iterfind(_t("fileParameter")):
        text = f.findtext(f"{_t('content')}/{_t('attachment')}") or ""
        try:
            data = base64.b64decode(text, validate=False)
        except binascii.Error as exc:
            raise SoapFault("file attachment is not base64", code="Client") from exc
        request.files.append(InFile(f.findtext(_t("fileName")) or "", data))
    return request


def _param_value(xsi_type: str, p: etree._Element) -> str | int | bool | float | bytes | None:
    value_el = p.find(_t("value"))
    if value_el is None or value_el.get(f"{{{XSI}}}nil") == "true":
        return None
    text = value_el.text or ""
    if xsi_type == "IntegerParameter":
        return int(text)
    if xsi_type == "BooleanParameter":
        return text.strip() in ("true", "1")
    if xsi_type == "DoubleParameter":
        return float(text)
    if xsi_type == "Base64Parameter":
        return base64.b64decode(text)
    return text


# ------------------------------------------------------------------------------------------ responses


def render_response(job_name: str, answer: JobAnswer, *, encoding: str = "UTF-8") -> tuple[bytes, str]:
    """The ``outParameter`` envelope in ``encoding`` (UTF-8 or UTF-16); binaries go as MTOM parts when there
    are any."""
    nsmap = {"soap": SOAP_ENV, "ns2": TYPES, "xsi": XSI, "xop": XOP}
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap=nsmap)
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    out = etree.SubElement(body, _t("outParameter"))
    job = etree.SubElement(out, _t("job"))
    etree.SubElement(job, _t("name")).text = job_name
    etree.SubElement(job, _t("returnCode")).text = str(answer.return_code)
    parts: list[tuple[str, bytes]] = []
    token = secrets.token_hex(8)

    def attach(parent: etree._Element, data: bytes) -> None:
        cid = f"{len(parts) + 1}.{token}@{CID_DOMAIN}"
        parts.append((cid, data))
        etree.SubElement(parent, f"{{{XOP}}}Include", href=f"cid:{cid}")

    for output in answer.outputs:
        param = etree.SubElement(job, _t("parameter"))
        param.set(f"{{{XSI}}}type", f"ns2:{KIND_TYPES[output.kind]}")
        etree.SubElement(param, _t("name")).text = output.name
        value_el = etree.SubElement(param, _t("value"))
        value = output.value
        if output.kind == "BASE64":
            attach(value_el, value if isinstance(value, bytes) else str(value).encode("utf-8"))
        elif output.kind == "BOOL":
            value_el.text = "true" if value else "false"
        else:
            value_el.text = str(value)
    for name, data in answer.files:
        fp = etree.SubElement(job, _t("fileParameter"))
        etree.SubElement(fp, _t("fileName")).text = name
        content = etree.SubElement(fp, _t("content"))
        attach(etree.SubElement(content, _t("attachment")), data)
    for number, error in enumerate(answer.errors, start=1):
        for key, value in error.items():
            etree.SubElement(out, _t("property"), key=f"error.{number}.{key}").text = value
    xml = etree.tostring(envelope, xml_declaration=True, encoding=encoding)
    if not parts:
        return xml, f"text/xml; charset={encoding}"
    return _multipart(xml, parts, encoding)


def _multipart(xml: bytes, parts: list[tuple[str, bytes]], encoding: str = "UTF-8") -> tuple[bytes, str]:
    boundary = "uuid:" + secrets.token_hex(16)
    root_id = f"root.message@{CID_DOMAIN}"
    chunks = [
        f"--{boundary}\r\n"
        f'Content-Type: application/xop+xml; charset={encoding}; type="text/xml"\r\n'
        "Content-Transfer-Encoding: binary\r\n"
        f"Content-ID: <{root_id}>\r\n\r\n".encode("ascii"),
        xml,
    ]
    for cid, data in parts:
        chunks.append(
            f"\r\n--{boundary}\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            f"Content-ID: <{cid}>\r\n\r\n".encode("ascii")
        )
        chunks.append(data)
    chunks.append(f"\r\n--{boundary}--\r\n".encode("ascii"))
    content_type = (
        f'multipart/related; type="application/xop+xml"; boundary="{boundary}"; '
        f'start="<{root_id}>"; start-info="text/xml"'
    )
    return b"".join(chunks), content_type


def render_fault(fault: SoapFault, *, encoding: str = "UTF-8") -> bytes:
    nsmap = {"soap": SOAP_ENV, "ns2": TYPES}
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap=nsmap)
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    el = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(el, "faultcode").text = f"soap:{fault.code}"
    etree.SubElement(el, "faultstring").text = fault.message
    detail = etree.SubElement(el, "detail")
    f = etree.SubElement(detail, _t("fault"))
    if fault.error_code is not None:
        etree.SubElement(f, _t("errorCode")).text = str(fault.error_code)
    etree.SubElement(f, _t("errorMessage")).text = fault.message
    etree.SubElement(f, _t("errorStack"))
    return etree.tostring(envelope, xml_declaration=True, encoding=encoding)
