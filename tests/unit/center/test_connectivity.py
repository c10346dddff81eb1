"""Online, late, silent: derived only from the last contact and the poll interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from remotecare.center.fleet.rules.connectivity import (
    DEFAULT_POLL_INTERVAL_SECONDS,
    LATE_AFTER_INTERVALS,
    SILENT_AFTER_INTERVALS,
    Connectivity,
    assess,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _state(quiet_seconds: float, interval: int | None = None) -> Connectivity:
    return assess(NOW - timedelta(seconds=quiet_seconds), NOW, interval).state


def test_the_thresholds_are_two_and_six_intervals_of_five_minutes_by_default() -> None:
    assert (DEFAULT_POLL_INTERVAL_SECONDS, LATE_AFTER_INTERVALS, SILENT_AFTER_INTERVALS) == (
        300,
        2,
        6,
    )


@pytest.mark.parametrize(
    ("quiet_seconds", "expected"),
    [
        (0, Connectivity.ONLINE),
        (300, Connectivity.ONLINE),
        (600, Connectivity.ONLINE),  # exactly two intervals: still on time
        (601, Connectivity.LATE),
        (1800, Connectivity.LATE),  # exactly six intervals: late, not yet silent
        (1801, Connectivity.SILENT),
        (86_400 * 30, Connectivity.SILENT),
    ],
)
def test_an_agent_on_the_default_interval(quiet_seconds: int, expected: Connectivity) -> None:
    assert _state(quiet_seconds) == expected


def test_the_endpoints_own_poll_interval_moves_the_thresholds() -> None:
    assert _state(601, interval=60) == Connectivity.SILENT  # six minutes of one-minute polls
    assert _state(121, interval=60) == Connectivity.LATE
    assert _state(1801, interval=3600) == Connectivity.ONLINE


def test_the_presence_says_how_long_it_has_been_quiet() -> None:
    presence = assess(NOW - timedelta(hours=3), NOW)
    assert presence.state == Connectivity.SILENT
    assert presence.quiet_for == timedelta(hours=3)


def test_a_contact_stamped_after_now_counts_as_just_now() -> None:
    presence = assess(NOW + timedelta(seconds=5), NOW)
    assert (presence.state, presence.quiet_for) == (Connectivity.ONLINE, timedelta(0))
