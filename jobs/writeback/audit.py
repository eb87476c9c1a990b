"""The write-back audit log: one JSON object per line, appended, never rewritten.

Entries hold enaio ids, dates, the service account, the outcome and a fixed reason, never a personal value
(no name, no Aktenzeichen, no free text): the ids lead to the case in enaio for whoever may see it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from connector.errors import ConfigurationError

__all__ = ["AuditLog"]


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, when: datetime, action: str, outcome: str, **details: Any) -> None:
        if when.tzinfo is None:
            raise ValueError("audit times must be aware")
        entry = {"zeit": when.isoformat(), "aktion": action, "ergebnis": outcome, **details}
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise ConfigurationError(
                f"cannot write audit log {self.path}: {exc.strerror or type(exc).__name__}",
                key="audit_log",
                source=str(self.path),
            ) from None

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
