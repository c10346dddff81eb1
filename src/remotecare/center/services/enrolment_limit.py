"""The limit on failed enrolments: per client address and overall, across processes.

An ``AttemptLimiter`` (``services/attempt_limit.py``) with the enrolment limit
(``domain/rate_limit.FailureLimit()``: 5 per address, 100 overall, per minute) over the
``"enrolment"`` failures in the shared database.
"""

from __future__ import annotations

from remotecare.center.clock import Clock
from remotecare.center.domain.rate_limit import FailureLimit
from remotecare.center.services.attempt_limit import AttemptLimiter, FailureLog

__all__ = ["EnrolmentLimiter"]


class EnrolmentLimiter(AttemptLimiter):
    """Refuse enrolment attempts past the limit of failures, counted in ``log``.

    Usage::

        limiter = EnrolmentLimiter(SqlFailureLog(engine, "enrolment"), clock)
        async with limiter.attempt(client) as attempt:
            ...                                       # as for any AttemptLimiter
    """

    def __init__(self, log: FailureLog, clock: Clock, limit: FailureLimit | None = None) -> None:
        super().__init__(log, clock, limit or FailureLimit())
