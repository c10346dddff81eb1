"""Slow down guessing: count failed attempts per client and overall in a sliding window.

Only failures count, so an agent that enrols correctly is never held up by its
neighbours' mistakes unless the whole center is under attack (the overall limit).
The counts live in the memory of one process: with several worker processes, each
keeps its own, so a client gets at most that many times the limit.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

__all__ = ["FAILURES_OVERALL", "FAILURES_PER_CLIENT", "WINDOW_SECONDS", "FailureLimiter"]

FAILURES_PER_CLIENT = 5
FAILURES_OVERALL = 100
WINDOW_SECONDS = 60.0


class FailureLimiter:
    """Allow an attempt unless too many attempts failed within the window.

    Usage::

        limiter = FailureLimiter()
        wait = limiter.retry_after(ip)   # None: go ahead; else seconds to wait
        ...
        limiter.record_failure(ip)       # after a failed attempt
    """

    def __init__(
        self,
        per_client: int = FAILURES_PER_CLIENT,
        overall: int = FAILURES_OVERALL,
        window_seconds: float = WINDOW_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_client = per_client
        self.overall = overall
        self._window = window_seconds
        self._monotonic = monotonic
        self._by_client: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def retry_after(self, client: str) -> tuple[int, str] | None:
        """``(seconds, scope)`` to wait, scope ``"client"`` or ``"overall"``; None if allowed."""
        now = self._monotonic()
        self._expire(now)
        mine = self._by_client.get(client)
        if mine is not None and len(mine) >= self.per_client:
            return self._wait(mine, now), "client"
        if len(self._all) >= self.overall:
            return self._wait(self._all, now), "overall"
        return None

    def record_failure(self, client: str) -> None:
        now = self._monotonic()
        self._expire(now)
        self._by_client.setdefault(client, deque()).append(now)
        self._all.append(now)

    def _wait(self, failures: deque[float], now: float) -> int:
        return max(1, math.ceil(failures[0] + self._window - now))

    def _expire(self, now: float) -> None:
        horizon = now - self._window
        while self._all and self._all[0] <= horizon:
            self._all.popleft()
        for client in [c for c, times in self._by_client.items() if times[-1] <= horizon]:
            del self._by_client[client]
        for times in self._by_client.values():
            while times[0] <= horizon:
                times.popleft()
