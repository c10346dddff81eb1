"""Charts drawn on the server as SVG: no script, nothing from another site, so they work
under the console's Content-Security-Policy (``default-src 'self'``) and without
JavaScript. Pure geometry: numbers in, coordinates out; the templates draw them, with
presentation attributes (never inline styles, which that policy blocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["BarChart", "LineChart", "bar_chart", "line_chart", "nice_maximum"]

WIDTH = 640
HEIGHT = 180
LEFT = 48  # room for the value axis' labels
RIGHT = 8
TOP = 10
BOTTOM = 24  # room for the time axis' labels
_LAST_LABEL = WIDTH - 40  # a time label further right would be cut off


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    value: float


@dataclass(frozen=True, slots=True)
class LineChart:
    """A step line (a level holds until it changes) over a time span, 0-100 %."""

    width: int
    height: int
    paths: list[str]  # one per stretch of known values
    y_ticks: list[Tick]
    x_ticks: list[tuple[float, datetime]]
    last_percent: float | None


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    value: int | None


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    y_ticks: list[Tick]
    x_labels: list[tuple[float, datetime]]
    maximum: int


def _x(moment: datetime, since: datetime, until: datetime) -> float:
    span = (until - since).total_seconds() or 1.0
    share = min(max((moment - since).total_seconds() / span, 0.0), 1.0)
    return round(LEFT + share * (WIDTH - LEFT - RIGHT), 1)


def _y(value: float, maximum: float) -> float:
    share = min(max(value / maximum, 0.0), 1.0) if maximum else 0.0
    return round(HEIGHT - BOTTOM - share * (HEIGHT - TOP - BOTTOM), 1)


def line_chart(
    points: Sequence[tuple[datetime, float | None]],
    since: datetime,
    until: datetime,
    x_ticks: Sequence[datetime],
) -> LineChart:
    """A percent level's step line between ``since`` and ``until``."""
    paths: list[str] = []
    current: list[str] = []
    visible = [(at, value) for at, value in points if at <= until]
    for i, (at, value) in enumerate(visible):
        end = visible[i + 1][0] if i + 1 < len(visible) else until
        x0, x1 = _x(max(at, since), since, until), _x(end, since, until)
        if value is None:
            if current:
                paths.append(" ".join(current))
                current = []
            continue
        y = _y(value, 100)
        # the previous step ended where this one starts: go up or down, then along
        current.append(f"M{x0} {y}" if not current else f"V{y}")
        current.append(f"H{x1}")
    if current:
        paths.append(" ".join(current))
    last = visible[-1][1] if visible else None
    return LineChart(
        WIDTH,
        HEIGHT,
        paths,
        [Tick(_y(v, 100), v) for v in (0, 25, 50, 75, 100)],
        [
            (x, at)
            for at in x_ticks
            if since <= at <= until and (x := _x(at, since, until)) < _LAST_LABEL
        ],
        last,
    )


def nice_maximum(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 10)."""
    step = 10
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(months: Sequence[datetime], series: Sequence[Sequence[int | None]]) -> BarChart:
    """Bars per month, the series of a month side by side."""
    known = [v for values in series for v in values if v is not None]
    maximum = nice_maximum(max(known, default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    width = slot * 0.8 / max(len(series), 1)
    bars = []
    for s, values in enumerate(series):
        for m, value in enumerate(values):
            top = _y(value or 0, maximum)
            bars.append(
                Bar(
                    round(LEFT + m * slot + slot * 0.1 + s * width, 1),
                    top,
                    round(width, 1),
                    round(HEIGHT - BOTTOM - top, 1),
                    s,
                    value,
                )
            )
    ticks = [Tick(_y(maximum * share, maximum), maximum * share) for share in (0, 0.5, 1)]
    labels = [(round(LEFT + m * slot + slot / 2, 1), month) for m, month in enumerate(months)]
    return BarChart(WIDTH, HEIGHT, bars, ticks, labels, maximum)
