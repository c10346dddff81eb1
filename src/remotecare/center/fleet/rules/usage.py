"""A device's history as its page shows it: supply levels in percent over time, and the
pages printed per calendar month. Pure: the series in, the numbers out.

The history keeps changes only (a sample holds from its time until the next one), so a
counter's value at any moment is the last sample at or before it, and a month's pages are
the difference between its value at the month's end and at its start. A counter that went
down in a month (reset, board swapped) gives no number for that month rather than a
wrong one.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

__all__ = [
    "CounterLine",
    "DeviceHistory",
    "MonthlyUsage",
    "SupplyLine",
    "level_percent",
    "month_starts",
    "monthly_usage",
    "value_at",
]


@dataclass(frozen=True, slots=True)
class SupplyLine:
    """One supply's level over time; a point's percent is None while it is not known."""

    index: int
    description: str
    colour: str | None
    points: list[tuple[datetime, float | None]]


@dataclass(frozen=True, slots=True)
class CounterLine:
    name: str
    unit: str
    points: list[tuple[datetime, int]]


@dataclass(frozen=True, slots=True)
class DeviceHistory:
    supplies: list[SupplyLine]
    counters: list[CounterLine]


@dataclass(frozen=True, slots=True)
class MonthlyUsage:
    """Pages per month, for each counter shown (``counts[name][i]`` is month ``i``)."""

    months: list[datetime]
    counts: dict[str, list[int | None]]
    unit: str | None


def level_percent(level: int | None, max_capacity: int | None) -> float | None:
    """A level as a percentage of the capacity, when both are real numbers (RFC 3805's
    negative levels and capacities mean "unknown", "unlimited", "some remaining")."""
    if level is None or max_capacity is None or level < 0 or max_capacity <= 0:
        return None
    return min(100.0, 100.0 * level / max_capacity)


def month_starts(now: datetime, count: int, zone: tzinfo) -> list[datetime]:
    """The first instants of the last ``count`` calendar months in ``zone``, ending with
    the current one, oldest first."""
    local = now.astimezone(zone)
    year, month = local.year, local.month
    starts = []
    for _ in range(count):
        starts.append(datetime(year, month, 1, tzinfo=zone))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(starts))


def value_at(points: Sequence[tuple[datetime, int]], moment: datetime) -> int | None:
    """The counter's value at ``moment``: the last sample at or before it."""
    position = bisect.bisect_right([at for at, _ in points], moment)
    return points[position - 1][1] if position else None


def _increase(points: Sequence[tuple[datetime, int]], start: datetime, end: datetime) -> int | None:
    before = value_at(points, start)
    if before is None:  # the counter was first seen during the month: count from there
        inside = [value for at, value in points if start <= at <= end]
        if not inside:
            return None
        before = inside[0]
    after = value_at(points, end)
    if after is None or after < before:
        return None
    return after - before


_SHOWN = (("mono", "colour"), ("total",))  # mono/colour side by side, else the total


def monthly_usage(
    counters: Sequence[CounterLine], now: datetime, zone: tzinfo, months: int = 12
) -> MonthlyUsage:
    """Pages per calendar month for the last ``months`` months: black-and-white and colour
    when the device counts them, else its total."""
    starts = month_starts(now, months, zone)
    ends = [*starts[1:], now]
    by_name = {counter.name: counter for counter in counters}
    for names in _SHOWN:
        shown = [by_name[name] for name in names if name in by_name]
        if shown:
            return MonthlyUsage(
                starts,
                {
                    counter.name: [
                        _increase(counter.points, start, end)
                        for start, end in zip(starts, ends, strict=True)
                    ]
                    for counter in shown
                },
                shown[0].unit,
            )
    return MonthlyUsage(starts, {}, None)
