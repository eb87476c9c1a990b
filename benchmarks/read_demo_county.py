"""Benchmark: read every object of every type of the demo county through each interface.

Measures wall time, objects per second and the peak resident memory of the process, so streaming
regressions show up as numbers (the test suite asserts no timings). Run:

    .venv-test/bin/python benchmarks/read_demo_county.py --scale 1 --interface dms --interface soap

Each interface runs in its own process (emulator and client together), so the peak memory is that interface's
alone. Measured on the 2-core machine at scale 1 (10,208 objects, page size 500):
dms 4.3 s, 2,370 objects/s, 95 MiB peak; osrest 6.3 s, 1,620/s, 123 MiB; soap 8.7 s, 1,170/s, 95 MiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _measure(scale: int, interface: str, page_size: int) -> dict[str, object]:
    from connector.config import load_settings
    from connector.enaio.client import EnaioClient
    from connector.enaio.emulator.server import EmulatorServer, build_state
    from connector.enaio.query import Query

    started = time.perf_counter()
    state = build_state(demo=True, scale=scale)
    load_seconds = time.perf_counter() - started
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with EmulatorServer(state) as server:
        settings = load_settings(
            overrides={"url": server.url, "interface": interface, "username": "demo", "password": "demo"}
        )
        with EnaioClient(settings) as client:
            types = [t.internal for t in client.object_definition().types]
            started = time.perf_counter()
            count = 0
            for type_name in types:
                for _ in client.search(Query(type_name, page_size=page_size)):
                    count += 1
            seconds = time.perf_counter() - started
    return {
        "interface": interface,
        "scale": scale,
        "page_size": page_size,
        "objects": count,
        "read_seconds": round(seconds, 2),
        "objects_per_second": round(count / seconds) if seconds else None,
        "load_seconds": round(load_seconds, 2),
        "peak_rss_mib_after_load": round(rss_after_load / 1024, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--interface", action="append", choices=["dms", "osrest", "soap"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    interfaces = args.interface or ["dms", "osrest", "soap"]
    if args.child:
        print(json.dumps(_measure(args.scale, interfaces[0], args.page_size)))
        return
    for interface in interfaces:
        command = [sys.executable, __file__, "--child", "--scale", str(args.scale)]
        command += ["--page-size", str(args.page_size), "--interface", interface]
        result = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
        print(result.stdout.strip())


if __name__ == "__main__":
    main()
