"""Days to empty for the current cartridge (for a receptacle: days to full), with an
interval and a confidence that grows with its history.

Methods, best first:

- ``trend``: a Theil-Sen slope (``scipy.stats.theilslopes``'s fit, ``theil_sen.py``; robust
  to a shaken-toner rebound or a stray reading) of the cartridge's percent left against the
  *usage clock* (``usage.UsageClock``: weekends and holidays count what the printer prints
  on them), so a weekday-only printer is not forecast as if it printed every day;
- ``page_rate``, while the cartridge's history is short: pages per working day times the
  percent a page takes, learned from this model's finished cartridges;
- ``rated_yield``, with nothing learned yet: the model's rated yield (at 5 % coverage);
- ``state_only``: the printer reports states, no numbers; nothing is invented, the order
  follows its transition to low;
- ``none``: nothing to go on, or numbers that cannot be trusted.

The interval (80 % unless told) widens the slope's own interval by how far the levels
scatter around the line, the reporting step, and a floor for a rate that changes ahead
(coverage, a busy month): measured against the truth in ``bench/supplies.py``.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Literal

from remotecare.center.care.supplies.rules.calendar import WorkCalendar
from remotecare.center.care.supplies.rules.cartridges import (
    Cartridge,
    LevelFault,
    LevelPoint,
    level_step_percent,
)
from remotecare.center.care.supplies.rules.theil_sen import median, theil_sen
from remotecare.center.care.supplies.rules.usage import UsageClock, UsageProfile
from remotecare.protocol.messages import SupplyState

__all__ = ["Forecast", "ForecastMethod", "ForecastSettings", "forecast_cartridge"]

_DAY = timedelta(days=1)


class ForecastMethod(enum.StrEnum):
    """How the days to empty were reached (see the module's docstring)."""

    TREND = "trend"
    PAGE_RATE = "page_rate"
    RATED_YIELD = "rated_yield"
    STATE_ONLY = "state_only"
    PAGES_LEFT = "pages_left"  # states only, opted in: pages a cartridge gave, less pages used
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    """How sure a forecast must be, and how much history makes it sure."""

    interval: float = 0.80
    min_trend_points: int = 3  # distinct levels on the current cartridge
    min_trend_usage_days: float = 5.0
    full_confidence_points: int = 12
    full_confidence_usage_days: float = 30.0
    trend_points: int = 40  # the newest samples a slope is fitted on
    rate_change_floor: float = 0.22  # relative change of the rate ahead (see docstring)
    page_rate_spread: float = 0.35  # relative, with a learned yield
    rated_yield_spread: float = 0.6  # relative, with only the rated yield
    low_confidence_below: float = 0.3
    # Off by default (issue 12 asks for no number on a state-only supply): when on, such a
    # supply's days to empty come from the pages its finished cartridges gave, less the
    # pages printed since this one went in; its level stays unknown.
    state_only_by_pages: bool = False
    pages_left_spread: float = 0.45


@dataclass(frozen=True, slots=True)
class Forecast:
    """What the current cartridge will do. ``days_to_empty`` is days until it is empty
    (a receptacle: full); ``None`` when no honest number can be given."""

    as_of: datetime
    method: ForecastMethod
    state: SupplyState
    percent_left: float | None = None
    percent_per_usage_day: float | None = None  # per working day (a day off counts less)
    percent_per_page: float | None = None
    days_to_empty: float | None = None
    days_to_empty_low: float | None = None
    days_to_empty_high: float | None = None
    interval: float = 0.80
    confidence: float = 0.0
    receptacle: bool = False
    faults: frozenset[LevelFault] = field(default_factory=frozenset)
    low_confidence_below: float = 0.3

    @property
    def low_confidence(self) -> bool:
        """Whether a person should not rely on the number."""
        return self.confidence < self.low_confidence_below or bool(self.faults)

    def empty_at(self, which: Literal["point", "low", "high"] = "point") -> datetime | None:
        """When the cartridge will be empty: ``point``, ``low`` or ``high`` end."""
        days = {
            "point": self.days_to_empty,
            "low": self.days_to_empty_low,
            "high": self.days_to_empty_high,
        }[which]
        return None if days is None else self.as_of + days * _DAY


def forecast_cartridge(
    cartridge: Cartridge | None,
    *,
    now: datetime,
    calendar: WorkCalendar,
    usage: UsageProfile,
    pages_per_percent: float | None = None,
    rated_yield_pages: int | None = None,
    receptacle: bool = False,
    pages_per_cartridge: float | None = None,
    pages_since_install: int | None = None,
    settings: ForecastSettings = ForecastSettings(),
) -> Forecast:
    """The forecast for the current cartridge of one supply at ``now``."""
    base = Forecast(
        as_of=now,
        method=ForecastMethod.NONE,
        state=SupplyState.UNKNOWN,
        interval=settings.interval,
        receptacle=receptacle,
        low_confidence_below=settings.low_confidence_below,
    )
    if cartridge is None or not cartridge.points:
        return base
    last = cartridge.points[-1]
    base = replace(base, state=last.state, faults=cartridge.faults)
    if LevelFault.ERRATIC in cartridge.faults:
        return base
    numbers = [p for p in cartridge.points if p.percent is not None]
    clock = UsageClock(calendar, usage.off_day_ratio)
    if last.percent is None:
        state_only = replace(base, method=ForecastMethod.STATE_ONLY)
        working = usage.pages_per_working_day
        if (
            not settings.state_only_by_pages
            or not pages_per_cartridge
            or pages_since_install is None
            or not working
        ):
            return state_only
        pages_left = max(pages_per_cartridge - pages_since_install, 0.0)
        spread = settings.pages_left_spread
        return replace(
            state_only,
            method=ForecastMethod.PAGES_LEFT,
            days_to_empty=_days(clock, now, pages_left, working),
            days_to_empty_low=_days(clock, now, pages_left * (1 - spread), working),
            days_to_empty_high=_days(clock, now, pages_left * (1 + spread), working),
            confidence=0.2,
        )
    step = max(
        cartridge.step_percent,
        level_step_percent(p.percent for p in numbers if p.percent is not None),
    )
    z = NormalDist().inv_cdf(0.5 + settings.interval / 2)
    trend = _trend(numbers[-settings.trend_points :], now, clock, step, z, settings)
    if trend is not None:
        percent_left, rate, rate_low, rate_high, margin, confidence = trend
        method = ForecastMethod.TREND
    else:
        # The printer rounds up to its step: the truth lies up to one step below.
        percent_left = max(last.percent - step / 2, 0.0) if last.percent > 0 else 0.0
        margin = step / 2
        per_page, spread, confidence = _page_rate_basis(
            pages_per_percent, rated_yield_pages, settings
        )
        working = usage.pages_per_working_day
        if per_page is None or working is None or working <= 0:
            return replace(base, percent_left=percent_left)
        rate = working * per_page
        rate_low, rate_high = rate * (1 - spread), rate * (1 + spread)
        method = ForecastMethod.PAGE_RATE if pages_per_percent else ForecastMethod.RATED_YIELD
    if cartridge.faults:
        confidence *= 0.5
    per_page_now = rate / usage.pages_per_working_day if usage.pages_per_working_day else None
    return replace(
        base,
        method=method,
        percent_left=percent_left,
        percent_per_usage_day=rate,
        percent_per_page=per_page_now,
        days_to_empty=_days(clock, now, percent_left, rate),
        days_to_empty_low=_days(clock, now, max(percent_left - margin, 0.0), rate_high),
        days_to_empty_high=_days(clock, now, percent_left + margin, rate_low),
        confidence=round(confidence, 3),
    )


def _days(clock: UsageClock, now: datetime, percent: float, rate: float) -> float | None:
    """Days until ``percent`` is used at ``rate``; ``None`` beyond the usage horizon."""
    if percent <= 0:
        return 0.0
    empty_at = clock.after(now, percent / rate) if rate > 0 else None
    return None if empty_at is None else (empty_at - now) / _DAY


def _page_rate_basis(
    pages_per_percent: float | None, rated_yield_pages: int | None, settings: ForecastSettings
) -> tuple[float | None, float, float]:
    """Percent a page takes, the rate's relative spread and the confidence it gives."""
    if pages_per_percent:
        return 1.0 / pages_per_percent, settings.page_rate_spread, 0.25
    if rated_yield_pages:
        return 100.0 / rated_yield_pages, settings.rated_yield_spread, 0.15
    return None, 1.0, 0.0


def _trend(
    points: list[LevelPoint],
    now: datetime,
    clock: UsageClock,
    step: float,
    z: float,
    settings: ForecastSettings,
) -> tuple[float, float, float, float, float, float] | None:
    """Percent left now, rate (percent per usage day) with its interval's ends, the level
    margin, and the confidence; ``None`` when the history is too short for a slope."""
    levels = [p.percent for p in points if p.percent is not None]
    if len(set(levels)) < settings.min_trend_points:
        return None
    usage = clock.elapsed_since(points[0].at, [p.at for p in points])
    usage_now = usage[-1] + clock.elapsed(points[-1].at, now)
    span = usage[-1] - usage[0]
    if span < settings.min_trend_usage_days:
        return None
    # Imported here: numpy and scipy.stats cost about 1 s of CPU, which every command of
    # the center paid at start (bootstrap imports the rules) though only the feed fits.
    import numpy as np

    x, y = np.array(usage), np.array(levels)
    fit = theil_sen(y, x, alpha=settings.interval)  # scipy's theilslopes, without its wrapper
    slope = -float(fit.slope)
    if slope <= 0:
        return None
    fitted_now = float(fit.intercept) + float(fit.slope) * usage_now
    reported = levels[-1]
    # The printer's number is the truth rounded to its step; the line says where within it.
    percent_left = min(max(fitted_now, reported - step, 0.0), reported)
    residuals = y - (float(fit.intercept) + float(fit.slope) * x)
    scatter = 1.4826 * median(np.abs(residuals - median(residuals)))
    margin = max(step / 2, z * scatter)
    ci = max(
        abs(float(fit.high_slope) - float(fit.slope)), abs(float(fit.low_slope) - float(fit.slope))
    )
    relative = math.hypot(ci / slope, settings.rate_change_floor)
    rate_low, rate_high = slope / (1 + relative), slope * (1 + relative)
    confidence = min(1.0, len(set(levels)) / settings.full_confidence_points) * min(
        1.0, span / settings.full_confidence_usage_days
    )
    confidence *= 1 / (1 + relative)
    return percent_left, slope, rate_low, rate_high, margin, confidence
