"""Which days a customer works: weekends and the public holidays of the customer's country
(Japan unless told), plus any closures the customer declared (Obon, the New Year week).

A printer in an office that works on weekdays only uses nothing on a Sunday, so both a
rate of use and a lead time are counted in working days, not calendar days.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

import holidays

__all__ = ["DEFAULT_COUNTRY", "WorkCalendar", "public_holidays"]

DEFAULT_COUNTRY = "JP"
_MONDAY_TO_FRIDAY = frozenset(range(5))
_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
_DAY_MICROSECONDS = 86_400_000_000


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` (ISO 3166 code) in ``year``."""
    return frozenset(holidays.country_holidays(country, years=year).keys())


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """The customer's working days.

    Usage::

        calendar = WorkCalendar()                    # Japan, Monday to Friday
        calendar.is_working_day(date(2026, 5, 4))    # False: Greenery Day
        calendar.add_working_days(date(2026, 5, 1), 1)   # date(2026, 5, 7)
    """

    country: str = DEFAULT_COUNTRY
    working_weekdays: frozenset[int] = _MONDAY_TO_FRIDAY  # date.weekday(): Monday is 0
    closed_dates: frozenset[date] = field(default_factory=frozenset)
    utc_offset: timedelta = timedelta(hours=9)  # where the office's days begin (JST)

    def is_working_day(self, day: date) -> bool:
        """Whether the office works on ``day``."""
        return (
            day.weekday() in self.working_weekdays
            and day not in self.closed_dates
            and day not in public_holidays(self.country, day.year)
        )

    def working_days_of(self, year: int) -> tuple[bool, ...]:
        """Whether the office works on each day of ``year`` (index: day of the year from 0),
        computed once per calendar and year."""
        return _working_days_of(self, year)

    def add_working_days(self, start: date, working_days: int) -> date:
        """The day ``working_days`` working days after ``start`` (a delivery's day)."""
        day = start
        remaining = working_days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def local_date(self, at: datetime) -> date:
        """The office's date at ``at`` (an aware UTC time)."""
        return (at + self.utc_offset).date()

    def day_start(self, day: date, tzinfo: tzinfo | None) -> datetime:
        """The UTC time at which the office's ``day`` begins."""
        return datetime.combine(day, time(), tzinfo) - self.utc_offset

    def working_and_off(self, start: datetime, end: datetime) -> tuple[float, float]:
        """The fractions of working days and of days off that ``[start, end)`` covers:
        ``days`` summed, in whole microseconds (as ``days`` divides) without building a
        datetime per day; the usage profile asks this of every pair of counter samples."""
        if start.tzinfo is not end.tzinfo:
            working = off = 0.0
            for day, fraction in self.days(start, end):
                if self.is_working_day(day):
                    working += fraction
                else:
                    off += fraction
            return working, off
        shift = self.utc_offset // _MICROSECOND
        moment, until = _wall_microseconds(start) + shift, _wall_microseconds(end) + shift
        working = off = 0.0
        first = last = 0
        flags: tuple[bool, ...] = ()
        while moment < until:
            ordinal = moment // _DAY_MICROSECONDS
            ends = min((ordinal + 1) * _DAY_MICROSECONDS, until)
            fraction = (ends - moment) / _DAY_MICROSECONDS
            if not first <= ordinal < last:
                year = date.fromordinal(ordinal).year
                first, flags = _new_year_ordinal(year), self.working_days_of(year)
                last = first + len(flags)
            if flags[ordinal - first]:
                working += fraction
            else:
                off += fraction
            moment = ends
        return working, off

    def days(self, start: datetime, end: datetime) -> Iterator[tuple[date, float]]:
        """Each office day that ``[start, end)`` touches, with the fraction of it covered."""
        moment = start
        while moment < end:
            day = self.local_date(moment)
            until = min(self.day_start(day + timedelta(days=1), moment.tzinfo), end)
            yield day, (until - moment) / _DAY
            moment = until


@functools.lru_cache(maxsize=1_024)
def _working_days_of(calendar: WorkCalendar, year: int) -> tuple[bool, ...]:
    first = date(year, 1, 1)
    return tuple(
        calendar.is_working_day(first + n * _DAY)
        for n in range((date(year + 1, 1, 1) - first).days)
    )


def _wall_microseconds(at: datetime) -> int:
    """Microseconds from day one of the proleptic calendar to ``at``'s wall clock."""
    seconds = (at.toordinal() * 24 + at.hour) * 3600 + at.minute * 60 + at.second
    return seconds * 1_000_000 + at.microsecond


@functools.lru_cache(maxsize=1_024)
def _new_year_ordinal(year: int) -> int:
    return date(year, 1, 1).toordinal()
