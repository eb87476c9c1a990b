"""The benchmark suite: read throughput close to the wire, per interface, the emulator in its own process.

    .venv-test/bin/python -m benchmarks.suite --scale 1 --scale 10 [--interface dms] [--markdown]

For each scale the demo county is generated once into a SQLite file (``benchmarks/.data/scale-N.db``, reused)
and served by ``enaio-connector emulator serve`` in a separate process, so client and server costs are not
mixed. Each measurement runs in its own child process (its peak RSS is its own):

- ``wire``: a bare ``requests`` loop that replays the very requests the interface's client sent (recorded
  from one client run), reading only the bytes — what the wire alone costs;
- ``search``: ``EnaioClient.search`` over every object type;
- ``reader``: ``RecordReader.iter_records`` over every entity of the default profile;
- ``kennzahlen``: the Kennzahlen of the demo period computed from records already read (the time after the
  read, which is what the Kennzahlen themselves cost).

Results are JSON lines on stdout (``--markdown`` prints a table for docs/performance.md). No test asserts
timings; this is evidence, not a gate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
INTERFACES = ("dms", "osrest", "soap")


# -- child measurements ------------------------------------------------------------------------------


def _settings(url: str, interface: str, page_size: int) -> Any:
    from connector.config import load_settings
    from connector.enaio.objdef import default_site_path

    return load_settings(
        overrides={
            "url": url,
            "interface": interface,
            "username": "demo",
            "password": "demo",
            "read_timeout": 600,
            "objdef_file": str(default_site_path()),
        }
    )


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _search_all(url: str, interface: str, page_size: int) -> int:
    from connector.enaio.client import EnaioClient
    from connector.enaio.query import Query

    count = 0
    with EnaioClient(_settings(url, interface, page_size)) as client:
        for otype in client.object_definition().types:
            for _ in client.search(Query(otype.internal, page_size=page_size)):
                count += 1
    return count


def measure_search(url: str, interface: str, page_size: int) -> dict[str, Any]:
    started = time.perf_counter()
    count = _search_all(url, interface, page_size)
    seconds = time.perf_counter() - started
    return {"objects": count, "seconds": round(seconds, 2), "per_second": round(count / seconds)}


def measure_wire(url: str, interface: str, page_size: int) -> dict[str, Any]:
    """Record the client's requests once, then replay them with a bare requests loop."""
    import requests

    recorded: list[tuple[str, str, dict[str, str], bytes | None]] = []
    original = requests.Session.send

    def recording(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        recorded.append((request.method or "GET", request.url or "", dict(request.headers), body))
        return original(self, request, **kwargs)

    requests.Session.send = recording  # type: ignore[method-assign]
    try:
        count = _search_all(url, interface, page_size)
    finally:
        requests.Session.send = original  # type: ignore[method-assign]
    session = requests.Session()
    started = time.perf_counter()
    received = 0
    for method, target, headers, body in recorded:
        response = session.request(method, target, headers=headers, data=body, stream=True)
        for chunk in response.iter_content(65536):
            received += len(chunk)
    seconds = time.perf_counter() - started
    return {
        "objects": count,
        "requests": len(recorded),
        "bytes": received,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds),
    }


def measure_reader(url: str, interface: str, page_size: int) -> dict[str, Any]:
    from connector.enaio.client import EnaioClient
    from mappings import RecordReader, load_profile

    profile = load_profile()
    count = 0
    started = time.perf_counter()
    with EnaioClient(_settings(url, interface, page_size)) as client:
        reader = RecordReader(client, profile)
        for entity in profile.entities:
            for _ in reader.iter_records(entity):
                count += 1
    seconds = time.perf_counter() - started
    return {"records": count, "seconds": round(seconds, 2), "per_second": round(count / seconds)}


def measure_kennzahlen(url: str, interface: str, page_size: int) -> dict[str, Any]:
    """Read once (timed), then compute the demo period's Kennzahlen from the records (timed apart)."""
    from jobs.demo import DEMO_PERIOD
    from jobs.kennzahlen import live

    settings = _settings(url, interface, page_size)
    timings: dict[str, Any] = {}
    runner = getattr(live, "benchmark_split", None)
    if runner is None:  # the job offers no read/compute split: time the whole job
        import tempfile

        from connector.pseudonym import DEMO_KEY, Pseudonymizer
        from jobs.kennzahlen.job import run_kennzahlen

        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            run_kennzahlen(settings, DEMO_PERIOD, Path(out), ("json",), pseudonymizer=Pseudonymizer(DEMO_KEY))
        timings["job_seconds"] = round(time.perf_counter() - started, 2)
    else:
        timings.update(runner(settings, DEMO_PERIOD))
    return timings


MEASURES = {
    "wire": measure_wire,
    "search": measure_search,
    "reader": measure_reader,
    "kennzahlen": measure_kennzahlen,
}


def child(kind: str, url: str, interface: str, page_size: int) -> None:
    result = MEASURES[kind](url, interface, page_size)
    result["peak_rss_mib"] = _peak_mib()
    print(json.dumps(result))


# -- the emulator process ----------------------------------------------------------------------------


def _cli() -> str:
    return str(Path(sys.executable).with_name("enaio-connector"))


def prepare(scale: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"scale-{scale}.db"
    if not path.exists():
        print(f"# generating the demo county at scale {scale} into {path} …", file=sys.stderr)
        subprocess.run(  # noqa: S603 - our own CLI
            [_cli(), "emulator", "seed", "--demo", "--scale", str(scale), "--data", str(path)], check=True
        )
    return path


@contextmanager
def emulator(data: Path) -> Iterator[str]:
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [_cli(), "emulator", "serve", "--data", str(data), "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        if process.stdout is None:
            raise RuntimeError("no pipe to the emulator")
        url = None
        while url is None:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("emulator did not start")
            match = re.search(r"enaio emulator on (http://\S+)", line)
            url = match.group(1) if match else None
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def run(scales: list[int], interfaces: list[str], kinds: list[str], page_size: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for scale in scales:
        data = prepare(scale)
        with emulator(data) as url:
            for interface in interfaces:
                for kind in kinds:
                    command = [sys.executable, "-m", "benchmarks.suite", "--child", kind, "--url", url]
                    command += ["--interface", interface, "--page-size", str(page_size)]
                    done = subprocess.run(  # noqa: S603
                        command, check=True, capture_output=True, text=True, cwd=ROOT
                    )
                    line = json.loads(done.stdout.strip().splitlines()[-1])
                    line.update({"scale": scale, "interface": interface, "kind": kind})
                    print(json.dumps(line), flush=True)
                    results.append(line)
    return results


def markdown(results: list[dict[str, Any]]) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, as a developer runs it
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}), commit {commit}.",
        "",
        "| scale | interface | wire /s | search /s (× wire) | reader /s (× wire) "
        "| peak RSS MiB (search / reader) |",
        "|---|---|---|---|---|---|",
    ]
    keyed = {(r["scale"], r["interface"], r["kind"]): r for r in results}
    for scale, interface in sorted({(r["scale"], r["interface"]) for r in results}):
        wire = keyed.get((scale, interface, "wire"))
        search = keyed.get((scale, interface, "search"))
        reader = keyed.get((scale, interface, "reader"))
        if not (wire and search and reader):
            continue
        w = wire["per_second"]
        lines.append(
            f"| {scale} | {interface} | {w:,} | {search['per_second']:,} ({search['per_second'] / w:.2f}×) | "
            f"{reader['per_second']:,} ({reader['per_second'] / w:.2f}×) | "
            f"{search['peak_rss_mib']} / {reader['peak_rss_mib']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="enaio-connector benchmark suite")
    parser.add_argument("--scale", type=int, action="append")
    parser.add_argument("--interface", action="append", choices=INTERFACES)
    parser.add_argument("--kind", action="append", choices=sorted(MEASURES))
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, (args.interface or ["dms"])[0], args.page_size)
        return
    results = run(
        args.scale or [1],
        args.interface or list(INTERFACES),
        args.kind or ["wire", "search", "reader"],
        args.page_size,
    )
    if args.markdown:
        print(markdown(results))


if __name__ == "__main__":
    main()
