"""Slow down guessing: failed attempts per client and overall, in a sliding window.

Only failures count, so an agent that enrols correctly is never held up by its
neighbours' mistakes unless the whole center is under attack (the overall limit).
The "client" is whoever failures are counted against: an address for enrolments; for
console logins two limits apply, one per address and one per login name (``LOGIN_*``),
and no overall one, so that nobody can lock every operator out at once.

This module is the rule alone: given the failures recorded within the window (newest
first) and the attempts still under way, is the next attempt allowed, and if not, how
long must the client wait? The failures themselves are recorded in the database, shared
by every center process (``attempts/log.py``); ``identity/enrolment_limit.py``
asks the database, applies the rule and records the outcome (``access/login_limit.py``
does so for both login limits).
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
    "LOGIN_BY_ADDRESS",
    "LOGIN_BY_NAME",
    "LOGIN_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURES_PER_NAME",
    "LOGIN_WINDOW",
    "WINDOW",
    "FailureLimit",
    "RecentFailures",
    "Scope",
    "Wait",
    "longest",
]

FAILURES_PER_CLIENT = 5
FAILURES_OVERALL = 100
WINDOW = timedelta(seconds=60)
IN_FLIGHT_RETRY_SECONDS = 1  # attempts under way are decided within a second or so

# Console logins: an operator who mistypes a few times is not held up for long, while a
# guesser gets 5 tries per address and 10 per login name (from any number of addresses)
# every quarter of an hour.
LOGIN_FAILURES_PER_ADDRESS = 5
LOGIN_FAILURES_PER_NAME = 10
LOGIN_WINDOW = timedelta(minutes=15)

Scope = Literal["client", "name", "overall"]  # "name": a login name's limit


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

    ``overall=None`` sets no overall limit (then ``in_flight`` does not matter either).
    """

    per_client: int = FAILURES_PER_CLIENT
    overall: int | None = FAILURES_OVERALL
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
        by_client = None
        if len(mine) >= self.per_client:
            by_client = Wait(self._seconds_until_below(mine, self.per_client, now), "client")
        if self.overall is None:
            return by_client
        by_everyone = None
        if len(everyone) >= self.overall:
            by_everyone = Wait(self._seconds_until_below(everyone, self.overall, now), "overall")
        elif len(everyone) + in_flight >= self.overall:
            by_everyone = Wait(IN_FLIGHT_RETRY_SECONDS, "overall")
        return longest(by_client, by_everyone)

    def _seconds_until_below(self, newest_first: list[datetime], limit: int, now: datetime) -> int:
        # Below the limit again once the limit-th newest failure has left the window.
        leaves_at = newest_first[limit - 1] + self.window
        return max(1, math.ceil((leaves_at - now).total_seconds()))


LOGIN_BY_ADDRESS = FailureLimit(
    per_client=LOGIN_FAILURES_PER_ADDRESS, overall=None, window=LOGIN_WINDOW
)
LOGIN_BY_NAME = FailureLimit(per_client=LOGIN_FAILURES_PER_NAME, overall=None, window=LOGIN_WINDOW)


def longest(*waits: Wait | None) -> Wait | None:
    """The longest of the waits (the first of equals), or None if none asks to wait.

    An attempt held back by several limits may go ahead only once all of them allow it.
    """
    found = None
    for wait in waits:
        if wait is not None and (found is None or wait.seconds > found.seconds):
            found = wait
    return found
