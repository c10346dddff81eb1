"""Failed enrolment attempts are limited per client and overall, in a sliding window."""

from __future__ import annotations

from remotecare.center.domain.rate_limit import FailureLimiter


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_sixth_attempt_after_five_failures_waits_until_the_first_one_is_a_minute_old() -> None:
    clock = _Clock()
    limiter = FailureLimiter(monotonic=clock)
    for _ in range(5):
        assert limiter.retry_after("192.0.2.1") is None
        limiter.record_failure("192.0.2.1")
        clock.now += 2
    assert limiter.retry_after("192.0.2.1") == (50, "client")
    assert limiter.retry_after("192.0.2.2") is None  # another client is not affected
    clock.now = 1060.0
    assert limiter.retry_after("192.0.2.1") is None  # the first failure left the window


def test_the_overall_limit_stops_everyone() -> None:
    clock = _Clock()
    limiter = FailureLimiter(per_client=5, overall=3, monotonic=clock)
    for n in range(3):
        limiter.record_failure(f"198.51.100.{n}")
    assert limiter.retry_after("203.0.113.9") == (60, "overall")
    clock.now += 60
    assert limiter.retry_after("203.0.113.9") is None


def test_a_retry_after_is_never_below_one_second() -> None:
    clock = _Clock()
    limiter = FailureLimiter(per_client=1, monotonic=clock)
    limiter.record_failure("a")
    clock.now += 59.9
    assert limiter.retry_after("a") == (1, "client")


def test_forgotten_clients_do_not_accumulate() -> None:
    clock = _Clock()
    limiter = FailureLimiter(monotonic=clock)
    for n in range(50):
        limiter.record_failure(f"client-{n}")
    clock.now += 61
    limiter.record_failure("late")
    assert list(limiter._by_client) == ["late"]
