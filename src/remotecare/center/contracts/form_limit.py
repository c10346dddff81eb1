"""The limit on the public application form: every submission counts, valid or not.

An application form needs no account, so it is what a flood would aim at. Each
submission is recorded against the client's address (``"application-form"`` in the
shared failure log, like logins and enrolments), whatever its outcome.
"""

from __future__ import annotations

from datetime import timedelta

from remotecare.center.attempts.limiter import AttemptLimiter, FailureLog
from remotecare.center.attempts.rules import FailureLimit
from remotecare.center.kernel.clock import Clock

__all__ = ["APPLICATION_FORM_LIMIT", "application_form_limiter"]

# A customer fills the form in once or twice; a few mistakes are allowed for.
APPLICATION_FORM_LIMIT = FailureLimit(per_client=5, overall=200, window=timedelta(hours=1))


def application_form_limiter(
    log: FailureLog, clock: Clock, limit: FailureLimit = APPLICATION_FORM_LIMIT
) -> AttemptLimiter:
    return AttemptLimiter(log, clock, limit)
