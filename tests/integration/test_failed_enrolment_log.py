"""The table of failed attempts answers a limiter's question in one query and stays small;
each purpose (enrolment, login by address, login by name) sees only its own rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from remotecare.center.attempts.log import (
    SUBJECT_MAX_LENGTH,
    SqlFailureLog,
    failed_attempts,
)
from remotecare.center.attempts.rules import RecentFailures
from remotecare.center.kernel.transactions import Transactions
from tests.support.schema import migrated_engine

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    engine = migrated_engine(database_url, tmp_path / "center.db")
    yield engine
    engine.dispose()


def _seconds(*values: float) -> list[datetime]:
    return [T0 + timedelta(seconds=v) for v in values]


def test_recent_gives_the_newest_failures_after_since_up_to_each_limit(engine: Engine) -> None:
    log = SqlFailureLog(Transactions(engine), "enrolment")
    for at in _seconds(0, 10, 20, 30, 40):
        log.record("192.0.2.1", at)
    for at in _seconds(5, 15, 25):
        log.record("2001:db8::7", at)

    recent = log.recent("192.0.2.1", T0 + timedelta(seconds=5), per_client=3, overall=4)

    assert list(recent.client) == _seconds(40, 30, 20)
    assert list(recent.overall) == _seconds(40, 30, 25, 20)
    assert log.recent("198.51.100.1", T0, per_client=3, overall=1).client == []


def test_forget_deletes_what_left_the_window_and_keeps_the_rest(engine: Engine) -> None:
    log = SqlFailureLog(Transactions(engine), "enrolment")
    for n, at in enumerate(_seconds(0, 30, 60, 90)):
        log.record(f"client-{n}", at)

    assert log.forget(before=T0 + timedelta(seconds=30)) == 2

    with engine.connect() as conn:
        kept = conn.execute(select(func.count()).select_from(failed_attempts)).scalar_one()
    assert kept == 2
    assert list(log.recent("client-3", T0, per_client=5, overall=5).overall) == _seconds(90, 60)


def test_each_purpose_counts_and_forgets_only_its_own_failures(engine: Engine) -> None:
    enrolments = SqlFailureLog(Transactions(engine), "enrolment")
    by_address = SqlFailureLog(Transactions(engine), "login-address")
    by_name = SqlFailureLog(Transactions(engine), "login-name")
    enrolments.record("192.0.2.1", T0)
    by_address.record("192.0.2.1", T0 + timedelta(seconds=1))
    by_name.record("operator", T0 + timedelta(seconds=2))

    assert list(by_address.recent("192.0.2.1", T0, per_client=5, overall=5).client) == (_seconds(1))
    assert list(enrolments.recent("192.0.2.1", T0, per_client=5, overall=5).overall) == []
    assert list(
        enrolments.recent("192.0.2.1", T0 - timedelta(1), per_client=5, overall=5).client
    ) == (_seconds(0))
    assert by_name.recent("operator", T0, per_client=5, overall=0) == (
        RecentFailures(client=_seconds(2), overall=[])
    )
    assert by_address.forget(before=T0 + timedelta(seconds=5)) == 1
    assert enrolments.forget(before=T0 + timedelta(seconds=5)) == 1
    assert list(by_name.recent("operator", T0, per_client=5, overall=5).overall) == _seconds(2)


def test_a_long_login_name_is_cut_to_the_column_and_still_counted(engine: Engine) -> None:
    by_name = SqlFailureLog(Transactions(engine), "login-name")
    name = "o" * (SUBJECT_MAX_LENGTH + 20)
    by_name.record(name, T0)
    assert list(by_name.recent(name, T0 - timedelta(1), per_client=5, overall=0).client) == [T0]
