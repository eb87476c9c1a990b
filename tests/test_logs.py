"""Redaction at handler level: canary secrets and personal values never reach the log output at DEBUG."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connector.http import HttpOptions, HttpTransport
from connector.logs import MASK, configure_logging, redact_text, register_secret

CANARY_PASSWORD = "Canary-Pw-7f3a9"
CANARY_SESSION = "CANARYSESSION0042"
CANARY_NAME = "Kanarienvogel-Müßig"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", "json", ["familienname", "vornamen"], stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", f"JSESSIONID={CANARY_SESSION}; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_urllib3_and_requests_debug_records_are_redacted(log_output: io.StringIO, echo_server: str) -> None:
    transport = HttpTransport(HttpOptions(), auth=("svc-user", CANARY_PASSWORD))
    register_secret(CANARY_SESSION)
    try:
        response = transport.request(
            "GET", f"{echo_server}/osrest/api/session?sessionguid={CANARY_SESSION}", operation="session"
        )
        assert response.json() == {"ok": True}
        logging.getLogger("connector.test").debug(
            "request headers %s", dict(transport.session.headers) | {"Authorization": "Basic abc"}
        )
    finally:
        transport.close()
    text = log_output.getvalue()
    assert "urllib3" in text, "urllib3 must log at DEBUG for this test to mean anything"
    assert CANARY_PASSWORD not in text
    assert CANARY_SESSION not in text
    assert "Basic abc" not in text
    for line in text.splitlines():
        json.loads(line)


def test_personal_fields_in_messages_extras_and_tracebacks(log_output: io.StringIO) -> None:
    log = logging.getLogger("connector.enaio.test")
    log.debug("record FAMILIENNAME=%s vornamen: %s", CANARY_NAME, CANARY_NAME)
    log.debug("json body %s", json.dumps({"familienname": CANARY_NAME, "aktenzeichen": "IM-1"}))
    log.info("xml <FAMILIENNAME>%s</FAMILIENNAME>", CANARY_NAME, extra={"familienname": CANARY_NAME})
    log.info("nested", extra={"record": {"vornamen": CANARY_NAME, "id": 7}})
    try:
        raise ValueError(f"password={CANARY_PASSWORD}")
    except ValueError:
        log.exception("failed")
    text = log_output.getvalue()
    assert CANARY_NAME not in text
    assert CANARY_PASSWORD not in text
    assert "IM-1" in text  # ids stay readable
    records = [json.loads(line) for line in text.splitlines()]
    assert records[2]["familienname"] == MASK
    assert records[3]["record"] == {"vornamen": MASK, "id": 7}


def test_redact_text_forms() -> None:
    register_secret("s3cr3t-value")
    assert redact_text("Authorization: Basic dXNlcjpwdw==") == "Authorization: ***"
    assert redact_text('{"password": "x y"}') == '{"password": "***"}'
    assert redact_text("JSESSIONID=ABC123; Path=/") == "JSESSIONID=***; Path=/"
    assert redact_text("<ns:Password>x</ns:Password>") == "<ns:Password>***</ns:Password>"
    assert redact_text("token s3cr3t-value used") == "token *** used"
    assert redact_text("objectId=4711 count=3") == "objectId=4711 count=3"


def test_text_format_and_noisy_loggers_pinned() -> None:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", "text", stream=stream)
    try:
        assert logging.getLogger("zeep.transports").getEffectiveLevel() > logging.DEBUG
        logging.getLogger("zeep.transports").debug("HTTP Post to x: <Password>%s</Password>", CANARY_PASSWORD)
        logging.getLogger("x").info("sessionguid=%s", CANARY_SESSION)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    assert CANARY_PASSWORD not in stream.getvalue()
    assert "sessionguid=***" in stream.getvalue()
