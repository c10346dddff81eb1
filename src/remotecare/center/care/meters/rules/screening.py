"""Which counter readings to trust: misreads are excluded from reads, with a reason the
operator sees.

- a **jump**: the counter rises by at least a million pages in one step, and by more than
  the fastest printer could print in the time between (a misread, not a month of work);
- a **dip**: the counter falls and the next reading is back at or above where it was (a
  counter read mid-update, typically one less); a fall that stays is a reset, not a dip;
- an **agent clock** far off: a reading time after the reading was received (beyond a
  tolerance) or long before it (``clock_refusal``, judged when the reading arrives).

Readings are compared with the last *trusted* one before them, so one misread does not
make the honest reading after it look like a jump or a fall.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

__all__ = [
    "CLOCK_AHEAD_TOLERANCE",
    "CLOCK_BEHIND_TOLERANCE",
    "MAX_PAGES_PER_MINUTE",
    "MISREAD_JUMP",
    "Exclusion",
    "ExclusionReason",
    "Reading",
    "Screened",
    "clock_refusal",
    "screen",
]

MISREAD_JUMP = 1_000_000  # pages in one step that no month of an office printer explains
MAX_PAGES_PER_MINUTE = 300  # faster than any production printer
CLOCK_AHEAD_TOLERANCE = timedelta(hours=1)
CLOCK_BEHIND_TOLERANCE = timedelta(days=90)  # an outbox backfill is younger than this


class Reading(NamedTuple):
    """A counter's value as the agent read it at ``at`` (UTC)."""

    at: datetime
    value: int


class ExclusionReason(enum.StrEnum):
    JUMP = "jump"
    DIP = "dip"
    CLOCK_AHEAD = "clock_ahead"
    CLOCK_BEHIND = "clock_behind"


@dataclass(frozen=True, slots=True)
class Exclusion:
    reading: Reading
    reason: ExclusionReason
    detail: str


@dataclass(frozen=True, slots=True)
class Screened:
    kept: list[Reading]
    excluded: list[Exclusion]


def clock_refusal(agent_time: datetime, received_at: datetime) -> ExclusionReason | None:
    """Whether a reading's agent clock is too far from when the center received it."""
    if agent_time > received_at + CLOCK_AHEAD_TOLERANCE:
        return ExclusionReason.CLOCK_AHEAD
    if agent_time < received_at - CLOCK_BEHIND_TOLERANCE:
        return ExclusionReason.CLOCK_BEHIND
    return None


def _is_jump(before: Reading, reading: Reading) -> bool:
    rise = reading.value - before.value
    minutes = max((reading.at - before.at) / timedelta(minutes=1), 0.0)
    return rise >= MISREAD_JUMP and rise > MAX_PAGES_PER_MINUTE * minutes


def screen(readings: Sequence[Reading], now: datetime) -> Screened:
    """Split ``readings`` (any order) into trusted ones, in time order, and exclusions;
    readings dated after ``now`` plus the tolerance count as an agent clock ahead."""
    ordered = sorted(readings)
    if _plainly_fine(ordered, now):  # the usual case, checked cheaply
        return Screened(ordered, [])
    kept: list[Reading] = []
    excluded: list[Exclusion] = []
    for position, reading in enumerate(ordered):
        if reading.at > now + CLOCK_AHEAD_TOLERANCE:
            excluded.append(
                Exclusion(reading, ExclusionReason.CLOCK_AHEAD, f"dated after {now:%Y-%m-%d %H:%M}")
            )
            continue
        before = kept[-1] if kept else None
        if before is not None and _is_jump(before, reading):
            rise = reading.value - before.value
            detail = f"rose {rise} from {before.value} at {before.at:%Y-%m-%d %H:%M}"
            excluded.append(Exclusion(reading, ExclusionReason.JUMP, detail))
            continue
        if before is not None and reading.value < before.value:
            after = _next_trusted_value(ordered, position, now)
            if after is not None and after >= before.value:
                excluded.append(
                    Exclusion(
                        reading,
                        ExclusionReason.DIP,
                        f"fell {before.value - reading.value} and came back to {after}",
                    )
                )
                continue
        kept.append(reading)
    return Screened(kept, excluded)


def _plainly_fine(ordered: Sequence[Reading], now: datetime) -> bool:
    """No reading in the future, none lower than the one before, no rise near a jump."""
    if not ordered or ordered[-1].at > now + CLOCK_AHEAD_TOLERANCE:
        return not ordered
    values = [reading.value for reading in ordered]
    return all(0 <= b - a < MISREAD_JUMP for a, b in itertools.pairwise(values))


def _next_trusted_value(ordered: Sequence[Reading], position: int, now: datetime) -> int | None:
    for later in ordered[position + 1 :]:
        if later.at <= now + CLOCK_AHEAD_TOLERANCE:
            return later.value
    return None
