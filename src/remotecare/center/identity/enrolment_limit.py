"""The limit on failed enrolments: per client address and overall, across processes.

An ``AttemptLimiter`` (``attempts/limiter.py``) with the enrolment limit
(``attempts/rules.FailureLimit()``: 5 per address, 100 overall, per minute) over the
``"enrolment"`` failures in the shared database.
"""

from __future__ import annotations

from remotecare.center.attempts.limiter import AttemptLimiter, FailureLog
from remotecare.center.attempts.rules import FailureLimit
from remotecare.center.kernel.clock import Clock

__all__ = ["EnrolmentLimiter"]


class EnrolmentLimiter(AttemptLimiter):
    """Refuse enrolment attempts past the limit of failures, counted in ``log``.

    Usage::

        limiter = EnrolmentLimiter(SqlFailureLog(transactions, "enrolment"), clock)
        async with limiter.attempt(client) as attempt:
            ...                                       # as for any AttemptLimiter
    """

    def __init__(self, log: FailureLog, clock: Clock, limit: FailureLimit | None = None) -> None:
        super().__init__(log, clock, limit or FailureLimit())
