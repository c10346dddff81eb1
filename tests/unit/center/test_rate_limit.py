"""Failed enrolment attempts are limited per client and overall, in a sliding window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from remotecare.center.attempts.rules import (
    IN_FLIGHT_RETRY_SECONDS,
    LOGIN_BY_ADDRESS,
    LOGIN_BY_NAME,
    FailureLimit,
    RecentFailures,
    Wait,
    longest,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _at(*seconds: float) -> list[datetime]:
    """Failure times ``seconds`` after T0, newest first (as the log gives them)."""
    return sorted((T0 + timedelta(seconds=s) for s in seconds), reverse=True)


def test_the_sixth_attempt_after_five_failures_waits_until_the_first_one_is_a_minute_old() -> None:
    limit = FailureLimit()
    mine = _at(0, 2, 4, 6, 8)
    for n in range(5):
        assert limit.retry_after(RecentFailures(mine[:n]), T0) is None
    now = T0 + timedelta(seconds=10)
    assert limit.retry_after(RecentFailures(mine, mine), now) == Wait(50, "client")
    assert limit.retry_after(RecentFailures((), mine), now) is None  # another client
    later = T0 + timedelta(seconds=60)
    assert limit.retry_after(RecentFailures(mine, mine), later) is None  # the first one left


def test_the_overall_limit_stops_everyone() -> None:
    limit = FailureLimit(per_client=5, overall=3)
    everyone = _at(0, 0, 0)
    assert limit.retry_after(RecentFailures((), everyone), T0) == Wait(60, "overall")
    assert limit.retry_after(RecentFailures((), everyone), T0 + timedelta(seconds=60)) is None


def test_a_retry_after_is_never_below_one_second() -> None:
    limit = FailureLimit(per_client=1)
    now = T0 + timedelta(seconds=59.9)
    assert limit.retry_after(RecentFailures(_at(0)), now) == Wait(1, "client")


def test_with_more_failures_than_the_limit_the_wait_is_for_the_limit_th_newest() -> None:
    """A race between processes can record a few extra failures; the wait stays honest."""
    limit = FailureLimit(per_client=2)
    mine = _at(0, 10, 20, 30)
    now = T0 + timedelta(seconds=30)
    assert limit.retry_after(RecentFailures(mine), now) == Wait(50, "client")  # 20 s + 60 s


def test_failures_outside_the_window_are_ignored_even_if_the_log_returns_them() -> None:
    limit = FailureLimit(per_client=2)
    now = T0 + timedelta(seconds=61)
    assert limit.retry_after(RecentFailures(_at(1, 0)), now) is None
    assert limit.since(now) == T0 + timedelta(seconds=1)


def test_attempts_under_way_count_against_the_overall_limit_with_a_short_wait() -> None:
    limit = FailureLimit(per_client=5, overall=3)
    everyone = _at(0, 1)
    now = T0 + timedelta(seconds=2)
    assert limit.retry_after(RecentFailures((), everyone), now) is None
    assert limit.retry_after(RecentFailures((), everyone), now, in_flight=1) == Wait(
        IN_FLIGHT_RETRY_SECONDS, "overall"
    )


def test_past_both_limits_the_wait_is_the_longer_one() -> None:
    limit = FailureLimit(per_client=2, overall=3)
    mine = _at(30, 40)
    everyone = _at(0, 30, 40)
    now = T0 + timedelta(seconds=40)
    assert limit.retry_after(RecentFailures(mine, everyone), now) == Wait(50, "client")
    everyone = _at(35, 38, 40)
    assert limit.retry_after(RecentFailures(_at(0, 1), everyone), now) == Wait(55, "overall")


def test_without_an_overall_limit_only_the_clients_failures_count() -> None:
    limit = FailureLimit(per_client=2, overall=None)
    everyone = _at(*range(50))
    assert limit.retry_after(RecentFailures(_at(0), everyone), T0, in_flight=1000) is None
    assert limit.retry_after(RecentFailures(_at(0, 5), everyone), T0 + timedelta(seconds=5)) == (
        Wait(55, "client")
    )


def test_console_logins_allow_5_failures_per_address_and_10_per_name_in_15_minutes() -> None:
    failures = [T0 - timedelta(minutes=n) for n in range(10)]  # one a minute, newest first
    assert LOGIN_BY_ADDRESS.retry_after(RecentFailures(failures[:4]), T0) is None
    assert LOGIN_BY_ADDRESS.retry_after(RecentFailures(failures[:5]), T0) == Wait(11 * 60, "client")
    assert LOGIN_BY_NAME.retry_after(RecentFailures(failures[:9]), T0) is None
    assert LOGIN_BY_NAME.retry_after(RecentFailures(failures), T0) == Wait(6 * 60, "client")
    assert (LOGIN_BY_ADDRESS.overall, LOGIN_BY_NAME.overall) == (None, None)


def test_longest_picks_the_longest_wait_or_none() -> None:
    assert longest() is None
    assert longest(None, None) is None
    assert longest(None, Wait(5, "name")) == Wait(5, "name")
    assert longest(Wait(5, "client"), Wait(900, "name"), None) == Wait(900, "name")
    assert longest(Wait(7, "client"), Wait(7, "name")) == Wait(7, "client")
