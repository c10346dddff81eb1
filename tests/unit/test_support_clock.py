"""The tests' one fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_a_fake_clock_stands_still_until_moved() -> None:
    clock = FakeClock(T0)
    assert clock.now() == clock.now() == T0
    clock.advance(seconds=30)
    assert clock.now() == T0 + timedelta(seconds=30)
    assert clock() == (T0 + timedelta(seconds=30)).timestamp()
    clock.set(T0 - timedelta(days=1))
    assert clock.now() == T0 - timedelta(days=1)


def test_a_running_fake_clock_keeps_its_offset_from_the_real_time() -> None:
    clock = FakeClock(offset=timedelta(days=-1))
    before = datetime.now(UTC)
    moment = clock.now()
    assert moment.utcoffset() == timedelta(0)
    assert before - timedelta(days=1) <= moment <= datetime.now(UTC) - timedelta(days=1)


def test_a_fake_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="UTC-aware"):
        FakeClock(datetime(2025, 3, 1, 12, 0))
