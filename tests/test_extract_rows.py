"""Extraction without the wire: row building and pseudonymization, sinks, schema versions, state directory."""

from __future__ import annotations

import json
import os
import stat
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connector.config import load_settings
from connector.errors import ConfigurationError
from connector.pseudonym import Pseudonymizer, pseudonym
from jobs.extract.rows import RowBuilder, table_spec
from jobs.extract.sinks import Deletion, SinkSchemaError, open_sink
from jobs.extract.sinks.files import neutralize
from jobs.extract.statedir import KEY_FILE, Bookmarks, default_state_dir, pseudonymizer_for
from schemas import Beratungsfall, Klient

KEY = b"extract-test-key-0123456789abcdef"
MODIFIED = datetime(2018, 2, 28, 9, 30, tzinfo=UTC)


def _klient(**changes: object) -> Klient:
    data: dict[str, object] = {
        "enaio_id": 4711,
        "enaio_type": "IM_KLIENT",
        "modified_at": MODIFIED,
        "aktenzeichen": "IM-2017-0042",
        "familienname": "Muster",
        "vornamen": "Amal",
        "geburtsdatum": date(2000, 3, 1),
        "geschlecht": "WEIBLICH",
        "unterbringungsart": "ANSCHLUSSUNTERBRINGUNG",
        "wohnkommune": "Tübingen",
        "haushaltsnummer": "H-17",
    }
    data.update(changes)
    return Klient.model_validate(data)


def _fall() -> Beratungsfall:
    return Beratungsfall.model_validate(
        {
            "enaio_id": 4712,
            "enaio_type": "IM_FALL",
            "modified_at": MODIFIED,
            "klient_enaio_id": 4711,
            "aktenzeichen": "IM-2017-0042",
            "fallbeginn": date(2017, 9, 1),
            "fallstatus": "AKTIV",
            "integrationsmanager": "P0815",
            "regionalteam": "NORD",
            "hoechstdauer_bis": date(2020, 9, 1),
            "begruendung_verlaengerung": "Sprachkurs läuft noch",
        }
    )


def test_pseudonymized_row_has_no_names_birth_dates_or_free_text() -> None:
    builder = RowBuilder(Pseudonymizer(KEY))
    row = builder.row("klient", _klient())
    assert "familienname" not in row
    assert "vornamen" not in row
    assert "geburtsdatum" not in row
    assert (row["familienname_vorhanden"], row["vornamen_vorhanden"]) == (True, True)
    # born 01.03.2000, modified 28.02.2018: one day before the 18th birthday -> 17 -> band 6–17
    assert row["altersgruppe"] == "6–17"
    assert builder.row("klient", _klient(modified_at=datetime(2018, 3, 1, 9, tzinfo=UTC)))[
        "altersgruppe"
    ] == ("18–26")
    assert row["aktenzeichen"] == pseudonym("IM-2017-0042", "aktenzeichen", KEY)
    assert row["aktenzeichen"].startswith("v1_")
    assert row["haushaltsnummer"] == pseudonym("H-17", "haushaltsnummer", KEY)
    text = json.dumps(row, default=str)
    for secret in ("Muster", "Amal", "2000-03-01", "IM-2017-0042", "H-17"):
        assert secret not in text


def test_pseudonyms_join_across_entities_and_free_text_becomes_a_flag() -> None:
    builder = RowBuilder(Pseudonymizer(KEY))
    klient, fall = builder.row("klient", _klient()), builder.row("beratungsfall", _fall())
    assert klient["aktenzeichen"] == fall["aktenzeichen"]  # same namespace: the case joins the person
    assert fall["integrationsmanager"] == pseudonym("P0815", "personalnummer", KEY)
    assert fall["begruendung_verlaengerung_vorhanden"] is True
    assert "Sprachkurs" not in json.dumps(fall, default=str)


def test_identifier_export_keeps_values_and_has_its_own_schema_version() -> None:
    row = RowBuilder(None, identifiers=True).row("klient", _klient())
    assert (row["familienname"], row["geburtsdatum"], row["aktenzeichen"]) == (
        "Muster",
        date(2000, 3, 1),
        "IM-2017-0042",
    )
    assert table_spec("klient").version != table_spec("klient", identifiers=True).version
    with pytest.raises(ValueError, match="pseudonymizer"):
        RowBuilder(None)


def test_row_hash_changes_with_content_only() -> None:
    builder = RowBuilder(Pseudonymizer(KEY))
    assert builder.row("klient", _klient())["_hash"] == builder.row("klient", _klient())["_hash"]
    assert (
        builder.row("klient", _klient())["_hash"]
        != builder.row("klient", _klient(wohnkommune="Nehren"))["_hash"]
    )


def test_csv_formula_injection_is_neutralized() -> None:
    assert neutralize('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert neutralize("+49 7071") == "'+49 7071"
    assert neutralize("@SUM(A1)") == "'@SUM(A1)"
    assert neutralize("Tübingen") == "Tübingen"


@pytest.mark.parametrize("scheme", ["csv", "jsonl", "parquet", "sqlite"])
def test_sink_upserts_deletes_and_refuses_another_schema(scheme: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/r.db" if scheme == "sqlite" else f"{scheme}:{tmp_path / 'out'}"
    builder = RowBuilder(Pseudonymizer(KEY))
    first, changed = builder.row("klient", _klient()), builder.row("klient", _klient(wohnkommune="=cmd|x"))
    other = builder.row("klient", _klient(enaio_id=4713, modified_at=datetime(2018, 5, 2, tzinfo=UTC)))
    with open_sink(url) as sink:
        assert sink.open({"klient": builder.specs["klient"]}) == set()
        sink.apply("klient", [first, other], [])
        sink.apply("klient", [changed], [])  # upsert: replaces 4711, no second row
        assert sink.keys("klient") == {4711: changed["_hash"], 4713: other["_hash"]}
        sink.apply("klient", [], [Deletion("klient", 4713, "2026-12-06T08:00:00+00:00", "recycle_bin")])
        rows = list(sink.rows("klient"))
        assert [int(r["enaio_id"]) for r in rows] == [4711]
        assert sink.tombstones() == [Deletion("klient", 4713, "2026-12-06T08:00:00+00:00", "recycle_bin")]
    if scheme == "csv":
        raw = (tmp_path / "out" / "klient.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
        header, line = raw.decode("utf-8-sig").splitlines()[:2]
        assert header.startswith("enaio_id;enaio_type;modified_at;")
        assert ";'=cmd|x;" in line
    if scheme == "parquet":
        assert (tmp_path / "out" / "klient" / "month=2018-02" / "part.parquet").is_file()
        assert not (tmp_path / "out" / "klient" / "month=2018-05").exists()  # its only row was deleted
    # the same sink under the other export mode: refused, never mixed
    with open_sink(url) as sink, pytest.raises(SinkSchemaError, match="schema version"):
        sink.open({"klient": table_spec("klient", identifiers=True)})


def test_sink_migrates_an_added_column(tmp_path: Path) -> None:
    from dataclasses import replace

    from jobs.extract.rows import Column

    spec = table_spec("mitarbeitende")
    older = replace(spec, columns=tuple(c for c in spec.columns if c.name != "traeger"))
    url = f"sqlite:///{tmp_path}/r.db"
    with open_sink(url) as sink:
        sink.open({"mitarbeitende": older})
    with open_sink(url) as sink:
        assert sink.open({"mitarbeitende": spec}) == {"mitarbeitende"}  # re-read in full
        assert Column("traeger", "text") in spec.columns


def test_unknown_sink_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown sink scheme"):
        open_sink("ftp://host/x")
    with pytest.raises(ConfigurationError, match="no scheme"):
        open_sink("records.db")


def test_state_dir_defaults_per_platform(tmp_path: Path) -> None:
    assert default_state_dir({"XDG_STATE_HOME": str(tmp_path)}, "linux") == tmp_path / "enaio-connector"
    assert default_state_dir({"LOCALAPPDATA": str(tmp_path)}, "win32") == tmp_path / "enaio-connector"
    assert default_state_dir({}, "linux") == Path.home() / ".local" / "state" / "enaio-connector"


def test_pseudonym_key_is_generated_once_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("ENAIO_PSEUDONYM_KEY", raising=False)
    settings = load_settings(overrides={"url": "http://127.0.0.1:1", "pseudonym_key": None})
    first = pseudonymizer_for(settings, tmp_path)
    assert "generated one for this installation" in caplog.text
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
    caplog.clear()
    second = pseudonymizer_for(settings, tmp_path)
    assert "generated" not in caplog.text
    assert first.of("P0815", "personalnummer") == second.of("P0815", "personalnummer")
    configured = load_settings(overrides={"url": "http://127.0.0.1:1", "pseudonym_key": KEY.decode()})
    assert pseudonymizer_for(configured, tmp_path).of("x", "f") == pseudonym("x", "f", KEY)


def test_bookmarks_are_kept_per_sink(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    a = Bookmarks.load(path, "sqlite:///a.db")
    a.commit("klient", "2018-11-30T16:52:08+01:00", "s1")
    b = Bookmarks.load(path, "csv:out")
    b.commit("klient", "2017-01-01T00:00:00+01:00", "s1")
    assert Bookmarks.load(path, "sqlite:///a.db").get("klient") == "2018-11-30T16:52:08+01:00"
    assert Bookmarks.load(path, "csv:out").get("klient") == "2017-01-01T00:00:00+01:00"
    assert Bookmarks.load(path, "jsonl:x").get("klient") is None
