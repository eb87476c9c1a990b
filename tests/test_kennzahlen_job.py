"""The Kennzahlen and quality jobs and commands against a live emulator: no partial writes, exit codes
(2 usage, 1 write failure, 3 locked, 4 quarantine), a second site without every entity, quality look-ups."""

from __future__ import annotations

import csv
import errno
import json
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from connector.config import Interface
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.server import EmulatorServer, build_state
from connector.enaio.model import EnaioObject
from connector.errors import NotFoundError, TransientError, UsageError
from connector.pseudonym import DEMO_KEY
from connector.runlock import RunLock
from jobs.cli import main
from jobs.kennzahlen import KennzahlenResult, parse_period
from jobs.kennzahlen.job import run_kennzahlen
from jobs.kennzahlen.outputs import FORMATS
from jobs.kennzahlen.outputs.xlsx import SHEET_AUSWERTUNG
from jobs.kennzahlen.staging import LOCK_NAME, OutputWriteError, Staging, check_out_dir
from jobs.quality import UNBEKANNT, QualityCollector
from mappings import Quarantine, QuarantineEntry, load_profile
from tests.conftest import INTERFACES, TEST_USERS, make_settings
from tests.test_second_site import SITE, _insert_dataset

KEY = DEMO_KEY.decode("utf-8")


def _env(server: EmulatorServer | None, interface: Interface = "dms") -> dict[str, str | None]:
    """Settings through the environment, as on a server; a dead port when no emulator is given."""
    return {
        "ENAIO_URL": server.url if server else "http://127.0.0.1:9",
        "ENAIO_INTERFACE": interface,
        "ENAIO_USERNAME": "alice",
        "ENAIO_PASSWORD": TEST_USERS["alice"],
        "ENAIO_PSEUDONYM_KEY": KEY,
        "ENAIO_CONNECT_TIMEOUT": "0.5",
        "ENAIO_RETRY__MAX_ATTEMPTS": "1",
        "ENAIO_MAPPING_PROFILE": None,
        "ENAIO_SECRETS_DIR": None,
        "CREDENTIALS_DIRECTORY": None,
    }


def _invoke(env: Mapping[str, str | None], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=dict(env))


def _snapshot(directory: Path) -> dict[str, str]:
    """Every entry of the directory (recursively) with the content of its files."""
    return {
        str(path.relative_to(directory)): path.read_text(encoding="utf-8") if path.is_file() else "<dir>"
        for path in sorted(directory.rglob("*"))
    }


# --- no partial writes --------------------------------------------------------------------------------------


def test_output_name_taken_by_a_directory_writes_nothing(emulator: EmulatorServer, tmp_path: Path) -> None:
    # Before: xlsx, csv and json were written, then kennzahlen.html failed with "internal error".
    out = tmp_path / "out"
    (out / "kennzahlen.html").mkdir(parents=True)
    (out / "kennzahlen.json").write_text("old run", encoding="utf-8")
    before = _snapshot(out)
    result = _invoke(_env(emulator), "kennzahlen", "--period", "2018-Q2", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "kennzahlen.html exists and is not a file" in result.output
    assert "internal error" not in result.output
    assert _snapshot(out) == before


def test_out_is_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("x", encoding="utf-8")
    result = _invoke(_env(None), "kennzahlen", "--period", "2018-Q2", "--out", str(out))
    assert result.exit_code == 2  # click's own check of --out
    with pytest.raises(UsageError, match="exists and is not a directory") as caught:
        check_out_dir(out)
    assert caught.value.exit_code == 2
    assert out.read_text(encoding="utf-8") == "x"


def test_write_error_is_one_line_exit_1_and_replaces_nothing(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(result: KennzahlenResult, path: Path) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setitem(FORMATS, "json", ("kennzahlen.json", disk_full))
    out = tmp_path / "out"
    out.mkdir()
    (out / "kennzahlen.csv").write_text("old run", encoding="utf-8")
    before = _snapshot(out)
    result = _invoke(
        _env(emulator), "kennzahlen", "--period", "2018-Q2", "--format", "csv,json", "--out", str(out)
    )
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"error: cannot write {out / 'kennzahlen.json'}: No space left on device; no output file was replaced"
    ]
    assert "Traceback" not in result.output
    assert _snapshot(out) == before  # csv not replaced, no staging directory, no lock file left


def test_staging_moves_nothing_when_a_target_became_a_directory(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old a", encoding="utf-8")
    with Staging(tmp_path) as staging:
        staging.write("a.txt", lambda path: path.write_text("new a", encoding="utf-8"))
        staging.write("b.txt", lambda path: path.write_text("new b", encoding="utf-8"))
        (tmp_path / "b.txt").mkdir()  # appeared after the up-front check
        with pytest.raises(OutputWriteError, match=r"b\.txt: it is not a file; no output file was replaced"):
            staging.commit()
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # staging directory removed


def test_staging_commit_moves_all(tmp_path: Path) -> None:
    with Staging(tmp_path) as staging:
        staging.write("a.txt", lambda path: path.write_text("a", encoding="utf-8"))
        assert not (tmp_path / "a.txt").exists()  # nothing in place before the commit
        assert staging.commit() == [tmp_path / "a.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


# --- run lock -----------------------------------------------------------------------------------------------


def test_second_run_exits_3_while_the_lock_is_held(emulator: EmulatorServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with RunLock(out / LOCK_NAME):
        result = _invoke(_env(emulator), "kennzahlen", "--period", "2018-Q2", "--out", str(out))
        assert result.exit_code == 3, result.output
        assert "another run holds the lock" in result.output
        custom = tmp_path / "custom.lock"
        with RunLock(custom):
            result = _invoke(
                _env(emulator), "quality", "--out", str(out), "--lock-file", str(custom), "--allow-quarantine"
            )
            assert result.exit_code == 3, result.output
            assert str(custom) in result.output
    assert [p.name for p in out.iterdir()] == []


def test_lock_released_after_a_failed_run(emulator: EmulatorServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    failed = _invoke(_env(None), "kennzahlen", "--period", "2018-Q2", "--format", "json", "--out", str(out))
    assert failed.exit_code == 1, failed.output
    assert [p.name for p in out.iterdir()] == []  # no lock file, no staging directory, no output
    done = _invoke(_env(emulator), "kennzahlen", "--period", "2018-Q2", "--format", "json", "--out", str(out))
    assert done.exit_code == 0, done.output  # an empty store: nothing quarantined
    assert sorted(p.name for p in out.iterdir()) == ["kennzahlen.json", "quarantine.jsonl"]
    assert (out / "quarantine.jsonl").read_text(encoding="utf-8") == ""


# --- quarantine: exit code 4 after all outputs --------------------------------------------------------------


def test_quarantine_exits_4_after_writing_everything(demo_emulator: EmulatorServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke(
        _env(demo_emulator), "kennzahlen", "--period", "2018-Q2", "--format", "json", "--out", str(out)
    )
    assert result.exit_code == 4, result.output
    # The demo county's legacy records without required data (docs/demo-county.md): 8 objects, 9 entries
    summary = (
        "error: 8 records quarantined (beratungsfall: 2, einwilligung: 1, integrationsplan: 1, klient: 2, "
        f"kontakt: 2); see {out / 'quarantine.jsonl'}"
    )
    assert summary in result.stderr
    assert str(out / "kennzahlen.json") in result.stdout
    assert json.loads((out / "kennzahlen.json").read_text(encoding="utf-8"))
    entries = [
        QuarantineEntry.model_validate_json(line)
        for line in (out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(entries) == 9
    assert {e.entity for e in entries} == {
        "beratungsfall",
        "einwilligung",
        "integrationsplan",
        "klient",
        "kontakt",
    }


def test_quality_allow_quarantine_exits_0(demo_emulator: EmulatorServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke(
        _env(demo_emulator, "osrest"),
        "quality",
        "--stichtag",
        "2018-07-31",
        "--allow-quarantine",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "8 records quarantined (beratungsfall: 2," in result.stderr
    assert "error" not in result.output
    assert "Hinweise" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["quality.csv", "quality.html", "quarantine.jsonl"]


# --- a second site: entities it does not map, labels and type ids from data ---------------------------------


@pytest.fixture(scope="module")
def second_site() -> Iterator[EmulatorServer]:
    state = build_state(site=SITE / "objdef.xml", users=dict(TEST_USERS))
    with EmulatorServer(state) as server:
        with EnaioClient(make_settings(server, INTERFACES[0])) as client:
            _insert_dataset(client)
        yield server


def test_second_site_without_einwilligung(second_site: EmulatorServer, tmp_path: Path) -> None:
    profile = SITE / "profile.yaml"
    assert "einwilligung" not in load_profile(profile).entities
    settings = make_settings(second_site, "dms", mapping_profile=str(profile), pseudonym_key=KEY)
    outcome = run_kennzahlen(settings, parse_period("2020"), tmp_path, ("json", "html", "xlsx"), quality=True)
    result = outcome.result
    assert result is not None
    # K18 needs the consents: not computed, not reported as 0 (before: ConfigurationError "einwilligung")
    assert "K18" not in {v.code for v in result.values}
    assert result.not_computed["K18"].endswith("einwilligung im Mapping-Profil nicht abgebildet")
    assert result.total("K11p") == 1  # BK-001 (case f1 from 29.02.2020); f2 ended 30.06.2020
    html = (tmp_path / "kennzahlen.html").read_text(encoding="utf-8")
    assert "Nicht berechnet" in html
    assert "K18 (nicht berechnet: einwilligung" in html
    # Regionalteam labels from the site's catalogue TEAM (NORD -> "Team Nord"), not from code
    staff = load_workbook(tmp_path / "kennzahlen.xlsx")[SHEET_AUSWERTUNG]
    row = next(r for r in staff.iter_rows(values_only=True) if r[0] == "P-7")
    assert row[1] == "Team Nord"
    assert "Team Nord" in html
    # "open in enaio" links: type ids of the site's own types (PERSON), from its live object definition
    with EnaioClient(settings) as client:
        person_type = client.object_definition().type_by_name("PERSON").type_id
    with (tmp_path / "quality.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    quarantined = next(r for r in rows if r["objekttyp"] == "PERSON")
    assert quarantined["link"].endswith(f"&objecttypeid={person_type}")
    assert outcome.quarantined == {"klient": 1}  # BK-003 with a lower-case nationality
    assert outcome.records["klient"] == 2


# --- quality: only "not found" is "not assignable" ----------------------------------------------------------


class _Source:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def get(self, object_id: int) -> EnaioObject:
        raise self.error


def _quarantined_case() -> Quarantine:
    quarantine = Quarantine()
    quarantine.add(
        QuarantineEntry(
            entity="beratungsfall", enaio_id=7, enaio_type="IM_FALL", field="regionalteam", reason="missing"
        )
    )
    return quarantine


def test_quality_lookup_of_a_deleted_object_is_not_assignable() -> None:
    collector = QualityCollector(date(2018, 7, 31))
    collector.add_quarantine(_quarantined_case(), _Source(NotFoundError("gone")), load_profile())
    assert [(i.integrationsmanager, i.pruefung, i.enaio_id) for i in collector.issues] == [
        (UNBEKANNT, "pflichtdaten", 7)
    ]


def test_quality_lookup_does_not_hide_server_errors() -> None:
    # Before: any EnaioError became "(nicht zuzuordnen)" and the report silently lost its assignments.
    collector = QualityCollector(date(2018, 7, 31))
    with pytest.raises(TransientError, match="busy"):
        collector.add_quarantine(_quarantined_case(), _Source(TransientError("busy")), load_profile())
