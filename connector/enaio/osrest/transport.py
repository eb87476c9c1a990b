"""osrest endpoints, error bodies and the session handling on top of :class:`connector.http.HttpTransport`.

Authentication: the first call sends HTTP Basic; the server answers with a ``JSESSIONID`` cookie, and
every later call sends only that cookie (one enaio login per client, not one per call). When the server
forgets the session (401, or 403 as some gateways answer), the cookie is dropped and the call is sent
once more with Basic, which opens a new session.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from connector.enaio.interface import without_values
from connector.errors import AuthenticationError, EnaioError, PermissionDeniedError
from connector.http import ErrorDetail, HttpOptions, HttpTransport, default_error_detail
from connector.logs import register_credentials

log = logging.getLogger(__name__)

SESSION_COOKIE = "JSESSIONID"


def error_detail(response: requests.Response) -> ErrorDetail:
    """osrest error bodies: ``{ErrorCode, DefaultMessage, ErrorType}`` (serviceinfo/errorTypes shape),
    other JSON, or a text body whose first line is the message (e.g. a Java stack trace)."""
    try:
        body = response.json()
    except ValueError:
        return default_error_detail(response)
    if isinstance(body, dict) and ("DefaultMessage" in body or "ErrorCode" in body):
        code = body.get("ErrorCode")
        message = str(body.get("DefaultMessage") or body.get("ErrorType") or response.reason or "")[:500]
        if response.status_code in (400, 422):
            message = without_values(message)  # a refused value is quoted in the message
        return code if isinstance(code, str | int) else None, message
    return default_error_detail(response)


class SessionOrBasicAuth(AuthBase):
    """Basic auth only while the request carries no session cookie."""

    def __init__(self, username: str, password: str) -> None:
        self._basic = HTTPBasicAuth(username, password)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        cookie = request.headers.get("Cookie", "")
        if f"{SESSION_COOKIE}=" in cookie:
            return request
        prepared: requests.PreparedRequest = self._basic(request)
        return prepared


class OsrestTransport:
    """Builds URLs under the osrest base and sends through one ``HttpTransport``."""

    def __init__(
        self, base_url: str, options: HttpOptions, username: str | None, password: str | None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.logins = 0
        """Sessions the server opened for this client (first call and every re-login)."""
        self.http = HttpTransport(options, error_detail=error_detail, relogin=self._relogin)
        self.http.session.hooks["response"].append(self._count_login)
        if username is not None and password is not None:
            register_credentials(username, password)
            self.http.session.auth = SessionOrBasicAuth(username, password)
        self._has_credentials = username is not None and password is not None

    def url(self, *parts: str | int) -> str:
        return "/".join([self.base_url, *(quote(str(part), safe="") for part in parts)])

    def close(self) -> None:
        self.http.close()

    @property
    def session_id(self) -> str | None:
        return self.http.session.cookies.get(SESSION_COOKIE)

    def _relogin(self, session: requests.Session) -> None:
        if not self._has_credentials:
            raise AuthenticationError("the server wants a login and no credentials are configured")
        session.cookies.clear()

    def request(
        self, method: str, url: str, *, operation: str, idempotent: bool | None = None, **kwargs: Any
    ) -> requests.Response:
        try:
            # the whole call, re-login included, under the session's lock: a prefetch worker's search
            # and the caller's own calls (ancestor lookups) never interleave on the session or its cookie
            with self.http.lock:
                return self._request(method, url, operation=operation, idempotent=idempotent, **kwargs)
        except EnaioError as exc:
            # The inner frames hold the failed response, whose socket stays open as long as the error lives
            # (a caller keeping the error would keep a server connection busy); the error carries its context.
            raise exc.with_traceback(None) from exc.__cause__

    def _request(
        self, method: str, url: str, *, operation: str, idempotent: bool | None, **kwargs: Any
    ) -> requests.Response:
        had_session = self.session_id is not None
        try:
            return self.http.request(method, url, operation=operation, idempotent=idempotent, **kwargs)
        except PermissionDeniedError:
            # Some gateways answer an expired session with 403 (S2); with a session cookie, log in once more.
            if not had_session or not self._has_credentials:
                raise
            log.info("403 with a session cookie during %s; logging in again once", operation)
            self.http.session.cookies.clear()
        return self.http.request(method, url, operation=operation, idempotent=idempotent, **kwargs)

    def _count_login(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        if SESSION_COOKIE in response.cookies:
            self.logins += 1
        return response
