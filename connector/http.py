"""The network session every REST and SOAP room builds on: one ``requests.Session`` per client with
timeouts, TLS settings and a retry policy for idempotent calls; one re-login on 401.

Status mapping (the decision table is in docs/errors.md): connection errors, timeouts, 429, 502, 503
and 504 are transient and retried (``Retry-After`` honoured, capped); 401 triggers one re-login; the rest
become typed permanent errors that name the operation.

Network failures are told apart (`network_error`), each with a one-line message that says what to do:
connection refused (retried), host name not resolved (not retried: a typo in ``url`` does not heal),
``https://`` against a plain-HTTP server (detected after the first handshake failure with one plain probe,
not retried), certificate not trusted (not retried), connect and read timeouts (retried). An error body in
HTML (a gateway's or web server's 404 page) is never copied into a message.
"""

from __future__ import annotations

import email.utils
import logging
import socket
import ssl
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connector.config import RetryPolicy, Settings
from connector.errors import (
    AuthenticationError,
    ConflictError,
    EnaioError,
    LockedError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    SessionExpiredError,
    TransientError,
    ValidationError,
)
from connector.logs import register_credentials

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
USER_AGENT = "enaio-connector/0.1"

ErrorDetail = tuple[str | int | None, str]
"""(server code, server message) extracted from an error response."""


NOT_FOUND_HINT = (
    "nothing at this address: check the url setting (ENAIO_URL) and the interface path "
    "(dms_path, osrest_path, soap_path)"
)


def body_text(response: requests.Response) -> str:
    """The first line of a plain-text error body, or "" for markup (HTML error pages are never echoed)."""
    content_type = response.headers.get("Content-Type", "").lower()
    text = response.text.strip()
    if "html" in content_type or "xml" in content_type or text.startswith("<"):
        return ""
    lines = text.splitlines()
    return lines[0][:300] if lines else ""


def status_text(status: int, message: str = "") -> str:
    """The message of an error response: the server's own, or what the status means and what to do."""
    if message:
        return message
    if status == 404:
        return NOT_FOUND_HINT
    return f"HTTP {status}"


def plain_error_message(response: requests.Response) -> str:
    """The message of a non-JSON error body: its first text line, else the reason phrase; "" for a 404
    without text (`status_text` then says what to check)."""
    return body_text(response) or (response.reason if response.status_code != 404 else "") or ""


def default_error_detail(response: requests.Response) -> ErrorDetail:
    """Best effort: JSON ``{"code"|"errorCode", "message"|"error"}`` or the first line of a text body."""
    try:
        body = response.json()
    except ValueError:
        return None, plain_error_message(response)
    if isinstance(body, Mapping):
        code = body.get("code", body.get("errorCode"))
        message = body.get("message") or body.get("error") or body.get("detail") or response.reason or ""
        return code if isinstance(code, str | int) else None, str(message)[:500]
    return None, response.reason or ""


def error_for_status(
    response: requests.Response, operation: str, detail: ErrorDetail | None = None
) -> EnaioError:
    """The typed error for an HTTP error response."""
    code, message = detail if detail is not None else default_error_detail(response)
    status = response.status_code
    kwargs: dict[str, Any] = {"operation": operation, "url": response.url, "code": code, "status": status}
    text = status_text(status, message)
    if status in TRANSIENT_STATUSES:
        return TransientError(
            text, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
        )
    if status == 401:
        return SessionExpiredError(text, **kwargs)
    if status == 403:
        return PermissionDeniedError(text, **kwargs)
    if status == 404:
        return NotFoundError(text, **kwargs)
    if status == 423:
        return LockedError(text, **kwargs)
    if status in (409, 412):
        return ConflictError(text, **kwargs)
    if status in (400, 422):
        return ValidationError(text, **kwargs)
    return PermanentError(text, **kwargs)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def retry_policy(
    policy: RetryPolicy, operation: str, *, idempotent: bool, sleep: Callable[[float], None] = time.sleep
) -> Retrying:
    """The one retry rule of every interface: only idempotent calls, only ``TransientError``, exponential
    back-off, a server's ``Retry-After`` honoured but capped."""
    attempts = policy.max_attempts if idempotent else 1

    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        backoff = min(policy.backoff_max, policy.backoff_initial * float(2 ** (state.attempt_number - 1)))
        if isinstance(error, TransientError) and error.retry_after is not None:
            return min(policy.retry_after_cap, max(error.retry_after, backoff))
        return backoff

    def before_sleep(state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        cause = error.message if isinstance(error, EnaioError) else type(error).__name__
        log.warning(
            "retrying %s (attempt %d of %d failed): %s", operation, state.attempt_number, attempts, cause
        )

    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait,
        retry=retry_if_exception_type(TransientError),
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )


@dataclass(frozen=True)
class HttpOptions:
    """Everything that shapes a session; immutable so a client's network behaviour cannot drift."""

    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    verify: bool | str = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pool_size: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpOptions:
        return cls(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            verify=settings.tls_verify(),
            retry=settings.retry,
        )

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


def build_session(options: HttpOptions, auth: tuple[str, str] | None = None) -> requests.Session:
    """A fresh session: keep-alive pool, TLS settings, Basic auth; no urllib3 retries (tenacity retries)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=options.pool_size, pool_maxsize=options.pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.verify = options.verify
    session.headers["User-Agent"] = USER_AGENT
    session.trust_env = False
    if auth is not None:
        register_credentials(*auth)
        session.auth = auth
    return session


class HttpTransport:
    """Sends requests over one session with the retry and re-login rules of the error table."""

    def __init__(
        self,
        options: HttpOptions,
        *,
        auth: tuple[str, str] | None = None,
        error_detail: Callable[[requests.Response], ErrorDetail] = default_error_detail,
        relogin: Callable[[requests.Session], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = options
        self._auth = auth
        self._error_detail = error_detail
        self._relogin = relogin
        self._sleep = sleep
        self.session = build_session(options, auth)
        self.lock = threading.RLock()
        """Held for each exchange (retries included), so a prefetch worker and its caller never share the
        session at the same moment."""

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        idempotent: bool | None = None,
        stream: bool = False,
        ok_statuses: frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> requests.Response:
        """Send, retrying transient failures of idempotent calls and re-logging in once on 401.

        ``ok_statuses`` are non-2xx statuses the caller handles itself (e.g. 304).
        """
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
        relogged = False

        def send_once() -> requests.Response:
            nonlocal relogged
            try:
                response = self._send(method, url, operation, stream, **kwargs)
            except SessionExpiredError:
                if relogged:
                    raise
                relogged = True
                log.info("session expired during %s; logging in again once", operation)
                if self._relogin is not None:
                    self._relogin(self.session)
                else:
                    self.session.cookies.clear()
                try:
                    response = self._send(method, url, operation, stream, **kwargs)
                except SessionExpiredError as again:
                    raise AuthenticationError(
                        WRONG_CREDENTIALS, operation=operation, url=url, status=401
                    ) from again
            if response.status_code >= 400 and response.status_code not in ok_statuses:
                error = error_for_status(response, operation, self._error_detail(response))
                response.close()
                raise error
            return response

        with self.lock:
            return retry_policy(self.options.retry, operation, idempotent=idempotent, sleep=self._sleep)(
                send_once
            )

    def _send(self, method: str, url: str, operation: str, stream: bool, **kwargs: Any) -> requests.Response:
        # Rewind file-like bodies so a retry sends the whole body again.
        for value in (kwargs.get("files") or {}).values() if isinstance(kwargs.get("files"), dict) else ():
            handle = value[1] if isinstance(value, tuple) and len(value) > 1 else value
            if hasattr(handle, "seek"):
                handle.seek(0)
        try:
            response = self.session.request(
                method, url, timeout=self.options.timeout, stream=stream, **kwargs
            )
        except requests.exceptions.RequestException as exc:
            raise network_error(exc, url, operation, self.options) from exc
        if response.status_code == 401:
            code, message = self._error_detail(response)
            response.close()
            raise SessionExpiredError(
                message or "unauthorized", operation=operation, url=url, status=401, code=code
            )
        return response


WRONG_CREDENTIALS = (
    "the server refused the credentials (HTTP 401 again after a fresh login); check ENAIO_USERNAME and the "
    "password in the secrets file enaio_password, ENAIO_PASSWORD or the config file"
)


def _innermost(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = exc.__cause__ or exc.__context__
        if inner is None and exc.args and isinstance(exc.args[0], BaseException):
            inner = exc.args[0]
        if inner is None:
            break
        exc = inner
    return exc


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (cause, context, urllib3's ``reason``)."""
    found: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is seen for seen in found):
            continue
        found.append(item)
        reason = getattr(item, "reason", None)  # urllib3 keeps the cause there (sometimes a str)
        todo += [item.__cause__, item.__context__, reason if isinstance(reason, BaseException) else None]
        todo += [arg for arg in item.args if isinstance(arg, BaseException)]
    return found


def _in_handshake(exc: BaseException) -> bool:
    return any(
        frame.name == "do_handshake"
        for item in _chain(exc)
        for frame in traceback.extract_tb(item.__traceback__)
    )


def speaks_plain_http(host: str, port: int, timeout: float) -> bool:
    """Whether the server at host:port answers a plain HTTP request (so ``https://`` is the wrong scheme)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"HEAD / HTTP/1.0\r\nHost: " + host.encode("idna") + b"\r\n\r\n")
            return sock.recv(5) == b"HTTP/"
    except (OSError, UnicodeError):
        return False


def network_error(
    exc: requests.exceptions.RequestException, url: str, operation: str, options: HttpOptions
) -> EnaioError:
    """One typed error with a message that says what happened and what to do (see the module docstring)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    where = f"{host}:{port}"
    chain = _chain(exc)
    context: dict[str, Any] = {"operation": operation, "url": url}
    text = " ".join(str(item) for item in chain).lower()

    if any(isinstance(item, socket.gaierror) for item in chain) or "failed to resolve" in text:
        return PermanentError(
            f"cannot resolve the host name {host!r}: check the host in the url setting (ENAIO_URL) "
            "and the DNS of this machine",
            **context,
        )
    if parts.scheme == "https" and (isinstance(exc, requests.exceptions.SSLError) or _in_handshake(exc)):
        certificate = next((i for i in chain if isinstance(i, ssl.SSLCertVerificationError)), None)
        if certificate is not None:
            reason = certificate.verify_message or "not trusted"
            return PermanentError(
                f"the TLS certificate of {where} is not trusted ({reason}): set ENAIO_CA_BUNDLE to the "
                "certificate of your internal CA (or ENAIO_VERIFY_TLS=false, for a test server only)",
                **context,
            )
        if "wrong version number" in text or speaks_plain_http(host, port, options.connect_timeout):
            return PermanentError(
                f"{where} speaks plain HTTP, not HTTPS: use http:// in the url setting (ENAIO_URL), "
                "or enable TLS on the server",
                **context,
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return PermanentError(
                f"TLS handshake with {where} failed ({_innermost(exc)}): check ENAIO_URL and the "
                "server's TLS set-up",
                **context,
            )
        if isinstance(exc, requests.exceptions.Timeout):
            return TransientError(
                f"the TLS handshake with {where} did not finish within {options.connect_timeout:g} s "
                "(connect_timeout): the server is busy or a gateway holds the connection",
                **context,
            )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransientError(
            f"no connection to {where} within {options.connect_timeout:g} s (connect_timeout): the host is "
            "down or a firewall drops the connection",
            **context,
        )
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return TransientError(
            f"{where} did not answer within {options.read_timeout:g} s (read_timeout): the server is busy "
            "or the request too large; raise read_timeout if this repeats",
            **context,
        )
    if any(isinstance(item, ConnectionRefusedError) for item in chain):
        return TransientError(
            f"connection refused by {where}: is the enaio server running, and are host and port in the "
            "url setting (ENAIO_URL) right?",
            **context,
        )
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return TransientError(f"network failure: the answer of {where} broke off before its end", **context)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return TransientError(
            f"network failure: the connection to {where} was dropped ({type(_innermost(exc)).__name__}); "
            "the network or the server closed it",
            **context,
        )
    return PermanentError(f"request to {where} failed: {type(exc).__name__}", **context)
