from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

from connector.errors import ResponseFormatError
from connector.xmlsafe import XmlFormatError, XmlSecurityError, iterparse, parse_bytes, parser

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


def _xxe(target: Path) -> bytes:
    return (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{target}">]><r>&x;</r>').encode()


def test_normal_document_parses() -> None:
    root = parse_bytes('<a x="1"><b>Tübingen</b><c/></a>'.encode())
    assert root.tag == "a"
    assert root.get("x") == "1"
    assert root.findtext("b") == "Tübingen"


def test_raw_parser_never_expands(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    root = etree.fromstring(_xxe(secret), parser())
    assert b"TOPSECRET" not in etree.tostring(root)


def test_doctype_after_comment_and_in_utf16_refused() -> None:
    with pytest.raises(XmlSecurityError):
        parse_bytes(b'<?xml version="1.0"?>\n<!-- hi -->\n<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>')
    with pytest.raises(XmlSecurityError):
        parse_bytes('<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'.encode("utf-16"))


def test_doctype_text_inside_cdata_is_fine() -> None:
    root = parse_bytes(b"<r><![CDATA[<!DOCTYPE html>]]></r>")
    assert root.text == "<!DOCTYPE html>"


def test_billion_laughs_refused() -> None:
    with pytest.raises(XmlSecurityError):
        parse_bytes(BILLION_LAUGHS)


def test_external_entity_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    with pytest.raises(XmlSecurityError) as info:
        parse_bytes(_xxe(secret))
    assert "TOPSECRET" not in str(info.value)


def test_doctype_alone_refused() -> None:
    with pytest.raises(XmlSecurityError):
        parse_bytes(b"<!DOCTYPE r><r/>")


def test_errors_are_response_format_errors() -> None:
    assert issubclass(XmlSecurityError, ResponseFormatError)
    assert issubclass(XmlFormatError, ResponseFormatError)


def test_malformed_is_format_error() -> None:
    with pytest.raises(XmlFormatError) as info:
        parse_bytes(b"<a><b></a>", operation="dms.GetObjDef")
    assert info.value.operation == "dms.GetObjDef"
    with pytest.raises(XmlFormatError):
        parse_bytes(b"<r>&undeclared;</r>")


def test_iterparse_streams() -> None:
    data = b"<rows>" + b"".join(b'<row id="%d"/>' % i for i in range(5)) + b"</rows>"
    ids = [el.get("id") for _, el in iterparse(io.BytesIO(data), ("end",), "row")]
    assert ids == ["0", "1", "2", "3", "4"]


def test_iterparse_refuses_dtd(tmp_path: Path) -> None:
    with pytest.raises(XmlSecurityError):
        list(iterparse(io.BytesIO(BILLION_LAUGHS), ("start", "end")))
    path = tmp_path / "x.xml"
    path.write_bytes(_xxe(tmp_path / "secret"))
    with pytest.raises(XmlSecurityError):
        list(iterparse(str(path), ("end",), "r"))
    # no event ever matches: still refused at the end
    with pytest.raises(XmlSecurityError):
        list(iterparse(io.BytesIO(BILLION_LAUGHS), ("end",), "nothing"))


def test_iterparse_malformed() -> None:
    with pytest.raises(XmlFormatError):
        list(iterparse(io.BytesIO(b"<a><b></a>")))
