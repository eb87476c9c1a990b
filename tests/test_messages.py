"""Errors that say what to do (issue 12 item 6): every message is one line, names the cause and the setting
to check, never dumps a body, and comes with its exit code. Real clients against the emulator or real
sockets on 127.0.0.1; nothing is mocked."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from connector.config import Interface, load_settings
from connector.enaio.emulator.server import EmulatorServer
from connector.errors import ConfigurationError
from jobs.cli import main
from tests.conftest import INTERFACES, TEST_USERS

_WARNING = re.compile(r"WARNING\s+connector\.http: retrying \S+ \(attempt 1 of 2 failed\): (?P<cause>.+)")


def _env(url: str, interface: Interface = "dms", **extra: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        "ENAIO_URL": url,
        "ENAIO_INTERFACE": interface,
        "ENAIO_USERNAME": "alice",
        "ENAIO_PASSWORD": TEST_USERS["alice"],
        "ENAIO_CONNECT_TIMEOUT": "0.5",
        "ENAIO_READ_TIMEOUT": "0.5",
        "ENAIO_RETRY__MAX_ATTEMPTS": "2",
        "ENAIO_RETRY__BACKOFF_INITIAL": "0.01",
        "ENAIO_SECRETS_DIR": None,
        "CREDENTIALS_DIRECTORY": None,
        "ENAIO_MAPPING_PROFILE": None,
    }
    env.update(extra)
    return env


def _check(env: Mapping[str, str | None]) -> tuple[Result, float]:
    started = time.monotonic()
    result = CliRunner().invoke(main, ["check"], env=dict(env))
    return result, time.monotonic() - started


def _error_line(result: Result) -> str:
    """The one error line (the last line of stderr), after asserting there is no traceback or HTML."""
    assert "Traceback" not in result.output
    assert "<" not in result.stderr  # no HTML page, no XML
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _retry_causes(result: Result) -> list[str]:
    return [match["cause"] for match in _WARNING.finditer(result.stderr)]


@pytest.fixture
def free_port() -> int:
    """A port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A server that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


# --- configuration: exit 2 naming the key and where it may come from ---------------------------------------


@pytest.mark.parametrize("interface", INTERFACES)
def test_missing_password_is_a_configuration_error(emulator: EmulatorServer, interface: Interface) -> None:
    # Before: exit 1, "credentials refused after re-login" (the DMS room sent an empty password)
    result, _ = _check(_env(emulator.url, interface, ENAIO_PASSWORD=None))
    assert result.exit_code == 2, result.output
    line = _error_line(result)
    for place in ("ENAIO_PASSWORD", "'enaio_password'", "'password' in the config file", "LoadCredential"):
        assert place in line, place


def test_missing_username_is_a_configuration_error(emulator: EmulatorServer) -> None:
    result, _ = _check(_env(emulator.url, ENAIO_USERNAME=None))
    assert result.exit_code == 2, result.output
    assert "username is not set: set ENAIO_USERNAME or 'username' in the config file" in _error_line(result)


def test_require_credentials_names_key(tmp_path: Path) -> None:
    settings = load_settings(overrides={"url": "http://h", "username": "svc"}, secrets_dir=tmp_path)
    with pytest.raises(ConfigurationError) as caught:
        settings.require_credentials()
    assert caught.value.key == "password"
    (tmp_path / "enaio_password").write_text("from-secrets", encoding="utf-8")
    settings = load_settings(overrides={"url": "http://h", "username": "svc"}, secrets_dir=tmp_path)
    assert settings.require_credentials() == ("svc", "from-secrets")


# --- network: one distinct line per cause (server-facing cases in both emulator personalities) -------------


def test_connection_refused(free_port: int) -> None:
    result, _ = _check(_env(f"http://127.0.0.1:{free_port}"))
    assert result.exit_code == 1
    expected = (
        f"connection refused by 127.0.0.1:{free_port}: is the enaio server running, and are host and port "
        "in the url setting (ENAIO_URL) right?"
    )
    assert _error_line(result).startswith(f"error: {expected} (operation=dms.info")
    assert _retry_causes(result) == [expected]  # retried, and the warning names the cause


def test_name_not_resolved_fails_without_retries() -> None:
    result, _ = _check(_env("http://no-such-host.invalid:8080"))
    assert result.exit_code == 1
    assert _error_line(result).startswith(
        "error: cannot resolve the host name 'no-such-host.invalid': check the host in the url setting "
        "(ENAIO_URL) and the DNS of this machine"
    )
    assert _retry_causes(result) == []  # a typo in the host name does not heal


@pytest.mark.parametrize("interface", INTERFACES)
def test_https_against_plain_http_fails_fast(emulator: EmulatorServer, interface: Interface) -> None:
    # Before: retried read timeouts (34 s with the default settings) and "network failure: ReadTimeout"
    port = emulator.url.rsplit(":", 1)[1]
    result, seconds = _check(
        _env(f"https://127.0.0.1:{port}", interface, ENAIO_READ_TIMEOUT="30", ENAIO_RETRY__MAX_ATTEMPTS="5")
    )
    assert result.exit_code == 1
    assert _error_line(result).startswith(
        f"error: 127.0.0.1:{port} speaks plain HTTP, not HTTPS: use http:// in the url setting (ENAIO_URL)"
    )
    assert _retry_causes(result) == []
    # one handshake bounded by connect_timeout (0.5 s) plus one plain probe; no read timeout, no retries
    assert seconds < 5, seconds


def test_tls_handshake_timeout_is_retried(silent_server: int) -> None:
    # https:// against a server that never answers (neither TLS nor the plain probe): a slow TLS server,
    # not a scheme mismatch — retried, and named as a handshake timeout
    result, _ = _check(_env(f"https://127.0.0.1:{silent_server}"))
    assert result.exit_code == 1
    expected = (
        f"the TLS handshake with 127.0.0.1:{silent_server} did not finish within 0.5 s (connect_timeout): "
        "the server is busy or a gateway holds the connection"
    )
    assert _error_line(result).startswith(f"error: {expected}")
    assert _retry_causes(result) == [expected]


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A listening socket whose accept queue is full: Linux drops further SYNs, so connecting times out."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port: int = server.getsockname()[1]
        pending = []
        for _ in range(3):
            client = socket.socket()
            client.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                client.connect(("127.0.0.1", port))
            pending.append(client)
        time.sleep(0.1)
        try:
            yield port
        finally:
            for client in pending:
                client.close()


@pytest.mark.skipif(sys.platform != "linux", reason="a full accept queue drops SYNs on Linux")
def test_connect_timeout(full_backlog: int) -> None:
    result, _ = _check(_env(f"http://127.0.0.1:{full_backlog}"))
    assert result.exit_code == 1
    expected = (
        f"no connection to 127.0.0.1:{full_backlog} within 0.5 s (connect_timeout): the host is down or a "
        "firewall drops the connection"
    )
    assert _error_line(result).startswith(f"error: {expected}")
    assert _retry_causes(result) == [expected]


def test_read_timeout(silent_server: int) -> None:
    result, _ = _check(_env(f"http://127.0.0.1:{silent_server}"))
    assert result.exit_code == 1
    expected = (
        f"127.0.0.1:{silent_server} did not answer within 0.5 s (read_timeout): the server is busy or the "
        "request too large; raise read_timeout if this repeats"
    )
    assert _error_line(result).startswith(f"error: {expected}")
    assert _retry_causes(result) == [expected]


@pytest.mark.parametrize(
    ("interface", "setting"),
    [("dms", "ENAIO_DMS_PATH"), ("osrest", "ENAIO_OSREST_PATH"), ("soap", "ENAIO_SOAP_PATH")],
)
def test_wrong_path_names_the_url_and_no_body(
    any_emulator: EmulatorServer, interface: Interface, setting: str
) -> None:
    # Before: the first line of the web server's HTML 404 page was the message
    result, _ = _check(_env(any_emulator.url, interface, **{setting: "/nowhere/enaio"}))
    assert result.exit_code == 1
    line = _error_line(result)
    assert line.startswith(
        "error: nothing at this address: check the url setting (ENAIO_URL) and the interface path "
        "(dms_path, osrest_path, soap_path)"
    )
    assert "status=404" in line
    assert f"url={any_emulator.url}/nowhere/enaio" in line
    assert "doctype" not in line.lower()


@pytest.mark.parametrize("interface", ["dms", "osrest"])
def test_wrong_credentials(any_emulator: EmulatorServer, interface: Interface) -> None:
    result, _ = _check(_env(any_emulator.url, interface, ENAIO_PASSWORD="not-alices-password"))
    assert result.exit_code == 1
    assert _error_line(result).startswith(
        "error: the server refused the credentials (HTTP 401 again after a fresh login); check "
        "ENAIO_USERNAME and the password in the secrets file enaio_password, ENAIO_PASSWORD or the "
        "config file"
    )
    assert "not-alices-password" not in result.output


def test_wrong_credentials_soap(any_emulator: EmulatorServer) -> None:
    result, _ = _check(_env(any_emulator.url, "soap", ENAIO_PASSWORD="not-alices-password"))
    assert result.exit_code == 1
    line = _error_line(result)
    assert "password" in line.lower()  # the server's own fault text, one line
    assert "not-alices-password" not in result.output


# --- periods against today: exit 2 with what to do ---------------------------------------------------------


def _kennzahlen(env: Mapping[str, str | None], tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["kennzahlen", *args, "--out", str(tmp_path / "out")], env=dict(env))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--period", "2030-Q1"],
            "period 2030-Q1 starts on 2030-01-01, after today (2018-07-31): there is nothing to report yet",
        ),
        (
            ["--period", "2018-Q3"],
            "period 2018-Q3 ends on 2018-09-30, after today (2018-07-31): its figures are not final; "
            "use --allow-open-period",
        ),
        (
            ["--period", "2018-Q2", "--stichtag", "31.03.2018"],
            "--stichtag 2018-03-31 is before the first day of the period 2018-Q2 (2018-04-01)",
        ),
        (
            ["--period", "2018-Q2", "--stichtag", "2018-08-01"],
            "--stichtag 2018-08-01 is after today (2018-07-31): use --allow-open-period",
        ),
        (["--period", "next-quarter"], "unknown period 'next-quarter': use a year (2018)"),
    ],
)
def test_period_refusals(free_port: int, tmp_path: Path, args: list[str], message: str) -> None:
    env = _env(f"http://127.0.0.1:{free_port}", ENAIO_TODAY="2018-07-31", ENAIO_PSEUDONYM_KEY="k" * 32)
    result = _kennzahlen(env, tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert message in _error_line(result)
    assert not (tmp_path / "out").exists()  # refused before anything was touched


# --- TLS certificate not trusted ---------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """An HTTPS server with a self-signed certificate for 127.0.0.1 (made with the openssl tool); it answers
    every request with a plain 404."""
    openssl = shutil.which("openssl")
    if openssl is None:  # pragma: no cover - the tool is part of the base system of the project's machines
        pytest.skip("openssl tool not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>Not Found</body></html>")

        do_POST = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], cert
    finally:
        server.shutdown()
        server.server_close()


def test_untrusted_certificate_names_the_fix(tls_server: tuple[int, Path]) -> None:
    port, cert = tls_server
    result, _ = _check(_env(f"https://127.0.0.1:{port}"))
    assert result.exit_code == 1
    line = _error_line(result)
    assert line.startswith(f"error: the TLS certificate of 127.0.0.1:{port} is not trusted (self")
    assert "set ENAIO_CA_BUNDLE to the certificate of your internal CA" in line
    assert _retry_causes(result) == []
    # With the CA bundle the connection is trusted; this server then has nothing at the address
    trusted, _ = _check(_env(f"https://127.0.0.1:{port}", ENAIO_CA_BUNDLE=str(cert)))
    assert trusted.exit_code == 1
    assert _error_line(trusted).startswith("error: nothing at this address")
