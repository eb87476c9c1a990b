"""The emulator's osws surface on the wire: WSDL, envelopes, faults, MTOM, jobs (plain zeep and requests)."""

from __future__ import annotations

import ast
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import requests
import zeep
import zeep.exceptions
from lxml import etree

from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.soap.envelope import parse_request
from connector.enaio.emulator.soap.surface import SERVICE_PATH
from connector.enaio.soap.transport import WSDL_PATH
from tests.conftest import TEST_USERS

TYPES = "http://schemas.optimalsystems.de/OsEcm/Ws/Types/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
BILLION_LAUGHS_ENVELOPE = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&d;</soap:Body></soap:Envelope>"""


@pytest.fixture
def zclient(any_emulator: EmulatorServer) -> Iterator[Any]:
    """zeep straight against the surface, in each personality (UTF-8 and UTF-16 envelopes)."""
    client: Any = cast(Any, zeep.Client)(any_emulator.url + SERVICE_PATH + "?wsdl")
    yield client
    client.transport.session.close()


def _execute(client: Any, job: str, user: str = "alice", **params: Any) -> Any:
    f = client.type_factory("ns0")
    parameters = []
    for name, value in params.items():
        kind = {int: "IntegerParameter", bytes: "Base64Parameter", str: "StringParameter"}[type(value)]
        parameters.append(getattr(f, kind)(name=name, value=value))
    auth = f.Authentication(user=user, password=TEST_USERS.get(user, "x"))
    return client.service.execute(authentication=auth, job=f.Job(name=job, parameter=parameters), property=[])


def _out(result: Any) -> dict[str, Any]:
    return {p.name: p.value for p in result.job.parameter}


def test_wsdl_identity_and_address_from_request_host(emulator: EmulatorServer) -> None:
    response = requests.get(emulator.url + SERVICE_PATH, params={"wsdl": ""}, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/"}
    assert root.get("targetNamespace") == "http://schemas.optimalsystems.de/OsEcm/Ws/"
    assert root.xpath("//s:address/@location", namespaces=ns) == [emulator.url + SERVICE_PATH]
    assert root.xpath("//w:service/@name", namespaces=ns) == ["EcmWsMtomSoapService"]
    assert root.xpath("//w:portType/@name", namespaces=ns) == ["OsecmWsPortType"]
    actions = root.xpath("//s:operation/@soapAction", namespaces=ns)
    assert "http://schemas.optimalsystems.de/OsEcm/Ws/execute" in actions
    assert len(actions) == 6


def test_vendored_wsdl_equals_served_one_but_for_the_address(emulator: EmulatorServer) -> None:
    served = etree.fromstring(requests.get(emulator.url + SERVICE_PATH + "?wsdl", timeout=5).content)
    vendored = etree.parse(str(WSDL_PATH)).getroot()
    for root in (served, vendored):
        for el in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address"):
            el.set("location", "X")
    assert etree.tostring(served, method="c14n") == etree.tostring(vendored, method="c14n")


def test_zeep_loads_served_wsdl_bare_signature(zclient: Any) -> None:
    signature = str(zclient.service.execute.__doc__ or zclient.wsdl.bindings)
    operation = zclient.service._binding._operations["execute"]
    assert "authentication" in str(operation.input.signature())
    assert "job" in str(operation.input.signature())
    assert operation.soapaction == "http://schemas.optimalsystems.de/OsEcm/Ws/execute"
    assert signature


def test_server_info_and_typed_outputs(zclient: Any) -> None:
    result = _execute(zclient, "krn.GetServerInfo")
    assert result.job.returnCode == 0
    assert result.job.name == "krn.GetServerInfo"
    types = {p.name: type(p).__name__ for p in result.job.parameter}
    assert set(types) == {"Version", "ServerName", "UserName"}
    assert _out(result)["UserName"] == "alice"


def test_typed_parameters_in_raw_envelope(emulator: EmulatorServer) -> None:
    """Outputs carry their xsi:type; Base64 outputs travel as MTOM parts (multipart/related)."""
    body = _envelope("dms.GetObjDef", [("IntegerParameter", "Flags", "4097")])
    response = requests.post(
        emulator.url + SERVICE_PATH,
        data=body,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"execute"'},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("multipart/related")
    assert 'type="application/xop+xml"' in response.headers["Content-Type"]
    assert b'xsi:type="ns2:Base64Parameter"' in response.content
    assert b"<xop:Include" in response.content
    assert b"@schemas.optimalsystems.de" in response.content
    assert b"<asobjdef" in response.content  # the attachment part


def _envelope(
    job: str, params: list[tuple[str, str, str]], *, user: str = "alice", password: str | None = None
) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "t": TYPES})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    inp = etree.SubElement(body, f"{{{TYPES}}}inParameter")
    auth = etree.SubElement(inp, f"{{{TYPES}}}authentication")
    etree.SubElement(auth, f"{{{TYPES}}}user").text = user
    etree.SubElement(auth, f"{{{TYPES}}}password").text = password or TEST_USERS[user]
    job_el = etree.SubElement(inp, f"{{{TYPES}}}job")
    etree.SubElement(job_el, f"{{{TYPES}}}name").text = job
    for kind, name, value in params:
        p = etree.SubElement(job_el, f"{{{TYPES}}}parameter")
        p.set("{http://www.w3.org/2001/XMLSchema-instance}type", f"t:{kind}")
        etree.SubElement(p, f"{{{TYPES}}}name").text = name
        etree.SubElement(p, f"{{{TYPES}}}value").text = value
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def test_wrong_password_is_a_soap_fault(zclient: Any) -> None:
    f = zclient.type_factory("ns0")
    with pytest.raises(zeep.exceptions.Fault) as caught:
        zclient.service.execute(
            authentication=f.Authentication(user="alice", password="wrong"),
            job=f.Job(name="krn.GetServerInfo"),
            property=[],
        )
    assert caught.value.message == "Incorrect user name or password!"
    assert (caught.value.code or "").rpartition(":")[2] == "Client"


def _error_text(result: Any, documented: bool) -> str:
    """default: the error list as ``property`` entries; documented: ``errorCode``/``errorMessage`` outputs."""
    if documented:
        assert not result.property
        outputs = _out(result)
        assert outputs["errorCode"] == result.job.returnCode
        return str(outputs["errorMessage"])
    props = {p.key: p._value_1 for p in result.property}
    assert props["error.1.code"] == str(result.job.returnCode)
    return str(props["error.1.message"])


def test_job_names_case_insensitive_prefix_and_unknown_job(
    zclient: Any, any_emulator: EmulatorServer
) -> None:
    assert _execute(zclient, "KRN.GetServerInfo").job.returnCode == 0
    assert _execute(zclient, "Dms.GetObjDef", Flags=4097).job.returnCode == 0
    unknown = _execute(zclient, "dms.NoSuchJob")
    assert unknown.job.returnCode == -1043332470
    assert "dms.NoSuchJob" in _error_text(unknown, any_emulator.state.documented)


def test_objdef_utf8_and_utf16(zclient: Any) -> None:
    utf8 = _out(_execute(zclient, "dms.GetObjDef", Flags=4097))["sRet"]
    utf16 = _out(_execute(zclient, "dms.GetObjDef", Flags=1))["sRet"]
    assert utf8.lstrip().startswith(b"<?xml")
    assert b"asobjdef" in utf8
    assert utf16[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert etree.fromstring(utf16).tag == "asobjdef"


def test_missing_parameter_and_unknown_object(zclient: Any) -> None:
    missing = _execute(zclient, "dms.GetObjectTypeByID")
    assert missing.job.returnCode == -1025
    unknown = _execute(zclient, "dms.GetObjectTypeByID", ObjectID=987654)
    assert unknown.job.returnCode == -1014


def test_result_list_rejects_bad_xml(zclient: Any, any_emulator: EmulatorServer) -> None:
    bad = _execute(zclient, "dms.GetResultList", XML=b"<DMSQuery><Archive>")
    assert bad.job.returnCode == -1016
    unknown_type = _execute(
        zclient,
        "dms.GetResultList",
        XML=b'<DMSQuery><Archive><ObjectType internal_name="NOPE"/></Archive></DMSQuery>',
    )
    assert unknown_type.job.returnCode == -1030
    assert "NOPE" in _error_text(unknown_type, any_emulator.state.documented)


def test_request_with_dtd_refused(emulator: EmulatorServer) -> None:
    response = requests.post(
        emulator.url + SERVICE_PATH,
        data=BILLION_LAUGHS_ENVELOPE,
        headers={"Content-Type": "text/xml"},
        timeout=10,
    )
    assert response.status_code == 500
    assert b"faultcode>soap:Client<" in response.content
    assert b"DTD" in response.content


def test_schema_invalid_request_and_soap12_refused(emulator: EmulatorServer) -> None:
    body = _envelope("krn.GetServerInfo", [("NoSuchParameter", "Flags", "0")])
    response = requests.post(
        emulator.url + SERVICE_PATH, data=body, headers={"Content-Type": "text/xml"}, timeout=5
    )
    assert response.status_code == 500
    assert b"schema" in response.content
    response = requests.post(
        emulator.url + SERVICE_PATH, data=body, headers={"Content-Type": "application/soap+xml"}, timeout=5
    )
    assert response.status_code == 500
    assert b"VersionMismatch" in response.content


def test_inline_base64_upload_accepted(emulator: EmulatorServer) -> None:
    """Without MTOM the attachment may be inline base64; the MIME type then comes from the name."""
    from connector.enaio.emulator.soap.envelope import InFile

    env = _envelope("krn.EmptyJob", [])
    root = etree.fromstring(env)
    job = root.find(f".//{{{TYPES}}}job")
    assert job is not None
    fp = etree.SubElement(job, f"{{{TYPES}}}fileParameter")
    etree.SubElement(fp, f"{{{TYPES}}}fileName").text = "a.txt"
    content = etree.SubElement(fp, f"{{{TYPES}}}content")
    etree.SubElement(content, f"{{{TYPES}}}attachment").text = base64.b64encode(b"hello\r\n").decode()
    parsed = parse_request(etree.tostring(root), "text/xml")
    assert parsed.files == [InFile("a.txt", b"hello\r\n", None)]


def test_soap_xml_is_parsed_only_through_xmlsafe() -> None:
    """Emulator surface and client room parse XML only with connector.xmlsafe (no entities, no DTDs)."""
    root = Path(__file__).parent.parent / "connector" / "enaio"
    parsers = {"fromstring", "XML", "parse", "iterparse", "fromstringlist", "XMLParser"}
    found = []
    for path in sorted([*(root / "emulator" / "soap").glob("*.py"), *(root / "soap").glob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in parsers
                and isinstance(node.value, ast.Name)
                and node.value.id == "etree"
            ):
                found.append(f"{path.name}:{node.lineno} etree.{node.attr}")
    assert found == []
