"""The doctor's clock step: this machine's time against the center's Date header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from remotecare.agent.doctor import Outcome, assess_clock

CENTER = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
DATE = "Sun, 01 Jun 2025 12:00:00 GMT"


def test_a_clock_within_five_minutes_passes() -> None:
    check = assess_clock(DATE, CENTER + timedelta(seconds=42))
    assert check.outcome is Outcome.OK
    assert "42 s ahead of" in check.detail


def test_a_clock_far_behind_fails_with_advice() -> None:
    check = assess_clock(DATE, CENTER - timedelta(hours=2))
    assert check.outcome is Outcome.FAIL
    assert "7200 s behind" in check.detail
    assert "NTP" in check.advice


def test_a_missing_or_garbled_date_is_a_warning_not_a_failure() -> None:
    assert assess_clock(None, CENTER).outcome is Outcome.WARN
    assert assess_clock("yesterday-ish", CENTER).outcome is Outcome.WARN
