"""When a printer that asks for service gets an automatic diagnostic bundle: one a day at
most, counted from the last bundle actually written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from remotecare.agent.runner import AUTO_BUNDLE_EVERY, auto_bundle_due

NOW = datetime(2025, 5, 20, 12, 0, tzinfo=UTC)


def test_a_printer_never_given_a_bundle_gets_one() -> None:
    assert auto_bundle_due(None, NOW)


def test_a_printer_given_one_today_waits_for_the_day_to_pass() -> None:
    assert not auto_bundle_due(NOW - timedelta(hours=23, minutes=59), NOW)
    assert auto_bundle_due(NOW - AUTO_BUNDLE_EVERY, NOW)
