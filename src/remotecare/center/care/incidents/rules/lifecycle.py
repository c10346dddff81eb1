"""An incident's life: opened by a condition, held while it repeats, *clearing* when the
condition goes, resolved after the settle time, back to open if the condition returns
first. A condition that returns again and again while clearing is *flapping*: the one
incident is marked so (and settles longer) instead of opening a stream of new ones.

Usage::

    decisions = evaluate(open_incidents, conditions_of(reading, catalogue), at, policy)
    decisions += settled(open_incidents, now, policy)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from remotecare.center.care.incidents.rules.conditions import Condition

__all__ = [
    "Change",
    "Decision",
    "IncidentState",
    "IncidentView",
    "SettlePolicy",
    "evaluate",
    "settled",
]


class IncidentState(enum.StrEnum):
    OPEN = "open"
    CLEARING = "clearing"  # the condition is gone; resolves after the settle time
    RESOLVED = "resolved"


class Change(enum.StrEnum):
    """What happened to an incident (the timeline's entries, in the past tense)."""

    OPENED = "opened"
    CLEARED = "cleared"
    RETURNED = "returned"
    FLAPPING = "flapping"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED_BY_HAND = "resolved_by_hand"
    DIAGNOSTICS_REQUESTED = "diagnostics_requested"
    BUNDLE_LINKED = "bundle_linked"


@dataclass(frozen=True, slots=True)
class SettlePolicy:
    """``settle``: how long a cleared condition must stay away; ``flap_returns`` returns
    within ``flap_window`` mark an incident flapping; a flapping one settles
    ``flapping_settle_factor`` times longer."""

    settle: timedelta = timedelta(minutes=10)
    flap_returns: int = 3
    flap_window: timedelta = timedelta(hours=1)
    flapping_settle_factor: int = 3

    def settle_of(self, incident: IncidentView) -> timedelta:
        return self.settle * (self.flapping_settle_factor if incident.flapping else 1)


@dataclass(frozen=True, slots=True)
class IncidentView:
    """What the rules need of an unresolved incident."""

    key: str
    kind: str
    state: IncidentState
    last_seen_at: datetime
    cleared_at: datetime | None = None
    returns: int = 0  # returns within the flap window
    first_return_at: datetime | None = None
    flapping: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    key: str
    change: Change | None  # None: seen again, nothing to tell (only last_seen moves)
    at: datetime
    condition: Condition | None = None
    returns: int = 0
    first_return_at: datetime | None = None


def evaluate(
    incidents: Mapping[str, IncidentView],
    conditions: Mapping[str, Condition],
    at: datetime,
    policy: SettlePolicy,
    *,
    governed: frozenset[str] | None = None,
) -> list[Decision]:
    """What a look at ``at`` that found ``conditions`` changes. Only incidents whose kind
    is in ``governed`` (all when None) can clear: a reading says nothing about silence."""
    decisions: list[Decision] = []
    for key, condition in conditions.items():
        incident = incidents.get(key)
        if incident is None:
            decisions.append(Decision(key, Change.OPENED, at, condition))
        elif at < incident.last_seen_at:
            continue  # an older look (a backfill) changes nothing
        elif incident.state is IncidentState.CLEARING:
            decisions.append(_returned(incident, condition, at, policy))
        else:
            decisions.append(Decision(key, None, at, condition))
    for key, incident in incidents.items():
        if key in conditions or incident.state is not IncidentState.OPEN:
            continue
        if governed is not None and incident.kind not in governed:
            continue
        if at > incident.last_seen_at:
            decisions.append(Decision(key, Change.CLEARED, at))
    return decisions


def _returned(
    incident: IncidentView, condition: Condition, at: datetime, policy: SettlePolicy
) -> Decision:
    first = incident.first_return_at
    returns = incident.returns
    if first is None or at - first > policy.flap_window:
        first, returns = at, 0
    returns += 1
    change = Change.RETURNED
    if not incident.flapping and returns >= policy.flap_returns:
        change = Change.FLAPPING
    return Decision(incident.key, change, at, condition, returns, first)


def settled(
    incidents: Mapping[str, IncidentView], now: datetime, policy: SettlePolicy
) -> list[Decision]:
    """The clearing incidents whose condition stayed away for their settle time."""
    return [
        Decision(key, Change.RESOLVED, now)
        for key, incident in incidents.items()
        if incident.state is IncidentState.CLEARING
        and incident.cleared_at is not None
        and now - incident.cleared_at >= policy.settle_of(incident)
    ]
