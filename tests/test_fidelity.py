"""Issue 10: the connector works against both emulator personalities, not only against the one whose guesses
it shares. ``documented`` serves only what the public record documents and takes the other plausible choice
where the record is silent (docs/emulator-choices.md); every interface must give the same normalized records
and the county report's figures against it.

The CLI runs against a real ``enaio-connector emulator serve --variant documented --demo`` process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from connector.config import Interface
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.state import Variant
from connector.enaio.objdef import default_site_path
from jobs.cli import main
from mappings import Quarantine, RecordReader, load_profile
from tests.conftest import INTERFACES

ENTITIES = tuple(load_profile().entities)

# The county report's figures (Kreistagsdrucksache 084/18), as the demo's totals.
SEED_TOTALS = {"Z01": 1045, "K04": 501, "K05d": 130, "B01": 2258, "K01n": 19}
SEED_B01 = {"VORLAEUFIGE_UNTERBRINGUNG": 436, "ANSCHLUSSUNTERBRINGUNG": 1028, "PRIVATWOHNUNG": 794}

Records = dict[str, list[dict[str, Any]]]
_read_cache: dict[tuple[Variant, Interface], Records] = {}


def _read_all(client: EnaioClient, quarantine_file: Path) -> Records:
    with Quarantine(quarantine_file) as quarantine:
        reader = RecordReader(client, load_profile(), quarantine=quarantine)
        return {
            entity: sorted(
                (record.model_dump(mode="json") for record in reader.iter_records(entity)),
                key=lambda r: r["enaio_id"],
            )
            for entity in ENTITIES
        }


def _records(
    variant: Variant,
    interface: Interface,
    demo_emulators: Callable[[Variant], EmulatorServer],
    client_factory: Callable[..., EnaioClient],
    tmp_path_factory: pytest.TempPathFactory,
) -> Records:
    key = (variant, interface)
    if key not in _read_cache:
        server = demo_emulators(variant)
        # documented osrest has no object-definition endpoint: the administrator's export stands in
        documented_osrest = variant == "documented" and interface == "osrest"
        extra: dict[str, object] = {"objdef_file": str(default_site_path())} if documented_osrest else {}
        path = tmp_path_factory.mktemp(f"q-{variant}-{interface}") / "quarantine.jsonl"
        _read_cache[key] = _read_all(client_factory(server, interface, **extra), path)
    return _read_cache[key]


@pytest.mark.slow
@pytest.mark.parametrize("interface", INTERFACES)
def test_documented_personality_gives_the_same_records(
    interface: Interface,
    demo_emulators: Callable[[Variant], EmulatorServer],
    client_factory: Callable[..., EnaioClient],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    reference = _records("default", "dms", demo_emulators, client_factory, tmp_path_factory)
    records = _records("documented", interface, demo_emulators, client_factory, tmp_path_factory)
    for entity in ENTITIES:
        assert records[entity], f"no {entity} records through {interface} (documented)"
        assert len(records[entity]) == len(reference[entity]), entity
        assert records[entity] == reference[entity], (
            f"{entity} differs: {interface} documented vs dms default"
        )


# -- the CLI against a real `emulator serve --variant documented --demo` ------------------------------


@pytest.fixture(scope="module")
def documented_server() -> Iterator[str]:
    command = [
        str(Path(sys.executable).with_name("enaio-connector")),
        "emulator",
        "serve",
        "--variant",
        "documented",
        "--demo",
        "--port",
        "0",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the banner is on stdout; nothing may fill an unread pipe
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = _wait_for_url(process)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - only when shutdown hangs
            process.kill()
            process.wait()


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    """The URL from the serve banner, once the banner says the documented personality is serving."""
    assert process.stdout is not None
    deadline = time.monotonic() + 90
    seen: list[str] = []
    url = None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"enaio emulator on (http://\S+)", line)
        if match:
            url = match.group(1)
        if url and re.search(r"variant\s+documented", line):
            return url
    raise AssertionError("emulator serve --variant documented did not start: " + "".join(seen))


def _env(url: str, interface: Interface, tmp_path: Path) -> dict[str, str]:
    env = {
        "ENAIO_URL": url,
        "ENAIO_INTERFACE": interface,
        "ENAIO_USERNAME": "demo",
        "ENAIO_PASSWORD": "demo",
        "ENAIO_CONNECT_TIMEOUT": "2",
        "ENAIO_RETRY__MAX_ATTEMPTS": "2",
        "ENAIO_RETRY__BACKOFF_INITIAL": "0.01",
        "ENAIO_PSEUDONYM_KEY": "fidelity-test-key-0123456789abcdef",
        "ENAIO_STATE_DIR": str(tmp_path / "state"),
    }
    if interface == "osrest":
        env["ENAIO_OBJDEF_FILE"] = str(default_site_path())
    return env


@pytest.mark.parametrize("interface", INTERFACES)
def test_check_passes_against_documented(
    documented_server: str, interface: Interface, tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["check"], env=_env(documented_server, interface, tmp_path))
    assert result.exit_code == 0, result.output
    assert "profile fits" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("interface", INTERFACES)
def test_kennzahlen_give_the_seed_figures_against_documented(
    documented_server: str, interface: Interface, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "kennzahlen",
            "--period",
            "2018-Q2",
            "--stichtag",
            "31.07.2018",
            "--format",
            "json",
            "--out",
            str(out),
            "--allow-quarantine",
        ],
        env=_env(documented_server, interface, tmp_path),
    )
    assert result.exit_code == 0, result.output
    files = sorted(out.rglob("*.json"))
    data = next(json.loads(p.read_text(encoding="utf-8")) for p in files if p.name.startswith("kennzahlen"))
    values = data if isinstance(data, list) else data["werte"] if "werte" in data else data["values"]
    totals = {v["code"]: v["value"] for v in values if not v.get("dimensions")}
    for code, expected in SEED_TOTALS.items():
        assert _number(totals[code]) == expected, code
    assert _number(totals["K01"]) == 13
    b01 = {
        v["dimensions"]["unterbringungsart"]: _number(v["value"])
        for v in values
        if v["code"] == "B01" and set(v.get("dimensions") or {}) == {"unterbringungsart"}
    }
    for key, expected in SEED_B01.items():
        assert b01[key] == expected, key


def _number(value: object) -> float:
    if isinstance(value, str):
        return float(value.replace(",", "."))
    assert isinstance(value, int | float), value
    return float(value)
