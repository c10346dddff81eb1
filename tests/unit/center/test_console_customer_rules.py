"""Pure rules behind the customer and administration pages: the meter reads page's query,
the time zone check, and the allow-list read from the wire contract."""

from __future__ import annotations

import pytest

from remotecare.center.care.meters.rules.console_query import (
    OLDEST_PERIOD_MONTHS,
    ReadsQueryError,
    ReadState,
    period_before,
    read_reads_query,
    row_state_matches,
)
from remotecare.center.web.i18n import valid_time_zone
from remotecare.protocol.allow_list import FieldKind, report_fields
from remotecare.protocol.messages import Report


def test_without_a_period_the_last_billed_one_is_shown() -> None:
    query = read_reads_query({}, latest="2026-01")
    assert (query.period, query.customer_id, query.state, query.page) == ("2025-12", None, None, 1)


def test_a_query_keeps_its_filters_for_the_pages_links() -> None:
    query = read_reads_query(
        {"period": "2025-11", "customer": "7", "state": "flagged", "page": "3"}, "2026-01"
    )
    assert query.params == {"period": "2025-11", "customer": "7", "state": "flagged"}
    assert query.page == 3


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"period": "2026-13"}, "not a period"),
        ({"period": "26-01"}, "not a period"),
        ({"period": "2026-02"}, "has not begun"),
        ({"period": period_before("2026-01", OLDEST_PERIOD_MONTHS + 1)}, "too old"),
        ({"state": "bogus"}, "not a kind of read"),
        ({"customer": "1 OR 1=1"}, "not a customer"),
        ({"customer": "\uff11\uff12"}, "not a customer"),  # full-width digits are not an id
    ],
)
def test_a_bad_query_is_refused_with_the_reason(params: dict[str, str], reason: str) -> None:
    with pytest.raises(ReadsQueryError, match=reason):
        read_reads_query(params, latest="2026-01")


def test_the_oldest_period_is_still_shown_and_a_bad_page_is_the_first() -> None:
    oldest = period_before("2026-01", OLDEST_PERIOD_MONTHS)
    assert read_reads_query({"period": oldest, "page": "-2"}, "2026-01").page == 1
    assert period_before("2026-01") == "2025-12"


def test_rows_are_matched_by_kind_of_read_or_flag() -> None:
    assert row_state_matches(None, "estimated", [])
    assert row_state_matches(ReadState.ESTIMATED, "estimated", [])
    assert not row_state_matches(ReadState.ACTUAL, "estimated", [])
    assert row_state_matches(ReadState.FLAGGED, "actual", ["usage far above its history"])
    assert not row_state_matches(ReadState.FLAGGED, "actual", [])


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "UTC", "America/New_York", "Europe/Berlin"])
def test_known_time_zones_are_accepted(zone: str) -> None:
    assert valid_time_zone(zone) == zone


@pytest.mark.parametrize(
    "zone", [None, "", "Mars/Olympus_Mons", "../../etc/passwd", "asia/tokyo", "x" * 500]
)
def test_unknown_time_zones_are_refused(zone: str | None) -> None:
    assert valid_time_zone(zone) is None


def test_the_allow_list_holds_every_field_of_a_report_and_nothing_else() -> None:
    fields = {f.path: f for f in report_fields()}
    top = {path for path in fields if "." not in path and not path.endswith("[]")}
    assert top == set(Report.model_fields)
    assert fields["reading.counters[].value"].kind is FieldKind.NUMBER
    assert fields["reading.supplies[]"].kind is FieldKind.LIST
    assert "low" in fields["reading.supplies[].state"].choices
    assert fields["agent_time"].kind is FieldKind.MOMENT
    assert fields["reading.covers[].open"].kind is FieldKind.YES_NO
    assert not any("password" in path or "community" in path for path in fields)


def test_several_customers_may_ask_for_one_period_more() -> None:
    """A customer whose cut-off is the 20th runs next month's period after the 20th."""
    query = read_reads_query({"period": "2026-02"}, latest="2026-01", newest="2026-02")
    assert query.period == "2026-02"
    assert read_reads_query({}, latest="2026-01", newest="2026-02").period == "2025-12"
    with pytest.raises(ReadsQueryError, match="has not begun"):
        read_reads_query({"period": "2026-03"}, latest="2026-01", newest="2026-02")
