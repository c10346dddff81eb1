"""The read at cut-off of one counter, and how it was made.

- **actual**: the trusted reading nearest before the cut-off (at or before it), if it is
  at most the window old;
- **interpolated**: otherwise, between the readings just before and just after the
  cut-off, in proportion to the business time (working days of the customer's calendar)
  on either side, since an office prints on working days;
- **extrapolated**: when the printer has been silent since, from its last reading plus its
  recent pages per business day (from the previous read, or the oldest reading given, to
  the last reading) times the business days from the last reading to the cut-off;
- **final**: a device replaced at its site keeps its last reading, without pages guessed
  for the time it was gone;
- **missing**: no reading before the cut-off at all (listed, never dropped).

Each read names the readings it was made from.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from remotecare.center.care.meters.rules.screening import Reading
from remotecare.center.care.supplies.rules.calendar import WorkCalendar

__all__ = ["CounterRead", "ReadMethod", "business_days", "read_at_cutoff"]


class ReadMethod(enum.StrEnum):
    ACTUAL = "actual"
    INTERPOLATED = "interpolated"
    EXTRAPOLATED = "extrapolated"
    FINAL = "final"
    MISSING = "missing"

    @property
    def is_estimated(self) -> bool:
        return self in (ReadMethod.INTERPOLATED, ReadMethod.EXTRAPOLATED)


@dataclass(frozen=True, slots=True)
class CounterRead:
    """A counter's read at cut-off: its value (None when missing), how, when the reading
    behind it was taken (the cut-off itself for an estimate), and from which readings."""

    value: int | None
    method: ReadMethod
    read_at: datetime | None
    sources: tuple[Reading, ...]
    flags: tuple[str, ...] = ()


def business_days(start: datetime, end: datetime, calendar: WorkCalendar) -> float:
    """Working days (fractions of them) in ``[start, end)``."""
    return sum(
        fraction for day, fraction in calendar.days(start, end) if calendar.is_working_day(day)
    )


def read_at_cutoff(
    readings: Sequence[Reading],
    cutoff: datetime,
    window: timedelta,
    calendar: WorkCalendar,
    *,
    rate_base: Reading | None = None,
    replaced: bool = False,
) -> CounterRead:
    """The read of a counter at ``cutoff`` from its trusted ``readings`` (time order).

    ``rate_base`` is the previous period's read, the start of the pages-per-day rate for an
    extrapolation (else the oldest reading); ``replaced`` says the device was swapped out
    before the cut-off, so its last reading is final.
    """
    before = next((r for r in reversed(readings) if r.at <= cutoff), None)
    after = next((r for r in readings if r.at > cutoff), None)
    if before is None:
        flag = "first reading after cut-off" if after is not None else "no readings"
        return CounterRead(None, ReadMethod.MISSING, None, (), (flag,))
    if cutoff - before.at <= window:
        return CounterRead(before.value, ReadMethod.ACTUAL, before.at, (before,))
    if replaced:
        return CounterRead(before.value, ReadMethod.FINAL, before.at, (before,), ("replaced",))
    if after is not None and after.value >= before.value:
        return _interpolated(before, after, cutoff, calendar)
    return _extrapolated(readings, before, cutoff, calendar, rate_base)


def _interpolated(
    before: Reading, after: Reading, cutoff: datetime, calendar: WorkCalendar
) -> CounterRead:
    total = business_days(before.at, after.at, calendar)
    share = business_days(before.at, cutoff, calendar) / total if total > 0 else 0.0
    value = before.value + round((after.value - before.value) * share)
    return CounterRead(value, ReadMethod.INTERPOLATED, cutoff, (before, after))


def _extrapolated(
    readings: Sequence[Reading],
    before: Reading,
    cutoff: datetime,
    calendar: WorkCalendar,
    rate_base: Reading | None,
) -> CounterRead:
    base = rate_base if rate_base is not None and rate_base.at < before.at else readings[0]
    span = business_days(base.at, before.at, calendar)
    if base.at >= before.at or span <= 0 or before.value < base.value:
        return CounterRead(
            before.value, ReadMethod.EXTRAPOLATED, cutoff, (before,), ("no recent rate",)
        )
    per_day = (before.value - base.value) / span
    value = before.value + round(per_day * business_days(before.at, cutoff, calendar))
    return CounterRead(value, ReadMethod.EXTRAPOLATED, cutoff, (base, before))
