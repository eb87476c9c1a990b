"""Deterministic synthetic demo county (invented people) for the emulator; see docs/demo-county.md."""

from __future__ import annotations

from connector.enaio.emulator.demo.seed import INCOMPLETE_KEYS, SeedFile, SeedObject, generate

__all__ = ["INCOMPLETE_KEYS", "SeedFile", "SeedObject", "generate"]
