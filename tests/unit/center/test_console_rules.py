"""The console's pure parts: choosing a language, reading a search, naming a vendor,
counting pages per month and drawing charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from remotecare.center.fleet.rules.connectivity import Connectivity
from remotecare.center.fleet.rules.device_query import (
    MAX_SEARCH_CHARS,
    DeviceQuery,
    like_pattern,
    page_count,
    read_query,
    vendor_of,
)
from remotecare.center.fleet.rules.usage import (
    CounterLine,
    level_percent,
    month_starts,
    monthly_usage,
)
from remotecare.center.web.charts import bar_chart, line_chart, nice_maximum
from remotecare.center.web.i18n import Formats, choose_language

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("chosen", "header", "expected"),
    [
        (None, None, "en"),
        (None, "ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        (None, "fr-CH, fr;q=0.9, en;q=0.8, ja;q=0.9", "ja"),
        (None, "de, en;q=0.5", "en"),
        (None, "xx-YY", "en"),
        (None, "ja;q=0", "en"),
        (None, "ja;q=abc", "en"),
        (None, "ja;q=7", "en"),
        (None, "*", "en"),
        (None, "," * 10_000 + "ja", "en"),  # only the start of a huge header is read
        ("ja", "en", "ja"),  # the person's choice wins
        ("klingon", "ja", "ja"),  # an unknown choice is ignored
    ],
)
def test_the_language_is_the_choice_else_the_browsers_else_english(
    chosen: str | None, header: str | None, expected: str
) -> None:
    assert choose_language(chosen, header) == expected


def test_dates_numbers_and_durations_are_written_for_the_language_and_tokyo() -> None:
    moment = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)  # 1 February 01:30 in Tokyo
    assert Formats("en").date(moment) == "Feb 1, 2026"
    assert Formats("ja").date(moment) == "2026/02/01"
    assert Formats("ja").number(48213) == "48,213"
    now = moment + timedelta(minutes=20)
    assert Formats("en").ago(moment, now) == "20 minutes ago"
    assert Formats("ja").ago(moment, now) == "20 分前"
    assert Formats("ja").ago(None, now) is None
    assert Formats("en").ago(now + timedelta(seconds=5), now) == "1 second ago"  # never "in"
    assert Formats("en").span(timedelta(hours=3)) == "3 hr"
    assert Formats("en").month(moment) == "Feb 2026"


def test_a_search_is_read_leniently() -> None:
    query = read_query(
        {
            "q": "  ' OR 1=1 --  ",
            "state": "late",
            "vendor": "ricoh",
            "customer": "7",
            "low": "1",
            "page": "3",
        }
    )
    assert query == DeviceQuery("' OR 1=1 --", Connectivity.LATE, "ricoh", 7, True, 3)
    assert query.params == {
        "q": "' OR 1=1 --",
        "state": "late",
        "vendor": "ricoh",
        "customer": "7",
        "low": "1",
    }
    nonsense = read_query(
        {"q": "x" * 500, "state": "sideways", "vendor": "acme", "customer": "-1", "page": "٣"}
    )
    assert nonsense == DeviceQuery("x" * MAX_SEARCH_CHARS)
    assert read_query({"page": "0"}).page == 1
    assert read_query({"page": "99999999999999"}).page == 1
    assert not read_query({}).is_filtered


def test_a_search_text_matches_literally() -> None:
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"


def test_pages_are_counted_from_the_total() -> None:
    assert [page_count(n) for n in (0, 1, 50, 51, 10_000)] == [1, 1, 1, 2, 200]


def test_the_vendor_comes_from_the_model_name_else_the_enterprise_number() -> None:
    assert vendor_of("1.3.6.1.4.1.367.1.1", "Aficio").name == "Ricoh"  # type: ignore[union-attr]
    assert vendor_of(None, "Canon iR-ADV C5535").name == "Canon"  # type: ignore[union-attr]
    assert vendor_of("1.3.6.1.4.1.99999.1", "Acme Laser") is None
    rebadged = vendor_of("1.3.6.1.4.1.1347.41", "Savin C3030")  # a Ricoh sold as a Savin
    assert rebadged is not None
    assert rebadged.name == "Ricoh"


def test_a_level_is_a_percentage_only_when_both_numbers_are_real() -> None:
    assert level_percent(25, 50) == 50.0
    assert level_percent(-3, 100) is None  # some remaining
    assert level_percent(80, -2) is None
    assert level_percent(None, 100) is None


def test_months_start_at_midnight_in_the_zone() -> None:
    now = datetime(2026, 1, 15, tzinfo=UTC)
    starts = month_starts(now, 3, TOKYO)
    assert starts == [
        datetime(2025, 11, 1, tzinfo=TOKYO),
        datetime(2025, 12, 1, tzinfo=TOKYO),
        datetime(2026, 1, 1, tzinfo=TOKYO),
    ]


def test_monthly_pages_are_the_counters_growth_and_a_reset_gives_no_number() -> None:
    now = datetime(2026, 4, 15, tzinfo=TOKYO)
    mono = CounterLine(
        "mono",
        "impressions",
        [
            (datetime(2026, 1, 20, tzinfo=TOKYO), 100),
            (datetime(2026, 2, 10, tzinfo=TOKYO), 400),
            (datetime(2026, 3, 5, tzinfo=TOKYO), 50),  # the counter was reset
            (datetime(2026, 4, 10, tzinfo=TOKYO), 150),
        ],
    )
    total = CounterLine("total", "impressions", [(datetime(2026, 1, 1, tzinfo=TOKYO), 1)])
    usage = monthly_usage([total, mono], now, TOKYO, months=4)
    assert list(usage.counts) == ["mono"]  # mono/colour are shown rather than the total
    assert usage.counts["mono"] == [0, 300, None, 100]
    assert usage.unit == "impressions"
    only_total = monthly_usage([total], now, TOKYO, months=2)
    assert only_total.counts == {"total": [0, 0]}
    assert monthly_usage([], now, TOKYO).counts == {}


def test_a_level_chart_steps_and_breaks_where_the_level_is_unknown() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    until = since + timedelta(days=10)
    chart = line_chart(
        [(since, 100.0), (since + timedelta(days=5), 50.0), (since + timedelta(days=6), None)],
        since,
        until,
        [since + timedelta(days=2)],
    )
    assert len(chart.paths) == 1
    assert chart.paths[0].startswith("M48.0 ")
    assert " V" in chart.paths[0]  # the drop from 100 % to 50 %
    assert chart.last_percent is None
    assert len(chart.x_ticks) == 1


def test_bars_scale_to_a_round_maximum() -> None:
    assert [nice_maximum(v) for v in (0, 7, 11, 480, 1001)] == [10, 10, 20, 500, 2000]
    months = [datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2)]
    chart = bar_chart(months, [[100, None], [50, 200]])
    assert chart.maximum == 200
    assert len(chart.bars) == 4
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.value == 200
