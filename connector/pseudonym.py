"""Keyed pseudonyms (ecosystem.md §10): HMAC-SHA256 with a per-field key derived from one master key.

`pseudonym("P0815", "integrationsmanager", key)` → `v1_<32 hex digits>`. Without the key nobody can recompute
a pseudonym from a guessed staff number; with it, the same input always gives the same pseudonym, so reports
of different periods can be joined. The version prefix makes a key rotation visible.
Never export a lookup table.

Where a person reads them (a spreadsheet, a table), `readable_names` turns the pseudonyms of one output into
short names such as `IM 7KQ3`: four characters of the same keyed hash, so the name is as stable as the
pseudonym (same key, same person, same name, in every period) and reveals no more than it does.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from pydantic import SecretStr

from connector.errors import ConfigurationError

__all__ = ["DEMO_KEY", "VERSION", "Pseudonymizer", "normalize", "pseudonym", "readable", "readable_names"]

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


_READABLE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: digits and capitals without I, L, O, U (nothing to misread or to spell a word)."""
_READABLE_LENGTH = 4
_MAX_READABLE_LENGTH = 26  # 128 bits / 5 bits per character


def readable(pseudonym_text: str, prefix: str = "IM", length: int = _READABLE_LENGTH) -> str:
    """`v1_9f3c…` → `IM 7KQ3`: the first `length` base-32 characters of the pseudonym's hash.

    A pseudonym without a hex digest (not made by this module) is returned unchanged.
    """
    _, _, digest = pseudonym_text.partition("_")
    try:
        number = int(digest, 16)
    except ValueError:
        return pseudonym_text
    bits = len(digest) * 4
    chars = []
    for index in range(min(length, bits // 5)):
        shift = bits - 5 * (index + 1)
        chars.append(_READABLE_ALPHABET[(number >> shift) & 31])
    return f"{prefix} {''.join(chars)}"


def readable_names(pseudonyms: Iterable[str], prefix: str = "IM") -> dict[str, str]:
    """Short names for the pseudonyms of one output, unique within it.

    Four characters (about a million names) rarely collide; if two pseudonyms of the output share a short
    name, the colliding ones get longer names until all are distinct (no lookup table, nothing stored).
    """
    names: dict[str, str] = {}
    pending = sorted(set(pseudonyms))
    length = _READABLE_LENGTH
    while pending:
        short = {p: readable(p, prefix, length) for p in pending}
        counts = Counter(short.values())
        taken = set(names.values())
        done = [p for p in pending if counts[short[p]] == 1 and short[p] not in taken]
        names.update((p, short[p]) for p in done)
        pending = [p for p in pending if p not in names]
        if length >= _MAX_READABLE_LENGTH:  # identical digests: the same person (cannot happen otherwise)
            names.update((p, short[p]) for p in pending)
            break
        length += 2
    return names


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
