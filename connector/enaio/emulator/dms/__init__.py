"""The emulator's DMS service surface (``/api/dms``)."""

from __future__ import annotations

from connector.enaio.emulator.dms.surface import blueprint

__all__ = ["blueprint"]
