"""What a reading adds to the compact history: pure, values in and changes out.

A series (one supply or one counter of one printer) keeps only changes: a sample says
"from this time on, the value was this". A reading is a sample; whether it is stored
depends on its neighbours *by time*, not on the order readings arrive in, because a
backfill from an agent's outbox arrives after newer readings were stored:

- it is stored when its value differs from the sample before it (or none is before it);
- the sample after it is then dropped when it repeats the reading's value, as it is no
  longer a change;
- a reading whose time is already sampled was seen before (or at the same instant) and
  changes nothing, so processing a reading twice adds nothing.

What a late reading cannot show: a value that changed and changed back between two
readings the center had not yet received is known only once those readings arrive.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar

from remotecare.protocol.messages import PrinterReading

__all__ = [
    "CounterKey",
    "Sample",
    "SeriesChanges",
    "SupplyKey",
    "SupplyKind",
    "SupplyLevel",
    "counters_of",
    "merge_readings",
    "supplies_of",
    "supply_kinds",
]

V = TypeVar("V", bound=Hashable)


class SupplyKey(NamedTuple):
    """Which supply: its position, and the cartridge as the printer describes it (a new
    cartridge that describes itself differently, e.g. with its serial, starts a new
    series, so that its replacement is visible)."""

    supply_index: int
    description: str


class SupplyKind(NamedTuple):
    """What a supply is, kept once per series (not per sample)."""

    type: str
    colour: str | None
    unit: str | None


class SupplyLevel(NamedTuple):
    """What a supply sample holds: level and capacity as numbers, the state by name."""

    level: int | None
    max_capacity: int | None
    state: str


class CounterKey(NamedTuple):
    name: str
    unit: str


@dataclass(frozen=True, slots=True)
class Sample(Generic[V]):
    """A series' value from ``at`` on."""

    at: datetime
    value: V


@dataclass(frozen=True, slots=True)
class SeriesChanges(Generic[V]):
    """What to write for one series: samples to add, and times of samples to drop."""

    added: list[Sample[V]]
    dropped: list[datetime]

    def __bool__(self) -> bool:
        return bool(self.added or self.dropped)


def supplies_of(reading: PrinterReading) -> dict[SupplyKey, SupplyLevel]:
    """Each supply of a reading by its key (the last one wins if a printer repeats one)."""
    return {
        SupplyKey(s.index, s.description): SupplyLevel(s.level, s.max_capacity, s.state.value)
        for s in reading.supplies
    }


def supply_kinds(reading: PrinterReading) -> dict[SupplyKey, SupplyKind]:
    """What each supply of a reading is (for a series seen for the first time)."""
    return {
        SupplyKey(s.index, s.description): SupplyKind(s.type, s.colour, s.unit)
        for s in reading.supplies
    }


def counters_of(reading: PrinterReading) -> dict[CounterKey, int]:
    """Each counter of a reading by name and unit."""
    return {CounterKey(c.name, c.unit): c.value for c in reading.counters}


def merge_readings(stored: Sequence[Sample[V]], readings: Iterable[Sample[V]]) -> SeriesChanges[V]:
    """The changes that ``readings`` make to one series.

    ``stored`` must hold, in time order, the last stored sample at or before the earliest
    reading (if any) and every stored sample after it: the readings' neighbours.
    """
    series = list(stored)
    times = [sample.at for sample in series]
    for reading in sorted(readings, key=lambda sample: sample.at):
        position = bisect.bisect_right(times, reading.at)
        before = series[position - 1] if position else None
        if before is not None and (before.at == reading.at or before.value == reading.value):
            continue
        series.insert(position, reading)
        times.insert(position, reading.at)
        after = position + 1
        if after < len(series) and series[after].value == reading.value:
            del series[after], times[after]
    kept = {sample.at for sample in series}
    originally = {sample.at for sample in stored}
    return SeriesChanges(
        added=[sample for sample in series if sample.at not in originally],
        dropped=[sample.at for sample in stored if sample.at not in kept],
    )
