"""The network session every REST and SOAP room builds on: one ``requests.Session`` per client with
timeouts, TLS settings and a retry policy for idempotent calls; one re-login on 401.

Status mapping (the decision table is in docs/errors.md): connection errors, timeouts, 429, 502, 503
and 504 are transient and retried (``Retry-After`` honoured, capped); 401 triggers one re-login; the rest
become typed permanent errors that name the operation.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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


def default_error_detail(response: requests.Response) -> ErrorDetail:
    """Best effort: JSON ``{"code"|"errorCode", "message"|"error"}`` or the first line of a text body."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().splitlines()
        return None, text[0][:300] if text else response.reason or ""
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
    text = message or f"HTTP {status}"
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
        log.warning(
            "retrying %s after transient failure (attempt %d of %d): %s",
            operation,
            state.attempt_number,
            attempts,
            type(error).__name__,
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
                        "credentials refused after re-login", operation=operation, url=url, status=401
                    ) from again
            if response.status_code >= 400 and response.status_code not in ok_statuses:
                error = error_for_status(response, operation, self._error_detail(response))
                response.close()
                raise error
            return response

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
        except requests.exceptions.SSLError as exc:
            raise PermanentError(f"TLS failure: {type(exc).__name__}", operation=operation, url=url) from exc
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            raise TransientError(
                f"network failure: {type(exc).__name__}", operation=operation, url=url
            ) from exc
        if response.status_code == 401:
            code, message = self._error_detail(response)
            response.close()
            raise SessionExpiredError(
                message or "unauthorized", operation=operation, url=url, status=401, code=code
            )
        return response
