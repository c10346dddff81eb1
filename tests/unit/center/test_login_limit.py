"""A console login is held back by its address's failures or its login name's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest
from argon2 import PasswordHasher

from remotecare.center.access.login_limit import LoginLimiter
from remotecare.center.attempts.rules import FailureLimit, RecentFailures, Wait
from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeFailureLog:
    """One purpose's failures, as (subject, time) in a list."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, datetime]] = []

    def recent(
        self, client: str, since: datetime, *, per_client: int, overall: int
    ) -> RecentFailures:
        newest = sorted((at for c, at in self.failures if c == client and at > since))[::-1]
        return RecentFailures(client=newest[:per_client], overall=[])

    def record(self, client: str, at: datetime) -> None:
        self.failures.append((client, at))

    def forget(self, *, before: datetime) -> int:
        return 0


@pytest.fixture
def logs() -> tuple[FakeFailureLog, FakeFailureLog]:
    return FakeFailureLog(), FakeFailureLog()


def _limiter(logs: tuple[FakeFailureLog, FakeFailureLog]) -> LoginLimiter:
    return LoginLimiter(
        *logs,
        FakeClock(T0),
        by_address=FailureLimit(per_client=2, overall=None),
        by_name=FailureLimit(per_client=3, overall=None),
    )


async def _try(limiter: LoginLimiter, address: str, name: str, *, ok: bool) -> Wait | None:
    async with limiter.attempt(address, name) as attempt:
        if attempt.wait is None:
            attempt.failed = not ok
        return attempt.wait


async def test_a_failure_counts_against_the_address_and_the_name(
    logs: tuple[FakeFailureLog, FakeFailureLog],
) -> None:
    limiter = _limiter(logs)
    assert await _try(limiter, "192.0.2.1", "alice", ok=False) is None
    by_address, by_name = logs
    assert (by_address.failures, by_name.failures) == ([("192.0.2.1", T0)], [("alice", T0)])


async def test_an_address_past_its_limit_waits_whatever_name_it_tries(
    logs: tuple[FakeFailureLog, FakeFailureLog],
) -> None:
    limiter = _limiter(logs)
    for name in ("alice", "bob"):
        assert await _try(limiter, "192.0.2.1", name, ok=False) is None
    assert await _try(limiter, "192.0.2.1", "carol", ok=True) == Wait(60, "client")
    assert await _try(limiter, "192.0.2.2", "carol", ok=True) is None


async def test_a_name_past_its_limit_waits_from_every_address(
    logs: tuple[FakeFailureLog, FakeFailureLog],
) -> None:
    limiter = _limiter(logs)
    for n in range(3):
        assert await _try(limiter, f"192.0.2.{n}", "alice", ok=False) is None
    assert await _try(limiter, "198.51.100.9", "alice", ok=True) == Wait(60, "name")
    assert await _try(limiter, "198.51.100.9", "bob", ok=True) is None


async def test_successes_and_refusals_record_nothing(
    logs: tuple[FakeFailureLog, FakeFailureLog],
) -> None:
    limiter = _limiter(logs)
    for _ in range(3):
        assert await _try(limiter, "192.0.2.1", "alice", ok=True) is None
    assert logs[0].failures == logs[1].failures == []
    for _ in range(2):
        await _try(limiter, "192.0.2.1", "alice", ok=False)
    assert await _try(limiter, "192.0.2.1", "alice", ok=False) == Wait(60, "client")
    assert (len(logs[0].failures), len(logs[1].failures)) == (2, 2)


def test_an_unknown_login_name_costs_the_same_hashing_as_a_wrong_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from remotecare.center.kernel import secrets

    stored = secrets.hash_password("right")
    secrets.verify_password("warm-up", None)  # the unknown-account hash, made once
    calls: list[str] = []
    real = secrets._HASHER

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            calls.append(str(hash).split("$")[3])  # the parameters: m=...,t=...,p=...
            return super().verify(hash, password)

    counting = CountingHasher(real.time_cost, real.memory_cost, real.parallelism)
    monkeypatch.setattr(secrets, "_HASHER", counting)
    assert secrets.verify_password("right", stored)
    assert not secrets.verify_password("wrong", stored)
    assert not secrets.verify_password("right", None)  # no such account
    # One full argon2id each, with the same parameters: no shortcut for an unknown name.
    assert calls == [stored.split("$")[3]] * 3
