"""Slow down guessing: failed attempts per client and overall, in a sliding window.

Only failures count, so an agent that enrols correctly is never held up by its
neighbours' mistakes unless the whole center is under attack (the overall limit).

This module is the rule alone: given the failures recorded within the window (newest
first) and the attempts still under way, is the next attempt allowed, and if not, how
long must the client wait? The failures themselves are recorded in the database, shared
by every center process (``adapters/attempts.py``); ``services/enrolment_limit.py``
asks the database, applies the rule and records the outcome.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

__all__ = [
    "FAILURES_OVERALL",
    "FAILURES_PER_CLIENT",
    "IN_FLIGHT_RETRY_SECONDS",
    "WINDOW",
    "FailureLimit",
    "RecentFailures",
    "Scope",
    "Wait",
]

FAILURES_PER_CLIENT = 5
FAILURES_OVERALL = 100
WINDOW = timedelta(seconds=60)
IN_FLIGHT_RETRY_SECONDS = 1  # attempts under way are decided within a second or so

Scope = Literal["client", "overall"]


@dataclass(frozen=True, slots=True)
class Wait:
    """Refuse the attempt: retry after ``seconds``, because of the ``scope``'s limit."""

    seconds: int
    scope: Scope


@dataclass(frozen=True, slots=True)
class RecentFailures:
    """Failure times within the window, newest first; enough of them to apply the limits.

    ``client`` holds at least ``per_client`` of the client's failures and ``overall`` at
    least ``overall`` of everyone's, when there are that many (more does no harm).
    """

    client: Sequence[datetime] = ()
    overall: Sequence[datetime] = ()


@dataclass(frozen=True, slots=True)
class FailureLimit:
    """Allow an attempt unless too many attempts failed within the window.

    Usage::

        limit = FailureLimit()                      # 5 per client, 100 overall, 60 s
        since = limit.since(now)                    # failures after this still count
        wait = limit.retry_after(recent, now)       # None: go ahead; else a Wait
    """

    per_client: int = FAILURES_PER_CLIENT
    overall: int = FAILURES_OVERALL
    window: timedelta = WINDOW

    def since(self, now: datetime) -> datetime:
        """Failures at or before this moment have left the window."""
        return now - self.window

    def retry_after(
        self, recent: RecentFailures, now: datetime, *, in_flight: int = 0
    ) -> Wait | None:
        """The wait before the next attempt, or None if it may go ahead now.

        ``in_flight`` counts other attempts under way that may still fail (not yet
        recorded); they count against the overall limit, and a refusal because of them
        asks for a short wait only, since they are decided soon.
        """
        horizon = self.since(now)
        mine = sorted((t for t in recent.client if t > horizon), reverse=True)
        everyone = sorted((t for t in recent.overall if t > horizon), reverse=True)
        if len(mine) >= self.per_client:
            return Wait(self._seconds_until_below(mine, self.per_client, now), "client")
        if len(everyone) >= self.overall:
            return Wait(self._seconds_until_below(everyone, self.overall, now), "overall")
        if len(everyone) + in_flight >= self.overall:
            return Wait(IN_FLIGHT_RETRY_SECONDS, "overall")
        return None

    def _seconds_until_below(self, newest_first: list[datetime], limit: int, now: datetime) -> int:
        # Below the limit again once the limit-th newest failure has left the window.
        leaves_at = newest_first[limit - 1] + self.window
        return max(1, math.ceil((leaves_at - now).total_seconds()))
