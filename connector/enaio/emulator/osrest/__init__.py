"""The osrest (appconnector) surface of the emulator."""

from __future__ import annotations

from connector.enaio.emulator.osrest.surface import blueprint

__all__ = ["blueprint"]
