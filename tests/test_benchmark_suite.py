"""The benchmark suite's child measurements (benchmarks/suite.py) against the demo county, scale 1.

Only what the measurements report is checked (counts, the recording, the split), never how fast: timings are
evidence for docs/performance.md, not a gate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import suite
from connector.enaio.emulator.server import EmulatorServer


def test_search_records_what_wire_replays(demo_emulator: EmulatorServer, tmp_path: Path) -> None:
    record = tmp_path / "requests.jsonl"
    data = tmp_path / "scale-1.db"
    data.write_bytes(b"stands in for the emulator's data file")

    searched = suite.measure_search(demo_emulator.url, "dms", 500, record=record, data=data)
    assert searched["objects"] > 10_000
    assert record.exists()
    head = json.loads(record.read_text(encoding="utf-8").splitlines()[0])
    assert head["objects"] == searched["objects"]
    assert head["data"] == "scale-1.db"

    replayed = suite.measure_wire(demo_emulator.url, "dms", 500, record=record, data=data)
    assert replayed["recorded_now"] is False  # the search child's recording, no second client run
    assert replayed["failed"] == 0
    assert replayed["requests"] == searched["requests"]
    assert replayed["objects"] == searched["objects"]
    assert replayed["bytes"] > 0

    data.write_bytes(b"other data: the recording no longer belongs to it")
    again = suite.measure_wire(demo_emulator.url, "dms", 500, record=record, data=data)
    assert again["recorded_now"] is True
    assert again["objects"] == searched["objects"]
    assert again["failed"] == 0


def test_kennzahlen_split_reads_then_computes(demo_emulator: EmulatorServer) -> None:
    split = suite.measure_kennzahlen(demo_emulator.url, "dms", 500)
    assert split["persons"] > 2_000
    assert split["records"] > split["persons"]
    for key in ("read_seconds", "compute_seconds", "write_seconds"):
        assert split[key] >= 0
    assert split["after_read_seconds"] == pytest.approx(
        split["compute_seconds"] + split["write_seconds"], abs=0.02
    )

    assert split["values"] > 0


def test_extract_full_then_no_changes(demo_emulator: EmulatorServer) -> None:
    measured = suite.measure_extract(demo_emulator.url, "dms", 500)
    full, again = measured["full"], measured["incremental"]
    assert full["read"] > 10_000
    assert full["written"] == full["read"]
    assert again["written"] == 0  # nothing changed on the server
    assert again["read"] < full["read"]
    assert again["requests"] < full["requests"]
    assert measured["ratio_wall"] == pytest.approx(again["wall_seconds"] / full["wall_seconds"], abs=0.01)
    assert full["peak_rss_mib"] > 0
    assert again["peak_rss_mib"] > 0


def test_markdown_has_a_table_per_kind() -> None:
    results = [
        {"scale": 1, "interface": "dms", "kind": "wire", "objects": 10, "per_second": 100},
        {
            "scale": 1,
            "interface": "dms",
            "kind": "search",
            "objects": 10,
            "per_second": 50,
            "peak_rss_mib": 70,
        },
        {
            "scale": 1,
            "interface": "dms",
            "kind": "kennzahlen",
            "records": 20,
            "persons": 5,
            "read_seconds": 2.0,
            "compute_seconds": 0.1,
            "write_seconds": 0.1,
            "after_read_seconds": 0.2,
            "peak_rss_mib": 80,
        },
        {
            "scale": 1,
            "interface": "dms",
            "kind": "extract",
            "full": {"read": 20, "requests": 9, "wall_seconds": 4.0, "job_seconds": 3.0, "peak_rss_mib": 90},
            "incremental": {
                "read": 0,
                "requests": 5,
                "wall_seconds": 1.0,
                "job_seconds": 0.3,
                "peak_rss_mib": 80,
            },
            "ratio_wall": 0.25,
            "ratio_job": 0.1,
        },
    ]
    text = suite.markdown(results)
    assert "| 1 | dms | 10 | 100 | 50 (0.50×) | – | 70 / – |" in text
    assert "**0.2**" in text
    assert "**25.0%** (10.0%)" in text
