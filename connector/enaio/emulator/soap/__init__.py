"""The emulator's osws SOAP surface (``EcmWsMtom``): one Flask blueprint over the shared store."""

from __future__ import annotations

from connector.enaio.emulator.soap.surface import blueprint

__all__ = ["blueprint"]
