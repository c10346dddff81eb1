"""Billing periods: cut-offs across time zones, month ends and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from remotecare.center.care.meters.rules.periods import (
    BillingSettings,
    BillingSettingsError,
    billable_counters,
    cutoff,
    period_containing,
    period_named,
    periods_closed_by,
)

TOKYO = BillingSettings()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_the_default_cut_off_is_the_last_day_at_24_00_in_tokyo() -> None:
    # 2026-12-01 00:00 JST is 2026-11-30 15:00 UTC
    assert cutoff(2026, 11, TOKYO) == utc(2026, 11, 30, 15)


@pytest.mark.parametrize(
    ("year", "month", "last_day"),
    [(2026, 2, 28), (2028, 2, 29), (2026, 4, 30), (2026, 1, 31), (2026, 12, 31)],
)
def test_month_ends_of_28_29_30_and_31_days(year: int, month: int, last_day: int) -> None:
    end_of_month = BillingSettings(cutoff_minutes=23 * 60)
    assert cutoff(year, month, end_of_month) == datetime(
        year, month, last_day, 23, tzinfo=TOKYO.tz
    ).astimezone(UTC)


def test_a_cut_off_day_the_month_lacks_is_its_last_day() -> None:
    thirty_first = BillingSettings(cutoff_day=31, cutoff_minutes=18 * 60)
    assert cutoff(2026, 2, thirty_first) == utc(2026, 2, 28, 9)
    assert cutoff(2026, 3, thirty_first) == utc(2026, 3, 31, 9)


def test_a_period_runs_from_the_previous_cut_off_to_its_own() -> None:
    period = period_named("2026-01", TOKYO)
    assert (period.start, period.end) == (utc(2025, 12, 31, 15), utc(2026, 1, 31, 15))
    assert period.end in period
    assert period.start not in period


def test_periods_follow_each_other_without_gap_in_new_york_across_daylight_saving() -> None:
    new_york = BillingSettings(cutoff_day=8, cutoff_minutes=2 * 60 + 30, zone="America/New_York")
    march = period_named("2026-03", new_york)  # 2:30 on 8 March 2026 does not exist
    assert march.end == utc(2026, 3, 8, 7, 30)  # 3:30 EDT: just after the skipped hour
    assert period_named("2026-04", new_york).start == march.end
    november = BillingSettings(cutoff_day=1, cutoff_minutes=90, zone="America/New_York")
    assert cutoff(2026, 11, november) == utc(2026, 11, 1, 5, 30)  # the first 1:30 (EDT)


def test_berlin_end_of_month_in_summer_and_winter_time() -> None:
    berlin = BillingSettings(zone="Europe/Berlin")
    assert cutoff(2026, 3, berlin) == utc(2026, 3, 31, 22)  # CEST
    assert cutoff(2026, 10, berlin) == utc(2026, 10, 31, 23)  # CET


def test_the_period_containing_a_time_is_found_across_zone_and_month() -> None:
    # 2026-11-30 16:00 UTC is already 1 December in Tokyo
    assert period_containing(utc(2026, 11, 30, 16), TOKYO).name == "2026-12"
    assert period_containing(utc(2026, 11, 30, 15), TOKYO).name == "2026-11"
    mid_month = BillingSettings(cutoff_day=20, cutoff_minutes=0)
    assert period_containing(utc(2026, 11, 25), mid_month).name == "2026-12"


def test_periods_closed_by_wait_for_the_grace() -> None:
    settings = BillingSettings(grace=timedelta(days=3))
    assert [p.name for p in periods_closed_by(utc(2026, 12, 2), settings, 2)] == [
        "2026-09",
        "2026-10",
    ]
    assert [p.name for p in periods_closed_by(utc(2026, 12, 4), settings, 1)] == ["2026-11"]


@pytest.mark.parametrize(
    "bad",
    [
        {"cutoff_day": 0},
        {"cutoff_day": 32},
        {"cutoff_minutes": 1441},
        {"zone": "Mars/Olympus"},
        {"counters": ()},
        {"window": timedelta(0)},
    ],
)
def test_bad_settings_are_refused_clearly(bad: dict[str, object]) -> None:
    with pytest.raises(BillingSettingsError):
        BillingSettings(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["2026-13", "2026/11", "november", "2026-1"])
def test_bad_period_names_are_refused(name: str) -> None:
    with pytest.raises(BillingSettingsError, match="YYYY-MM"):
        period_named(name, TOKYO)


def test_billable_counters_accept_the_vocabulary_and_refuse_the_rest() -> None:
    assert billable_counters(" total, large_mono,large_colour ,copy_mono,total") == (
        "total",
        "large_mono",
        "large_colour",
        "copy_mono",
    )
    assert billable_counters("total_marker_2") == ("total_marker_2",)
    with pytest.raises(BillingSettingsError, match="unknown counter 'A3', 'fax_colour'"):
        billable_counters("total,A3,fax_colour")
