"""Errors carry what the caller needs to decide, and never a credential."""

from __future__ import annotations

import pytest

from connector.errors import (
    AuthenticationError,
    ConfigurationError,
    EnaioError,
    LockedError,
    PartialFailureError,
    Recovery,
    SessionExpiredError,
    TransientError,
    UsageError,
    ValidationError,
    redact_url,
)


def test_url_is_redacted_and_context_printed() -> None:
    error = TransientError(
        "server busy",
        operation="search IM_KONTAKT",
        url="https://svc:Pw-Canary@enaio.example:8443/osrest/api/documents/search?sessionguid=ABC&x=1",
        status=503,
        retry_after=2.0,
    )
    text = str(error)
    assert "Pw-Canary" not in text
    assert "ABC" not in text
    assert "sessionguid=%2A%2A%2A" in text
    assert "operation=search IM_KONTAKT" in text
    assert "status=503" in text
    assert error.recovery is Recovery.RETRY
    assert error.retry_after == 2.0


@pytest.mark.parametrize(
    ("error", "recovery", "exit_code"),
    [
        (TransientError("t"), Recovery.RETRY, 1),
        (SessionExpiredError("s"), Recovery.RELOGIN, 1),
        (AuthenticationError("a"), Recovery.FAIL, 1),
        (LockedError("l", holder="bob"), Recovery.FAIL, 1),
        (ValidationError("v", field="GESCHLECHT"), Recovery.SKIP_RECORD, 1),
        (ConfigurationError("c", key="url"), Recovery.FAIL, 2),
        (UsageError("u"), Recovery.FAIL, 2),
        (PartialFailureError("p", failed=1, succeeded=9), Recovery.FAIL, 4),
    ],
)
def test_recovery_intent_and_exit_codes(error: EnaioError, recovery: Recovery, exit_code: int) -> None:
    assert error.recovery is recovery
    assert error.exit_code == exit_code


def test_redact_url_keeps_host_port_path() -> None:
    assert redact_url("http://u:p@h:81/a/b?c=d") == "http://h:81/a/b?c=%2A%2A%2A"
    assert redact_url("https://h/x") == "https://h/x"
