"""The prefetch worker: order, errors, early close, look-ahead bound and log context."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator

import pytest

from connector.prefetch import prefetched

_RUN: contextvars.ContextVar[str] = contextvars.ContextVar("run", default="none")


def test_items_arrive_in_order_and_the_worker_ends() -> None:
    assert list(prefetched(lambda: iter(range(50)))) == list(range(50))


def test_an_error_in_the_worker_is_raised_in_the_caller_after_the_items_before_it() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 broken")

    pages = prefetched(produce)
    assert [next(pages), next(pages)] == [1, 2]
    with pytest.raises(ValueError, match="page 3 broken"):
        next(pages)


def test_the_worker_runs_at_most_depth_items_ahead() -> None:
    produced: list[int] = []

    def produce() -> Iterator[int]:
        for n in range(10):
            produced.append(n)
            yield n

    pages = prefetched(produce, depth=1)
    assert next(pages) == 0
    time.sleep(0.3)
    # one item waiting in the queue, one held by the blocked worker: never more
    assert len(produced) <= 3
    pages.close()


def test_closing_early_stops_the_worker_and_closes_its_generator() -> None:
    closed = threading.Event()
    started = threading.Event()

    def produce() -> Iterator[int]:
        try:
            n = 0
            while True:
                started.set()
                yield n
                n += 1
        finally:
            closed.set()

    pages = prefetched(produce, name="test-prefetch")
    assert next(pages) == 0
    pages.close()
    assert closed.wait(5), "the worker's generator was not closed"
    deadline = time.monotonic() + 5
    while any(t.name == "test-prefetch" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "test-prefetch" for t in threading.enumerate())


def test_the_worker_sees_the_callers_context() -> None:
    _RUN.set("run-42")

    def produce() -> Iterator[str]:
        yield _RUN.get()

    assert list(prefetched(produce)) == ["run-42"]
