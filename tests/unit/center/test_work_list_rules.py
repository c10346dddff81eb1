"""The incidents and orders lists read what a query string asks for: known values taken,
anything else left out (never refused), and the same search asked for again by its
parameters."""

from __future__ import annotations

import pytest

from remotecare.center.care.incidents.rules.catalogue import Severity
from remotecare.center.care.incidents.rules.listing import (
    MAX_INCIDENT_SEARCH_CHARS,
    IncidentQuery,
    StateFilter,
    read_incident_query,
)
from remotecare.center.care.supplies.rules.lifecycle import OrderStatus
from remotecare.center.care.supplies.rules.order_listing import (
    OrderQuery,
    OrderStateFilter,
    read_order_query,
)


def test_an_empty_query_is_the_unresolved_incidents_first_page() -> None:
    query = read_incident_query({})
    assert query == IncidentQuery()
    assert query.state is StateFilter.UNRESOLVED
    assert not query.is_filtered
    assert query.params == {}


def test_an_incident_query_reads_each_filter_and_asks_for_itself_again() -> None:
    given = {
        "state": "resolved",
        "severity": "warning",
        "customer": "7",
        "device": "12",
        "q": "  jam   in\ttray ",
        "page": "3",
    }
    query = read_incident_query(given)
    assert query == IncidentQuery(StateFilter.RESOLVED, Severity.WARNING, 7, 12, "jam in tray", 3)
    assert query.is_filtered
    assert read_incident_query(query.params) == IncidentQuery(
        StateFilter.RESOLVED, Severity.WARNING, 7, 12, "jam in tray", 1
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("state", "sideways"),
        ("state", "OPEN"),
        ("severity", "apocalyptic"),
        ("severity", "\x00"),
        ("customer", "-1"),
        ("customer", "x"),
        ("customer", "0"),
        ("device", "1e3"),
        ("device", "\uff19"),  # a full-width 9 is a digit to Python, not to us
        ("device", "99999999999999999999"),
        ("page", "-3"),
        ("page", "abc"),
    ],
)
def test_an_incident_query_leaves_out_what_it_does_not_understand(name: str, value: str) -> None:
    assert read_incident_query({name: value}) == IncidentQuery()


def test_a_search_text_is_cut_to_its_limit_and_a_huge_page_to_a_million() -> None:
    query = read_incident_query({"q": "x" * 500, "page": "999999999"})
    assert len(query.text) == MAX_INCIDENT_SEARCH_CHARS
    assert query.page == 1_000_000


def test_an_order_query_reads_each_filter_and_leaves_out_the_rest() -> None:
    assert read_order_query({}) == OrderQuery()
    assert OrderQuery().state.status is None
    query = read_order_query({"state": "shipped", "customer": "4", "device": "9", "page": "2"})
    assert query == OrderQuery(OrderStateFilter.SHIPPED, 4, 9, 2)
    assert query.state.status is OrderStatus.SHIPPED
    assert read_order_query(query.params) == OrderQuery(OrderStateFilter.SHIPPED, 4, 9, 1)
    assert read_order_query({"state": "all"}).state.status is None
    for nonsense in ({"state": "lost"}, {"customer": "' OR 1=1"}, {"page": "0"}, {"device": ""}):
        assert read_order_query(nonsense) == OrderQuery(), nonsense


def test_every_order_status_is_a_filter() -> None:
    assert {f.status for f in OrderStateFilter} - {None} == set(OrderStatus)
