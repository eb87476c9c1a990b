"""The SOAP room: enaio's osws ``EcmWsMtom`` job interface (zeep client, server-api XML codecs)."""

from __future__ import annotations
