"""The limits on failed console logins: per client address and per login name.

Two ``AttemptLimiter``s (``attempts/limiter.py``) over the shared database, one
counting failures against the address (``"login-address"``), one against the login name
typed (``"login-name"``, whether or not such an operator exists, so that a refusal says
nothing about the account). An attempt goes ahead only if both allow it, and a failure
counts against both. A success records nothing and clears nothing: other addresses'
failures against the same name still count.

The limits (``attempts/rules.LOGIN_*``): 5 failures per address and 10 per login
name within 15 minutes. An address alone cannot lock an operator out, since it is
stopped at 5; many addresses together get at most 10 guesses per name per window, and
can keep the name locked meanwhile: ``remotecare center unlock-login`` clears it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

from remotecare.center.attempts.limiter import Attempt, AttemptLimiter, FailureLog
from remotecare.center.attempts.rules import (
    LOGIN_BY_ADDRESS,
    LOGIN_BY_NAME,
    FailureLimit,
    longest,
)
from remotecare.center.kernel.clock import Clock

__all__ = ["LoginLimiter"]


class LoginLimiter:
    """Refuse console logins past the failures per address or per login name.

    Usage::

        limiter = LoginLimiter(
            SqlFailureLog(transactions, "login-address"),
            SqlFailureLog(transactions, "login-name"),
            clock,
        )
        async with limiter.attempt(address, username) as attempt:
            if attempt.wait is not None:
                ...        # 429, Retry-After: attempt.wait.seconds (scope "client" or "name")
            else:
                attempt.failed = not logged_in(...)   # recorded against both when it ends
    """

    def __init__(
        self,
        address_log: FailureLog,
        name_log: FailureLog,
        clock: Clock,
        *,
        by_address: FailureLimit = LOGIN_BY_ADDRESS,
        by_name: FailureLimit = LOGIN_BY_NAME,
    ) -> None:
        self.by_address = AttemptLimiter(address_log, clock, by_address)
        self.by_name = AttemptLimiter(name_log, clock, by_name)

    @contextlib.asynccontextmanager
    async def attempt(self, address: str, name: str) -> AsyncIterator[Attempt]:
        """Decide on one login as ``name`` from ``address``; record it if it failed.

        The wait, if any, is the longer of the two limits' (scope ``"name"`` for the
        login name's). An exception inside the block counts as a failure.
        """
        # Always address first, then name: the same order in every attempt, so the two
        # limiters' turns cannot deadlock.
        async with (
            self.by_address.attempt(address) as by_address,
            self.by_name.attempt(name) as by_name,
        ):
            name_wait = None if by_name.wait is None else replace(by_name.wait, scope="name")
            attempt = Attempt(longest(by_address.wait, name_wait))
            try:
                yield attempt
            finally:
                if attempt.wait is None:
                    by_address.failed = by_name.failed = attempt.failed
