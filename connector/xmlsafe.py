"""The one hardened XML parser of the project.

Every XML byte the connector reads (SOAP answers, DMSContent, asobjdef) goes through here: no entity
expansion, no network, no DTD loading, and any document that carries a DTD at all is refused, since
enaio never sends one and a DTD is the vehicle of XXE and entity-expansion ("billion laughs") attacks.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from typing import IO, Any, Literal, cast

from lxml import etree

from connector.errors import ResponseFormatError

__all__ = ["XmlFormatError", "XmlSecurityError", "iterparse", "parse_bytes", "parser"]


class XmlFormatError(ResponseFormatError):
    """The bytes are not well-formed XML."""


class XmlSecurityError(ResponseFormatError):
    """The document carries a DTD or entity declarations; refused without expanding anything."""


def parser(*, huge_tree: bool = False) -> etree.XMLParser:
    """A fresh hardened parser (lxml parsers are not thread-safe, so never share one)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge_tree,
        remove_blank_text=False,
    )


_PROLOG_SNIFF = 64 * 1024


def _decode_prefix(prefix: bytes) -> str:
    # enaio sends UTF-8 or UTF-16; latin-1 keeps every ASCII-compatible encoding's markup readable
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return prefix.decode("utf-16", errors="ignore")
    if prefix.startswith(b"<\x00"):
        return prefix.decode("utf-16-le", errors="ignore")
    if prefix.startswith(b"\x00<"):
        return prefix.decode("utf-16-be", errors="ignore")
    return prefix.decode("latin-1")


def _prolog_declares_dtd(prefix: bytes) -> bool:
    """True when a ``<!DOCTYPE`` appears in the prolog (before the root element).

    Checked before lxml sees the bytes: libxml2 may already fail inside the DTD (amplification limit),
    and that failure must surface as a security refusal, not as a format error.
    """
    text = _decode_prefix(prefix).lstrip("\ufeff")
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
        else:
            return text.startswith("<!DOCTYPE", pos) or text.startswith("<!ENTITY", pos)
        if end < 0:
            return False
        pos = end + 2


class _Replay:
    """File-like that first returns an already-read prefix, then the rest of the stream."""

    def __init__(self, prefix: bytes, rest: IO[bytes]) -> None:
        self._prefix = prefix
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            if size < 0:
                out, self._prefix = self._prefix + self._rest.read(), b""
                return out
            out, self._prefix = self._prefix[:size], self._prefix[size:]
            return out
        return self._rest.read(size)


def _refuse(operation: str | None, url: str | None) -> XmlSecurityError:
    return XmlSecurityError(
        "XML document declares a DTD; refused (no DTDs or entities accepted)", operation=operation, url=url
    )


def _check_no_dtd(tree: etree._ElementTree, *, operation: str | None, url: str | None) -> None:
    docinfo = tree.docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise _refuse(operation, url)


def parse_bytes(
    data: bytes, *, huge_tree: bool = False, operation: str | None = None, url: str | None = None
) -> etree._Element:
    """Parse a complete document held in memory; return its root element."""
    if _prolog_declares_dtd(data[:_PROLOG_SNIFF]):
        raise _refuse(operation, url)
    try:
        root = etree.fromstring(data, parser(huge_tree=huge_tree))
    except etree.XMLSyntaxError as exc:
        raise XmlFormatError(f"malformed XML: {exc}", operation=operation, url=url) from exc
    _check_no_dtd(root.getroottree(), operation=operation, url=url)
    return root


def iterparse(
    source: str | IO[bytes],
    events: Iterable[str] = ("end",),
    tag: str | Iterable[str] | None = None,
    *,
    huge_tree: bool = False,
    operation: str | None = None,
    url: str | None = None,
) -> Iterator[tuple[str, Any]]:
    """Stream ``(event, element)`` pairs like ``lxml.etree.iterparse``, with the hardened settings.

    The DTD check runs before the first event is handed out; entities are never expanded, so nothing
    dangerous happens before that point.
    """
    stream: IO[bytes] = open(source, "rb") if isinstance(source, str) else source  # noqa: SIM115
    try:
        yield from _iterparse(stream, events, tag, huge_tree=huge_tree, operation=operation, url=url)
    finally:
        if isinstance(source, str):
            stream.close()


def _iterparse(
    stream: IO[bytes],
    events: Iterable[str],
    tag: str | Iterable[str] | None,
    *,
    huge_tree: bool,
    operation: str | None,
    url: str | None,
) -> Iterator[tuple[str, Any]]:
    prefix = stream.read(_PROLOG_SNIFF)
    if _prolog_declares_dtd(prefix):
        raise _refuse(operation, url)
    it = etree.iterparse(
        _Replay(prefix, stream),
        events=cast("tuple[Literal['start', 'end', 'comment', 'pi'], ...]", tuple(events)),
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge_tree,
    )
    checked = False
    try:
        for event, item in it:
            if not checked and isinstance(item, etree._Element):
                _check_no_dtd(item.getroottree(), operation=operation, url=url)
                checked = True
            yield event, item
    except etree.XMLSyntaxError as exc:
        raise XmlFormatError(f"malformed XML: {exc}", operation=operation, url=url) from exc
    if not checked:
        # no element event was requested/matched: still refuse a DTD-bearing document
        root = getattr(it, "root", None)
        if isinstance(root, etree._Element):
            _check_no_dtd(root.getroottree(), operation=operation, url=url)
