"""``objdef_file``: the administrator's asobjdef export serves every interface instead of the server's object
definition; where an interface delivers none the client reads (documented osrest), the error names the
setting in one line and the CLI exits 2."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.config import Interface, load_settings
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.state import Variant
from connector.enaio.objdef import default_site_path, load_objdef
from connector.enaio.query import Query, eq
from connector.errors import ConfigurationError
from jobs.cli import main
from tests.conftest import INTERFACES

ClientFactory = Callable[..., EnaioClient]
SITE = default_site_path()
OBJDEF_PATHS = {"dms": r"/schema", "osrest": r"/objdef/"}


def test_setting_from_toml_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "enaio.toml"
    config.write_text(f'url = "https://enaio.example.org"\nobjdef_file = "{SITE.as_posix()}"\n')
    assert load_settings(config).objdef_file == SITE
    other = tmp_path / "export.xml"
    other.write_bytes(SITE.read_bytes())
    monkeypatch.setenv("ENAIO_OBJDEF_FILE", str(other))
    assert load_settings(config).objdef_file == other  # environment over the file


def test_missing_file_is_a_configuration_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="objdef_file") as caught:
        load_settings(overrides={"url": "https://enaio.example.org", "objdef_file": str(tmp_path / "no.xml")})
    assert caught.value.key == "objdef_file"


def test_a_file_that_is_no_export_is_a_configuration_error(tmp_path: Path) -> None:
    broken = tmp_path / "objdef.xml"
    broken.write_text('{"cabinets": []}', encoding="utf-8")
    settings = load_settings(
        overrides={
            "url": "https://enaio.example.org",
            "username": "alice",
            "password": "alice-secret",
            "objdef_file": str(broken),
        }
    )
    with pytest.raises(ConfigurationError, match="not an asobjdef export") as caught:
        EnaioClient(settings)
    assert caught.value.key == "objdef_file"


@pytest.mark.parametrize("interface", INTERFACES)
def test_every_interface_uses_the_file_and_never_asks_the_server(
    any_emulator: EmulatorServer, client_factory: ClientFactory, interface: Interface
) -> None:
    if interface in OBJDEF_PATHS:
        # asking the server for the definition would now fail loudly
        any_emulator.state.faults.set_rules([FaultRule("status", path=OBJDEF_PATHS[interface], status=500)])
    client = client_factory(any_emulator, interface, objdef_file=str(SITE))
    objdef = client.object_definition()
    assert [t.internal for t in objdef.types] == [t.internal for t in load_objdef(SITE).types]
    any_emulator.state.store.insert(
        "ORG_MITARBEITENDE",
        None,
        {
            "PERSONALNUMMER": "P-777",
            "NAME": "Objdef",
            "VZAE": Decimal("0.5"),
            "GUELTIG_AB": date(2018, 1, 1),
            "TRAEGER": "LANDRATSAMT",
        },
        user="alice",
    )
    hits = list(client.search(Query("ORG_MITARBEITENDE", where=eq("PERSONALNUMMER", "P-777"))))
    assert [h.fields["NAME"] for h in hits] == ["Objdef"]
    assert any_emulator.state.faults.stats()["injected"] == 0


def test_documented_osrest_without_the_file_names_the_setting(
    demo_emulators: Callable[[Variant], EmulatorServer], client_factory: ClientFactory
) -> None:
    client = client_factory(demo_emulators("documented"), "osrest", "demo")
    with pytest.raises(ConfigurationError) as caught:
        client.object_definition()
    message = str(caught.value)
    assert caught.value.key == "objdef_file"
    assert "objdef_file" in message
    assert "ENAIO_OBJDEF_FILE" in message
    assert "--objdef" in message
    assert "\n" not in message
    with pytest.raises(ConfigurationError):  # a search needs the definition too
        next(iter(client.search(Query("IM_KLIENT"))))


def test_documented_osrest_with_the_file_reads_the_county(
    demo_emulators: Callable[[Variant], EmulatorServer], client_factory: ClientFactory
) -> None:
    server = demo_emulators("documented")
    osrest = client_factory(server, "osrest", "demo", objdef_file=str(SITE))
    dms = client_factory(server, "dms", "demo")
    # page size 250 against the documented cap of 100: the client pages on past the short pages
    by_osrest = sorted(o.id for o in osrest.search(Query("IM_JC_DATEN", page_size=250)))
    by_dms = sorted(o.id for o in dms.search(Query("IM_JC_DATEN")))
    assert by_osrest == by_dms
    assert len(by_osrest) > 0


def test_default_osrest_still_reads_the_server_definition(
    demo_emulator: EmulatorServer, client_factory: ClientFactory
) -> None:
    client = client_factory(demo_emulator, "osrest", "demo")
    assert client.object_definition().type_by_name("IM_KLIENT").internal == "IM_KLIENT"


def _cli_env(server: EmulatorServer) -> dict[str, str]:
    return {"ENAIO_URL": server.url, "ENAIO_USERNAME": "demo", "ENAIO_PASSWORD": "demo"}


def test_check_exits_2_and_names_the_setting_then_passes_with_objdef(
    demo_emulators: Callable[[Variant], EmulatorServer],
) -> None:
    server = demo_emulators("documented")
    env = _cli_env(server)
    refused = CliRunner().invoke(main, ["check", "--interface", "osrest"], env=env)
    assert refused.exit_code == 2, refused.output
    assert "objdef_file" in refused.output
    assert "Traceback" not in refused.output
    passed = CliRunner().invoke(main, ["check", "--interface", "osrest", "--objdef", str(SITE)], env=env)
    assert passed.exit_code == 0, passed.output
    assert "profile fits" in passed.output
    assert f"from file {SITE}" in passed.output
    assert "ENAIO_OBJDEF_FILE" not in os.environ  # the option sets it only for the command's run


def test_objdef_option_wants_an_existing_file(
    demo_emulators: Callable[[Variant], EmulatorServer], tmp_path: Path
) -> None:
    env = _cli_env(demo_emulators("documented"))
    result = CliRunner().invoke(main, ["check", "--objdef", str(tmp_path / "missing.xml")], env=env)
    assert result.exit_code == 2
    assert "--objdef" in result.output
