"""Scheduled extraction of normalized, pseudonymized records into SQL and file sinks (docs/extraction.md)."""

from __future__ import annotations

from jobs.extract.job import ExtractOptions, ExtractSummary, StreamSummary, run_extract
from jobs.extract.statedir import pseudonymizer_for, resolve_state_dir

__all__ = [
    "ExtractOptions",
    "ExtractSummary",
    "StreamSummary",
    "pseudonymizer_for",
    "resolve_state_dir",
    "run_extract",
]
