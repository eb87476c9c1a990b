"""The one streamed-download helper (``connector.download``) as every REST room uses it: a cut-off body is
retried under the project's retry policy and only a whole file ever reaches the destination."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from connector.download import content_filename
from connector.enaio.client import EnaioClient
from connector.enaio.emulator.faults import FaultRule
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.interface import InterfaceClient, NewObject, UploadFile
from connector.enaio.objdef import default_site_path
from connector.errors import NotFoundError, TransientError

ClientFactory = Callable[..., EnaioClient]

PAYLOAD = bytes(range(256)) * 1200  # 307 200 bytes: several 64 KiB chunks, so half a body is a real cut
FILE_PATH = {"osrest": r"/documentfiles/\d+/1$", "dms": r"/contents/file/1$"}


def _api(server: EmulatorServer, client_factory: ClientFactory, interface: str) -> InterfaceClient:
    # documented osrest has no object definition endpoint the client reads: the export stands in
    extra: dict[str, object] = {}
    if server.state.documented and interface == "osrest":
        extra["objdef_file"] = str(default_site_path())
    return client_factory(server, interface, **extra).api


def _document(api: InterfaceClient) -> int:
    folder = api.insert(
        NewObject(
            "IM_KLIENT",
            None,
            {
                "AKTENZEICHEN": "IM-DL-1",
                "FAMILIENNAME": "Muster",
                "VORNAMEN": "Erika",
                "GEBURTSDATUM": date(1990, 1, 2),
                "GESCHLECHT": "WEIBLICH",
                "UNTERBRINGUNGSART": "AU",
                "WOHNKOMMUNE": "Mössingen",
            },
        )
    )
    register = api.insert(
        NewObject(
            "IM_FALL",
            folder,
            {
                "FALLBEGINN": date(2018, 4, 3),
                "FALLSTATUS": "AKTIV",
                "INTEGRATIONSMANAGER": "P-1001",
                "REGIONALTEAM": "MOESSINGEN",
            },
        )
    )
    return api.insert(
        NewObject(
            "IM_PLAN",
            register,
            {
                "PLANART": "INTEGRATIONSPLAN",
                "PLANVERSION": 0,
                "ERSTELLT_AM": date(2018, 5, 2),
                "PLANSTATUS": "ENTWURF",
            },
            files=[UploadFile("plan.pdf", "application/pdf", data=PAYLOAD)],
        )
    )


@pytest.mark.parametrize("interface", ["osrest", "dms"])
def test_cut_off_body_is_retried_until_whole(
    any_emulator: EmulatorServer, client_factory: ClientFactory, tmp_path: Path, interface: str
) -> None:
    api = _api(any_emulator, client_factory, interface)
    document = _document(api)
    # the first two answers send the full Content-Length but only half the body
    any_emulator.state.faults.set_rules([FaultRule("truncate", path=FILE_PATH[interface], times=2)])
    target = tmp_path / "plan.pdf"
    info = api.download(document, 1, target)
    assert target.read_bytes() == PAYLOAD
    assert info.size == len(PAYLOAD)
    assert any_emulator.state.faults.stats()["injected"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.pdf"]  # no .part left behind


@pytest.mark.parametrize("interface", ["osrest", "dms"])
def test_body_cut_off_every_time_ends_in_a_transient_error(
    any_emulator: EmulatorServer, client_factory: ClientFactory, tmp_path: Path, interface: str
) -> None:
    api = _api(any_emulator, client_factory, interface)
    document = _document(api)
    target = tmp_path / "plan.pdf"
    target.write_bytes(b"old copy")
    any_emulator.state.faults.set_rules([FaultRule("truncate", path=FILE_PATH[interface])])
    with pytest.raises(TransientError, match="broke off") as caught:
        api.download(document, 1, target)
    assert caught.value.operation == f"{interface}.download"
    # conftest's retry policy: 6 attempts, each one cut off
    assert any_emulator.state.faults.stats()["injected"] == 6
    assert target.read_bytes() == b"old copy"  # the old file is untouched, no half file, no .part
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.pdf"]


@pytest.mark.parametrize("interface", ["osrest", "dms"])
def test_missing_file_is_not_found_and_not_retried(
    any_emulator: EmulatorServer, client_factory: ClientFactory, tmp_path: Path, interface: str
) -> None:
    api = _api(any_emulator, client_factory, interface)
    document = _document(api)
    # a zero delay counts the requests for file 7 without changing them
    path = FILE_PATH[interface].replace("/1$", "/7$")
    any_emulator.state.faults.set_rules([FaultRule("delay", path=path, delay=0.0)])
    with pytest.raises(NotFoundError):
        api.download(document, 7, tmp_path / "none.bin")
    assert list(tmp_path.iterdir()) == []
    # dms asks once (a 404 is not retried, neither by the transport nor by the download helper);
    # osrest finds no file 7 in the file list and never asks for it
    assert any_emulator.state.faults.stats()["rules"][0]["matched"] == (1 if interface == "dms" else 0)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="plan.pdf"', "plan.pdf"),
        ("attachment; filename=\"Gespr_ch.txt\"; filename*=UTF-8''Gespr%C3%A4ch.txt", "Gespräch.txt"),
        ("attachment", None),
        (None, None),
    ],
)
def test_file_name_from_content_disposition(header: str | None, name: str | None) -> None:
    assert content_filename(header) == name
