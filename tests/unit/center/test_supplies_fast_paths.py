"""The forecast's fast paths give what the slow ones give: its own Theil-Sen fit what
``scipy.stats.theilslopes`` gives, the calendar's day split what ``days`` gives."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy.stats import theilslopes

from remotecare.center.care.supplies.rules.calendar import WorkCalendar
from remotecare.center.care.supplies.rules.theil_sen import median, theil_sen
from remotecare.center.care.supplies.rules.usage import UsageClock


def _same(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or ours == theirs


def _series(rng: random.Random) -> tuple[list[float], list[float]]:
    """A random series: levels in coarse steps (many ties in y), times that sometimes
    repeat (ties in x), now and then a rebound or a stray value."""
    n = rng.randint(2, 45)
    step = rng.choice([1, 1, 5, 10, 25])
    x: list[float] = []
    at = rng.uniform(0, 5)
    for _ in range(n):
        x.append(round(at, rng.choice([0, 1, 6])))
        at += rng.choice([0.0, rng.uniform(0.0, 3.0), rng.expovariate(1.0)])
    level = rng.uniform(20, 100)
    rate = rng.uniform(-0.5, 4.0)
    y: list[float] = []
    for t in x:
        value = level - rate * t + rng.gauss(0, rng.choice([0.0, 0.5, 3.0]))
        if rng.random() < 0.05:
            value += rng.uniform(-20, 20)
        y.append(float(step * math.ceil(value / step)))
    return y, x


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
@pytest.mark.parametrize("alpha", [0.8, 0.95, 0.5, 0.2])
def test_equal_to_scipy_on_random_series_with_ties(alpha: float) -> None:
    rng = random.Random(12)
    checked = 0
    for _ in range(600):
        y, x = _series(rng)
        if len(set(x)) < 2:
            continue  # scipy warns and returns nan for all-equal x; covered below
        theirs = theilslopes(y, x, alpha=alpha)
        ours = theil_sen(np.array(y), np.array(x), alpha=alpha)
        assert _same(ours.slope, float(theirs.slope)), (y, x)
        assert _same(ours.intercept, float(theirs.intercept)), (y, x)
        assert _same(ours.low_slope, float(theirs.low_slope)), (y, x)
        assert _same(ours.high_slope, float(theirs.high_slope)), (y, x)
        checked += 1
    assert checked > 500


def test_equal_to_scipy_on_the_forecasts_shape() -> None:
    """Integer levels falling in steps against increasing usage days, 3 to 40 points."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(3, 41))
        x = np.cumsum(rng.choice([0.3, 0.5, 1.0, 1.0, 2.0], size=n))
        y = np.maximum(np.ceil(100 - rng.uniform(0.2, 5.0) * x + rng.normal(0, 1, n)), 0)
        theirs = theilslopes(y, x, alpha=0.8)
        ours = theil_sen(y, x, alpha=0.8)
        assert (ours.slope, ours.intercept, ours.low_slope, ours.high_slope) == (
            float(theirs.slope),
            float(theirs.intercept),
            float(theirs.low_slope),
            float(theirs.high_slope),
        )


def test_all_equal_x_gives_no_slope() -> None:
    fit = theil_sen(np.array([50.0, 40.0, 30.0]), np.array([1.0, 1.0, 1.0]))
    assert math.isnan(fit.slope)
    assert math.isnan(fit.low_slope)


def test_unequal_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        theil_sen(np.array([1.0, 2.0]), np.array([1.0]))


def test_median_is_numpys() -> None:
    rng = np.random.default_rng(3)
    for n in range(1, 60):
        values = np.round(rng.normal(0, 5, n), int(rng.integers(0, 3)))
        assert median(values) == float(np.median(values))


def test_working_and_off_is_days_summed() -> None:
    """Across weekends, Golden Week, New Year and closures, at odd times of day."""
    rng = random.Random(4)
    calendar = WorkCalendar(closed_dates=frozenset({datetime(2026, 8, 14).date()}))
    for _ in range(2_000):
        start = datetime(2025, 12, 20, tzinfo=UTC) + timedelta(
            seconds=rng.uniform(0, 300 * 86_400), microseconds=rng.randrange(1_000_000)
        )
        end = start + timedelta(seconds=rng.choice([0, 1, 3_600, 86_400, rng.uniform(0, 9e5)]))
        working = off = 0.0
        for day, fraction in calendar.days(start, end):
            if calendar.is_working_day(day):
                working += fraction
            else:
                off += fraction
        assert calendar.working_and_off(start, end) == (working, off)


def test_elapsed_since_is_elapsed_of_each() -> None:
    rng = random.Random(5)
    clock = UsageClock(WorkCalendar(), 0.37)
    origin = datetime(2025, 11, 3, 2, 17, tzinfo=UTC)
    times = sorted(origin + timedelta(seconds=rng.uniform(0, 500 * 86_400)) for _ in range(300))
    assert clock.elapsed_since(origin, times) == [clock.elapsed(origin, at) for at in times]
