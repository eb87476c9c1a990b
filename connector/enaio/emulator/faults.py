"""Fault injection for every interface of the emulator: a WSGI middleware around the whole Flask app.

A :class:`FaultRule` says *what* goes wrong (``action``) and *when* (``path``/``method``/``interface``
filter, then ``every`` n-th matching request or a seeded ``probability``, at most ``times``). The
:class:`FaultInjector` evaluates its rules in order for each request; ``delay`` rules add up and let the
request go on, the first other rule that fires decides the request. ``/_emulator/...`` is never faulted,
so the control endpoints always answer.

How each action reaches the client (waitress; verified with requests 2.32 / urllib3 2):

``status``
    The app is not called; the answer is that status with a body in the interface's error shape
    (JSON for dms/osrest, a SOAP 1.1 fault for soap) and ``Retry-After`` when set.
``delay``
    Sleep, then pass through.
``reset``
    The app is not called; the socket gets ``SO_LINGER 0`` and waitress is told the client went away
    (``ClientDisconnected``), so it closes without writing a byte: a TCP RST. requests raises
    ``ConnectionError(ProtocolError('Connection aborted.', ConnectionResetError(104, ...)))``
    (``RemoteDisconnected`` when the RST cannot be arranged).
``truncate``
    The app runs (reads only: do not point this at writes unless that is the point); the response is
    sent with its full ``Content-Length`` but only half the body, then waitress closes the connection.
    requests raises ``ChunkedEncodingError(ProtocolError('Connection broken: IncompleteRead(...)'))``.
``expire_session``
    Every session is forgotten (``EmulatorState.expire_sessions``) and this request is answered 401
    (REST) or with an authentication fault (SOAP). Without ``every``/``p``/``times`` it fires once.
``drop_response``
    The app runs to the end (a write commits), then the connection is reset as for ``reset``: the
    client cannot tell whether its write happened.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar, cast
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

_App = TypeVar("_App", bound="WSGIApplication")

ACTIONS: Final = ("status", "delay", "reset", "truncate", "expire_session", "drop_response")
INTERFACE_PREFIXES: Final = (("dms", "/api/dms"), ("osrest", "/osrest/api"), ("soap", "/osws/services"))
INTERFACES: Final = tuple(name for name, _ in INTERFACE_PREFIXES)
CONTROL_PREFIX: Final = "/_emulator"

_SPEC_KEYS: Final = {
    "p": "probability",
    "probability": "probability",
    "every": "every",
    "times": "times",
    "path": "path",
    "method": "method",
    "interface": "interface",
    "status": "status",
    "retry_after": "retry_after",
    "ms": "delay_ms",
    "s": "delay",
    "delay": "delay",
}


class FaultSpecError(ValueError):
    """A fault rule or a ``--faults`` spec that cannot be used; the message names the bad part."""


def interface_of(path: str) -> str | None:
    """The interface a request path belongs to (``None`` for anything else, e.g. ``/_emulator``)."""
    for name, prefix in INTERFACE_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return name
    return None


@dataclass(frozen=True)
class FaultRule:
    """One kind of fault and the requests it hits. Invalid combinations raise :class:`FaultSpecError`."""

    action: str
    path: str | None = None
    """Regular expression searched in PATH_INFO; ``None`` matches every path."""
    method: str | None = None
    interface: str | None = None
    every: int | None = None
    """Fire on every n-th matching request (the n-th, 2n-th, ...)."""
    probability: float | None = None
    """Fire with this probability, drawn from a random generator seeded per injector and rule."""
    times: int | None = None
    """Fire at most this often (until the rules are set again)."""
    status: int | None = None
    retry_after: float | None = None
    """Seconds, sent as ``Retry-After`` with a ``status`` answer."""
    delay: float | None = None
    """Seconds to sleep for a ``delay`` rule."""
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise FaultSpecError(
                f"unknown action {self.action!r} (one of {', '.join(ACTIONS)}, or a status code)"
            )
        if self.path is not None:
            try:
                object.__setattr__(self, "_pattern", re.compile(self.path))
            except re.error as exc:
                raise FaultSpecError(f"path {self.path!r} is not a regular expression: {exc}") from None
        if self.method is not None:
            if not self.method.isalpha():
                raise FaultSpecError(f"method {self.method!r} is not an HTTP method")
            object.__setattr__(self, "method", self.method.upper())
        if self.interface is not None and self.interface not in INTERFACES:
            raise FaultSpecError(f"interface {self.interface!r} is not one of {', '.join(INTERFACES)}")
        _check_number("every", self.every, integer=True, minimum=1)
        _check_number("times", self.times, integer=True, minimum=1)
        _check_number("probability", self.probability, minimum=0.0, maximum=1.0)
        if self.every is not None and self.probability is not None:
            raise FaultSpecError("give either every or probability, not both")
        _check_number("retry_after", self.retry_after, minimum=0.0)
        _check_number("delay", self.delay, minimum=0.0, maximum=600.0)
        if self.action == "status":
            if self.status is None:
                raise FaultSpecError("a status rule needs a status code (e.g. 503 or status:status=503)")
            _check_number("status", self.status, integer=True, minimum=400, maximum=599)
        elif self.status is not None or self.retry_after is not None:
            raise FaultSpecError(f"status and retry_after belong to status rules, not to {self.action}")
        if self.action == "delay":
            if self.delay is None:
                raise FaultSpecError("a delay rule needs a duration (ms=200 or s=0.2)")
        elif self.delay is not None:
            raise FaultSpecError(f"a duration belongs to delay rules, not to {self.action}")

    @property
    def limit(self) -> int | None:
        """Effective ``times``: an unconditioned expire_session rule fires once."""
        if self.times is None and self.action == "expire_session" and self.every is None:
            return 1 if self.probability is None else None
        return self.times

    def matches(self, method: str, path: str, interface: str | None) -> bool:
        if self.method is not None and method.upper() != self.method:
            return False
        if self.interface is not None and interface != self.interface:
            return False
        return self._pattern is None or self._pattern.search(path) is not None

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-able dict without unset keys (the control endpoint's format)."""
        return {
            item.name: getattr(self, item.name)
            for item in fields(self)
            if item.init and getattr(self, item.name) is not None
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        known = {item.name: item for item in fields(cls) if item.init}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise FaultSpecError(f"unknown rule key(s) {', '.join(unknown)} (known: {', '.join(known)})")
        if "action" not in data:
            raise FaultSpecError("a rule needs an action")
        for key, value in data.items():
            expected = _KEY_TYPES[key]
            if value is not None and (isinstance(value, bool) or not isinstance(value, expected)):
                raise FaultSpecError(f"{key} must be {_type_name(expected)}, not {value!r}")
        return cls(**dict(data))

    def spec(self) -> str:
        """The rule in the compact ``--faults`` syntax (parses back to an equal rule)."""
        parts = [str(self.status) if self.action == "status" else self.action]
        for key in ("every", "probability", "times", "method", "interface", "retry_after", "path"):
            value = getattr(self, key)
            if value is None:
                continue
            name = {"probability": "p"}.get(key, key)
            if isinstance(value, float):
                text = repr(value)
            else:
                text = str(value).replace(";", "\\;").replace(":", "\\:")
            parts.append(f"{name}={text}")
        if self.delay is not None:
            parts.append(f"s={self.delay!r}")
        return ":".join(parts)


def _type_name(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(
        "a number" if item is float else f"a{'n' if item is int else ''} {item.__name__}" for item in types
    )


_KEY_TYPES: Final[dict[str, type | tuple[type, ...]]] = {
    "action": str,
    "path": str,
    "method": str,
    "interface": str,
    "every": int,
    "probability": (int, float),
    "times": int,
    "status": int,
    "retry_after": (int, float),
    "delay": (int, float),
}


def _check_number(
    name: str, value: float | None, *, integer: bool = False, minimum: float, maximum: float | None = None
) -> None:
    if value is None:
        return
    if integer and (isinstance(value, bool) or not isinstance(value, int)):
        raise FaultSpecError(f"{name} must be an integer, not {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum:g}" if maximum is None else f"between {minimum:g} and {maximum:g}"
        raise FaultSpecError(f"{name} must be {bounds}, not {value!r}")


# -- the compact spec ------------------------------------------------------------------------------------


def _split(text: str, separator: str) -> list[str]:
    """Split at ``separator`` unless escaped as ``\\<separator>``; other backslashes stay as written
    (regular expressions need them)."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            # keep escapes of the other separator for the next split level
            current.append(following if following == separator else char + following)
            index += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def parse_fault_spec(spec: str) -> list[FaultRule]:
    """Parse the compact rule syntax of ``emulator serve --faults`` (see docs/emulator-choices.md).

    ``503:p=0.2:path=/api/dms;reset:every=25;429:every=10:retry_after=1;delay:ms=200:interface=soap``

    Rules are separated by ``;``, a rule's parts by ``:``. The first part is an action or a status code
    (short for ``status:status=CODE``); the others are ``key=value`` with the keys ``p``/``probability``,
    ``every``, ``times``, ``path`` (regex), ``method``, ``interface``, ``status``, ``retry_after``
    (seconds), ``ms`` or ``s`` (delay). A ``:`` or ``;`` inside a value is written ``\\:`` / ``\\;``.
    """
    rules: list[FaultRule] = []
    for number, raw in enumerate(_split(spec, ";"), start=1):
        text = raw.strip()
        if not text:
            continue
        try:
            rules.append(_parse_rule(text))
        except FaultSpecError as exc:
            raise FaultSpecError(f"fault rule {number} {text!r}: {exc}") from None
    if not rules:
        raise FaultSpecError("empty fault spec: give at least one rule, e.g. 503:p=0.2")
    return rules


def _parse_rule(text: str) -> FaultRule:
    head, *options = (part.strip() for part in _split(text, ":"))
    values: dict[str, Any] = {}
    if head.isdigit():
        values["action"] = "status"
        values["status"] = int(head)
    elif head in ACTIONS:
        values["action"] = head
    else:
        raise FaultSpecError(f"{head!r} is neither an action ({', '.join(ACTIONS)}) nor a status code")
    for option in options:
        key, sep, value = option.partition("=")
        key = key.strip().lower()
        value = value.strip()
        if not sep or not key:
            raise FaultSpecError(f"{option!r} is not key=value")
        target = _SPEC_KEYS.get(key)
        if target is None:
            raise FaultSpecError(f"unknown key {key!r} (known: {', '.join(sorted(_SPEC_KEYS))})")
        name = "delay" if target == "delay_ms" else target
        if name in values:
            raise FaultSpecError(f"{key} given twice")
        values[name] = _convert(target, key, value)
    return FaultRule(**values)


def _int(value: str, key: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise FaultSpecError(f"{key}={value!r} is not an integer") from None


def _float(value: str, key: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise FaultSpecError(f"{key}={value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise FaultSpecError(f"{key}={value!r} is not a finite number")
    return number


def _convert(target: str, key: str, value: str) -> Any:
    if target in ("every", "times", "status"):
        return _int(value, key)
    if target in ("probability", "retry_after", "delay"):
        return _float(value, key)
    if target == "delay_ms":
        return _float(value, key) / 1000.0
    if not value:
        raise FaultSpecError(f"{key} needs a value")
    return value.lower() if target == "interface" else value


# -- error bodies --------------------------------------------------------------------------------------

SOAP_ENV: Final = "http://schemas.xmlsoap.org/soap/envelope/"


def soap_fault(code: str, message: str) -> bytes:
    """A SOAP 1.1 fault envelope (``code`` is ``Client`` or ``Server``)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def error_response(interface: str | None, status: int, message: str, path: str) -> tuple[bytes, str]:
    """Body and content type of an injected error in the interface's own shape."""
    if interface == "soap":
        return soap_fault("Client" if status < 500 else "Server", message), "text/xml; charset=utf-8"
    if interface == "osrest":
        body: dict[str, Any] = {"errorCode": status, "status": status, "message": message}
    else:
        # the dms surface's shape (connector/enaio/emulator/dms/errors.py)
        body = {"code": _reason(status).upper().replace(" ", "_").replace("-", "_"), "message": message}
    return json.dumps(body).encode(), "application/json"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# -- the middleware ------------------------------------------------------------------------------------


@dataclass
class _RuleState:
    rule: FaultRule
    rng: random.Random
    matched: int = 0
    injected: int = 0


class _ConnectionBroken(Exception):
    """Raised when no WSGI server specific way to drop the connection exists."""


def _break_connection(environ: WSGIEnvironment) -> NoReturn:
    """Close the client connection without writing a byte (a TCP RST where possible)."""
    probe = environ.get("waitress.client_disconnected")
    channel = getattr(probe, "__self__", None)
    sock = getattr(channel, "socket", None)
    if isinstance(sock, socket.socket):
        # Where SO_LINGER is refused, a plain close is still a break (RemoteDisconnected instead of a reset).
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    try:
        from waitress.channel import ClientDisconnected
    except ImportError:  # pragma: no cover - waitress is a dependency; other servers abort on any error
        raise _ConnectionBroken("fault injection: connection dropped") from None
    # waitress closes the channel without a response on ClientDisconnected (not on other errors).
    raise ClientDisconnected("fault injection: connection dropped")


class FaultInjector:
    """Decides per request which fault (if any) applies and realizes it; thread-safe, deterministic for a
    given seed and request order."""

    def __init__(
        self, rules: Iterable[FaultRule] = (), seed: int = 0, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._sleep = sleep
        self._expire: Callable[[], None] | None = None
        self._states: list[_RuleState] = []
        self.set_rules(rules)

    def attach(self, expire_sessions: Callable[[], None]) -> None:
        """Connect the emulator state whose sessions ``expire_session`` forgets (done by control.py)."""
        self._expire = expire_sessions

    def reseed(self, seed: int) -> None:
        """Use another seed from the next :meth:`set_rules` on."""
        with self._lock:
            self._seed = seed

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        with self._lock:
            return tuple(state.rule for state in self._states)

    def set_rules(self, rules: Iterable[FaultRule]) -> None:
        """Replace the rules; counters and random generators start afresh."""
        states = [
            _RuleState(rule, random.Random(self._seed * 1_000_003 + index))  # noqa: S311 - not security
            for index, rule in enumerate(rules)
        ]
        with self._lock:
            self._states = states
        if states:
            log.info("fault rules: %s", "; ".join(state.rule.spec() for state in states))

    def clear(self) -> None:
        self.set_rules(())

    def stats(self) -> dict[str, Any]:
        with self._lock:
            rules: list[dict[str, Any]] = [
                {
                    "rule": s.rule.to_dict(),
                    "spec": s.rule.spec(),
                    "matched": s.matched,
                    "injected": s.injected,
                }
                for s in self._states
            ]
            total = sum(s.injected for s in self._states)
        return {"seed": self._seed, "rules": rules, "injected": total}

    def decide(self, method: str, path: str) -> tuple[float, FaultRule | None]:
        """Count the request against every rule up to the first that fires (besides delays): the total
        delay and that rule. Public so tests can check determinism without a network."""
        if path.startswith(CONTROL_PREFIX):
            return 0.0, None
        interface = interface_of(path)
        delay = 0.0
        with self._lock:
            for state in self._states:
                rule = state.rule
                if not rule.matches(method, path, interface):
                    continue
                state.matched += 1
                limit = rule.limit
                if limit is not None and state.injected >= limit:
                    continue
                if rule.every is not None:
                    fire = state.matched % rule.every == 0
                elif rule.probability is not None:
                    fire = state.rng.random() < rule.probability
                else:
                    fire = True
                if not fire:
                    continue
                state.injected += 1
                if rule.action == "delay":
                    delay += rule.delay or 0.0
                    continue
                return delay, rule
        return delay, None

    def wrap(self, app: _App) -> _App:
        """``app`` behind the fault injection, typed as ``app`` so ``flask_app.wsgi_app = wrap(...)`` fits."""

        def middleware(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            method = str(environ.get("REQUEST_METHOD", "GET"))
            path = str(environ.get("PATH_INFO", "") or "/")
            delay, rule = self.decide(method, path)
            if delay > 0:
                self._sleep(delay)
            if rule is None:
                return app(environ, start_response)
            log.info("fault %s on %s %s", rule.action, method, path)
            return self._inject(rule, app, environ, start_response, path)

        return cast("_App", middleware)

    def _inject(
        self,
        rule: FaultRule,
        app: WSGIApplication,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        path: str,
    ) -> Iterable[bytes]:
        interface = interface_of(path)
        if rule.action == "status":
            status = rule.status or 503
            headers = []
            if rule.retry_after is not None:
                headers.append(("Retry-After", str(max(0, round(rule.retry_after)))))
            return _answer(
                start_response, interface, status, "fault injection: service unavailable", path, headers
            )
        if rule.action == "expire_session":
            if self._expire is not None:
                self._expire()
            else:
                log.warning("expire_session fault without an attached state: no session was forgotten")
            message = "session expired"
            if interface == "soap":
                body = soap_fault("Client", f"authentication failed: {message}")
                return _send(start_response, "500 Internal Server Error", body, "text/xml; charset=utf-8", [])
            headers = [("WWW-Authenticate", 'Basic realm="enaio"')]
            return _answer(start_response, interface, 401, message, path, headers)
        if rule.action == "truncate":
            return self._truncated(app, environ, start_response)
        if rule.action == "drop_response":
            try:
                _run(app, environ)
            finally:
                _break_connection(environ)
        _break_connection(environ)  # reset

    def _truncated(
        self, app: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}
        body = _run(app, environ, captured)
        status = str(captured.get("status", "200 OK"))
        if environ.get("REQUEST_METHOD") == "HEAD" or status[:3] in ("204", "304") or status.startswith("1"):
            _break_connection(environ)  # no body to cut: break instead
        headers = [
            (name, value)
            for name, value in captured.get("headers", [])
            if name.lower() not in ("content-length", "transfer-encoding", "connection")
        ]
        declared = max(len(body), 1)
        headers.append(("Content-Length", str(declared)))
        start_response(status, headers)
        return [body[: len(body) // 2]]


def _run(app: WSGIApplication, environ: WSGIEnvironment, captured: dict[str, Any] | None = None) -> bytes:
    """Run the app to the end and return its body (the response is not sent)."""
    sink: dict[str, Any] = {} if captured is None else captured

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        sink["status"] = status
        sink["headers"] = list(headers)
        return chunks.append

    chunks: list[bytes] = []
    result = app(environ, start_response)
    try:
        for chunk in result:
            chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return b"".join(chunks)


def _answer(
    start_response: StartResponse,
    interface: str | None,
    status: int,
    message: str,
    path: str,
    headers: list[tuple[str, str]],
) -> Iterator[bytes]:
    body, content_type = error_response(interface, status, message, path)
    return _send(start_response, f"{status} {_reason(status)}", body, content_type, headers)


def _send(
    start_response: StartResponse, status: str, body: bytes, content_type: str, headers: list[tuple[str, str]]
) -> Iterator[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
    return iter([body])
