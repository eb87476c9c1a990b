from __future__ import annotations

import re

import pytest
from pydantic import SecretStr

from connector.errors import ConfigurationError
from connector.pseudonym import DEMO_KEY, Pseudonymizer, normalize, pseudonym

KEY = b"0123456789abcdef0123456789abcdef"


def test_format_and_determinism() -> None:
    value = pseudonym("730001", "integrationsmanager", KEY)
    assert re.fullmatch(r"v1_[0-9a-f]{32}", value)
    assert value == pseudonym("730001", "integrationsmanager", KEY)


def test_normalization_nfkc_casefold_trim() -> None:
    decomposed = "A\u0308rger"  # Ä as A + combining diaeresis
    assert normalize(decomposed) == normalize(" ärger ") == "ärger"
    assert pseudonym("ÄRGER", "f", KEY) == pseudonym(decomposed, "f", KEY) == pseudonym(" ärger", "f", KEY)
    assert normalize("ＡＢ") == "ab"  # full-width letters (NFKC)


def test_field_key_and_version_separate_namespaces() -> None:
    base = pseudonym("730001", "integrationsmanager", KEY)
    assert pseudonym("730001", "aktenzeichen", KEY) != base
    assert pseudonym("730001", "integrationsmanager", KEY[::-1]) != base
    assert pseudonym("730001", "integrationsmanager", KEY, version="v2").startswith("v2_")


def test_key_rules() -> None:
    with pytest.raises(ConfigurationError):
        pseudonym("x", "f", b"short")
    with pytest.raises(ConfigurationError, match="pseudonym_key is not set"):
        Pseudonymizer.from_secret(None)
    helper = Pseudonymizer.from_secret(SecretStr(KEY.decode()))
    assert helper.of("730001", "integrationsmanager") == pseudonym("730001", "integrationsmanager", KEY)
    assert "0123" not in repr(helper)
    assert Pseudonymizer(DEMO_KEY).of("a", "f") != helper.of("a", "f")
