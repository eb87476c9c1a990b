"""Quarantine file and summary, and that reasons never carry values."""

from __future__ import annotations

import json
from pathlib import Path

from mappings import Quarantine, QuarantineEntry
from mappings.reader import _safe_message


def test_quarantine_writes_jsonl_and_summarizes(tmp_path: Path) -> None:
    path = tmp_path / "q" / "quarantine.jsonl"
    entries = [
        QuarantineEntry(
            entity="klient", enaio_id=7, enaio_type="IM_KLIENT", field="geschlecht", reason="missing: x"
        ),
        QuarantineEntry(
            entity="klient", enaio_id=7, enaio_type="IM_KLIENT", field="wohnkommune", reason="missing: x"
        ),
        QuarantineEntry(
            entity="kontakt", enaio_id=9, enaio_type="IM_KONTAKT", field=None, reason="value_error: y"
        ),
    ]
    with Quarantine(path) as quarantine:
        for entry in entries:
            quarantine.add(entry)
        assert len(quarantine) == 3
        assert quarantine.objects() == {("klient", 7), ("kontakt", 9)}
        assert quarantine.summary() == {
            "klient.geschlecht: missing: x": 1,
            "klient.wohnkommune: missing: x": 1,
            "kontakt.*: value_error: y": 1,
        }
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [entry.model_dump() for entry in entries]
    assert Quarantine().summary() == {}


def test_validator_messages_lose_their_values() -> None:
    message = "Value error, fallende 2018-01-31 is before fallbeginn 2018-03-01"
    assert _safe_message(message) == "fallende … is before fallbeginn …"
    assert _safe_message("Value error, '31.06.2018' is not a valid date") == "… is not a valid date"
    assert "Muster" not in _safe_message("Value error, 'Muster' is not allowed")
