"""`enaio-connector demo`: the whole road once, against the in-process emulator with the demo county.

Starts the emulator (127.0.0.1, free port), reads every case file through the chosen interface and the
mapping layer, computes the Kennzahlen for 2018-04-01 … 2018-06-30 with Stichtag 2018-07-31 (the figures of
Kreistagsdrucksache 084/18), prints them, and writes all reports plus the data-quality report.

Pseudonyms use the public `connector.pseudonym.DEMO_KEY`: they protect nothing and must never be used with
real data.

The demo does not read the user's configuration: `ENAIO_*` variables, a secrets directory or a config file
cannot change or break it (only `--interface` and `--out` do). Quarantined records of the demo county (its
deliberately broken legacy records) are reported, and the demo still exits 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from connector.config import Interface, Settings
from connector.enaio.emulator.server import DEMO_USERS, EmulatorServer, build_state
from connector.enaio.emulator.state import Variant
from connector.enaio.objdef import default_site_path
from connector.errors import ConfigurationError
from connector.pseudonym import DEMO_KEY, Pseudonymizer
from jobs.kennzahlen.compute import KennzahlenResult
from jobs.kennzahlen.job import JobOutcome, job_output_names, run_kennzahlen
from jobs.kennzahlen.outputs import DEFAULT_FORMATS
from jobs.kennzahlen.outputs.fmt import de_date, de_number, label
from jobs.kennzahlen.periods import period_from_dates
from jobs.kennzahlen.staging import check_out_dir

__all__ = ["DEMO_PERIOD", "DemoRun", "demo_settings", "demo_table", "run_demo"]

DEMO_PERIOD: Final = period_from_dates(date(2018, 4, 1), date(2018, 6, 30), date(2018, 7, 31))
_ACCOMMODATION_ORDER: Final = ("VORLAEUFIGE_UNTERBRINGUNG", "ANSCHLUSSUNTERBRINGUNG", "PRIVATWOHNUNG")


class _DemoSettings(Settings):
    """Settings from the constructor only: no environment, no secrets directory, no dotenv, no file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def demo_settings(url: str, interface: Interface) -> Settings:
    """Settings for the embedded emulator, independent of the user's `ENAIO_*` environment."""
    user, password = next(iter(DEMO_USERS.items()))
    try:
        return _DemoSettings(
            url=url,
            interface=interface,
            username=user,
            password=password,
            pseudonym_key=DEMO_KEY.decode("utf-8"),
            mapping_profile="default",
        )
    except PydanticValidationError as exc:  # pragma: no cover - fixed values; only a bug gets here
        raise ConfigurationError(f"demo settings are invalid: {exc}") from None


@dataclass
class DemoRun:
    interface: str
    outcome: JobOutcome
    seconds: float
    table: str


def _value(result: KennzahlenResult, code: str, decimals: int = 0) -> str:
    try:
        return de_number(result.total(code), decimals)
    except KeyError:
        return "–"


def demo_table(result: KennzahlenResult, interface: str) -> str:
    """The county report's figures as a readable German table."""
    period = result.period
    b01 = result.breakdown("B01", "unterbringungsart")
    lines = [
        f"Kennzahlen Integrationsmanagement – Demo-Landkreis (Schnittstelle {interface})",
        f"Zeitraum {de_date(period.start)} – {de_date(period.end)}, Stichtag {de_date(period.stichtag)}, "
        f"Regelversion {result.rule_version}",
        "",
    ]
    rows: list[tuple[str, str]] = [
        (f"Personen in der Zielgruppe (Stichtag {de_date(result.zielgruppe_cutoff)})", _value(result, "Z01")),
        ("Sondierungs-/Clearinggespräche im Zeitraum", _value(result, "K04")),
        ("Integrationszielvereinbarungen (neue Pläne) im Zeitraum", _value(result, "K05d")),
        ("Zielgruppe durch Sondierung erreicht (Personen)", _value(result, "Z02")),
        ("Anteil der Zielgruppe erreicht", _value(result, "Z02q", 1) + " %"),
        (f"Betreute Personen am {de_date(period.stichtag)}", _value(result, "B01")),
    ]
    for key in (*_ACCOMMODATION_ORDER, *sorted(set(b01) - set(_ACCOMMODATION_ORDER))):
        if key in b01:
            cell = b01[key]
            rows.append((f"  davon {label(key)}", de_number(cell.value, suppressed=cell.suppressed)))
    rows += [
        ("Integrationsmanager*innen (förderfähig)", _value(result, "K01n")),
        ("Vollzeitäquivalente (VZÄ)", _value(result, "K01", 2)),
        ("Beratene Personen im Zeitraum", _value(result, "K02")),
        ("Beratungsgespräche im Zeitraum", _value(result, "K03")),
        ("Betreuungsschlüssel (Personen je VZÄ)", _value(result, "K15", 1)),
    ]
    width = max(len(name) for name, _ in rows)
    lines += [f"  {name.ljust(width)}  {value.rjust(9)}" for name, value in rows]
    return "\n".join(lines)


def run_demo(
    interface: Interface = "dms",
    out_dir: Path = Path("out"),
    echo: Callable[[str], None] = print,
    *,
    variant: Variant = "default",
) -> DemoRun:
    started = time.monotonic()
    check_out_dir(out_dir, job_output_names(DEFAULT_FORMATS, quality=True))
    with EmulatorServer(build_state(demo=True, variant=variant)) as server:
        settings = demo_settings(server.url, interface)
        if variant == "documented" and interface == "osrest":
            # documented osrest has no object-definition endpoint: the site's export stands in
            settings = settings.model_copy(update={"objdef_file": default_site_path()})
        outcome = run_kennzahlen(
            settings,
            DEMO_PERIOD,
            out_dir,
            DEFAULT_FORMATS,
            pseudonymizer=Pseudonymizer(DEMO_KEY),
            quality=True,
        )
    if outcome.result is None:  # pragma: no cover - run_kennzahlen always returns a result
        raise RuntimeError("no Kennzahlen computed")
    seconds = time.monotonic() - started
    table = demo_table(outcome.result, interface)
    echo(table)
    echo("")
    echo(f"Ausgaben in {out_dir}:")
    for path in outcome.paths:
        echo(f"  {path.name}")
    quarantined = sum(outcome.quarantine.values())
    echo(
        f"Datenqualität: {outcome.issues} Hinweise (quality.html), {quarantined} fehlende Pflichtangaben "
        f"({outcome.quarantined_total} Datensätze in quarantine.jsonl)"
    )
    echo(f"Dauer: {de_number(seconds, 1)} s")
    return DemoRun(interface, outcome, seconds, table)
