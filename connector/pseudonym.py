"""Keyed pseudonyms (ecosystem.md §10): HMAC-SHA256 with a per-field key derived from one master key.

`pseudonym("P0815", "integrationsmanager", key)` → `v1_<32 hex digits>`. Without the key nobody can recompute
a pseudonym from a guessed staff number; with it, the same input always gives the same pseudonym, so reports
of different periods can be joined. The version prefix makes a key rotation visible.
Never export a lookup table.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import lru_cache

from pydantic import SecretStr

from connector.errors import ConfigurationError

__all__ = ["DEMO_KEY", "VERSION", "Pseudonymizer", "normalize", "pseudonym"]

VERSION = "v1"

DEMO_KEY = b"enaio-connector demo key - public, never use for real data"
"""The fixed, documented key of `enaio-connector demo`; its pseudonyms protect nothing."""

_MIN_KEY_BYTES = 16


def normalize(value: str) -> str:
    """NFKC, trimmed, case-folded: `ÄRGER`, `ärger ` and the decomposed `ä` give the same pseudonym."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


@lru_cache(maxsize=64)
def _field_key(master_key: bytes, field: str, version: str) -> bytes:
    return hmac.new(master_key, f"enaio-pseudo/{version}/{field}".encode(), hashlib.sha256).digest()


def pseudonym(value: str, field: str, master_key: bytes, version: str = VERSION) -> str:
    """128-bit keyed pseudonym of `value` in the namespace `field`."""
    if len(master_key) < _MIN_KEY_BYTES:
        raise ConfigurationError(
            f"pseudonym_key must have at least {_MIN_KEY_BYTES} bytes", key="pseudonym_key"
        )
    digest = hmac.new(
        _field_key(master_key, field, version), normalize(value).encode("utf-8"), hashlib.sha256
    )
    return f"{version}_{digest.hexdigest()[:32]}"


class Pseudonymizer:
    """Holds the master key; `of(value, field)` pseudonymizes."""

    def __init__(self, master_key: bytes, version: str = VERSION) -> None:
        if len(master_key) < _MIN_KEY_BYTES:
            raise ConfigurationError(
                f"pseudonym_key must have at least {_MIN_KEY_BYTES} bytes", key="pseudonym_key"
            )
        self._key = master_key
        self.version = version

    @classmethod
    def from_secret(cls, secret: SecretStr | None) -> Pseudonymizer:
        """From `settings.pseudonym_key`; a missing key is a ConfigurationError (no unkeyed fallback)."""
        if secret is None or not secret.get_secret_value():
            raise ConfigurationError(
                "pseudonym_key is not set: set ENAIO_PSEUDONYM_KEY or a secrets file enaio_pseudonym_key "
                "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')",
                key="pseudonym_key",
            )
        return cls(secret.get_secret_value().encode("utf-8"))

    def of(self, value: str, field: str) -> str:
        return pseudonym(value, field, self._key, self.version)

    def __repr__(self) -> str:
        return f"Pseudonymizer(version={self.version!r}, key=***)"
