"""A limit on failed attempts, held across every center process.

One limiter per purpose: enrolments by address (``identity/enrolment_limit.py``),
console logins by address and by login name (``access/login_limit.py``, two limiters).
Failures are recorded in the shared database (``attempts/log.py``); before each
attempt the process reads the recent ones and applies the rule
(``attempts/rules.py``). A successful attempt costs one read and no write.

Reading before and recording after leaves a race: attempts under way are in no table
yet. Within a process they are counted here: one attempt per client at a time
(the next one waits its turn, then sees the failure of the one before), and at most
``MAX_IN_FLIGHT`` at a time overall, counted against the overall limit until recorded.
Across processes, each may have one unrecorded attempt per client, so with N worker
processes a client gets at most ``per_client + N - 1`` attempts within a window, and
everyone together at most ``overall + (N - 1) * MAX_IN_FLIGHT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from remotecare.center.attempts.rules import FailureLimit, RecentFailures, Wait
from remotecare.center.kernel.clock import Clock

__all__ = ["FORGET_EVERY", "MAX_IN_FLIGHT", "Attempt", "AttemptLimiter", "FailureLog"]

logger = logging.getLogger(__name__)

MAX_IN_FLIGHT = 8  # attempts under way at once in one process, per limiter
FORGET_EVERY = timedelta(minutes=1)  # or once a window, if shorter


class FailureLog(Protocol):
    """Where failed attempts of one purpose are recorded (``SqlFailureLog``); called
    from a thread. ``overall=0`` asks for no overall failures."""

    def recent(
        self, client: str, since: datetime, *, per_client: int, overall: int
    ) -> RecentFailures: ...

    def record(self, client: str, at: datetime) -> None: ...

    def forget(self, *, before: datetime) -> int: ...


@dataclass(slots=True)
class Attempt:
    """One attempt: refused (``wait`` set), or allowed and then ``failed`` or not."""

    wait: Wait | None
    failed: bool = False


@dataclass(slots=True)
class _Turn:
    lock: asyncio.Lock
    users: int = 0


class AttemptLimiter:
    """Refuse attempts past the limit of failures, counted in ``log``.

    Usage::

        limiter = AttemptLimiter(SqlFailureLog(transactions, "enrolment"), clock, FailureLimit())
        async with limiter.attempt(client) as attempt:
            if attempt.wait is not None:
                ...                                   # 429, Retry-After: attempt.wait.seconds
            else:
                attempt.failed = not enrolled(...)    # recorded when the block ends
    """

    def __init__(self, log: FailureLog, clock: Clock, limit: FailureLimit) -> None:
        self.limit = limit
        self._log = log
        self._clock = clock
        self._turns: dict[str, _Turn] = {}
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._in_flight = 0  # allowed, not yet settled
        self._allowed_total = 0  # allowed ever, to see who came and went during a read
        self._forgotten_at: datetime | None = None

    @contextlib.asynccontextmanager
    async def attempt(self, client: str) -> AsyncIterator[Attempt]:
        """Decide on one attempt by ``client``; if allowed, record it when it failed.

        An exception inside the block counts as a failure (and is raised again).
        """
        async with self._turn(client), self._slots:
            # Attempts under way when the read starts, or allowed while it runs, may be
            # in neither the read nor the count by the time it returns: count them all.
            in_flight, allowed_before = self._in_flight, self._allowed_total
            now = self._clock.now()
            recent = await asyncio.to_thread(
                self._log.recent,
                client,
                self.limit.since(now),
                per_client=self.limit.per_client,
                overall=self.limit.overall or 0,
            )
            in_flight += self._allowed_total - allowed_before
            attempt = Attempt(self.limit.retry_after(recent, now, in_flight=in_flight))
            if attempt.wait is not None:
                yield attempt
                return
            self._in_flight += 1
            self._allowed_total += 1
            try:
                yield attempt
            except BaseException:
                attempt.failed = True
                raise
            finally:
                try:
                    if attempt.failed:
                        await self._record(client)
                finally:
                    self._in_flight -= 1

    @contextlib.asynccontextmanager
    async def _turn(self, client: str) -> AsyncIterator[None]:
        """One attempt per client at a time in this process."""
        turn = self._turns.setdefault(client, _Turn(asyncio.Lock()))
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[client]

    async def _record(self, client: str) -> None:
        now = self._clock.now()
        await asyncio.to_thread(self._log.record, client, now)
        every = min(self.limit.window, FORGET_EVERY)
        if self._forgotten_at is None or now - self._forgotten_at >= every:
            self._forgotten_at = now
            forgotten = await asyncio.to_thread(self._log.forget, before=self.limit.since(now))
            logger.debug("forgot %d old failed attempts", forgotten)
