"""Is an agent or a printer in touch? Derived only from when it was last heard of.

An agent checks in once per poll interval (with ±10 % jitter). It is *online* while its
last contact is at most :data:`LATE_AFTER_INTERVALS` intervals old, *late* after that,
and *silent* after :data:`SILENT_AFTER_INTERVALS` intervals. A printer is judged the same
way by the last report about it (any outcome): what the agent says about the printer
(``unreachable_reason``) is a separate fact, shown beside this state, never mixed into it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "DEFAULT_POLL_INTERVAL_SECONDS",
    "LATE_AFTER_INTERVALS",
    "SILENT_AFTER_INTERVALS",
    "Connectivity",
    "Presence",
    "assess",
]

DEFAULT_POLL_INTERVAL_SECONDS = 300
LATE_AFTER_INTERVALS = 2
SILENT_AFTER_INTERVALS = 6


class Connectivity(enum.StrEnum):
    ONLINE = "online"
    LATE = "late"
    SILENT = "silent"


@dataclass(frozen=True, slots=True)
class Presence:
    """The state and how long it has been since the last contact."""

    state: Connectivity
    quiet_for: timedelta


def assess(
    last_heard_at: datetime, now: datetime, poll_interval_seconds: int | None = None
) -> Presence:
    """Judge contact at ``last_heard_at`` against the poll interval (default 300 s).

    Usage::

        assess(endpoint.last_seen_at or endpoint.enrolled_at, clock.now(), 300).state
    """
    interval = timedelta(seconds=poll_interval_seconds or DEFAULT_POLL_INTERVAL_SECONDS)
    quiet_for = max(now - last_heard_at, timedelta(0))
    if quiet_for > interval * SILENT_AFTER_INTERVALS:
        return Presence(Connectivity.SILENT, quiet_for)
    if quiet_for > interval * LATE_AFTER_INTERVALS:
        return Presence(Connectivity.LATE, quiet_for)
    return Presence(Connectivity.ONLINE, quiet_for)
