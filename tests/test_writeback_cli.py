"""Issue 14 from a user's command: `plan template` → `plan put --dry-run` → `plan put`, refusals with their
own exit codes, `jobcenter export`; one line on stderr, never a traceback, no personal values in errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import yaml
from click.testing import CliRunner

from connector.config import Interface
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.state import Variant
from connector.enaio.objdef import default_site_path
from jobs.cli import main
from jobs.writeback import parse_plan
from tests.conftest import TEST_USERS, make_settings
from tests.writeback_data import seed_client, seed_consent, seed_plan

AZ = "IM-T-0001"


def env(
    server: EmulatorServer, interface: Interface, variant: Variant, user: str = "alice"
) -> dict[str, str]:
    values = {
        "ENAIO_URL": server.url,
        "ENAIO_INTERFACE": interface,
        "ENAIO_USERNAME": user,
        "ENAIO_PASSWORD": TEST_USERS[user],
        "ENAIO_CONNECT_TIMEOUT": "2",
        "ENAIO_RETRY__MAX_ATTEMPTS": "2",
        "ENAIO_RETRY__BACKOFF_INITIAL": "0.01",
    }
    if variant == "documented":
        values["ENAIO_OBJDEF_FILE"] = str(default_site_path())
    return values


def run(args: list[str], environment: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, env=environment)
    return result.exit_code, result.stdout, result.stderr


def test_template_dry_run_put_and_repeat(
    any_emulator: EmulatorServer, interface: Interface, variant: Variant, tmp_path: Path
) -> None:
    seeded = seed_client(any_emulator, AZ, closed_case=True)
    previous = seed_plan(any_emulator, seeded.case)
    environment = env(any_emulator, interface, variant)

    code, out, err = run(["plan", "template", "--aktenzeichen", AZ], environment)
    assert code == 0, err
    assert out.startswith("# Integrationsplan für enaio")
    assert "fallbeginn: 2018-04-03" in out  # the open case, not the closed one
    assert "Fortschreibung" in out
    data = yaml.safe_load(out)
    plan = parse_plan(data)
    assert [g.ziel for g in plan.ziele] == ["Sprachkurs B1 abschließen", "Eigene Wohnung finden"]
    data["erstellt_am"] = data["vereinbart_am"] = "2018-11-12"
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    seq = any_emulator.state.store.max_seq()

    code, out, err = run(["plan", "put", str(plan_path), "--dry-run"], environment)
    assert code == 0, err
    payload = json.loads(out)
    assert payload["aktion"] == "fortschreibung"
    assert payload["indexdaten"]["PLANVERSION"] == 1
    assert payload["ziel"]["beratungsfall_id"] == seeded.case
    assert any_emulator.state.store.max_seq() == seq

    code, out, err = run(["plan", "put", str(plan_path)], environment)
    assert code == 0, err
    assert "abgelegt: Dokument" in out
    assert f"Dokument {previous} hat jetzt den Planstatus FORTGESCHRIEBEN" in out

    code, out, err = run(["plan", "put", str(plan_path)], environment)
    assert code == 0, err
    assert out.startswith("unverändert")


def test_checked_out_plan_exit_code_6_and_jobcenter_refusal_exit_code_8(
    any_emulator: EmulatorServer, interface: Interface, variant: Variant, tmp_path: Path
) -> None:
    seeded = seed_client(any_emulator, AZ)
    previous = seed_plan(any_emulator, seeded.case)
    with EnaioClient(
        make_settings(any_emulator, interface, "bob", objdef_file=str(default_site_path()))
    ) as bob:
        bob.api.checkout(previous)
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(
        "aktenzeichen: IM-T-0001\nplanart: INTEGRATIONSPLAN\n"
        "erstellt_am: 12.11.2018\nvereinbart_am: 12.11.2018\n"
        "ziele:\n  - {handlungsfeld: SPRACHE, ziel: Kurs, zielstatus: OFFEN}\n",
        encoding="utf-8",
    )
    seq = any_emulator.state.store.max_seq()

    code, out, err = run(["plan", "put", str(plan_path)], env(any_emulator, interface, variant))
    assert code == 6
    assert err.startswith("error: plan document")
    assert "bob" in err
    assert "Traceback" not in err
    assert any_emulator.state.store.max_seq() == seq

    out_dir = tmp_path / "jc"
    code, out, err = run(
        ["jobcenter", "export", "--aktenzeichen", AZ, "--date", "15.10.2018", "--out", str(out_dir)],
        env(any_emulator, interface, variant),
    )
    assert code == 8
    assert "no consent AUSTAUSCH_JOBCENTER" in err
    assert (out_dir / "jobcenter-audit.jsonl").exists()

    code, out, err = run(
        ["jobcenter", "export", "--aktenzeichen", "IM-T-9999", "--out", str(out_dir)],
        env(any_emulator, interface, variant),
    )
    assert code == 2
    assert err == "error: no client folder with Aktenzeichen IM-T-9999\n"

    seed_consent(any_emulator, seeded.case, erteilt=date(2018, 9, 1))
    code, out, err = run(
        ["jobcenter", "export", "--aktenzeichen", AZ, "--date", "2018-10-15", "--out", str(out_dir)],
        env(any_emulator, interface, variant),
    )
    assert code == 0, err
    assert Path(out.splitlines()[0]).name == "jobcenter_IM-T-0001_2018-10-15.json"
    assert "Datenweitergabe abgelegt" in out


def test_user_errors_are_one_line_without_personal_values(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "aktenzeichen: IM-T-0001\nplanart: INTEGRATIONSPLAN\nerstellt_am: 31.06.2018\n"
        "ziele:\n  - {handlungsfeld: KOCHEN, ziel: Geheimer Wunsch von Frau Haddad, zielstatus: OFFEN}\n",
        encoding="utf-8",
    )
    code, _out, err = run(["plan", "put", str(bad), "--dry-run"], {"ENAIO_URL": "http://127.0.0.1:9"})
    assert code == 2
    assert "erstellt_am" in err
    assert "ziele.0.handlungsfeld" in err
    assert "Haddad" not in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

    code, _, err = run(["plan", "put", str(tmp_path / "missing.yaml")], {})
    assert code == 2
    assert "cannot read plan file" in err

    code, _, err = run(
        ["jobcenter", "export", "--aktenzeichen", AZ, "--date", "31.06.2018", "--out", str(tmp_path)], {}
    )
    assert code == 2
    assert "--date" in err
