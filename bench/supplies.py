"""Supplies benchmark: forecasts and orders against a simulated fleet's ground truth.

A fleet (``--printers``, default 1,000) is simulated over a year from ``--seed``. Its truth
stays in this script; the policies see only what a printer would report, as the compact
history keeps it (change-only samples of level, maximum, state and description per supply,
and of the total page counter):

- page rates per printer with a heavy tail (lognormal), offices that print on weekdays
  only, some on weekends too, some every day; Japanese public holidays, Golden Week, Obon
  and the New Year closed (the forecaster knows only the public holidays);
- coverage that changes during the year, colours used unevenly, real yields that differ
  from the rated ones (by coverage and from lot to lot);
- levels reported in 1 %, 10 % and 25 % steps (rounded up, as printers do) or as states
  only; a shaken toner rebounding a few percent; the waste box's space filling up;
- readings missing (printer off at weekends, outages of days), cartridges swapped early by
  the customer, the page counter reset after a board replacement.

Each policy orders on readings; a parcel arrives after the lead time (working days) and
waits at the customer until the cartridge runs out. Policies: order at 20 % left, at 10 %
left (both on "low" for state-only supplies, and again whenever the level rises), and ours
(``remotecare.center.care.supplies.rules``: cartridges, forecast, order decision and
shipment grouping, the real code).

Usage::

    .venv/bin/python bench/supplies.py                       # 1,000 printers, seed 1
    .venv/bin/python bench/supplies.py --printers 200 --seed 7 --workers 2
    .venv/bin/python bench/supplies.py --speed 10000           # the service on a database
    .venv/bin/python bench/supplies.py --speed 10000 --db sqlite

``--speed N`` times the supplies service itself (``care/supplies/forecasting.py``) on
SQLite and a throwaway PostgreSQL: N colour printers with a month of compact history, a
first pass that computes every forecast, then one day of readings (four per printer) taken
by the history (the reference) and then by the supplies, in the drainer's batches.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from remotecare.center.care.history.rules import Sample, SupplyLevel
from remotecare.center.care.supplies.rules.calendar import WorkCalendar, public_holidays
from remotecare.center.care.supplies.rules.cartridges import (
    Cartridge,
    SupplyObservation,
    cartridges_of,
    learn_pages_per_cartridge,
    learn_yield,
)
from remotecare.center.care.supplies.rules.forecast import (
    Forecast,
    ForecastSettings,
    forecast_cartridge,
)
from remotecare.center.care.supplies.rules.orders import (
    OpenOrder,
    OrderPolicy,
    SupplyOutlook,
    delivery_at,
    plan_shipment,
)
from remotecare.center.care.supplies.rules.usage import (
    UNKNOWN_USAGE,
    UsageProfile,
    page_clock,
    usage_profile,
)
from remotecare.protocol.messages import SupplyState

_START = datetime(2026, 1, 1, tzinfo=UTC)
_DAYS = 365
_DAY = timedelta(days=1)
_JST = timedelta(hours=9)
_POLICY = OrderPolicy(lead_time_working_days=3, safety_days=7.0)
_CALENDAR = WorkCalendar()  # what the center knows: Japanese public holidays, Mon-Fri
_LOW_PERCENT = 10.0  # where printers say "low"
_RATED_YIELD = {"black": 12_000, "cyan": 6_000, "magenta": 6_000, "yellow": 6_000}
_WASTE_PAGES = 50_000  # pages of toner a waste box takes, at 5 % coverage
_POLICIES = ("order at 20 %", "order at 10 %", "ours")
# Ours with ``state_only_by_pages`` (not what issue 12 asks): the same as ours on printers
# that report numbers, so it is simulated again only on those that report states.
_BY_PAGES = "ours, states-only by pages"
_BY_PAGES_SETTINGS = ForecastSettings(state_only_by_pages=True)


def _closures(year: int) -> frozenset[date]:
    """Days a Japanese office is closed beyond the public holidays (the truth only)."""
    days = {date(year, 4, 29) + timedelta(days=i) for i in range(8)}  # Golden Week
    days |= {date(year, 8, 13) + timedelta(days=i) for i in range(4)}  # Obon
    days |= {date(year, 12, 29), date(year, 12, 30), date(year, 12, 31)}
    days |= {date(year, 1, 1), date(year, 1, 2), date(year, 1, 3)}
    return frozenset(days)


# --- the truth ---------------------------------------------------------------------------


@dataclass
class TrueSupply:
    index: int
    colour: str  # "black", "cyan", ... or "waste"
    percent_per_page: float  # at the printer's current coverage, for this lot
    percent: float = 100.0
    serial: int = 0
    installed_at: datetime = _START
    stockout_counted: bool = False
    spares: int = 0
    rebound_done: bool = False


@dataclass
class TruePrinter:
    number: int
    rng: random.Random  # events that follow the policy (lots, rebounds, early swaps)
    days_rng: random.Random  # one draw stream per day, the same under every policy
    pages_per_working_day: float
    off_day_ratio: float
    closes_for_holidays: bool
    off_on_days_off: bool  # switched off (no readings) when the office is closed
    colour_share: float
    colour_weights: dict[str, float]
    coverage: float
    coverage_changes: dict[int, float]  # day number -> new coverage factor
    step_percent: int | None  # None: states only
    serial_in_description: bool
    outage_days: frozenset[int]
    reset_day: int | None
    swap_early_probability: float
    supplies: list[TrueSupply]
    pages_total: int = 0


def _make_printer(seed: int, number: int) -> TruePrinter:
    rng = random.Random(seed * 1_000_003 + number)
    colour = rng.random() < 0.6
    kind = rng.random()
    off_day_ratio = 0.0 if kind < 0.7 else (0.3 if kind < 0.9 else 1.0)
    weights = [rng.uniform(0.3, 1.7) for _ in range(3)]
    names = ("cyan", "magenta", "yellow")
    outage_days: set[int] = set()
    if rng.random() < 0.15:
        first = rng.randrange(_DAYS)
        outage_days |= set(range(first, first + rng.randint(3, 14)))
    outage_days |= {d for d in range(_DAYS) if rng.random() < 0.02}
    step_draw = rng.random()
    step = 1 if step_draw < 0.55 else 10 if step_draw < 0.75 else 25 if step_draw < 0.87 else None
    printer = TruePrinter(
        number=number,
        rng=rng,
        days_rng=random.Random(seed * 7_919 + number),
        pages_per_working_day=min(rng.lognormvariate(math.log(60), 1.0), 4_000.0),
        off_day_ratio=off_day_ratio,
        closes_for_holidays=off_day_ratio < 1.0,
        off_on_days_off=off_day_ratio == 0.0 and rng.random() < 0.4,
        colour_share=rng.uniform(0.1, 0.6) if colour else 0.0,
        colour_weights={n: w / sum(weights) * 3 for n, w in zip(names, weights, strict=True)},
        coverage=rng.uniform(3.0, 8.0),
        coverage_changes={rng.randrange(30, _DAYS): rng.uniform(0.6, 1.6) for _ in range(2)},
        step_percent=step,
        serial_in_description=rng.random() < 0.5,
        outage_days=frozenset(outage_days),
        reset_day=rng.randrange(_DAYS) if rng.random() < 0.03 else None,
        swap_early_probability=0.05,
        supplies=[],
    )
    colours = ["black", *(names if colour else ())]
    for index, name in enumerate(colours):
        supply = TrueSupply(index, name, 0.0, percent=rng.uniform(20, 100))
        _new_lot(printer, supply)
        printer.supplies.append(supply)
    waste = TrueSupply(len(colours), "waste", 0.0, percent=rng.uniform(30, 100))
    _new_lot(printer, waste)
    printer.supplies.append(waste)
    return printer


def _new_lot(printer: TruePrinter, supply: TrueSupply) -> None:
    """A new cartridge: its real yield differs from the rated one by coverage and lot."""
    lot = printer.rng.gauss(1.0, 0.07)
    if supply.colour == "waste":
        supply.percent_per_page = 100.0 / _WASTE_PAGES * printer.coverage / 5.0 * lot
    else:
        supply.percent_per_page = 100.0 / _RATED_YIELD[supply.colour] * printer.coverage / 5.0
        supply.percent_per_page *= lot
    supply.serial += 1


def _is_open(printer: TruePrinter, day: date) -> bool:
    if printer.closes_for_holidays and day in _closures(day.year):
        return False
    return day.weekday() < 5 and day not in public_holidays("JP", day.year)


def _description(printer: TruePrinter, supply: TrueSupply) -> str:
    name = "Waste Toner Box" if supply.colour == "waste" else f"{supply.colour.title()} Toner"
    return (
        f"{name} S/N {printer.number:05d}{supply.serial:03d}"
        if printer.serial_in_description
        else name
    )


def _reported(printer: TruePrinter, supply: TrueSupply) -> SupplyLevel:
    percent = supply.percent
    state = SupplyState.OK
    waste = supply.colour == "waste"
    if percent <= 0:
        state = SupplyState.FULL if waste else SupplyState.EMPTY
    elif percent <= _LOW_PERCENT:
        state = SupplyState.NEARLY_FULL if waste else SupplyState.LOW
    if printer.step_percent is None:
        return SupplyLevel(None, None, state.value)
    step = printer.step_percent
    level = 0 if percent <= 0 else min(100, math.ceil(percent / step - 1e-9) * step)
    return SupplyLevel(level, 100, state.value)


# --- the policies ------------------------------------------------------------------------


@dataclass
class Order:
    policy: str
    printer: int
    supply: int
    for_serial: int
    ordered_at: datetime
    arrives_at: datetime
    shipment: int
    delivered: bool = False


@dataclass
class ThresholdPolicy:
    """Order when the reported level is at or below a threshold (or the printer says low),
    once until the level rises again."""

    name: str
    threshold: float
    ordered: dict[int, bool] = field(default_factory=dict)
    last: dict[int, SupplyLevel] = field(default_factory=dict)

    def decide(self, now: datetime, levels: dict[int, tuple[str, SupplyLevel]]) -> list[int]:
        due = []
        for index, (_, level) in levels.items():
            previous = self.last.get(index)
            self.last[index] = level
            if previous is not None and _rose(previous, level):
                self.ordered[index] = False
            low = level.state in {"low", "empty", "nearly_full", "full"}
            if level.level is not None and level.max_capacity:
                low = low or 100 * level.level / level.max_capacity <= self.threshold
            if low and not self.ordered.get(index):
                self.ordered[index] = True
                due.append(index)
        return due


def _rose(before: SupplyLevel, after: SupplyLevel) -> bool:
    if before.level is not None and after.level is not None:
        return after.level > before.level
    return before.state != after.state and after.state == "ok"


@dataclass
class OurPolicy:
    """The center's rules, fed the compact history's shape of input."""

    name: str = "ours"
    observations: dict[int, list[SupplyObservation]] = field(default_factory=dict)
    counter: list[Sample[int]] = field(default_factory=list)
    usage: UsageProfile = UNKNOWN_USAGE
    usage_at: datetime | None = None
    forecasts: dict[int, tuple[Cartridge, Forecast]] = field(default_factory=dict)
    installs: dict[int, set[datetime]] = field(default_factory=lambda: defaultdict(set))
    spares_used: dict[int, set[datetime]] = field(default_factory=lambda: defaultdict(set))
    finished: dict[int, dict[datetime, Cartridge]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    open_orders: list[OpenOrder] = field(default_factory=list)
    delivered_at: dict[int, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    receptacles: frozenset[int] = frozenset()
    rated_yield_pages: dict[int, int] = field(default_factory=dict)  # the model's catalogue
    settings: ForecastSettings = field(default_factory=ForecastSettings)
    forecast_calls: int = 0

    def observe(
        self, now: datetime, levels: dict[int, tuple[str, SupplyLevel]], total_pages: int
    ) -> None:
        if not self.counter or self.counter[-1].value != total_pages:
            self.counter.append(Sample(now, total_pages))
        if self.usage_at is None or now - self.usage_at >= 7 * _DAY:
            self.usage = usage_profile(page_clock(self.counter[-200:]), _CALENDAR, until=now)
            self.usage_at = now
        for index, (description, level) in levels.items():
            seen = self.observations.setdefault(index, [])
            changed = not seen or seen[-1].level != level or seen[-1].description != description
            if changed:
                seen.append(SupplyObservation(now, description, level))
            cached = self.forecasts.get(index)
            if cached is not None and not changed and now - cached[1].as_of < 7 * _DAY:
                continue
            self._forecast(now, index)

    def _forecast(self, now: datetime, index: int) -> None:
        seen = self.observations[index]
        window = seen[-120:]
        pages = page_clock(self.counter[-400:])
        cartridges = cartridges_of(window, index, pages=pages)
        current = cartridges[-1]
        # Spares at the customer: delivered, less the replacements seen since (a replacement
        # the rules take back, a rebound after all, gives its spare back).
        seen_installs = {c.id.installed_at for c in cartridges[1:]}
        known, used = self.installs[index], self.spares_used[index]
        waiting = self.delivered_at[index]
        for installed_at in sorted(seen_installs - known):
            if waiting and waiting[0] <= installed_at:  # a spare delivered before it went in
                waiting.pop(0)
                used.add(installed_at)
        for installed_at in {t for t in known if t > window[0].at} - seen_installs:
            if installed_at in used:
                waiting.insert(0, installed_at)
                used.discard(installed_at)
            known.discard(installed_at)
        known |= seen_installs
        finished = self.finished[index]
        for gone in [t for t in finished if t > window[0].at and t not in seen_installs]:
            del finished[gone]
        finished.update({c.id.installed_at: c for c in cartridges[:-1]})
        recent = [finished[t] for t in sorted(finished)[-5:]]
        learned = learn_yield(recent)
        self.forecast_calls += 1
        forecast = forecast_cartridge(
            current,
            now=now,
            calendar=_CALENDAR,
            usage=self.usage,
            pages_per_percent=learned.pages_per_percent if learned else None,
            rated_yield_pages=self.rated_yield_pages.get(index),
            receptacle=index in self.receptacles,
            pages_per_cartridge=learn_pages_per_cartridge(recent),
            pages_since_install=pages.pages_between(current.id.installed_at, now),
            settings=self.settings,
        )
        self.forecasts[index] = (current, forecast)

    def decide(self, now: datetime) -> list[int]:
        outlooks = [
            SupplyOutlook(cartridge.id, forecast, len(self.delivered_at[index]))
            for index, (cartridge, forecast) in sorted(self.forecasts.items())
        ]
        shipment = plan_shipment(
            outlooks, now=now, calendar=_CALENDAR, policy=_POLICY, open_orders=self.open_orders
        )
        if shipment is None:
            return []
        self.open_orders += [OpenOrder(c, now) for c, _ in shipment.items]
        return [c.supply_index for c, _ in shipment.items]

    def arrived(self, supply: int, at: datetime) -> None:
        self.open_orders = [o for o in self.open_orders if o.cartridge.supply_index != supply]
        self.delivered_at[supply].append(at)


# --- the simulation ----------------------------------------------------------------------


@dataclass
class Tally:
    cartridges: int = 0
    stockouts: int = 0
    waiting_cartridge_days: float = 0.0
    orders: int = 0
    duplicate_orders: int = 0
    shipments: int = 0
    printer_months: float = 0.0
    errors_days: list[float] = field(default_factory=list)
    inside: int = 0
    judged: int = 0
    forecast_calls: int = 0
    stockouts_by_reporting: Counter[str] = field(default_factory=Counter)
    cartridges_by_reporting: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.stockouts_by_reporting.update(other.stockouts_by_reporting)
        self.cartridges_by_reporting.update(other.cartridges_by_reporting)
        for name in ("cartridges", "stockouts", "orders", "duplicate_orders", "shipments"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.waiting_cartridge_days += other.waiting_cartridge_days
        self.printer_months += other.printer_months
        self.errors_days += other.errors_days
        self.inside += other.inside
        self.judged += other.judged
        self.forecast_calls += other.forecast_calls


def _daily_pages(printer: TruePrinter, day: date, number: int) -> float:
    rate = printer.pages_per_working_day
    if not _is_open(printer, day):
        is_closure = printer.closes_for_holidays and day in _closures(day.year)
        rate *= 0.0 if is_closure and printer.off_day_ratio < 1 else printer.off_day_ratio
    season = 1.0 + 0.15 * math.sin(2 * math.pi * number / 365)
    return rate * season * printer.days_rng.lognormvariate(-0.08, 0.4)


def simulate(printer: TruePrinter, policy_name: str) -> Tally:
    """One printer through the year under one policy (the same truth for every policy:
    the printer's random stream is replayed from its seed)."""
    tally = Tally(printer_months=_DAYS / 30.4)
    supplies = printer.supplies
    threshold = {"order at 20 %": 20.0, "order at 10 %": 10.0}.get(policy_name)
    ours = OurPolicy(
        settings=_BY_PAGES_SETTINGS if policy_name == _BY_PAGES else ForecastSettings(),
        receptacles=frozenset({s.index for s in supplies if s.colour == "waste"}),
        rated_yield_pages={
            s.index: _RATED_YIELD[s.colour] for s in supplies if s.colour != "waste"
        },
    )
    baseline = ThresholdPolicy(policy_name, threshold or 0.0)
    orders: list[Order] = []
    ordered_serials: set[tuple[int, int]] = set()
    shipment_number = 0
    # Forecasts of the current true cartridge per supply: (at, empty_at, low, high).
    said: dict[int, list[tuple[datetime, datetime, datetime, datetime]]] = defaultdict(list)
    tally.cartridges = len(supplies)
    tally.cartridges_by_reporting[_reporting(printer)] += len(supplies)
    coverage_factor = 1.0
    for number in range(_DAYS):
        day = (_START + number * _DAY).date()
        day_start = datetime.combine(day, datetime.min.time(), UTC) - _JST
        if number in printer.coverage_changes:
            coverage_factor = printer.coverage_changes[number]
        if number == printer.reset_day:
            printer.pages_total = printer.rng.randrange(0, 50)
        # Parcels arriving today (before the working day starts, for simplicity).
        for order in orders:
            if not order.delivered and order.arrives_at <= day_start + _DAY:
                order.delivered = True
                supplies[order.supply].spares += 1
                if threshold is None:
                    ours.arrived(order.supply, day_start)
        # Install a waiting spare in an empty cartridge's place.
        for supply in supplies:
            if supply.percent <= 0 and supply.spares:
                _replace(printer, supply, day_start + 9 * _JST / 9, tally, said)
        pages = _daily_pages(printer, day, number)
        minute = printer.days_rng.randrange(30)
        colour_pages = pages * printer.colour_share
        for supply in supplies:
            if supply.percent <= 0:
                continue
            if supply.colour == "black":
                use = pages * supply.percent_per_page * coverage_factor
            elif supply.colour == "waste":
                use = pages * supply.percent_per_page * coverage_factor * 0.3
            else:
                share = printer.colour_weights[supply.colour]
                use = colour_pages * share * supply.percent_per_page * coverage_factor
            before = supply.percent
            supply.percent = max(0.0, supply.percent - use)
            if supply.percent <= 0:
                # When during the working day (09:00-18:00 JST) it ran out.
                fraction = before / use if use > 0 else 1.0
                empty_at = day_start + timedelta(hours=9 + 9 * fraction) + 0 * _DAY
                _judge(said.pop(supply.index, []), empty_at, tally)
                if not supply.stockout_counted:
                    if supply.spares:
                        _replace(printer, supply, empty_at, tally, said)
                    else:
                        supply.stockout_counted = True
                        tally.stockouts += 1
                        tally.stockouts_by_reporting[_reporting(printer)] += 1
            elif (
                supply.colour != "waste"
                and supply.percent <= 8
                and not supply.rebound_done
                and printer.rng.random() < 0.05
            ):
                supply.percent += printer.rng.uniform(2, 5)  # shaken toner
                supply.rebound_done = True
            elif (
                supply.percent <= 30 and printer.rng.random() < printer.swap_early_probability / 20
            ):
                _replace(printer, supply, day_start + 12 * _DAY / 24, tally, said)  # early swap
                if supply.spares:
                    supply.spares -= 1
        printer.pages_total += round(pages)
        for supply in supplies:
            tally.waiting_cartridge_days += supply.spares
        # The day's reading (at 18:00 JST), unless the printer is off.
        off = number in printer.outage_days or (
            printer.off_on_days_off and not _is_open(printer, day)
        )
        if off:
            continue
        now = day_start + timedelta(hours=18, minutes=minute)
        levels = {s.index: (_description(printer, s), _reported(printer, s)) for s in supplies}
        if threshold is not None:
            due = baseline.decide(now, levels)
            new_shipments = [[index] for index in due]
        else:
            ours.observe(now, levels, printer.pages_total)
            for supply in supplies:
                cached = ours.forecasts.get(supply.index)
                if cached is None:
                    continue
                point, low, high = (cached[1].empty_at(w) for w in ("point", "low", "high"))
                if point is not None and low is not None:
                    # A late end beyond the horizon: the interval is open to the right.
                    said[supply.index].append(
                        (now, point, low, high or datetime.max.replace(tzinfo=UTC))
                    )
            due = ours.decide(now)
            new_shipments = [due] if due else []
        for parcel in new_shipments:
            shipment_number += 1
            tally.shipments += 1
            arrives = delivery_at(now, _CALENDAR, _POLICY)
            for index in parcel:
                key = (index, supplies[index].serial)
                if key in ordered_serials:
                    tally.duplicate_orders += 1
                ordered_serials.add(key)
                tally.orders += 1
                orders.append(
                    Order(policy_name, printer.number, index, key[1], now, arrives, shipment_number)
                )
    tally.forecast_calls = ours.forecast_calls
    return tally


def _replace(
    printer: TruePrinter,
    supply: TrueSupply,
    at: datetime,
    tally: Tally,
    said: dict[int, list[tuple[datetime, datetime, datetime, datetime]]],
) -> None:
    if supply.percent <= 0 and supply.spares:
        supply.spares -= 1
    supply.percent = 100.0
    supply.stockout_counted = False
    supply.rebound_done = False
    supply.installed_at = at
    said.pop(supply.index, None)
    _new_lot(printer, supply)
    tally.cartridges += 1
    tally.cartridges_by_reporting[_reporting(printer)] += 1


def _reporting(printer: TruePrinter) -> str:
    step = printer.step_percent
    return "states only" if step is None else f"{step} % steps"


def _judge(
    said: list[tuple[datetime, datetime, datetime, datetime]], empty_at: datetime, tally: Tally
) -> None:
    """The forecast in effect 14 days before the cartridge truly ran out, against the truth."""
    target = empty_at - 14 * _DAY
    before = [s for s in said if target - 2 * _DAY <= s[0] <= target]
    if not before:
        return
    at, point, low, high = before[-1]
    truth = (empty_at - at) / _DAY
    tally.errors_days.append(abs((point - at) / _DAY - truth))
    tally.judged += 1
    tally.inside += low <= empty_at <= high


def _run(job: tuple[int, range, str]) -> dict[str, Tally]:
    seed, numbers, policy = job
    tallies = {policy: Tally()}
    if policy == "ours":
        tallies[_BY_PAGES] = Tally()
    for number in numbers:
        tally = simulate(_make_printer(seed, number), policy)
        tallies[policy].add(tally)
        if policy == "ours":
            printer = _make_printer(seed, number)
            by_pages = simulate(printer, _BY_PAGES) if printer.step_percent is None else tally
            tallies[_BY_PAGES].add(by_pages)
    return tallies


def _jobs(seed: int, printers: int, workers: int) -> Iterator[tuple[int, range, str]]:
    chunk = max(1, printers // (workers * 4))
    for policy in _POLICIES:
        for start in range(0, printers, chunk):
            yield seed, range(start, min(printers, start + chunk)), policy


# --- speed: the supplies service on a database -----------------------------------------

_SPEED_HISTORY_DAYS = 30
_SPEED_READINGS_PER_DAY = 4  # every six hours
_SPEED_BATCH = 200  # readings per transaction, as the care feed's drainer takes them


@dataclass(frozen=True)
class _FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


def _speed_seed(engine: Any, printers: int, start: datetime, rng: random.Random) -> list[int]:
    """Customer, endpoint and ``printers`` colour printers, each with a month of compact
    history (one sample per toner and counter a day), by bulk inserts; the printer ids."""
    from sqlalchemy import insert, select
    from tests.support.care import seed_endpoint

    from remotecare.center.care.history.tables import (
        counter_samples,
        counter_series,
        supply_samples,
        supply_series,
    )
    from remotecare.center.fleet.tables import printers as printers_table

    endpoint = "00000000-0000-4000-8000-00000000be02"
    seed_endpoint(engine, endpoint, start)
    last = start + (_SPEED_HISTORY_DAYS - 1) * _DAY
    with engine.begin() as conn:
        for first in range(0, printers, 10_000):
            conn.execute(
                insert(printers_table),
                [
                    {
                        "customer_id": 1,
                        "endpoint_id": endpoint,
                        "serial": f"SPEED{n:07d}",
                        "serial_source": "prtGeneralSerialNumber",
                        "address": f"snmp://10.{n // 65536}.{n // 256 % 256}.{n % 256}:161",
                        "model": "Acme TASKalfa 2552ci",
                        "first_seen_at": start,
                        "last_report_at": last,
                        "last_contact_at": last,
                    }
                    for n in range(first, min(printers, first + 10_000))
                ],
            )
        ids = list(
            conn.execute(select(printers_table.c.id).order_by(printers_table.c.id)).scalars()
        )
    colours = ("black", "cyan", "magenta", "yellow")
    for first in range(0, len(ids), 1_000):
        chunk = ids[first : first + 1_000]
        with engine.begin() as conn:
            conn.execute(
                insert(supply_series),
                [
                    {
                        "id": pid * 4 + i,
                        "printer_id": pid,
                        "supply_index": i + 1,
                        "description": f"{colour.title()} Toner",
                        "type": "toner",
                        "colour": colour,
                        "unit": "percent",
                    }
                    for pid in chunk
                    for i, colour in enumerate(colours)
                ],
            )
            conn.execute(
                insert(counter_series),
                [
                    {"id": pid, "printer_id": pid, "name": "total", "unit": "impressions"}
                    for pid in chunk
                ],
            )
            supplies: list[dict[str, Any]] = []
            counters: list[dict[str, Any]] = []
            for pid in chunk:
                pages_per_day = rng.lognormvariate(5.0, 0.8)
                for day in range(_SPEED_HISTORY_DAYS):
                    at = start + day * _DAY + timedelta(hours=1)
                    counters.append(
                        {"series_id": pid, "sampled_at": at, "value": int(pages_per_day * day)}
                    )
                for i in range(4):
                    rate = min(pages_per_day * (0.01 if i == 0 else 0.004), 4.0)
                    previous = None
                    for day in range(_SPEED_HISTORY_DAYS):
                        level = max(int(100 - rate * day), 1)
                        if level != previous:
                            supplies.append(
                                {
                                    "series_id": pid * 4 + i,
                                    "sampled_at": start + day * _DAY + timedelta(hours=1),
                                    "level": level,
                                    "max_capacity": 100,
                                    "state": "ok" if level > 10 else "low",
                                }
                            )
                        previous = level
            conn.execute(insert(supply_samples), supplies)
            conn.execute(insert(counter_samples), counters)
    return ids


def _speed_day(ids: list[int], start: datetime, day: int, rng: random.Random) -> list[Any]:
    """A day of readings of every printer (every six hours), as the care feed hands them."""
    from tests.support.supplies import a_supplies_report

    from remotecare.center.fleet.reports import StoredReading

    fed = []
    for hour in range(0, 24, 24 // _SPEED_READINGS_PER_DAY):
        at = start + day * _DAY + timedelta(hours=hour + 1)
        for pid in ids:
            falling = day + hour / 24
            levels: dict[int, int] = {
                1 + i: max(int(100 - (1.5 if i == 0 else 0.6) * falling - (pid % 7)), 1)
                for i in range(4)
            }
            report = a_supplies_report(
                f"SPEED{pid:07d}", at, 200 * day + hour * 8 + rng.randrange(5), levels
            )
            assert report.reading is not None
            fed.append(StoredReading(str(report.report_id), pid, at, report.reading))
    return fed


def _speed_on(url: str, printers: int) -> tuple[float, float, float, int, int, float, float]:
    """Seconds for the history and for the supplies to take one day of readings of every
    printer (after a first pass that computes every forecast), the first pass's seconds,
    readings, open orders, and the CPU seconds of this process for the history and the
    supplies (on a shared machine the steadier figure; PostgreSQL's own CPU is not in it)."""
    from sqlalchemy import func, select

    from remotecare.center.care.history.service import HistoryConsumer
    from remotecare.center.care.supplies.forecasting import SuppliesConsumer
    from remotecare.center.care.supplies.tables import supply_orders
    from remotecare.center.kernel.schema import upgrade_to_head
    from remotecare.center.kernel.storage import make_engine

    rng = random.Random(5)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        ids = _speed_seed(engine, printers, start, rng)

        cpu: dict[Any, float] = {}

        def run(consumer: Any, fed: list[Any]) -> float:
            began, began_cpu = time.perf_counter(), time.process_time()
            for first in range(0, len(fed), _SPEED_BATCH):
                with engine.begin() as conn:
                    consumer.handle(conn, fed[first : first + _SPEED_BATCH])
            cpu[consumer] = time.process_time() - began_cpu
            return time.perf_counter() - began

        history = HistoryConsumer()
        first_day = _speed_day(ids, start, _SPEED_HISTORY_DAYS, rng)[: len(ids)]
        run(history, first_day)
        clock = _FixedClock(first_day[-1].agent_time)
        supplies = SuppliesConsumer(clock)
        first_pass = run(supplies, first_day)  # every forecast computed once
        day = _speed_day(ids, start, _SPEED_HISTORY_DAYS + 1, rng)
        history_s = run(history, day)
        supplies_s = run(supplies, day)
        with engine.connect() as conn:
            orders = int(conn.execute(select(func.count()).select_from(supply_orders)).scalar_one())
        return history_s, supplies_s, first_pass, len(day), orders, cpu[history], cpu[supplies]
    finally:
        engine.dispose()


def speed(printers: int, kinds: list[str]) -> None:
    """Print the time to bring ``printers`` x 4 supplies up to date after a day of readings."""
    import sys
    import tempfile
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)  # tests.support: report builders, throwaway PostgreSQL
    from tests.support.postgres import throwaway_postgres

    print(
        f"{printers:,} printers x 4 toners, {_SPEED_HISTORY_DAYS} days of history each; one "
        f"day = {_SPEED_READINGS_PER_DAY} readings per printer, {_SPEED_BATCH} per transaction\n"
    )
    print(
        "| database | readings | history (reference) | supplies | supplies / history "
        "| printers brought up to date per second | first pass (every forecast) | orders "
        "| CPU: history, supplies (this process) | printers per CPU-second |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="remotecare-supplies-") as tmp:
            if kind == "sqlite":
                result = _speed_on(f"sqlite:///{Path(tmp) / 'center.db'}", printers)
            else:
                with throwaway_postgres() as cluster:
                    result = _speed_on(cluster.create_database("supplies"), printers)
        history_s, supplies_s, first_s, readings, orders, history_cpu, supplies_cpu = result
        print(
            f"| {kind} | {readings:,} | {history_s:.1f} s | {supplies_s:.1f} s "
            f"| x{supplies_s / history_s:.2f} | {printers / supplies_s:,.0f} "
            f"| {first_s:.1f} s | {orders:,} | {history_cpu:.1f} s, {supplies_cpu:.1f} s "
            f"| {printers / supplies_cpu:,.0f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--printers", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--speed",
        type=int,
        default=0,
        metavar="N",
        help="instead: time the supplies service on N printers after a day of readings",
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.speed:
        speed(args.speed, ["sqlite", "postgresql"] if args.db == "both" else [args.db])
        return
    started = time.perf_counter()
    totals = {policy: Tally() for policy in (*_POLICIES, _BY_PAGES)}
    with ProcessPoolExecutor(args.workers) as pool:
        jobs = list(_jobs(args.seed, args.printers, args.workers))
        for tallies in pool.map(_run, jobs):
            for policy, tally in tallies.items():
                totals[policy].add(tally)
    elapsed = time.perf_counter() - started
    print(
        f"{args.printers} printers, seed {args.seed}, {_DAYS} days, lead time "
        f"{_POLICY.lead_time_working_days} working days, safety {_POLICY.safety_days:g} days "
        f"({elapsed:.0f} s, {args.workers} workers)\n"
    )
    print(
        "| policy | cartridges | stockouts per 1,000 cartridges | cartridge-days waiting "
        "| orders | duplicate orders | shipments per printer-month "
        "| days-to-empty error 14 days ahead (median) | truth inside the 80 % interval |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for policy, t in totals.items():
        error = f"{statistics.median(t.errors_days):.1f} days" if t.errors_days else "-"
        inside = f"{100 * t.inside / t.judged:.0f} % of {t.judged}" if t.judged else "-"
        print(
            f"| {policy} | {t.cartridges:,} | {1000 * t.stockouts / t.cartridges:.1f} "
            f"| {t.waiting_cartridge_days:,.0f} | {t.orders:,} | {t.duplicate_orders} "
            f"| {t.shipments / t.printer_months:.3f} | {error} | {inside} |"
        )
    print("\nstockouts per 1,000 cartridges by how the printer reports levels:\n")
    kinds = sorted(totals["ours"].cartridges_by_reporting)
    print("| policy | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for policy, t in totals.items():
        cells = [
            f"{1000 * t.stockouts_by_reporting[k] / max(t.cartridges_by_reporting[k], 1):.1f}"
            for k in kinds
        ]
        print(f"| {policy} | " + " | ".join(cells) + " |")
    rule = totals["order at 20 %"]
    print()
    for policy in ("ours", _BY_PAGES):
        t = totals[policy]
        print(
            f"{policy} vs order at 20 %: stockouts x{t.stockouts / max(rule.stockouts, 1):.2f}, "
            f"waiting stock x{t.waiting_cartridge_days / max(rule.waiting_cartridge_days, 1):.2f}"
        )
    print(f"forecasts computed (ours): {totals['ours'].forecast_calls:,}")


if __name__ == "__main__":
    main()
