"""`quality` command (defined with the Kennzahlen commands, which share its options)."""

from __future__ import annotations

from jobs.commands.kennzahlen import quality

__all__ = ["quality"]
