"""The limiter reads the shared log before an attempt and records it after a failure."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from remotecare.center.attempts.rules import FailureLimit, RecentFailures, Wait
from remotecare.center.identity.enrolment_limit import EnrolmentLimiter
from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeFailureLog:
    """Failures in a list; each read waits a little, as a database round trip would."""

    def __init__(self, read_seconds: float = 0.0) -> None:
        self.failures: list[tuple[str, datetime]] = []
        self.reads = 0
        self.forgotten_before: list[datetime] = []
        self._read_seconds = read_seconds
        self._lock = threading.Lock()

    def recent(
        self, client: str, since: datetime, *, per_client: int, overall: int
    ) -> RecentFailures:
        threading.Event().wait(self._read_seconds)
        with self._lock:
            self.reads += 1
            newest = sorted((f for f in self.failures if f[1] > since), key=lambda f: f[1])[::-1]
        return RecentFailures(
            client=[at for c, at in newest if c == client][:per_client],
            overall=[at for _, at in newest][:overall],
        )

    def record(self, client: str, at: datetime) -> None:
        with self._lock:
            self.failures.append((client, at))

    def forget(self, *, before: datetime) -> int:
        with self._lock:
            self.forgotten_before.append(before)
            kept = [f for f in self.failures if f[1] > before]
            gone, self.failures = len(self.failures) - len(kept), kept
        return gone


async def _fail_once(limiter: EnrolmentLimiter, client: str, hold: float = 0.0) -> Wait | None:
    async with limiter.attempt(client) as attempt:
        if attempt.wait is None:
            await asyncio.sleep(hold)
            attempt.failed = True
        return attempt.wait


async def test_a_success_costs_one_read_and_records_nothing() -> None:
    log = FakeFailureLog()
    limiter = EnrolmentLimiter(log, FakeClock(T0))
    async with limiter.attempt("192.0.2.1") as attempt:
        assert attempt.wait is None
    assert (log.reads, log.failures) == (1, [])


async def test_concurrent_failures_from_one_client_stop_at_the_limit() -> None:
    log = FakeFailureLog(read_seconds=0.005)
    limiter = EnrolmentLimiter(log, FakeClock(T0))

    waits = await asyncio.gather(*(_fail_once(limiter, "192.0.2.1", 0.01) for _ in range(20)))

    assert waits.count(None) == 5
    assert set(waits) - {None} == {Wait(60, "client")}
    assert len(log.failures) == 5


async def test_attempts_under_way_count_against_the_overall_limit() -> None:
    log = FakeFailureLog(read_seconds=0.005)
    limiter = EnrolmentLimiter(log, FakeClock(T0), FailureLimit(per_client=5, overall=3))

    waits = await asyncio.gather(*(_fail_once(limiter, f"198.51.100.{n}", 0.05) for n in range(12)))

    assert waits.count(None) == 3
    assert len(log.failures) == 3


async def test_an_error_during_the_attempt_counts_as_a_failure() -> None:
    log = FakeFailureLog()
    limiter = EnrolmentLimiter(log, FakeClock(T0))
    with pytest.raises(RuntimeError):
        async with limiter.attempt("192.0.2.1"):
            raise RuntimeError("boom")
    assert [client for client, _ in log.failures] == ["192.0.2.1"]


async def test_a_refused_attempt_is_not_recorded() -> None:
    log = FakeFailureLog()
    limiter = EnrolmentLimiter(log, FakeClock(T0), FailureLimit(per_client=1))
    assert await _fail_once(limiter, "192.0.2.1") is None
    assert await _fail_once(limiter, "192.0.2.1") == Wait(60, "client")
    assert len(log.failures) == 1


async def test_old_failures_are_forgotten_at_most_once_a_window() -> None:
    log, clock = FakeFailureLog(), FakeClock(T0)
    limiter = EnrolmentLimiter(log, clock)
    for step in range(4):  # failures at 0, 30, 60 and 90 s
        clock.set(T0 + timedelta(seconds=30 * step))
        await _fail_once(limiter, f"client-{step}")
    assert log.forgotten_before == [T0 - timedelta(seconds=60), T0]
    assert [client for client, _ in log.failures] == ["client-1", "client-2", "client-3"]
