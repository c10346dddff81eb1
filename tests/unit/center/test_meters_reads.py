"""The read at cut-off, misread screening, usage across resets and swaps, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from remotecare.center.care.meters.rules.reads import ReadMethod, business_days, read_at_cutoff
from remotecare.center.care.meters.rules.screening import (
    ExclusionReason,
    Reading,
    clock_refusal,
    screen,
)
from remotecare.center.care.meters.rules.usage import (
    SiteDevice,
    detect_swaps,
    percentile,
    usage_between,
    validate_usage,
)
from remotecare.center.care.supplies.rules.calendar import WorkCalendar

JAPAN = WorkCalendar()
CUTOFF = datetime(2026, 11, 30, 15, tzinfo=UTC)  # 2026-12-01 00:00 JST (a Tuesday)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def at(hours_before_cutoff: float, value: int) -> Reading:
    return Reading(CUTOFF - timedelta(hours=hours_before_cutoff), value)


# --- the read at cut-off -------------------------------------------------------------


def test_the_nearest_reading_before_cut_off_within_the_window_is_actual() -> None:
    readings = [at(30, 900), at(2, 1000), at(-1, 1010)]
    read = read_at_cutoff(readings, CUTOFF, 24 * HOUR, JAPAN)
    assert (read.value, read.method, read.read_at) == (1000, ReadMethod.ACTUAL, at(2, 0).at)
    assert read.sources == (at(2, 1000),)


def test_a_reading_exactly_at_cut_off_is_actual() -> None:
    read = read_at_cutoff([at(0, 500)], CUTOFF, 24 * HOUR, JAPAN)
    assert (read.value, read.method) == (500, ReadMethod.ACTUAL)


def test_a_gap_over_the_cut_off_is_interpolated_over_business_time() -> None:
    # Friday 27 Nov 00:00 JST to Thursday 3 Dec 00:00 JST: Friday and Monday are the
    # working days before the cut-off (Tuesday 1 Dec 00:00 JST), Tuesday and Wednesday
    # after it; the weekend counts for nothing: half the pages each side.
    before = Reading(datetime(2026, 11, 26, 15, tzinfo=UTC), 1000)
    after = Reading(datetime(2026, 12, 2, 15, tzinfo=UTC), 1400)
    read = read_at_cutoff([before, after], CUTOFF, 24 * HOUR, JAPAN)
    assert read.method is ReadMethod.INTERPOLATED
    assert read.value == 1200
    assert read.sources == (before, after)
    assert read.read_at == CUTOFF


def test_a_silent_printer_is_extrapolated_from_its_pages_per_business_day() -> None:
    previous_read = Reading(datetime(2026, 10, 31, 15, tzinfo=UTC), 1000)  # Sat 1 Nov JST
    last = Reading(datetime(2026, 11, 20, 15, tzinfo=UTC), 2300)  # Sat 21 Nov JST
    read = read_at_cutoff([last], CUTOFF, 24 * HOUR, JAPAN, rate_base=previous_read)
    rate = 1300 / business_days(previous_read.at, last.at, JAPAN)
    expected = 2300 + round(rate * business_days(last.at, CUTOFF, JAPAN))
    assert (read.value, read.method) == (expected, ReadMethod.EXTRAPOLATED)
    assert read.sources == (previous_read, last)
    # 1 to 20 Nov JST: 15 weekdays, less Culture Day (3 Nov), a public holiday in Japan
    assert business_days(previous_read.at, last.at, JAPAN) == 14


def test_a_silent_printer_without_history_keeps_its_last_value_and_says_so() -> None:
    read = read_at_cutoff([at(100, 700)], CUTOFF, 24 * HOUR, JAPAN)
    assert (read.value, read.method, read.flags) == (
        700,
        ReadMethod.EXTRAPOLATED,
        ("no recent rate",),
    )


def test_a_device_without_readings_before_cut_off_is_missing_not_dropped() -> None:
    assert read_at_cutoff([], CUTOFF, DAY, JAPAN).method is ReadMethod.MISSING
    late = read_at_cutoff([at(-5, 10)], CUTOFF, DAY, JAPAN)
    assert (late.value, late.method, late.flags) == (
        None,
        ReadMethod.MISSING,
        ("first reading after cut-off",),
    )


def test_a_replaced_device_keeps_its_last_reading_as_final() -> None:
    read = read_at_cutoff([at(200, 5000)], CUTOFF, DAY, JAPAN, replaced=True)
    assert (read.value, read.method) == (5000, ReadMethod.FINAL)


def test_the_window_is_configurable() -> None:
    readings = [at(30, 900), at(-30, 1000)]
    assert read_at_cutoff(readings, CUTOFF, 48 * HOUR, JAPAN).method is ReadMethod.ACTUAL
    assert read_at_cutoff(readings, CUTOFF, 24 * HOUR, JAPAN).method is ReadMethod.INTERPOLATED


# --- bad readings -------------------------------------------------------------------


def test_a_jump_by_millions_in_one_reading_is_excluded_with_its_reason() -> None:
    screened = screen([at(3, 1000), at(2, 4_001_000), at(1, 1010)], CUTOFF)
    assert screened.kept == [at(3, 1000), at(1, 1010)]
    [exclusion] = screened.excluded
    assert exclusion.reason is ExclusionReason.JUMP
    assert "rose 4000000" in exclusion.detail


def test_a_big_rise_over_a_long_silence_is_not_a_jump() -> None:
    readings = [Reading(CUTOFF - 30 * DAY, 0), Reading(CUTOFF, 2_000_000)]  # 46 pages/min
    assert screen(readings, CUTOFF).kept == readings


def test_a_dip_by_one_and_back_is_excluded() -> None:
    screened = screen([at(3, 1000), at(2, 999), at(1, 1000), at(0.5, 1004)], CUTOFF)
    assert [r.value for r in screened.kept] == [1000, 1000, 1004]
    assert [e.reason for e in screened.excluded] == [ExclusionReason.DIP]


def test_a_fall_that_stays_is_kept_as_a_reset() -> None:
    screened = screen([at(3, 90_000), at(2, 12), at(1, 40)], CUTOFF)
    assert screened.excluded == []
    assert len(screened.kept) == 3


def test_readings_dated_in_the_future_are_excluded() -> None:
    screened = screen([at(3, 10), Reading(CUTOFF + 400 * DAY, 11)], CUTOFF)
    assert screened.kept == [at(3, 10)]
    assert screened.excluded[0].reason is ExclusionReason.CLOCK_AHEAD


def test_an_agent_clock_far_from_the_time_received_is_refused() -> None:
    received = CUTOFF
    assert clock_refusal(received + 2 * HOUR, received) is ExclusionReason.CLOCK_AHEAD
    assert clock_refusal(datetime(2001, 1, 1, tzinfo=UTC), received) is (
        ExclusionReason.CLOCK_BEHIND
    )
    assert clock_refusal(received - 10 * DAY, received) is None  # a backfill


# --- usage -------------------------------------------------------------------------------


def test_usage_is_the_difference_from_the_previous_read() -> None:
    usage = usage_between(at(700, 1000), [], at(1, 1800))
    assert (usage.pages, usage.flags) == (800, ())


def test_a_counter_reset_never_gives_negative_usage_nor_counts_twice() -> None:
    path = [at(300, 5000), at(299, 3), at(100, 503)]  # the board was replaced
    usage = usage_between(at(700, 4000), path, at(1, 703))
    assert usage.pages == (5000 - 4000) + (703 - 3)
    assert usage.evidence == (at(300, 5000), at(299, 3))
    assert usage.flags[0].startswith("counter reset: 5000 at")


def test_a_reset_without_readings_between_bills_nothing_negative() -> None:
    usage = usage_between(at(700, 4000), [], at(1, 20))
    assert usage.pages == 0
    assert "counter reset" in usage.flags[0]


def test_a_first_read_counts_from_the_first_reading_not_the_lifetime() -> None:
    usage = usage_between(None, [at(300, 120_000)], at(1, 121_500))
    assert (usage.pages, usage.flags) == (1500, ("first read",))


def test_a_device_swap_is_found_at_the_same_site() -> None:
    old = SiteDevice(1, "OLD1", "floor 3", CUTOFF - 400 * DAY, CUTOFF - 10 * DAY)
    new = SiteDevice(2, "NEW2", "floor 3", CUTOFF - 9 * DAY, CUTOFF)
    elsewhere = SiteDevice(3, "OTHER", "floor 4", CUTOFF - 9 * DAY, CUTOFF)
    [swap] = detect_swaps([new, old, elsewhere], CUTOFF)
    assert (swap.old, swap.new) == (old, new)
    assert detect_swaps([old, elsewhere], CUTOFF) == []


def test_a_device_still_reporting_is_not_swapped_out() -> None:
    one = SiteDevice(1, "A", "floor 3", CUTOFF - 400 * DAY, CUTOFF)
    two = SiteDevice(2, "B", "floor 3", CUTOFF - 9 * DAY, CUTOFF)
    assert detect_swaps([one, two], CUTOFF) == []


# --- validation ---------------------------------------------------------------------


def test_usage_above_the_devices_99th_percentile_is_flagged() -> None:
    past = [1000, 1100, 950, 1200, 1050, 990]
    assert percentile(past, 0.99) < 1200
    assert validate_usage(5000, past)[0].startswith("usage high")
    assert validate_usage(1000, past) == ()


def test_zero_usage_on_a_device_that_always_printed_is_flagged() -> None:
    assert validate_usage(0, [10, 20, 30]) == ("usage zero: printed in every past period",)
    assert validate_usage(0, [10, 0, 30]) == ()


def test_validation_needs_a_few_past_periods() -> None:
    assert validate_usage(10**6, [10, 20]) == ()
