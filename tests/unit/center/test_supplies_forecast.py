"""Days to empty: trend over working days, fallbacks, states, and bad input."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from remotecare.center.care.history.rules import Sample, SupplyLevel
from remotecare.center.care.supplies.rules.calendar import WorkCalendar
from remotecare.center.care.supplies.rules.cartridges import (
    Cartridge,
    SupplyObservation,
    cartridges_of,
)
from remotecare.center.care.supplies.rules.forecast import (
    ForecastMethod,
    ForecastSettings,
    forecast_cartridge,
)
from remotecare.center.care.supplies.rules.usage import (
    UNKNOWN_USAGE,
    UsageClock,
    UsageProfile,
    page_clock,
    usage_profile,
)
from remotecare.protocol.messages import SupplyState

CALENDAR = WorkCalendar()
MONDAY = datetime(2026, 6, 1, 0, tzinfo=UTC)  # 09:00 in Tokyo
WEEKDAYS_ONLY = UsageProfile(pages_per_working_day=100.0, pages_per_off_day=0.0)
EVERY_DAY = UsageProfile(pages_per_working_day=100.0, pages_per_off_day=100.0)


def weekday_levels(
    start_percent: float, per_working_day: float, days: int
) -> list[tuple[datetime, int]]:
    """A level read each morning, falling only on working days."""
    readings, percent = [], start_percent
    for n in range(days):
        moment = MONDAY + timedelta(days=n)
        readings.append((moment, round(percent)))
        if CALENDAR.is_working_day(CALENDAR.local_date(moment)):
            percent -= per_working_day
    return readings


def cartridge(readings: list[tuple[datetime, int]], maximum: int = 100) -> Cartridge:
    observations = [
        SupplyObservation(moment, "Toner", SupplyLevel(value, maximum, "ok"))
        for moment, value in readings
    ]
    return cartridges_of(observations, 1)[-1]


def test_a_weekday_printer_is_not_forecast_as_if_it_printed_on_weekends() -> None:
    readings = weekday_levels(100, 2.0, 22)  # to Monday 22 June, 70 % left
    now = readings[-1][0]

    forecast = forecast_cartridge(
        cartridge(readings), now=now, calendar=CALENDAR, usage=WEEKDAYS_ONLY
    )

    assert forecast.method is ForecastMethod.TREND
    assert forecast.percent_per_usage_day == pytest.approx(2.0, rel=0.05)
    # 35 working days from Monday 22 June (Marine Day off) end on 10 August, 49 days
    # ahead; as if it printed every day it would be 35.
    assert forecast.days_to_empty == pytest.approx(49, abs=3)
    low, point, high = (
        forecast.days_to_empty_low,
        forecast.days_to_empty,
        forecast.days_to_empty_high,
    )
    assert low is not None
    assert point is not None
    assert high is not None
    assert low < point < high


def test_japanese_holidays_count_as_days_off() -> None:
    assert not CALENDAR.is_working_day(date(2026, 5, 4))  # Greenery Day
    assert not CALENDAR.is_working_day(date(2026, 1, 1))
    assert CALENDAR.is_working_day(date(2026, 5, 7))
    assert not WorkCalendar(country="US").is_working_day(
        date(2026, 7, 3)
    )  # Independence Day, observed
    assert CALENDAR.add_working_days(date(2026, 5, 1), 1) == date(2026, 5, 7)


def test_golden_week_stretches_days_to_empty_for_a_weekday_printer() -> None:
    clock = UsageClock(CALENDAR, 0.0)
    thursday = datetime(2026, 4, 30, 0, tzinfo=UTC)

    # Thursday from 09:00 in Tokyo, Friday, then nothing until Thursday 7 May.
    assert clock.after(thursday, 2.0) == datetime(2026, 5, 7, 0, tzinfo=UTC)


def test_confidence_grows_with_the_cartridges_history() -> None:
    readings = weekday_levels(100, 2.0, 40)
    short = forecast_cartridge(
        cartridge(readings[:8]), now=readings[7][0], calendar=CALENDAR, usage=WEEKDAYS_ONLY
    )
    long = forecast_cartridge(
        cartridge(readings), now=readings[-1][0], calendar=CALENDAR, usage=WEEKDAYS_ONLY
    )

    assert short.confidence < long.confidence
    assert long.confidence > 0.5
    assert not long.low_confidence


def test_a_new_cartridge_falls_back_to_pages_per_day_and_the_learned_yield() -> None:
    fresh = cartridge([(MONDAY, 100)])

    forecast = forecast_cartridge(
        fresh, now=MONDAY, calendar=CALENDAR, usage=WEEKDAYS_ONLY, pages_per_percent=60.0
    )

    assert forecast.method is ForecastMethod.PAGE_RATE
    assert forecast.percent_per_usage_day == pytest.approx(100 / 60)
    assert forecast.low_confidence


def test_without_a_learned_yield_the_rated_yield_is_used() -> None:
    forecast = forecast_cartridge(
        cartridge([(MONDAY, 100)]),
        now=MONDAY,
        calendar=CALENDAR,
        usage=WEEKDAYS_ONLY,
        rated_yield_pages=6_000,
    )

    assert forecast.method is ForecastMethod.RATED_YIELD
    assert forecast.percent_per_usage_day == pytest.approx(100 * 100 / 6_000)


def test_a_state_only_supply_gets_no_invented_number() -> None:
    observations = [SupplyObservation(MONDAY, "Toner", SupplyLevel(None, None, "some_remaining"))]

    forecast = forecast_cartridge(
        cartridges_of(observations, 1)[0],
        now=MONDAY,
        calendar=CALENDAR,
        usage=EVERY_DAY,
        rated_yield_pages=6_000,
    )

    assert forecast.method is ForecastMethod.STATE_ONLY
    assert forecast.days_to_empty is None
    assert forecast.state is SupplyState.SOME_REMAINING


def test_no_history_gives_no_forecast() -> None:
    forecast = forecast_cartridge(None, now=MONDAY, calendar=CALENDAR, usage=UNKNOWN_USAGE)

    assert forecast.method is ForecastMethod.NONE
    assert forecast.days_to_empty is None
    assert forecast.low_confidence


def test_levels_going_back_and_forth_at_random_give_no_number() -> None:
    rng = random.Random(4)
    readings = [(MONDAY + timedelta(days=n), rng.randrange(0, 101)) for n in range(60)]
    observations = [SupplyObservation(t, "Toner", SupplyLevel(v, 100, "ok")) for t, v in readings]

    cartridges = cartridges_of(observations, 1)
    forecast = forecast_cartridge(
        cartridges[-1], now=readings[-1][0], calendar=CALENDAR, usage=EVERY_DAY
    )

    assert forecast.days_to_empty is None
    assert forecast.low_confidence


def test_a_changing_maximum_capacity_gives_a_low_confidence_forecast() -> None:
    readings = weekday_levels(100, 2.0, 30)
    observations = [
        SupplyObservation(
            t, "Toner", SupplyLevel(v * 10, 1_000, "ok") if n < 15 else SupplyLevel(v, 100, "ok")
        )
        for n, (t, v) in enumerate(readings)
    ]

    forecast = forecast_cartridge(
        cartridges_of(observations, 1)[-1],
        now=readings[-1][0],
        calendar=CALENDAR,
        usage=WEEKDAYS_ONLY,
    )

    assert forecast.low_confidence


def test_a_level_reported_at_150_percent_gives_a_low_confidence_forecast() -> None:
    observations = [
        SupplyObservation(MONDAY + timedelta(days=n), "Toner", SupplyLevel(150, 100, "ok"))
        for n in range(3)
    ]

    forecast = forecast_cartridge(
        cartridges_of(observations, 1)[-1],
        now=MONDAY + timedelta(days=3),
        calendar=CALENDAR,
        usage=EVERY_DAY,
        rated_yield_pages=6_000,
    )

    assert forecast.low_confidence


def test_pages_per_working_day_and_per_day_off_are_told_apart() -> None:
    samples, pages = [], 0
    for n in range(35):
        moment = MONDAY - timedelta(hours=9) + timedelta(days=n)  # midnight in Tokyo
        samples.append(Sample(moment, pages))
        pages += 300 if CALENDAR.is_working_day(CALENDAR.local_date(moment)) else 30

    profile = usage_profile(page_clock(samples), CALENDAR, until=samples[-1].at)

    assert profile.pages_per_working_day == pytest.approx(300, rel=0.01)
    assert profile.pages_per_off_day == pytest.approx(30, abs=3)
    assert profile.off_day_ratio == pytest.approx(0.1, abs=0.01)


def test_a_receptacle_forecasts_days_to_full_from_its_space_left() -> None:
    readings = weekday_levels(60, 1.0, 30)

    forecast = forecast_cartridge(
        cartridge(readings),
        now=readings[-1][0],
        calendar=CALENDAR,
        usage=WEEKDAYS_ONLY,
        receptacle=True,
    )

    assert forecast.receptacle
    assert forecast.days_to_empty is not None
    assert forecast.days_to_empty > 0


def test_a_state_only_supply_can_opt_in_to_days_from_the_pages_its_cartridges_gave() -> None:
    observations = [SupplyObservation(MONDAY, "Toner", SupplyLevel(None, None, "ok"))]
    current = cartridges_of(observations, 1)[0]
    settings = ForecastSettings(state_only_by_pages=True)

    forecast = forecast_cartridge(
        current,
        now=MONDAY,
        calendar=CALENDAR,
        usage=WEEKDAYS_ONLY,
        pages_per_cartridge=6_000.0,
        pages_since_install=5_000,
        settings=settings,
    )

    assert forecast.method is ForecastMethod.PAGES_LEFT
    assert forecast.percent_left is None
    # 1,000 pages at 100 a working day: ten working days from Monday 1 June, 14 days.
    assert forecast.days_to_empty == pytest.approx(14, abs=1)
    assert forecast.low_confidence
