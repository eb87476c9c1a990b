"""Logging for scheduled jobs: plain text or JSON lines, redacted at handler level.

The redaction filter sits on the handler, not on a logger, so it also sees records of ``urllib3`` and
``zeep``. It removes authorization headers, passwords, session ids, every registered secret value and the
values of personal fields, in the message, in ``extra`` attributes and in tracebacks.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import sys
import threading
from collections.abc import Iterable
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter

MASK = "***"

_SENSITIVE_KEYS = (
    "authorization",
    "proxy-authorization",
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "jsessionid",
    "sessionguid",
    "session_id",
    "sessionid",
    "cookie",
    "set-cookie",
)

_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {
    "message",
    "asctime",
    "taskName",
}

_secrets: set[str] = set()
_personal_fields: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Redact this exact value wherever it appears (passwords, session ids, cookies)."""
    if not value or len(value) < 3:
        return
    with _lock:
        _secrets.add(value)


def register_credentials(username: str, password: str) -> None:
    """Redact the password and the Basic auth token built from both."""
    register_secret(password)
    register_secret(base64.b64encode(f"{username}:{password}".encode()).decode("ascii"))


def register_personal_fields(names: Iterable[str]) -> None:
    with _lock:
        _personal_fields.update(name.lower() for name in names)


@functools.lru_cache(maxsize=8)
def _key_pattern(personal: frozenset[str]) -> re.Pattern[str]:
    """Credentials match as key suffixes (``db_password``); personal fields only as whole keys, so a field
    called ``name`` masks ``name=`` but not ``type_name=``. An XML namespace prefix is allowed on both."""
    sensitive = "|".join(re.escape(key) for key in sorted(_SENSITIVE_KEYS, key=len, reverse=True))
    names = "|".join(re.escape(key) for key in sorted(personal, key=len, reverse=True)) or "(?!)"
    key = rf"(?:[\w.-]*(?:{sensitive})|(?<![\w.-])(?:[\w.-]+:)?(?:{names}))"
    return re.compile(
        # key=value, key: value, "key": "value", 'key': 'value', <Key>value</Key>, Key="value"
        rf"""(?ix)
        (?P<xml><(?P<tag>(?:[\w.-]+:)?{key})(?![\w.-])[^>]*>)(?P<xmlvalue>[^<]*)(?=</)
        |
        (?P<key>["']?(?<![\w.-]){key}["']?\s*[:=]\s*)
        (?P<value>"[^"]*"|'[^']*'|Basic\s+\S+|Bearer\s+\S+|[^\s,;&)}}\]]+)
        """
    )


def _redact_matches(pattern: re.Pattern[str], text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("xml"):
            return match.group("xml") + MASK
        value = match.group("value")
        quote = value[0] if value[:1] in ("'", '"') else ""
        return f"{match.group('key')}{quote}{MASK}{quote}"

    return pattern.sub(replace, text)


class RedactionFilter(logging.Filter):
    """Rewrites each record so that nothing sensitive reaches a handler's output."""

    def __init__(self, personal_fields: Iterable[str] = ()) -> None:
        super().__init__()
        register_personal_fields(personal_fields)

    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            secrets = sorted(_secrets, key=len, reverse=True)
            personal = set(_personal_fields)
        pattern = _key_pattern(frozenset(personal))
        message = record.getMessage()
        record.msg = redact_text(message, pattern, secrets)
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact_text(formatter.formatException(record.exc_info), pattern, secrets)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, pattern, secrets)
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRS:
                continue
            if key.lower() in personal or key.lower() in _SENSITIVE_KEYS:
                setattr(record, key, MASK)
            elif isinstance(value, str):
                setattr(record, key, redact_text(value, pattern, secrets))
            elif isinstance(value, dict | list | tuple):
                setattr(record, key, _redact_structure(value, personal, pattern, secrets))
        return True


def _redact_structure(value: Any, personal: set[str], pattern: re.Pattern[str], secrets: list[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: MASK
            if str(key).lower() in personal or str(key).lower() in _SENSITIVE_KEYS
            else _redact_structure(item, personal, pattern, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact_structure(item, personal, pattern, secrets) for item in value]
    if isinstance(value, str):
        return redact_text(value, pattern, secrets)
    return value


def redact_text(
    text: str, pattern: re.Pattern[str] | None = None, secrets: Iterable[str] | None = None
) -> str:
    """Redact one string with the current registry (or the given pattern and secrets)."""
    if pattern is None:
        with _lock:
            pattern = _key_pattern(frozenset(_personal_fields))
    if secrets is None:
        with _lock:
            secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _redact_matches(pattern, text)


# Loggers that log bodies or full URLs at DEBUG; they stay above DEBUG even when the job runs at DEBUG.
_NOISY = {"zeep.transports": logging.INFO, "zeep.wsdl.wsdl": logging.INFO, "waitress.queue": logging.WARNING}


def configure_logging(
    level: str = "INFO",
    fmt: Literal["text", "json"] = "text",
    personal_fields: Iterable[str] = (),
    stream: Any = None,
) -> logging.Handler:
    """Configure the root logger for a CLI run (a library never calls this). Returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactionFilter(personal_fields))
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "asctime": "time", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_enaio_connector", False):
            root.removeHandler(old)
    handler._enaio_connector = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in _NOISY.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))
    return handler
