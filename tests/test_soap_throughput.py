"""The SOAP search's hot path: pages decoded once into plain values (``codec.decode_page``), objects built
without a second validation (``EnaioObject.model_construct``), pages fetched on a prefetch worker.

What it must keep: the objects equal the validated ones, every malformed page is a ``ResponseFormatError``
naming the place (never the value), and the worker never shares the session with the caller."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from connector.config import load_settings
from connector.enaio.emulator.server import EmulatorServer
from connector.enaio.emulator.soap.formats import ParsedQuery, render_lol
from connector.enaio.emulator.state import Variant
from connector.enaio.model import EnaioObject, FileInfo
from connector.enaio.objdef import default_objdef
from connector.enaio.query import Query
from connector.enaio.soap import codec
from connector.enaio.soap.client import SoapClient
from connector.enaio.soap.convert import to_object, to_objects
from connector.enaio.soap.transport import JobParamValue
from connector.enaio.soap.wire import JobResult
from connector.errors import ResponseFormatError, ValidationError
from connector.timeutil import zone
from connector.xmlsafe import XmlFormatError, XmlSecurityError
from tests.conftest import make_settings
from tests.test_xmlsafe import BILLION_LAUGHS

TZ = zone("Europe/Berlin")
SECRET = "Müller-Geheim"
"""A personal-looking value planted in malformed places: no error message may carry it."""


@pytest.fixture
def demo_soap(demo_emulators: Callable[[Variant], EmulatorServer], variant: Variant) -> Iterator[SoapClient]:
    client = SoapClient(make_settings(demo_emulators(variant), "soap"))
    yield client
    client.close()


# --- constructed objects equal validated ones -------------------------------------------------------------


def test_constructed_objects_equal_validated_ones_for_every_demo_type(demo_soap: SoapClient) -> None:
    """Objects of every type of the demo county (several pages each, so through the prefetch worker), with
    tables and files among them: each equals its validated copy, and the page decoder reads exactly what the
    streaming reader reads."""
    with_tables = with_files = 0
    for otype in demo_soap.objdef.types:
        objects = list(demo_soap.search(Query(otype.internal, page_size=100, max_hits=700)))
        assert objects, otype.internal
        assert len({o.id for o in objects}) == len(objects)
        for obj in objects:
            assert EnaioObject.model_validate(obj.model_dump()) == obj
            assert all(isinstance(f, FileInfo) for f in obj.files)
            assert obj.created.tzinfo is not None
            assert obj.modified.tzinfo is not None
        with_tables += sum(1 for o in objects if o.tables)
        with_files += sum(1 for o in objects if o.files)
        # one page read both ways: the same objects
        xml = demo_soap._query_xml(Query(otype.internal))
        page = demo_soap._execute(
            "dms.GetResultList", {"Flags": 0, "XML": xml, "Encoding": "UTF-8", "PageSize": 50}
        ).binary("XML")
        decoded = list(to_objects(codec.decode_page(page), demo_soap.objdef, TZ))
        streamed = [to_object(w, demo_soap.objdef, TZ) for w in codec.read_content(page)]
        assert decoded == streamed
        assert [o.model_dump() for o in decoded] == [o.model_dump() for o in streamed]
    assert with_tables > 0
    assert with_files > 0


def test_nested_calls_while_a_search_is_open_never_share_the_session(demo_soap: SoapClient) -> None:
    """The caller reads single objects (another search each) while the worker fetches the next page: one
    exchange at a time on the session, and the same objects as a search without nested calls."""
    active = 0
    most = 0
    guard = threading.Lock()
    send = demo_soap.transport.session.send

    def counting(request: Any, **kwargs: Any) -> Any:
        nonlocal active, most
        with guard:
            active += 1
            most = max(most, active)
        try:
            return send(request, **kwargs)
        finally:
            with guard:
                active -= 1

    demo_soap.transport.session.send = counting  # type: ignore[method-assign]
    query = Query("IM_KLIENT", page_size=40, max_hits=200)
    seen = []
    for n, obj in enumerate(demo_soap.search(query)):
        seen.append(obj)
        if n % 20 == 0:
            assert demo_soap.get(obj.id) == obj
    assert most == 1
    assert seen == list(demo_soap.search(query))


def test_leaving_a_search_early_stops_its_worker(demo_soap: SoapClient) -> None:
    for obj in demo_soap.search(Query("IM_KONTAKT", page_size=50)):
        assert obj.id > 0
        break
    for thread in threading.enumerate():
        if thread.name == "enaio-soap-search":
            thread.join(timeout=30)
            assert not thread.is_alive()


# --- malformed pages ------------------------------------------------------------------------------------


def _page(ids: tuple[int, ...] = (5, 6)) -> bytes:
    """A LOL page of two IM_KLIENT folders as the emulator renders them."""
    objdef = default_objdef()
    otype = objdef.type_by_name("IM_KLIENT")
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=TZ)
    rows = [
        EnaioObject(
            id=object_id,
            type_id=otype.type_id,
            type_name=otype.internal,
            kind=otype.kind,
            fields={"AKTENZEICHEN": f"IM-{object_id}", "GEBURTSDATUM": now.date()},
            created=now,
            creator="alice",
            modified=now,
            modifier="alice",
            owner="alice",
        )
        for object_id in ids
    ]
    pq = ParsedQuery(query=Query("IM_KLIENT"), otype=otype, listed=[(n, True) for n in codec.SYSTEM_COLUMNS])
    return render_lol(objdef, pq, rows, "alice", TZ)


def _refused(data: bytes) -> ResponseFormatError:
    with pytest.raises(ResponseFormatError) as caught:
        list(to_objects(codec.decode_page(data), default_objdef(), TZ))
    assert SECRET not in str(caught.value)
    return caught.value


def test_a_good_page_decodes() -> None:
    objects = list(to_objects(codec.decode_page(_page()), default_objdef(), TZ))
    assert [o.id for o in objects] == [5, 6]
    assert objects[0].fields["AKTENZEICHEN"] == "IM-5"


@pytest.mark.parametrize(
    ("old", "new", "place"),
    [
        (b'<Row id="5">', f'<Row id="{SECRET}">'.encode(), "Row@id"),
        (b'<Row id="5">', b"<Row>", "Row@id"),
        (b'<ObjectType id="12"', f'<ObjectType id="{SECRET}"'.encode(), "ObjectType@id"),
        (b'maintype="0"', f'maintype="{SECRET}"'.encode(), "ObjectType@maintype"),
        (b"</Row>", b'<Files><File index="0" name="a.pdf" size="1"/></Files></Row>', "File@index"),
        (b"</Row>", f'<Files><File index="{SECRET}"/></Files></Row>'.encode(), "File@index"),
        (b"</Row>", b'<Files><File index="1" size="-4"/></Files></Row>', "File@size"),
        (b"</Row>", f'<Files><File index="1" size="{SECRET}"/></Files></Row>'.encode(), "File@size"),
    ],
)
def test_a_malformed_place_is_a_response_format_error_naming_it(old: bytes, new: bytes, place: str) -> None:
    data = _page()
    assert old in data
    error = _refused(data.replace(old, new, 1))
    assert place in str(error)


def test_rows_that_do_not_fit_their_columns_are_refused() -> None:
    data = _page()
    first_value = data.index(b"<Value", data.index(b'<Row id="5">'))
    end = data.index(b"</Value>", first_value) + len(b"</Value>")
    assert "values for" in str(_refused(data[:first_value] + data[end:]))


@pytest.mark.parametrize(
    "body",
    [b"", b"not xml", b"<DMSContent><Archive>", BILLION_LAUGHS],
)
def test_pages_that_are_not_safe_xml_are_refused(body: bytes) -> None:
    with pytest.raises((XmlFormatError, XmlSecurityError)):
        codec.decode_page(body)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("OBJECT_MODIFYTIME", SECRET),
        ("OBJECT_MODIFYTIME", "99999999999999999999"),  # beyond any datetime
        ("OBJECT_CRDATE", SECRET),
    ],
)
def test_system_values_of_the_wrong_type_are_refused(column: str, value: str) -> None:
    raw = codec.decode_page(_page())
    broken = raw[0]._replace(system={**raw[0].system, column: value})
    with pytest.raises(ResponseFormatError) as caught:
        list(to_objects([broken], default_objdef(), TZ))
    assert SECRET not in str(caught.value)


def test_an_unknown_type_stays_a_validation_error() -> None:
    raw = codec.decode_page(_page())[0]._replace(type_id=999_999)
    with pytest.raises(ValidationError):
        list(to_objects([raw], default_objdef(), TZ))


# --- malformed paging answers ---------------------------------------------------------------------------


@pytest.fixture
def offline() -> Iterator[SoapClient]:
    """A client whose jobs are answered by the test (nothing is sent)."""
    settings = load_settings(
        overrides={"url": "http://127.0.0.1:9", "interface": "soap", "username": "u", "password": "p"}
    )
    client = SoapClient(settings)
    client.use_object_definition(default_objdef())
    yield client
    client.close()


def _answering(client: SoapClient, answers: list[dict[str, object]]) -> list[dict[str, JobParamValue]]:
    asked: list[dict[str, JobParamValue]] = []

    def execute(name: str, params: dict[str, JobParamValue] | None = None, **_: object) -> JobResult:
        asked.append(dict(params or {}))
        return JobResult(name=name, params=answers[min(len(asked), len(answers)) - 1])

    client._execute = execute  # type: ignore[method-assign,assignment]
    return asked


@pytest.mark.parametrize(
    "answers",
    [
        [{"Count": 3, "TotalHits": 3, "XML": _page()}],  # Count says 3, the page has 2
        [{"Count": SECRET, "TotalHits": 2, "XML": _page()}],
        [{"Count": 2, "TotalHits": SECRET, "XML": _page()}],
        # the server does not advance Offset: the second page starts with the first page's first object
        [{"Count": 2, "TotalHits": 4, "XML": _page()}],
    ],
)
def test_malformed_paging_answers_are_response_format_errors(
    offline: SoapClient, answers: list[dict[str, object]]
) -> None:
    _answering(offline, answers)
    with pytest.raises(ResponseFormatError) as caught:
        list(offline.search(Query("IM_KLIENT", page_size=2)))
    assert SECRET not in str(caught.value)


def test_paging_steps_from_the_raw_pages(offline: SoapClient) -> None:
    asked = _answering(
        offline,
        [
            {"Count": 2, "TotalHits": 5, "XML": _page(ids=(1, 2))},
            {"Count": 2, "TotalHits": 5, "XML": _page(ids=(3, 4))},
            {"Count": 1, "TotalHits": 5, "XML": _page(ids=(5,))},
        ],
    )
    assert [o.id for o in offline.search(Query("IM_KLIENT", page_size=2))] == [1, 2, 3, 4, 5]
    assert [(a["Offset"], a["PageSize"]) for a in asked] == [(0, 2), (2, 2), (4, 2)]
