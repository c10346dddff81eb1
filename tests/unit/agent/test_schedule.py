"""When the agent sends: backoff, Retry-After and its place in the poll interval."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from remotecare.agent.schedule import Backoff, next_cycle_at, parse_retry_after, phase_of

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    backoff = Backoff(min_s=5, max_s=60)
    rng = random.Random(1)
    ceilings = []
    for _ in range(8):
        delay = backoff.next_delay(rng)
        ceilings.append(delay)
        assert 5 <= delay <= 60
    assert max(ceilings[4:]) > max(ceilings[:2])


def test_backoff_spreads_agents_that_failed_together() -> None:
    delays = {round(Backoff(5, 900, failures=4).next_delay(random.Random(i)), 1) for i in range(50)}
    assert len(delays) > 40


def test_backoff_starts_again_after_a_success() -> None:
    backoff = Backoff(min_s=5, max_s=900, failures=10)
    backoff.reset()
    assert backoff.next_delay(random.Random(0)) <= 10


def test_retry_after_is_never_undercut() -> None:
    for seed in range(20):
        delay = Backoff(5, 900).next_delay(random.Random(seed), retry_after_s=120)
        assert 120 <= delay <= 144


def test_retry_after_is_read_in_seconds_or_as_a_date() -> None:
    assert parse_retry_after("30", NOW) == 30
    date = (NOW + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(date, NOW) == 90
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_each_agent_keeps_its_own_phase_in_the_interval() -> None:
    phases = [phase_of(f"endpoint-{i}", 300) for i in range(1000)]
    assert all(0 <= p < 300 for p in phases)
    assert phase_of("endpoint-1", 300) == phases[1]
    # spread: every 30-second slice of the interval holds some agents, none most of them
    slices = [sum(1 for p in phases if k * 30 <= p < (k + 1) * 30) for k in range(10)]
    assert min(slices) > 50
    assert max(slices) < 150


def test_the_next_cycle_falls_on_the_agents_phase() -> None:
    assert next_cycle_at(1000.0, 300, 40) == 1240.0
    assert next_cycle_at(1240.0, 300, 40) == 1540.0
    assert next_cycle_at(1239.9, 300, 40) == 1240.0
