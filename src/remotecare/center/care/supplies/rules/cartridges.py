"""Cartridges, not rows: one supply position's samples cut into the cartridges it held.

A new cartridge is recognised from

- a change of the cartridge's own description (many printers put its serial there; the
  compact history then starts a new series, see ``history.rules.SupplyKey``),
- a restart of the cartridge's own page count, where the printer reports one,
- a jump up in level beyond noise: more than the rebound a shaken toner gives (a few
  percent) and more than one reporting step (25 % printers go 25 -> 50 on a rebound), and
  either a large jump or a nearly full level afterwards,
- for supplies that report only states: low or empty (full, for a receptacle) followed
  by ok.

Each cartridge keeps its install time, the page counter at install, its levels and, once
it ended, the pages it gave: per model and supply type, those give the learned yield.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from remotecare.center.care.history.rules import Sample, SupplyKey, SupplyLevel
from remotecare.center.care.supplies.rules.usage import PageClock
from remotecare.protocol.messages import SupplyState

__all__ = [
    "Cartridge",
    "CartridgeId",
    "LearnedYield",
    "LevelFault",
    "LevelPoint",
    "ReplacementRule",
    "SupplyObservation",
    "cartridges_of",
    "learn_pages_per_cartridge",
    "learn_yield",
    "level_step_percent",
    "observations_of",
    "percent_of",
]

_EXHAUSTED = frozenset({SupplyState.LOW, SupplyState.EMPTY, SupplyState.NEARLY_FULL})
_EXHAUSTED |= {SupplyState.FULL}
_FRESH = frozenset({SupplyState.OK, SupplyState.SOME_REMAINING})
_COARSEST_STEP_PERCENT = 25.0


class LevelFault(enum.StrEnum):
    """What is wrong with a supply's numbers (the forecast then says it is unsure)."""

    ABOVE_MAXIMUM = "level_above_maximum"
    CAPACITY_CHANGED = "capacity_changed"
    ERRATIC = "erratic_levels"


@dataclass(frozen=True, slots=True)
class SupplyObservation:
    """One sample of a supply position, with the description it had then."""

    at: datetime
    description: str
    level: SupplyLevel


@dataclass(frozen=True, slots=True)
class LevelPoint:
    """A cartridge's level at a time: percent left (space left, for a receptacle), or only a
    state when the printer gives no number."""

    at: datetime
    percent: float | None
    state: SupplyState


@dataclass(frozen=True, slots=True)
class CartridgeId:
    """Which cartridge: the supply position, its description and when it was installed."""

    supply_index: int
    description: str
    installed_at: datetime


@dataclass(frozen=True, slots=True)
class Cartridge:
    """One cartridge in one supply position, from install to its end (if it ended)."""

    id: CartridgeId
    pages_at_install: int | None
    points: tuple[LevelPoint, ...]
    ended_at: datetime | None = None
    pages_given: int | None = None
    faults: frozenset[LevelFault] = field(default_factory=frozenset)
    step_percent: float = 1.0  # the printer's reporting step

    @property
    def percent_used(self) -> float | None:
        """How many percent of its level went: for a cartridge that ended, down to the
        middle of its last reported step (a printer rounds up: "25" is anything up to 25)."""
        numbers = [p.percent for p in self.points if p.percent is not None]
        if not numbers:
            return None
        last = numbers[-1]
        if self.ended_at is not None and self.step_percent > 1:
            last = max(last - self.step_percent / 2, 0.0)
        return max(numbers) - last


@dataclass(frozen=True, slots=True)
class ReplacementRule:
    """What counts as a replacement rather than noise."""

    rebound_percent: float = 10.0  # a shaken toner rises by a few percent
    large_jump_percent: float = 30.0
    nearly_full_percent: float = 80.0
    state_rebound_share: float = 0.5  # of the pages the cartridge before took to go low
    state_rebound_days: timedelta = timedelta(days=7)  # without counters


def observations_of(
    series: Iterable[tuple[SupplyKey, Sequence[Sample[SupplyLevel]]]],
) -> list[SupplyObservation]:
    """One position's samples from the compact history's series (one per description), in
    time order."""
    merged = [
        SupplyObservation(sample.at, key.description, sample.value)
        for key, samples in series
        for sample in samples
    ]
    return sorted(merged, key=lambda o: o.at)


def percent_of(level: SupplyLevel) -> tuple[float | None, frozenset[LevelFault]]:
    """Percent left from a level and its maximum; none for a state or an unknown maximum.

    A level above its maximum (a printer reporting 150 %) is taken as full and marked.
    """
    if level.level is None or level.max_capacity is None or level.max_capacity <= 0:
        return None, frozenset()
    percent = 100.0 * level.level / level.max_capacity
    if percent > 100.0:
        return 100.0, frozenset({LevelFault.ABOVE_MAXIMUM})
    return percent, frozenset()


def level_step_percent(percents: Iterable[float]) -> float:
    """The printer's reporting step (1, 10, 25 % ...): the smallest gap between levels seen,
    at most 25 % (two levels far apart, 20 and 100, are a replacement, not a step)."""
    distinct = sorted(set(percents))
    gaps = [b - a for a, b in itertools.pairwise(distinct) if b - a > 0.5]
    return min(min(gaps), _COARSEST_STEP_PERCENT) if gaps else 1.0


_STATES = {state.value: state for state in SupplyState}


def _state(level: SupplyLevel) -> SupplyState:
    return _STATES.get(level.state, SupplyState.UNKNOWN)


def _is_replacement(
    before: LevelPoint, after: LevelPoint, step_percent: float, rule: ReplacementRule
) -> bool:
    if before.percent is not None and after.percent is not None:
        rise = after.percent - before.percent
        beyond_noise = rise > max(rule.rebound_percent, step_percent)
        return beyond_noise and (
            rise >= rule.large_jump_percent or after.percent >= rule.nearly_full_percent
        )
    return before.state in _EXHAUSTED and after.state in _FRESH


def cartridges_of(
    observations: Sequence[SupplyObservation],
    supply_index: int,
    *,
    pages: PageClock | None = None,
    cartridge_pages: Sequence[Sample[int]] = (),
    rule: ReplacementRule = ReplacementRule(),
) -> list[Cartridge]:
    """The cartridges one supply position held, oldest first (the last one is current)."""
    if not observations:
        return []
    points: list[LevelPoint] = []
    faults: list[frozenset[LevelFault]] = []
    for observation in observations:
        percent, fault = percent_of(observation.level)
        points.append(LevelPoint(observation.at, percent, _state(observation.level)))
        faults.append(fault)
    step = level_step_percent(p.percent for p in points if p.percent is not None)
    restarts = _page_count_restarts(cartridge_pages)
    starts = [0]
    by_state: set[int] = set()
    for i in range(1, len(points)):
        new_description = observations[i].description != observations[i - 1].description
        restarted = bool(restarts) and any(points[i - 1].at < t <= points[i].at for t in restarts)
        if new_description or restarted or _is_replacement(points[i - 1], points[i], step, rule):
            starts.append(i)
            if not (new_description or restarted) and points[i].percent is None:
                by_state.add(i)
    starts = _without_state_rebounds(points, starts, by_state, pages, rule)
    cartridges: list[Cartridge] = []
    for n, first in enumerate(starts):
        last = starts[n + 1] if n + 1 < len(starts) else len(points)
        ended_at = points[last].at if last < len(points) else None
        own = points[first:last]
        capacities = {o.level.max_capacity for o in observations[first:last]}
        found = frozenset().union(*faults[first:last])
        if len(capacities - {None}) > 1:
            found |= {LevelFault.CAPACITY_CHANGED}
        if _reverses_often(own, step, rule):
            found |= {LevelFault.ERRATIC}
        at_install = pages.pages_at(own[0].at) if pages is not None else None
        at_end = pages.pages_at(ended_at) if pages is not None and ended_at else None
        given = at_end - at_install if at_end is not None and at_install is not None else None
        cartridges.append(
            Cartridge(
                CartridgeId(supply_index, observations[first].description, own[0].at),
                at_install,
                tuple(own),
                ended_at,
                given,
                found,
                step,
            )
        )
    return _mark_implausible_lives(cartridges)


def _without_state_rebounds(
    points: Sequence[LevelPoint],
    starts: list[int],
    by_state: set[int],
    pages: PageClock | None,
    rule: ReplacementRule,
) -> list[int]:
    """Drop replacements seen only as "low, then ok" when the supply is low again too soon
    for a new cartridge: a shaken toner that rose above the printer's low mark. Too soon is
    fewer pages than half of what the cartridge before took to go low (or, without
    counters, fewer than ``rule.state_rebound_days``)."""
    kept = [starts[0]]
    for n, start in enumerate(starts[1:], 1):
        end = starts[n + 1] if n + 1 < len(starts) else len(points)
        low_again = next((j for j in range(start, end) if points[j].state in _EXHAUSTED), None)
        if start not in by_state or low_again is None:
            kept.append(start)
            continue
        before = kept[-1]
        first_low = next((j for j in range(before, start) if points[j].state in _EXHAUSTED), None)
        ok_pages = _pages(pages, points[start].at, points[low_again].at)
        to_low = (
            None if first_low is None else _pages(pages, points[before].at, points[first_low].at)
        )
        if ok_pages is not None and to_low:
            rebound = ok_pages < rule.state_rebound_share * to_low
        else:
            rebound = points[low_again].at - points[start].at < rule.state_rebound_days
        if not rebound:
            kept.append(start)
    return kept


def _pages(pages: PageClock | None, start: datetime, end: datetime) -> int | None:
    return None if pages is None else pages.pages_between(start, end)


def _page_count_restarts(samples: Sequence[Sample[int]]) -> list[datetime]:
    return [b.at for a, b in itertools.pairwise(samples) if b.value < a.value]


def _reverses_often(points: Sequence[LevelPoint], step: float, rule: ReplacementRule) -> bool:
    """Levels that go back up as often as down (beyond a rebound) are not a cartridge
    being used up."""
    numbers = [p.percent for p in points if p.percent is not None]
    moves = [b - a for a, b in itertools.pairwise(numbers) if a != b]
    ups = sum(1 for m in moves if m > max(step, 0.5))
    return len(moves) >= 6 and ups / len(moves) > 0.3


def _mark_implausible_lives(cartridges: list[Cartridge]) -> list[Cartridge]:
    """Three or more cartridges that each lasted under a week in a row are random levels
    read as replacements, not a customer changing toner daily: all of them are erratic."""
    short = [
        c.ended_at is not None and (c.ended_at - c.id.installed_at).days < 7 for c in cartridges
    ]
    run = 0
    marked: set[int] = set()
    for i, is_short in enumerate(short):
        run = run + 1 if is_short else 0
        if run >= 3:
            marked.update(range(i - run + 1, min(i + 2, len(cartridges))))
    return [
        _with_fault(c, LevelFault.ERRATIC) if i in marked else c for i, c in enumerate(cartridges)
    ]


def _with_fault(cartridge: Cartridge, fault: LevelFault) -> Cartridge:
    return Cartridge(
        cartridge.id,
        cartridge.pages_at_install,
        cartridge.points,
        cartridge.ended_at,
        cartridge.pages_given,
        cartridge.faults | {fault},
        cartridge.step_percent,
    )


@dataclass(frozen=True, slots=True)
class LearnedYield:
    """Pages a percent of this model's supply gives, learned from its finished cartridges."""

    pages_per_percent: float
    cartridges: int

    @property
    def pages_per_cartridge(self) -> float:
        return 100.0 * self.pages_per_percent


def learn_yield(
    cartridges: Iterable[Cartridge], *, min_percent_used: float = 30.0
) -> LearnedYield | None:
    """The yield of finished cartridges (of one model and supply type) that used enough of
    their level to tell, and whose numbers can be trusted."""
    pages = percent = 0.0
    count = 0
    for cartridge in cartridges:
        used = cartridge.percent_used
        if (
            cartridge.pages_given is None
            or used is None
            or used < min_percent_used
            or cartridge.faults
        ):
            continue
        pages += cartridge.pages_given
        percent += used
        count += 1
    if not count or percent <= 0 or pages <= 0 or not math.isfinite(pages / percent):
        return None
    return LearnedYield(pages / percent, count)


def learn_pages_per_cartridge(cartridges: Iterable[Cartridge]) -> float | None:
    """The median pages that finished cartridges gave, of those used until low or empty
    (swapped early, they say little); for supplies that report only states."""
    given = sorted(
        c.pages_given
        for c in cartridges
        if c.pages_given and not c.faults and any(p.state in _EXHAUSTED for p in c.points)
    )
    return float(given[len(given) // 2]) if given else None
