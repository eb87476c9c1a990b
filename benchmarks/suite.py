"""The benchmark suite: read throughput close to the wire, per interface, the emulator in its own process.

    .venv-test/bin/python -m benchmarks.suite --scale 1 --scale 10 [--interface dms] [--kind …] [--markdown]

For each scale the demo county is generated once into a SQLite file (``benchmarks/.data/scale-N.db``, reused;
scale 1, 10 and 100 — 100 is about a million objects) and served by ``enaio-connector emulator serve`` in a
separate process, so client and server costs are not mixed. Each measurement runs in its own child process
(its peak RSS is its own):

- ``search``: ``EnaioClient.search`` over every object type; the requests the client sends are recorded
  into ``benchmarks/.data/requests-scale-N-<interface>-<page size>.jsonl`` (kept in memory while timed,
  written afterwards);
- ``wire``: a bare ``requests`` loop that replays that file, reading only the bytes — what the wire alone
  costs. Without the file (or when it belongs to other data, or the server no longer accepts its session)
  the child records one client run first. The suite runs ``search`` before ``wire``, so one client run
  serves both;
- ``reader``: ``RecordReader.iter_records`` over every entity of the default profile;
- ``kennzahlen``: the demo period's Kennzahlen, the read and what comes after it timed apart by
  ``jobs.kennzahlen.live.benchmark_split``: ``read_seconds`` is enaio read through the mapping layer into
  the job's compact facts (the job streams records into them, so that is part of the read);
  ``after_read_seconds`` = ``compute_seconds`` (rules, suppression, pseudonyms) + ``write_seconds`` (json
  and csv into a temporary directory);
- ``extract``: ``enaio-connector extract`` into SQLite in a temporary directory, a full run and then a
  second run with no changes on the server (incremental); both wall times (process start included) and
  job times (the run summary's ``seconds``), their ratios, the requests each run sent and the records it
  read, and each run's own peak RSS.

Results are JSON lines on stdout (``--markdown`` prints a table per kind for docs/performance.md). No test
asserts timings; this is evidence, not a gate.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
INTERFACES = ("dms", "osrest", "soap")
KINDS = ("search", "wire", "reader", "kennzahlen", "extract")
"""The order the suite runs them in: ``search`` records the requests ``wire`` replays."""
Recorded = tuple[str, str, dict[str, str], bytes | None]


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


@contextmanager
def _recording(url: str) -> Iterator[list[Recorded]]:
    """Every request any ``requests.Session`` sends (the prefetch worker's too), as (method, path relative
    to `url`, headers, body); appending to a list is cheap next to a page's decoding."""
    import requests

    recorded: list[Recorded] = []
    original = requests.Session.send
    base = url.rstrip("/")

    def recording(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        target = request.url or ""
        if target.startswith(base):
            target = target[len(base) :]  # the port differs from one emulator process to the next
        recorded.append((request.method or "GET", target, dict(request.headers), body))
        return original(self, request, **kwargs)

    requests.Session.send = recording  # type: ignore[method-assign]
    try:
        yield recorded
    finally:
        requests.Session.send = original  # type: ignore[method-assign]


def _data_stamp(data: Path | None) -> dict[str, Any]:
    if data is None or not data.exists():
        return {}
    stat = data.stat()
    return {"data": data.name, "size": stat.st_size, "mtime": int(stat.st_mtime)}


def _save_recording(path: Path, stamp: dict[str, Any], objects: int, recorded: list[Recorded]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # another suite may record the same file
    with temporary.open("w", encoding="utf-8") as out:
        out.write(json.dumps({**stamp, "objects": objects}) + "\n")
        for method, target, headers, body in recorded:
            encoded = base64.b64encode(body).decode("ascii") if body is not None else None
            out.write(json.dumps([method, target, headers, encoded]) + "\n")
    temporary.replace(path)


def _load_recording(path: Path, stamp: dict[str, Any]) -> tuple[int, list[Recorded]] | None:
    """The recorded requests and the objects they read; None when missing or recorded from other data."""
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as lines:
        head = json.loads(lines.readline() or "{}")
        if {key: head.get(key) for key in stamp} != stamp or "objects" not in head:
            return None
        recorded: list[Recorded] = []
        for line in lines:
            method, target, headers, encoded = json.loads(line)
            body = base64.b64decode(encoded) if encoded is not None else None
            recorded.append((method, target, headers, body))
    return int(head["objects"]), recorded


def measure_search(
    url: str, interface: str, page_size: int, record: Path | None = None, data: Path | None = None
) -> dict[str, Any]:
    with _recording(url) as recorded:
        started = time.perf_counter()
        count = _search_all(url, interface, page_size)
        seconds = time.perf_counter() - started
    if record is not None:
        _save_recording(record, _data_stamp(data), count, recorded)
    return {
        "objects": count,
        "requests": len(recorded),
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds),
    }


def _replay(url: str, recorded: list[Recorded]) -> tuple[int, int, int, float]:
    """(bytes received, responses ≥ 400, requests, seconds) of one bare replay."""
    import requests

    base = url.rstrip("/")
    session = requests.Session()
    received = failed = 0
    started = time.perf_counter()
    for method, target, headers, body in recorded:
        full = target if target.startswith("http") else base + target
        response = session.request(method, full, headers=headers, data=body, stream=True)
        for chunk in response.iter_content(65536):
            received += len(chunk)
        failed += response.status_code >= 400
    seconds = time.perf_counter() - started
    session.close()
    return received, failed, len(recorded), seconds


def measure_wire(
    url: str, interface: str, page_size: int, record: Path | None = None, data: Path | None = None
) -> dict[str, Any]:
    """Replay the requests the ``search`` child recorded with a bare requests loop (record them first if
    there is no recording of this data, or if the server refuses the recorded session)."""
    stamp = _data_stamp(data)
    loaded = _load_recording(record, stamp) if record is not None else None
    recorded_now = False
    for _attempt in range(2):
        if loaded is None:
            with _recording(url) as recorded:
                count = _search_all(url, interface, page_size)
            if record is not None:
                _save_recording(record, stamp, count, recorded)
            loaded, recorded_now = (count, recorded), True
        count, recorded = loaded
        received, failed, requests_sent, seconds = _replay(url, recorded)
        if not failed or recorded_now:
            break
        loaded = None  # a session of an earlier emulator process: record against this one
    return {
        "objects": count,
        "requests": requests_sent,
        "failed": failed,
        "recorded_now": recorded_now,
        "bytes": received,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds),
    }


def measure_reader(url: str, interface: str, page_size: int, **_options: Any) -> dict[str, Any]:
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


def measure_kennzahlen(url: str, interface: str, page_size: int, **_options: Any) -> dict[str, Any]:
    """The read and what comes after it, timed apart (`jobs.kennzahlen.live.benchmark_split`)."""
    from jobs.demo import DEMO_PERIOD
    from jobs.kennzahlen.live import benchmark_split

    return dict(benchmark_split(_settings(url, interface, page_size), DEMO_PERIOD))


def _extract_run(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """One ``enaio-connector extract`` process: wall time, its own peak RSS (wait4), its summary."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, text=True, env=env)  # noqa: S603
        if process.stderr is None:
            raise RuntimeError("no pipe to the extract process")
        errors = process.stderr.read()  # drained while it runs (one JSON progress line per stream)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            raise RuntimeError(f"extract exited {process.returncode}: {errors.strip()[-2000:]}")
        out.seek(0)
        summary = json.loads(out.read().strip().splitlines()[-1])
    return {
        "wall_seconds": round(seconds, 2),
        "job_seconds": round(float(summary["seconds"]), 2),
        "requests": summary["requests"],
        "read": summary["totals"]["read"],
        "written": summary["totals"]["written"],
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def measure_extract(url: str, interface: str, page_size: int, **_options: Any) -> dict[str, Any]:
    """A full extraction into SQLite, then a second run with no changes on the server."""
    from connector.enaio.objdef import default_site_path
    from connector.pseudonym import DEMO_KEY

    with tempfile.TemporaryDirectory(prefix="enaio-bench-") as work:
        env = dict(os.environ)
        env.update(
            {
                "ENAIO_URL": url,
                "ENAIO_USERNAME": "demo",
                "ENAIO_PASSWORD": "demo",
                "ENAIO_READ_TIMEOUT": "600",
                "ENAIO_PSEUDONYM_KEY": DEMO_KEY.decode(),
            }
        )
        command = [_cli(), "--log-format", "json", "extract", "--sink", f"sqlite:///{work}/records.db"]
        command += ["--state-dir", f"{work}/state", "--interface", interface]
        command += ["--objdef", str(default_site_path()), "--allow-quarantine"]
        full = _extract_run(command, env)
        again = _extract_run(command, env)
    return {
        "full": full,
        "incremental": again,
        "ratio_wall": round(again["wall_seconds"] / full["wall_seconds"], 3),
        "ratio_job": round(again["job_seconds"] / max(full["job_seconds"], 0.001), 3),
        "peak_rss_mib_children": max(full["peak_rss_mib"], again["peak_rss_mib"]),
    }


MEASURES: dict[str, Callable[..., dict[str, Any]]] = {
    "wire": measure_wire,
    "search": measure_search,
    "reader": measure_reader,
    "kennzahlen": measure_kennzahlen,
    "extract": measure_extract,
}


def child(
    kind: str, url: str, interface: str, page_size: int, record: Path | None, data: Path | None
) -> None:
    result = MEASURES[kind](url, interface, page_size, record=record, data=data)
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


def recording_path(scale: int, interface: str, page_size: int) -> Path:
    return DATA / f"requests-scale-{scale}-{interface}-{page_size}.jsonl"


def run(scales: list[int], interfaces: list[str], kinds: list[str], page_size: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    ordered = [kind for kind in KINDS if kind in kinds]  # search before wire: one client run serves both
    for scale in scales:
        data = prepare(scale)
        with emulator(data) as url:
            for interface in interfaces:
                for kind in ordered:
                    command = [sys.executable, "-m", "benchmarks.suite", "--child", kind, "--url", url]
                    command += ["--interface", interface, "--page-size", str(page_size)]
                    command += ["--record", str(recording_path(scale, interface, page_size))]
                    command += ["--data", str(data)]
                    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)  # noqa: S603
                    if done.returncode != 0:
                        sys.stderr.write(done.stderr)
                        raise SystemExit(
                            f"{kind} ({interface}, scale {scale}) failed: exit {done.returncode}"
                        )
                    line = json.loads(done.stdout.strip().splitlines()[-1])
                    line.update({"scale": scale, "interface": interface, "kind": kind})
                    print(json.dumps(line), flush=True)
                    results.append(line)
    return results


def _rate(result: dict[str, Any] | None, wire: int | None) -> str:
    if result is None:
        return "–"
    share = f" ({result['per_second'] / wire:.2f}×)" if wire else ""
    return f"{result['per_second']:,}{share}"


def _read_table(keyed: dict[tuple[int, str, str], dict[str, Any]], pairs: list[tuple[int, str]]) -> list[str]:
    lines = [
        "| scale | interface | objects | wire /s | search /s (× wire) | reader /s (× wire) "
        "| peak RSS MiB (search / reader) |",
        "|---|---|---|---|---|---|---|",
    ]
    for scale, interface in pairs:
        wire = keyed.get((scale, interface, "wire"))
        search = keyed.get((scale, interface, "search"))
        reader = keyed.get((scale, interface, "reader"))
        w = wire["per_second"] if wire else None
        objects = next((f"{r['objects']:,}" for r in (wire, search) if r), "–")
        rss = " / ".join(str(r["peak_rss_mib"]) if r else "–" for r in (search, reader))
        lines.append(
            f"| {scale} | {interface} | {objects} | {f'{w:,}' if w else '–'} | {_rate(search, w)} "
            f"| {_rate(reader, w)} | {rss} |"
        )
    return lines


def _kennzahlen_table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| scale | interface | records read | persons | read s | compute s | write s | after the read s "
        "| peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['scale']} | {r['interface']} | {r['records']:,} | {r['persons']:,} | {r['read_seconds']} "
            f"| {r['compute_seconds']} | {r['write_seconds']} | **{r['after_read_seconds']}** "
            f"| {r['peak_rss_mib']} |"
        )
    return lines


def _extract_table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| scale | interface | full: records, requests, s (job) | no changes: records, requests, s (job) "
        "| ratio wall (job) | peak RSS MiB (full / no changes) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        full, again = r["full"], r["incremental"]
        lines.append(
            f"| {r['scale']} | {r['interface']} "
            f"| {full['read']:,}, {full['requests']:,}, {full['wall_seconds']} ({full['job_seconds']}) "
            f"| {again['read']:,}, {again['requests']:,}, {again['wall_seconds']} ({again['job_seconds']}) "
            f"| **{r['ratio_wall']:.1%}** ({r['ratio_job']:.1%}) "
            f"| {full['peak_rss_mib']} / {again['peak_rss_mib']} |"
        )
    return lines


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
    ]
    keyed = {(r["scale"], r["interface"], r["kind"]): r for r in results}
    pairs = sorted(
        {(r["scale"], r["interface"]) for r in results if r["kind"] in ("wire", "search", "reader")}
    )
    if pairs:
        lines += ["", "Read throughput:", "", *_read_table(keyed, pairs)]
    kennzahlen = [r for r in results if r["kind"] == "kennzahlen"]
    if kennzahlen:
        lines += ["", "Kennzahlen of the demo period (the read, then what comes after it):", ""]
        lines += _kennzahlen_table(kennzahlen)
    extract = [r for r in results if r["kind"] == "extract"]
    if extract:
        lines += ["", "Extraction into SQLite, full run, then a run with no changes on the server:", ""]
        lines += _extract_table(extract)
    return "\n".join(lines)


def _scale(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(
            "a scale is 1 to 1000 (1 = the demo county, 100 ≈ a million objects)"
        )
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description="enaio-connector benchmark suite")
    parser.add_argument("--scale", type=_scale, action="append", help="1, 10, 100 (repeatable; default 1)")
    parser.add_argument("--interface", action="append", choices=INTERFACES)
    parser.add_argument("--kind", action="append", choices=KINDS, help="default: search, wire, reader")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, (args.interface or ["dms"])[0], args.page_size, args.record, args.data)
        return
    results = run(
        args.scale or [1],
        args.interface or list(INTERFACES),
        args.kind or ["search", "wire", "reader"],
        args.page_size,
    )
    if args.markdown:
        print(markdown(results))


if __name__ == "__main__":
    main()
