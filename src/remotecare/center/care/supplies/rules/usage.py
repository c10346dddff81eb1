"""How much a printer prints, and on which days: pages from its counter samples (across a
counter reset after a board replacement) and its rate on working and on other days.

A rate of use is measured on a *usage clock*: a working day counts one, a weekend day or
holiday counts what the printer prints on such days relative to a working day. A printer
that prints on weekdays only then uses nothing over Golden Week, and its cartridge's
days to empty stretch across it instead of running out on paper.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from remotecare.center.care.history.rules import Sample
from remotecare.center.care.supplies.rules.calendar import WorkCalendar

__all__ = [
    "HORIZON_DAYS",
    "UNKNOWN_USAGE",
    "PageClock",
    "UsageClock",
    "UsageProfile",
    "page_clock",
    "usage_profile",
]

_DAY = timedelta(days=1)
_DAY_MICROSECONDS = 86_400_000_000
# What an office printer with no counters is assumed to print on a day off, relative to a
# working day: between "never" and "as much", so neither guess is far off.
_UNKNOWN_OFF_DAY_RATIO = 0.3
_PROFILE_DAYS = 56  # eight weeks: enough weekends, recent enough to follow a change
HORIZON_DAYS = 730  # a cartridge that lasts longer than this has no date to empty


@dataclass(frozen=True, slots=True)
class PageClock:
    """Pages printed since the first counter sample, rising only: a counter that drops
    (a board replaced, the counter reset) continues from where it was."""

    times: tuple[datetime, ...]
    pages: tuple[int, ...]

    def pages_at(self, at: datetime) -> int | None:
        """Pages printed up to ``at`` (the last sample at or before it), if sampled by then."""
        position = bisect.bisect_right(self.times, at)
        return self.pages[position - 1] if position else None

    def pages_between(self, start: datetime, end: datetime) -> int | None:
        """Pages printed from ``start`` to ``end`` as far as the samples tell."""
        first, last = self.pages_at(start), self.pages_at(end)
        if last is None:
            return None
        return last - (first if first is not None else 0)


def page_clock(samples: Sequence[Sample[int]]) -> PageClock:
    """The page clock of one counter's samples (in time order)."""
    times: list[datetime] = []
    pages: list[int] = []
    total = 0
    previous: int | None = None
    for sample in samples:
        if previous is not None:
            step = sample.value - previous
            total += step if step >= 0 else sample.value  # a reset restarts near zero
        previous = sample.value
        times.append(sample.at)
        pages.append(total)
    return PageClock(tuple(times), tuple(pages))


@dataclass(frozen=True, slots=True)
class UsageProfile:
    """A printer's pages per working day and per day off (weekend, holiday, closure)."""

    pages_per_working_day: float | None
    pages_per_off_day: float | None

    @property
    def off_day_ratio(self) -> float:
        """What a day off counts on the usage clock (a working day counts one)."""
        working, off = self.pages_per_working_day, self.pages_per_off_day
        if working is None or off is None or working <= 0:
            return _UNKNOWN_OFF_DAY_RATIO if working is None else 1.0
        return min(off / working, 2.0)

    @property
    def known(self) -> bool:
        return self.pages_per_working_day is not None


UNKNOWN_USAGE = UsageProfile(None, None)


def usage_profile(clock: PageClock, calendar: WorkCalendar, *, until: datetime) -> UsageProfile:
    """Pages per working day and per day off over the weeks before ``until``.

    Each interval between counter samples printed its pages over some working time and some
    time off; non-negative least squares splits the two rates, whatever the sampling (daily,
    several a day, days missing).
    """
    since = until - _PROFILE_DAYS * _DAY
    start = bisect.bisect_left(clock.times, since)
    end = bisect.bisect_right(clock.times, until)
    times, pages = clock.times[start:end], clock.pages[start:end]
    if len(times) < 3 or (times[-1] - times[0]) < 7 * _DAY:
        return UNKNOWN_USAGE
    rows: list[tuple[float, float]] = []
    printed: list[float] = []
    for (t0, p0), (t1, p1) in itertools.pairwise(zip(times, pages, strict=True)):
        rows.append(calendar.working_and_off(t0, t1))
        printed.append(float(p1 - p0))
    import numpy as np  # here, not at start: see forecast.py's fit
    from scipy.optimize import nnls

    matrix = np.array(rows)
    if matrix[:, 0].sum() < 3:
        return UNKNOWN_USAGE
    rates, _ = nnls(matrix, np.array(printed))
    off_rate = float(rates[1]) if matrix[:, 1].sum() >= 1 else None
    return UsageProfile(float(rates[0]), off_rate)


@functools.lru_cache(maxsize=1_024)
def _year_usage(calendar: WorkCalendar, off_day_ratio: float, year: int) -> tuple[float, ...]:
    """Usage days before each day of ``year`` (day of the year from 0), and the year's total
    last: a day's use is a difference, and the day some use is reached is a bisection."""
    weights = (1.0 if working else off_day_ratio for working in calendar.working_days_of(year))
    return (0.0, *itertools.accumulate(weights))


@functools.cache
def _new_year_ordinal(year: int) -> int:
    return date(year, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class UsageClock:
    """Time counted in working-day equivalents of use (see the module's docstring)."""

    calendar: WorkCalendar
    off_day_ratio: float
    # The years' prefixes this clock looked up (hashing the calendar for the shared cache
    # on every moment cost more than the arithmetic).
    _years: dict[int, tuple[float, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def _year(self, year: int) -> tuple[float, ...]:
        prefix = self._years.get(year)
        if prefix is None:
            prefix = self._years[year] = _year_usage(self.calendar, self.off_day_ratio, year)
        return prefix

    def _since_new_year(self, at: datetime) -> tuple[int, float]:
        """The office's year at ``at`` and the usage days from its start to ``at``."""
        local = at + self.calendar.utc_offset
        year = local.year
        prefix = self._year(year)
        index = local.toordinal() - _new_year_ordinal(year)
        # The time of day in microseconds over a day's: what (local - midnight) / _DAY gives.
        micro = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000
        part = (micro + local.microsecond) / _DAY_MICROSECONDS
        return year, prefix[index] + (prefix[index + 1] - prefix[index]) * part

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Usage days from ``start`` to ``end`` (negative when ``end`` comes first)."""
        if end < start:
            return -self.elapsed(end, start)
        start_year, before = self._since_new_year(start)
        end_year, after = self._since_new_year(end)
        whole_years = sum(self._year(year)[-1] for year in range(start_year, end_year))
        return whole_years + after - before

    def elapsed_since(self, origin: datetime, times: Sequence[datetime]) -> list[float]:
        """Usage days from ``origin`` to each of ``times`` (in time order, none before it):
        ``elapsed`` of each, with the origin's place in its year found once."""
        start_year, before = self._since_new_year(origin)
        found = []
        for at in times:
            if at < origin:
                found.append(self.elapsed(origin, at))
                continue
            end_year, after = self._since_new_year(at)
            whole_years = sum(self._year(year)[-1] for year in range(start_year, end_year))
            found.append(whole_years + after - before)
        return found

    def after(self, start: datetime, usage_days: float) -> datetime | None:
        """When ``usage_days`` of use will have passed after ``start``; ``None`` if not
        within ``HORIZON_DAYS`` (a rate near zero)."""
        year, used = self._since_new_year(start)
        target = used + usage_days
        limit = start + HORIZON_DAYS * _DAY
        while year <= limit.year + 1:
            prefix = self._year(year)
            if target <= prefix[-1]:
                index = max(bisect.bisect_left(prefix, target) - 1, 0)
                within = prefix[index + 1] - prefix[index]
                part = (target - prefix[index]) / within if within > 0 else 0.0
                day_begins = datetime.combine(
                    date(year, 1, 1) + index * _DAY, datetime.min.time(), start.tzinfo
                )
                moment = day_begins + part * _DAY - self.calendar.utc_offset
                return max(moment, start) if moment <= limit else None
            target -= prefix[-1]
            year += 1
        return None
