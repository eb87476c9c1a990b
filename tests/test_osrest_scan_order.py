"""``osrest_incremental = "scan"`` stops at the first hit older than the bookmark; that is right only when the
server sorts newest first. Against a server that ignores the sort (a small real HTTP server that answers every
search with the same unsorted page), the client must stop with one line naming the setting, not lose objects.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connector.config import load_settings
from connector.enaio.client import EnaioClient
from connector.enaio.objdef import default_objdef, default_site_path
from connector.enaio.query import Query
from connector.errors import ConfigurationError

STAFF = default_objdef().type_by_name("ORG_MITARBEITENDE")
BERLIN = ZoneInfo("Europe/Berlin")


def _hit(osid: int, modified: str) -> dict[str, Any]:
    return {
        "osid": osid,
        "objectTypeId": STAFF.type_id,
        "ecmSimpleFields": [{"internalName": "NAME", "value": f"Name {osid}"}],
        "baseParameters": [
            {"type": "CREATOR", "value": "alice"},
            {"type": "CREATED", "value": "01.01.2018 08:00:00"},
            {"type": "MODIFIED", "value": modified},
            {"type": "LOCKED", "value": "UNLOCKED"},
        ],
    }


# oldest first, whatever the client asked for: a scan stopping at the first older hit would return nothing
UNSORTED = [
    _hit(1, "02.01.2018 10:00:00"),
    _hit(2, "03.01.2018 10:00:00"),
    _hit(3, "04.01.2018 10:00:00"),
]


class _IgnoresSort(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        offset = request["query"]["result_config"]["offset"]
        body = json.dumps(UNSORTED if offset == 0 else []).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def unsorted_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _IgnoresSort)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _client(url: str, strategy: str) -> EnaioClient:
    settings = load_settings(
        overrides={
            "url": url,
            "interface": "osrest",
            "username": "alice",
            "password": "alice-secret",
            "objdef_file": str(default_site_path()),
            "osrest_incremental": strategy,
        }
    )
    return EnaioClient(settings)


def test_scan_refuses_a_server_that_does_not_sort(unsorted_server: str) -> None:
    since = datetime(2018, 1, 3, 0, 0, tzinfo=BERLIN)
    with _client(unsorted_server, "scan") as client, pytest.raises(ConfigurationError) as caught:
        list(client.search(Query("ORG_MITARBEITENDE", modified_since=since)))
    assert caught.value.key == "osrest_incremental"
    assert 'osrest_incremental = "server"' in str(caught.value)
