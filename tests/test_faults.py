"""Fault injection: the spec parser, the rule engine, and every action live over 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from decimal import Decimal

import pytest
import requests

from connector.config import RetryPolicy
from connector.enaio.emulator.faults import (
    FaultInjector,
    FaultRule,
    FaultSpecError,
    interface_of,
    parse_fault_spec,
)
from connector.enaio.emulator.server import EmulatorServer, build_state
from connector.errors import TransientError
from connector.http import HttpOptions, HttpTransport
from tests.conftest import TEST_USERS

# A cheap authenticated GET per REST interface (200 = passed through); soap faults are checked by shape only.
PROBE = {"dms": "/api/dms/info", "osrest": "/osrest/api/serviceinfo", "soap": "/osws/services/EcmWsMtom"}
ALICE = ("alice", TEST_USERS["alice"])


# -- the spec parser --------------------------------------------------------------------------------------


def test_parse_documented_example() -> None:
    rules = parse_fault_spec(
        "503:p=0.2:path=/api/dms;reset:every=25;429:every=10:retry_after=1;delay:ms=200:interface=soap"
    )
    assert rules == [
        FaultRule("status", status=503, probability=0.2, path="/api/dms"),
        FaultRule("reset", every=25),
        FaultRule("status", status=429, every=10, retry_after=1.0),
        FaultRule("delay", delay=0.2, interface="soap"),
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("truncate", FaultRule("truncate")),
        (" drop_response : method=post : times=1 ", FaultRule("drop_response", method="POST", times=1)),
        ("expire_session:interface=OSREST", FaultRule("expire_session", interface="osrest")),
        ("status:status=502:probability=1", FaultRule("status", status=502, probability=1.0)),
        ("delay:s=1.5", FaultRule("delay", delay=1.5)),
        (r"reset:path=^/api/dms/objects/\d+$", FaultRule("reset", path=r"^/api/dms/objects/\d+$")),
        (r"reset:path=a\:b\;c", FaultRule("reset", path="a:b;c")),
        ("reset;;", FaultRule("reset")),
    ],
)
def test_parse_valid(spec: str, expected: FaultRule) -> None:
    assert parse_fault_spec(spec) == [expected]


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule(
            "status", status=503, probability=0.25, path="/api/dms", method="GET", times=3, retry_after=2
        ),
        FaultRule("delay", delay=0.2, interface="soap", every=4),
        FaultRule("reset", path=r"x:y;z\d"),
        FaultRule("expire_session"),
    ],
)
def test_spec_round_trips(rule: FaultRule) -> None:
    assert parse_fault_spec(rule.spec()) == [rule]
    assert FaultRule.from_dict(rule.to_dict()) == rule


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "empty fault spec"),
        ("explode", "'explode' is neither an action"),
        ("reset:every=x", "every='x' is not an integer"),
        ("reset:every=0", "every must be >= 1"),
        ("503:p=1.5", "probability must be between 0 and 1"),
        ("503:p=nan", "not a finite number"),
        ("503:p=0.1:every=2", "either every or probability"),
        ("reset:colour=red", "unknown key 'colour'"),
        ("reset:every", "'every' is not key=value"),
        ("reset:every=2:every=3", "every given twice"),
        ("delay", "needs a duration"),
        ("delay:ms=10:s=1", "given twice"),
        ("reset:ms=10", "duration belongs to delay rules"),
        ("reset:retry_after=1", "belong to status rules"),
        ("200", "status must be between 400 and 599"),
        ("status", "needs a status code"),
        ("reset:interface=ftp", "interface 'ftp' is not one of dms, osrest, soap"),
        ("reset:method=G-T", "is not an HTTP method"),
        ("reset:path=(", "is not a regular expression"),
        ("reset:path=", "path needs a value"),
    ],
)
def test_parse_invalid_names_the_bad_part(spec: str, fragment: str) -> None:
    with pytest.raises(FaultSpecError) as caught:
        parse_fault_spec(f"reset:every=5;{spec}" if spec else spec)
    message = str(caught.value)
    assert fragment in message
    if spec:
        assert message.startswith("fault rule 2 ")


def test_from_dict_rejects_unknown_keys_and_wrong_types() -> None:
    with pytest.raises(FaultSpecError, match="unknown rule key"):
        FaultRule.from_dict({"action": "reset", "evry": 2})
    with pytest.raises(FaultSpecError, match="every must be an int"):
        FaultRule.from_dict({"action": "reset", "every": "2"})
    with pytest.raises(FaultSpecError, match="every must be an int"):
        FaultRule.from_dict({"action": "reset", "every": True})
    with pytest.raises(FaultSpecError, match="needs an action"):
        FaultRule.from_dict({"every": 2})


def test_interface_of() -> None:
    assert interface_of("/api/dms/objects/1") == "dms"
    assert interface_of("/osrest/api/documentfiles") == "osrest"
    assert interface_of("/osws/services/EcmWsMtom") == "soap"
    assert interface_of("/api/dmsx") is None
    assert interface_of("/_emulator/health") is None


# -- the rule engine (no network) ------------------------------------------------------------------------


def _fired(
    injector: FaultInjector, n: int, method: str = "GET", path: str = "/api/dms/x"
) -> list[str | None]:
    return [
        rule.action if rule is not None else None
        for _, rule in (injector.decide(method, path) for _ in range(n))
    ]


def test_every_n_and_times() -> None:
    injector = FaultInjector([FaultRule("reset", every=3, times=2)])
    assert _fired(injector, 10) == [None, None, "reset", None, None, "reset", None, None, None, None]
    assert injector.stats()["rules"][0] == {
        "rule": {"action": "reset", "every": 3, "times": 2},
        "spec": "reset:every=3:times=2",
        "matched": 10,
        "injected": 2,
    }


def test_probability_is_seeded_and_deterministic() -> None:
    rules = [FaultRule("status", status=503, probability=0.2)]
    first = _fired(FaultInjector(rules, seed=0), 500)
    assert first == _fired(FaultInjector(rules, seed=0), 500)
    assert first != _fired(FaultInjector(rules, seed=1), 500)
    assert 50 <= first.count("status") <= 150
    again = FaultInjector(rules, seed=0)
    _fired(again, 17)
    again.set_rules(rules)  # counters and generators start afresh
    assert _fired(again, 500) == first


def test_filters_and_rule_order() -> None:
    injector = FaultInjector(
        [
            FaultRule("delay", delay=0.25, interface="soap"),
            FaultRule("status", status=502, method="POST", path="/objects$"),
            FaultRule("truncate", interface="osrest"),
        ]
    )
    assert injector.decide("GET", "/api/dms/objects") == (0.0, None)
    assert injector.decide("POST", "/api/dms/objects") == (
        0.0,
        FaultRule("status", status=502, method="POST", path="/objects$"),
    )
    assert injector.decide("GET", "/osrest/api/x") == (0.0, FaultRule("truncate", interface="osrest"))
    assert injector.decide("POST", "/osws/services/EcmWsMtom") == (0.25, None)
    assert injector.decide("POST", "/_emulator/faults") == (0.0, None)
    # an unconditioned expire_session fires once
    injector.set_rules([FaultRule("expire_session")])
    assert _fired(injector, 3) == ["expire_session", None, None]


def test_counters_are_thread_safe() -> None:
    injector = FaultInjector([FaultRule("reset", every=10)])

    def hammer() -> None:
        for _ in range(250):
            injector.decide("GET", "/api/dms/x")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = injector.stats()
    assert stats["rules"][0]["matched"] == 2000
    assert stats["injected"] == 200


# -- live -----------------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(build_state(users=dict(TEST_USERS))) as running:
        yield running


def _transport(max_attempts: int = 4, cap: float = 60.0) -> tuple[HttpTransport, list[float]]:
    slept: list[float] = []
    policy = RetryPolicy(
        max_attempts=max_attempts, backoff_initial=0.01, backoff_max=0.02, retry_after_cap=cap
    )
    options = HttpOptions(connect_timeout=2.0, read_timeout=10.0, retry=policy)
    return HttpTransport(options, auth=ALICE, sleep=slept.append), slept


def test_status_answers_in_each_interface_shape(server: EmulatorServer) -> None:
    server.state.faults.set_rules([FaultRule("status", status=503, retry_after=3)])
    for interface in ("dms", "osrest"):
        response = requests.get(server.url + PROBE[interface], timeout=5)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "3"
        assert response.headers["Content-Type"] == "application/json"
        assert "fault injection" in response.json()["message"]
    assert (
        requests.get(server.url + PROBE["dms"], auth=ALICE, timeout=5).json()["code"] == "SERVICE_UNAVAILABLE"
    )
    soap = requests.post(server.url + PROBE["soap"], data=b"<x/>", timeout=5)
    assert soap.status_code == 503
    assert soap.headers["Content-Type"].startswith("text/xml")
    assert b"<faultcode>soap:Server</faultcode>" in soap.content
    # the control endpoints are never faulted
    assert requests.get(server.url + "/_emulator/health", timeout=5).json()["status"] == "ok"


def test_retry_after_is_honoured_by_the_transport(server: EmulatorServer) -> None:
    server.state.faults.set_rules([FaultRule("status", status=429, times=2, retry_after=2)])
    transport, slept = _transport()
    with closing(transport):
        response = transport.request("GET", server.url + PROBE["dms"], operation="probe")
    assert response.status_code == 200
    assert slept == [2.0, 2.0]
    server.state.faults.set_rules([FaultRule("status", status=503, times=1, retry_after=30)])
    capped, slept = _transport(cap=0.5)
    with closing(capped):
        capped.request("GET", server.url + PROBE["dms"], operation="probe")
    assert slept == [0.5]


def test_reset_is_a_connection_error(server: EmulatorServer) -> None:
    server.state.faults.set_rules([FaultRule("reset", times=1)])
    with requests.Session() as session:
        with pytest.raises(requests.exceptions.ConnectionError) as caught:
            session.get(server.url + PROBE["osrest"], auth=ALICE, timeout=5)
        assert not isinstance(caught.value, requests.exceptions.ChunkedEncodingError)
        # the same session goes on over a new connection
        assert session.get(server.url + PROBE["osrest"], auth=ALICE, timeout=5).status_code == 200


def test_truncate_is_an_incomplete_body(server: EmulatorServer) -> None:
    server.state.faults.set_rules([FaultRule("truncate", times=1)])
    with requests.Session() as session:
        with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
            session.get(server.url + PROBE["dms"], auth=ALICE, timeout=5)
        assert session.get(server.url + PROBE["dms"], auth=ALICE, timeout=5).status_code == 200


def test_transport_retries_idempotent_calls_only(server: EmulatorServer) -> None:
    server.state.faults.set_rules([FaultRule("reset", times=1), FaultRule("truncate", times=1)])
    transport, slept = _transport()
    with closing(transport):
        response = transport.request("GET", server.url + PROBE["dms"], operation="probe")
        assert response.status_code == 200
        assert len(slept) == 2
        server.state.faults.set_rules([FaultRule("reset", times=1)])
        with pytest.raises(TransientError, match="network failure"):
            transport.request("POST", server.url + PROBE["dms"], operation="insert", json={})
    assert server.state.faults.stats()["injected"] == 1


def test_every_n_over_the_wire(server: EmulatorServer) -> None:
    server.state.faults.set_rules([FaultRule("status", status=502, every=3, interface="dms")])
    statuses = [requests.get(server.url + PROBE["dms"], auth=ALICE, timeout=5).status_code for _ in range(9)]
    assert statuses == [200, 200, 502] * 3
    assert requests.get(server.url + PROBE["osrest"], auth=ALICE, timeout=5).status_code == 200


def test_seeded_probability_is_the_same_across_servers() -> None:
    rules = [FaultRule("status", status=503, probability=0.3)]
    runs = []
    for _ in range(2):
        with (
            EmulatorServer(build_state(users=dict(TEST_USERS), faults=rules)) as running,
            requests.Session() as s,
        ):
            runs.append(
                [s.get(running.url + PROBE["dms"], auth=ALICE, timeout=5).status_code for _ in range(40)]
            )
    assert runs[0] == runs[1]
    assert 503 in runs[0]
    assert 200 in runs[0]


def test_expire_session_answers_401_once(server: EmulatorServer) -> None:
    state = server.state
    session_id = state.open_session("alice")
    state.faults.set_rules([FaultRule("expire_session", interface="dms")])
    first = requests.get(server.url + PROBE["dms"], auth=ALICE, timeout=5)
    assert first.status_code == 401
    assert first.headers["WWW-Authenticate"].startswith("Basic")
    assert state.session_user(session_id) is None
    assert requests.get(server.url + PROBE["dms"], auth=ALICE, timeout=5).status_code == 200
    # the transport logs in again once and goes on
    state.faults.set_rules([FaultRule("expire_session")])
    transport, _ = _transport()
    with closing(transport):
        response = transport.request("GET", server.url + PROBE["dms"], operation="probe")
    assert response.status_code == 200
    assert state.faults.stats()["injected"] == 1
    # SOAP: an authentication fault
    state.faults.set_rules([FaultRule("expire_session")])
    soap = requests.post(server.url + PROBE["soap"], data=b"<x/>", timeout=5)
    assert soap.status_code == 500
    assert b"authentication failed" in soap.content


def test_delay_then_pass_through() -> None:
    slept: list[float] = []
    injector = FaultInjector([FaultRule("delay", delay=0.05, times=1)], sleep=slept.append)
    state = build_state(users=dict(TEST_USERS))
    state.faults = injector
    with EmulatorServer(state) as running:
        assert requests.get(running.url + PROBE["dms"], auth=ALICE, timeout=5).status_code == 200
        assert requests.get(running.url + PROBE["dms"], auth=ALICE, timeout=5).status_code == 200
    assert slept == [0.05]


def test_drop_response_commits_the_write() -> None:
    from connector.enaio.client import EnaioClient
    from connector.enaio.interface import NewObject
    from tests.conftest import make_settings

    with EmulatorServer(build_state(users=dict(TEST_USERS))) as running:
        store = running.state.store
        before = store.count("ORG_MITARBEITENDE")
        running.state.faults.set_rules([FaultRule("drop_response", method="POST", times=1)])
        new = NewObject(
            "ORG_MITARBEITENDE",
            None,
            {
                "PERSONALNUMMER": "P-0001",
                "NAME": "Test",
                "VZAE": Decimal("0.5"),
                "GUELTIG_AB": date(2025, 1, 1),
                "TRAEGER": "LANDRATSAMT",
            },
        )
        with EnaioClient(make_settings(running, "dms")) as client, pytest.raises(TransientError):
            client.api.insert(new)
        assert store.count("ORG_MITARBEITENDE") == before + 1
        assert running.state.faults.stats()["injected"] == 1


# -- control endpoints ----------------------------------------------------------------------------------


def test_control_endpoints(server: EmulatorServer) -> None:
    url = server.url + "/_emulator/faults"
    assert requests.get(server.url + "/_emulator/health", timeout=5).status_code == 200
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, auth=("alice", "wrong"), timeout=5).status_code == 401
    assert requests.get(url, auth=ALICE, timeout=5).json()["rules"] == []

    answer = requests.post(url, auth=ALICE, json={"spec": "reset:every=2;503:p=0.5"}, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["rules"] == [
        {"action": "reset", "every": 2},
        {"action": "status", "status": 503, "probability": 0.5},
    ]
    answer = requests.post(
        url, auth=ALICE, json={"rules": [{"action": "reset", "times": 1}], "seed": 7}, timeout=5
    )
    assert answer.json()["stats"]["seed"] == 7
    assert server.state.faults.rules == (FaultRule("reset", times=1),)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(server.url + PROBE["dms"], auth=ALICE, timeout=5)
    assert requests.get(url, auth=ALICE, timeout=5).json()["stats"]["injected"] == 1

    for bad, fragment in [
        ({"spec": "reset:every=x"}, "fault rule 1 'reset:every=x'"),
        ({"rules": [{"action": "boom"}]}, "rule 1: unknown action 'boom'"),
        ({"rules": "reset"}, "rules must be a list"),
        ({"spec": "reset", "rules": []}, "either"),
        ({"spec": "reset", "seed": "x"}, "seed must be an integer"),
        ({"colour": 1}, "unknown key(s) colour"),
    ]:
        answer = requests.post(url, auth=ALICE, json=bad, timeout=5)
        assert answer.status_code == 400, bad
        assert fragment in answer.json()["message"]
    assert requests.post(url, auth=ALICE, data=b"nope", timeout=5).status_code == 400

    assert requests.delete(url, auth=ALICE, timeout=5).json()["rules"] == []
    assert not server.state.faults.rules
