"""MTOM/XOP (``multipart/related``) for the SOAP room, in both directions.

Answers: zeep decodes MTOM itself, but strips CR/LF from both ends of every part sent with
``Content-Transfer-Encoding: binary`` (what JAX-WS servers send), which corrupts files ending in a line break.
So the transport resolves ``xop:Include`` here, exactly, and hands zeep a plain envelope.

Requests: zeep cannot send MTOM; :func:`to_mtom` turns a zeep-built envelope into a multipart message with
each file attachment as its own binary part.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from urllib.parse import unquote

from lxml import etree

from connector import xmlsafe
from connector.errors import ResponseFormatError

XOP = "http://www.w3.org/2004/08/xop/include"
TYPES = "http://schemas.optimalsystems.de/OsEcm/Ws/Types/"
CID_DOMAIN = "enaio-connector"


def _params(content_type: str) -> dict[str, str]:
    out = {}
    for piece in content_type.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        out[key.strip().lower()] = value.strip().strip('"')
    return out


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def split(body: bytes, content_type: str, *, operation: str) -> tuple[bytes, dict[str, bytes]]:
    """(root part, attachments by Content-ID) of a ``multipart/related`` body, byte-exact."""
    params = _params(content_type)
    boundary = params.get("boundary")
    if not boundary:
        raise ResponseFormatError("multipart answer without boundary", operation=operation)
    start = params.get("start", "").strip("<>")
    delimiter = b"--" + boundary.encode("ascii")
    chunks = body.split(b"\r\n" + delimiter)
    if chunks[0].startswith(delimiter):
        chunks[0] = chunks[0][len(delimiter) :]
    parts: list[tuple[str, bytes]] = []
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break
        head, sep, content = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        content_id = ""
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-id":
                content_id = value.strip().strip("<>")
        parts.append((content_id, content))
    if not parts:
        raise ResponseFormatError("empty multipart answer", operation=operation)
    root_index = next((i for i, (cid, _) in enumerate(parts) if start and cid == start), 0)
    attachments = {cid: content for i, (cid, content) in enumerate(parts) if i != root_index}
    return parts[root_index][1], attachments


def inline(body: bytes, content_type: str, *, operation: str) -> bytes:
    """The root envelope with every ``xop:Include`` replaced by the base64 text of its part."""
    root_part, attachments = split(body, content_type, operation=operation)
    envelope = xmlsafe.parse_bytes(root_part, operation=operation)
    for include in list(envelope.iter(f"{{{XOP}}}Include")):
        href = include.get("href", "")
        cid = unquote(href[4:] if href.startswith("cid:") else href).strip("<>")
        data = attachments.get(cid)
        if data is None:
            raise ResponseFormatError(f"XOP reference {href!r} has no MIME part", operation=operation)
        parent = include.getparent()
        if parent is None:
            raise ResponseFormatError("XOP include at the document root", operation=operation)
        parent.remove(include)
        parent.text = base64.b64encode(data).decode("ascii")
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def to_mtom(envelope: etree._Element, files: Sequence[tuple[str, bytes]]) -> tuple[bytes, str]:
    """Multipart body and Content-Type: the n-th ``fileParameter/content/attachment`` gets the n-th file
    (``(mime type, bytes)``) as an XOP part."""
    token = secrets.token_hex(8)
    attachments = list(envelope.iter(f"{{{TYPES}}}attachment"))
    if len(attachments) != len(files):
        raise ValueError(f"{len(attachments)} attachment elements for {len(files)} files")
    parts: list[tuple[str, str, bytes]] = []
    for number, (element, (mime, data)) in enumerate(zip(attachments, files, strict=True), start=1):
        cid = f"{number}.{token}@{CID_DOMAIN}"
        element.text = None
        for child in list(element):
            element.remove(child)
        etree.SubElement(element, f"{{{XOP}}}Include", nsmap={"xop": XOP}, href=f"cid:{cid}")
        parts.append((cid, mime, data))
    xml = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    boundary = "uuid:" + secrets.token_hex(16)
    root_id = f"root.message@{CID_DOMAIN}"
    chunks = [
        f"--{boundary}\r\n"
        'Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\n'
        "Content-Transfer-Encoding: binary\r\n"
        f"Content-ID: <{root_id}>\r\n\r\n".encode("ascii"),
        xml,
    ]
    for cid, mime, data in parts:
        chunks.append(
            f"\r\n--{boundary}\r\n"
            f"Content-Type: {mime}\r\n"
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
