"""Counts HTTP requests (every interface goes through requests/urllib3) and retries of one run.

urllib3 logs every request it sends at DEBUG; a filter on its logger counts them and then lets through only
what the logger's previous level would have let through, so nothing extra reaches the log handlers.
"""

from __future__ import annotations

import logging
from types import TracebackType

__all__ = ["RequestCounter"]

_URLLIB3 = "urllib3.connectionpool"
_RETRY_LOGGER = "connector.http"


class RequestCounter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.requests = 0
        self.retries = 0
        self._logger = logging.getLogger(_URLLIB3)
        self._retry_logger = logging.getLogger(_RETRY_LOGGER)
        self._previous_level = self._logger.level
        self._threshold = logging.WARNING

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == _URLLIB3 and record.levelno == logging.DEBUG and '"' in str(record.msg):
            self.requests += 1
        elif record.name != _URLLIB3:
            if str(record.msg).startswith("retrying"):
                self.retries += 1
            return True
        return record.levelno >= self._threshold

    def __enter__(self) -> RequestCounter:
        self._threshold = self._logger.getEffectiveLevel()
        self._previous_level = self._logger.level
        self._logger.setLevel(logging.DEBUG)
        self._logger.addFilter(self)
        self._retry_logger.addFilter(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._logger.removeFilter(self)
        self._retry_logger.removeFilter(self)
        self._logger.setLevel(self._previous_level)
