"""Billing periods: a customer's cut-off each month, in the customer's time zone.

A period is named by the month of the cut-off that ends it ("2026-11") and runs from the
previous cut-off (exclusive) to its own (inclusive): a reading taken exactly at a cut-off
belongs to the period it ends. The cut-off is a day of the month and a local time; a day
the month does not have (the 31st in November) is the month's last day, and the default
is the last day at 24:00, i.e. the first instant of the next month.

Daylight saving: a local cut-off time that does not exist (the hour skipped in spring)
is taken with the offset in force before the change, so it falls just after the skip; one
that happens twice (autumn) is the first of the two. Each period is then still one
contiguous span of real time with no gaps and no overlaps.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from remotecare.errors import OperatorError
from remotecare.protocol.vocabulary import CounterName, is_counter_name

__all__ = [
    "DEFAULT_COUNTERS",
    "DEFAULT_ZONE",
    "END_OF_DAY_MINUTES",
    "BillingPeriod",
    "BillingSettings",
    "BillingSettingsError",
    "billable_counters",
    "cutoff",
    "period_containing",
    "period_named",
    "periods_closed_by",
]

DEFAULT_ZONE = "Asia/Tokyo"
DEFAULT_COUNTERS = ("total", "mono", "colour")
END_OF_DAY_MINUTES = 24 * 60  # "24:00": the day's end, the next day's first instant
_PERIOD_NAME = re.compile(r"^(\d{4})-(\d{2})$")


_BILLABLE: Final = tuple(CounterName)


class BillingSettingsError(OperatorError, ValueError):
    """Billing settings or a period name that cannot be used."""


def billable_counters(text: str) -> tuple[str, ...]:
    """The counter names of a comma-separated list, each one the agents send.

    Checked where an operator names them, not in :class:`BillingSettings`, so that
    settings stored before a name was checked still load.

    >>> billable_counters("total, large_mono")
    ('total', 'large_mono')
    """
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if not is_counter_name(name)]
    if unknown:
        raise BillingSettingsError(
            f"unknown counter {', '.join(map(repr, unknown))}; counters are "
            f"{', '.join(_BILLABLE)} (or one with _marker_N or _two_sided appended)"
        )
    return names


@dataclass(frozen=True, slots=True)
class BillingSettings:
    """A customer's billing: cut-off, time zone, billed counters, read window, grace.

    Usage::

        BillingSettings()                                   # last day 24:00, Asia/Tokyo
        BillingSettings(cutoff_day=20, cutoff_minutes=18 * 60, zone="Europe/Berlin")
    """

    cutoff_day: int | None = None  # 1..31; None: the month's last day
    cutoff_minutes: int = END_OF_DAY_MINUTES  # local time of day, 0..1440
    zone: str = DEFAULT_ZONE
    counters: tuple[str, ...] = DEFAULT_COUNTERS
    window: timedelta = timedelta(hours=24)  # an actual read is at most this old at cut-off
    grace: timedelta = timedelta(days=3)  # closed automatically this long after cut-off
    country: str = "JP"  # whose public holidays are not business days
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.cutoff_day is not None and not 1 <= self.cutoff_day <= 31:
            raise BillingSettingsError(f"cut-off day {self.cutoff_day} is not 1 to 31")
        if not 0 <= self.cutoff_minutes <= END_OF_DAY_MINUTES:
            raise BillingSettingsError(f"cut-off time {self.cutoff_minutes} min is not 0 to 24:00")
        if not self.counters:
            raise BillingSettingsError("no billed counters")
        if self.window <= timedelta(0) or self.grace < timedelta(0):
            raise BillingSettingsError("the read window must be positive, the grace not negative")
        try:
            zone = ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise BillingSettingsError(f"unknown time zone {self.zone!r}") from exc
        object.__setattr__(self, "_zone", zone)

    @property
    def tz(self) -> ZoneInfo:
        return self._zone


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    """``(start, end]`` in UTC, named by the month of its closing cut-off."""

    name: str
    start: datetime
    end: datetime

    def __contains__(self, at: datetime) -> bool:
        return self.start < at <= self.end


def _month(name: str) -> tuple[int, int]:
    match = _PERIOD_NAME.match(name)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise BillingSettingsError(f"{name!r} is not a period: write YYYY-MM")
    return int(match.group(1)), int(match.group(2))


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def cutoff(year: int, month: int, settings: BillingSettings) -> datetime:
    """The UTC instant of the cut-off in ``year``-``month``."""
    last_day = calendar.monthrange(year, month)[1]
    day = last_day if settings.cutoff_day is None else min(settings.cutoff_day, last_day)
    local_day = date(year, month, day) + timedelta(days=settings.cutoff_minutes // 1440)
    minutes = settings.cutoff_minutes % 1440
    # fold 0: a skipped wall time keeps the offset before the change (so lands just past
    # the skip), a repeated one is its first occurrence.
    wall = datetime.combine(local_day, time(minutes // 60, minutes % 60), settings.tz)
    return wall.astimezone(UTC)


def period_named(name: str, settings: BillingSettings) -> BillingPeriod:
    """The period ``name`` ("YYYY-MM")."""
    year, month = _month(name)
    before = _shift(year, month, -1)
    return BillingPeriod(name, cutoff(*before, settings), cutoff(year, month, settings))


def _name(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def period_containing(at: datetime, settings: BillingSettings) -> BillingPeriod:
    """The period that ``at`` (aware) falls in."""
    local = at.astimezone(settings.tz)
    year, month = local.year, local.month
    for _ in range(3):  # a cut-off moves a month boundary by less than a month
        period = period_named(_name(year, month), settings)
        if at in period:
            return period
        year, month = _shift(year, month, 1 if at > period.end else -1)
    raise AssertionError(f"no period contains {at}")  # pragma: no cover


def periods_closed_by(now: datetime, settings: BillingSettings, count: int) -> list[BillingPeriod]:
    """The ``count`` latest periods whose cut-off plus grace has passed at ``now``, oldest
    first (what an automatic close looks at)."""
    current = period_containing(now - settings.grace, settings)
    year, month = _month(current.name)
    return [
        period_named(_name(*_shift(year, month, -back)), settings) for back in range(count, 0, -1)
    ]
