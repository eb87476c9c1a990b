"""One streamed download for every interface: the body goes to ``<destination>.part`` and is renamed over
the destination only when it arrived whole.

A body that breaks off (``ChunkedEncodingError``, a reset or read timeout while streaming, fewer bytes than
``Content-Length``) is a :class:`~connector.errors.TransientError` and the whole download is repeated under
the project's one retry policy (:func:`connector.http.retry_policy`). Errors while *opening* the download
(status codes, connection failures) come from the room's transport, which has already retried them; they are
passed on unchanged and not retried a second time here.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import unquote

import requests

from connector.config import RetryPolicy
from connector.errors import EnaioError, TransientError
from connector.http import retry_policy

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
_FILENAME_STAR = re.compile(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)")


@dataclass(frozen=True)
class Downloaded:
    """What arrived: the byte count and what the answer's headers say about the file."""

    size: int
    mime_type: str | None
    filename: str | None


class _OpenFailed(Exception):
    """Carries an error of opening the download past the retry loop (the transport retried it already)."""

    def __init__(self, error: EnaioError) -> None:
        super().__init__(str(error))
        self.error = error


def partial_path(destination: Path) -> Path:
    return destination.with_name(destination.name + ".part")


def content_filename(disposition: str | None) -> str | None:
    """The file name of a ``Content-Disposition`` header (``filename*`` in UTF-8 wins over ``filename``)."""
    if not disposition:
        return None
    star = _FILENAME_STAR.search(disposition)
    if star:
        return unquote(star.group(1).strip().strip('"')) or None
    message = Message()
    message["Content-Disposition"] = disposition
    name = message.get_param("filename", header="Content-Disposition")
    return name if isinstance(name, str) and name else None


def _expected_length(response: requests.Response) -> int | None:
    """``Content-Length`` when it counts the bytes we get (not for a compressed body, which is decoded)."""
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    length = (response.headers.get("Content-Length") or "").strip()
    if encoding != "identity" or not length.isdigit():
        return None
    return int(length)


def stream_download(
    open_response: Callable[[], requests.Response],
    destination: Path,
    *,
    operation: str,
    retry: RetryPolicy,
    url: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    sleep: Callable[[float], None] = time.sleep,
) -> Downloaded:
    """Stream the body of ``open_response()`` (a ``stream=True`` response) to ``destination``.

    Never leaves a ``.part`` file behind and never a half file at ``destination``."""
    partial = partial_path(destination)

    def attempt() -> Downloaded:
        try:
            response = open_response()
        except EnaioError as exc:
            raise _OpenFailed(exc) from exc
        size = 0
        expected = _expected_length(response)
        try:
            with response, partial.open("wb") as out:
                for chunk in response.iter_content(chunk_size):
                    out.write(chunk)
                    size += len(chunk)
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
        ) as exc:
            partial.unlink(missing_ok=True)
            of = f" of {expected}" if expected is not None else ""
            message = f"download broke off after {size}{of} bytes: {type(exc).__name__}"
            raise TransientError(message, operation=operation, url=url) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if expected is not None and size != expected:
            partial.unlink(missing_ok=True)
            raise TransientError(
                f"download is incomplete ({size} of {expected} bytes)", operation=operation, url=url
            )
        os.replace(partial, destination)
        content_type = response.headers.get("Content-Type")
        return Downloaded(
            size=size,
            mime_type=content_type.split(";")[0].strip() or None if content_type else None,
            filename=content_filename(response.headers.get("Content-Disposition")),
        )

    try:
        return retry_policy(retry, operation, idempotent=True, sleep=sleep)(attempt)
    except _OpenFailed as failed:
        raise failed.error.with_traceback(None) from failed.error.__cause__
    finally:
        partial.unlink(missing_ok=True)
