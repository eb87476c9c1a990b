"""Request the next page while the current one is converted.

A search is a chain of requests whose next step depends only on the raw page just received (its length,
``hasMoreItems``, the last id). :func:`prefetched` runs that chain on a worker thread and hands the raw pages
over a small queue, so the server prepares page N+1 while the caller converts page N: the read costs about the
larger of wire and client time instead of their sum.

Rules the rooms rely on:
- The worker is the only thread sending the *search's* requests; the transport's lock (an ``RLock`` held for
  each exchange, e.g. ``HttpTransport.lock``) keeps any other call the caller makes meanwhile (an ancestor
  lookup) from using the session at the same moment. ``produce`` must not yield while holding that lock.
- An error in the worker is raised in the caller at the page where it happened, with its own traceback.
- Closing the iterator early (``break``, ``max_hits``, an exception in the caller) stops the worker after at
  most the request it is sending; nothing it fetched afterwards is used.
- The worker runs in a copy of the caller's context, so log context (run id) stays with its records.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL = 0.1
"""Seconds between checks of the stop flag while the worker waits for room in the queue."""


class _Done:
    pass


_DONE = _Done()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Worker(Generic[T]):
    def __init__(self, produce: Callable[[], Iterator[T]], depth: int, name: str) -> None:
        self.queue: queue.Queue[T | _Done | _Failed] = queue.Queue(maxsize=max(1, depth))
        self.stop = threading.Event()
        context = contextvars.copy_context()
        self.thread = threading.Thread(target=context.run, args=(self._run, produce), name=name, daemon=True)

    def _put(self, item: T | _Done | _Failed) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, produce: Callable[[], Iterator[T]]) -> None:
        pages: Iterator[T] | None = None
        try:
            pages = produce()
            for page in pages:
                if not self._put(page):
                    return
            self._put(_DONE)
        except BaseException as error:  # handed to the caller, raised there
            self._put(_Failed(error))
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()


def prefetched(
    produce: Callable[[], Iterator[T]], *, depth: int = 1, name: str = "enaio-prefetch"
) -> Generator[T, None, None]:
    """Iterate ``produce()`` on a worker thread, at most ``depth`` items ahead of the caller."""
    worker: _Worker[T] = _Worker(produce, depth, name)
    worker.thread.start()
    try:
        while True:
            item = worker.queue.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        worker.stop.set()
        # make room so a worker blocked on a full queue sees the flag at once
        while True:
            try:
                worker.queue.get_nowait()
            except queue.Empty:
                break
