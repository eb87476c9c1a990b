"""Where a search's time goes: the caller converting pages against the prefetch worker fetching them.

    .venv-test/bin/python -m benchmarks.overlap --scale 10 [--interface dms] [--page-size 500]

Runs ``EnaioClient.search`` over every object type, as the suite's ``search`` kind does, against the
emulator in its own process, and reports per interface:

- ``wall_seconds`` and ``client_cpu_seconds`` (all threads of the client process);
- ``caller_wait_seconds``: how long the caller waited for the worker's next page. When it is most of the
  wall time, the conversion is hidden behind the fetching and the read is bounded by the chain of requests
  (each page's request goes out after the previous answer was read and decoded), not by the client's
  conversion;
- ``pages``: pages handed over by workers.

The wait is measured by wrapping the worker's queue (a measurement hook, not product code). Evidence for
docs/performance.md; nothing asserts timings.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import time
from types import SimpleNamespace
from typing import Any

from benchmarks.suite import INTERFACES, _settings, emulator, prepare


class _TimedQueue(queue.Queue[Any]):
    waited = 0.0
    pages = 0

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        started = time.perf_counter()
        try:
            return super().get(block, timeout)
        finally:
            _TimedQueue.waited += time.perf_counter() - started
            _TimedQueue.pages += 1


def measure(url: str, interface: str, page_size: int) -> dict[str, Any]:
    import connector.prefetch
    from connector.enaio.client import EnaioClient
    from connector.enaio.query import Query

    # only the prefetch module sees the timed queue
    connector.prefetch.queue = SimpleNamespace(  # type: ignore[attr-defined,assignment]
        Queue=_TimedQueue, Full=queue.Full, Empty=queue.Empty
    )
    _TimedQueue.waited, _TimedQueue.pages = 0.0, 0
    count = 0
    started, cpu = time.perf_counter(), time.process_time()
    with EnaioClient(_settings(url, interface, page_size)) as client:
        for otype in client.object_definition().types:
            for _ in client.search(Query(otype.internal, page_size=page_size)):
                count += 1
    wall = time.perf_counter() - started
    return {
        "interface": interface,
        "objects": count,
        "wall_seconds": round(wall, 2),
        "client_cpu_seconds": round(time.process_time() - cpu, 2),
        "caller_wait_seconds": round(_TimedQueue.waited, 2),
        "caller_wait_share": round(_TimedQueue.waited / wall, 2),
        "pages": _TimedQueue.pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="where a search's time goes (caller vs prefetch worker)")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--interface", action="append", choices=INTERFACES)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    with emulator(prepare(args.scale)) as url:
        for interface in args.interface or list(INTERFACES):
            result = measure(url, interface, args.page_size)
            result["scale"] = args.scale
            print(json.dumps(result), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
