"""The weeks of the raw reports' partitions and the time in a report id (pure rules)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from remotecare.center.fleet.rules.report_time import (
    UNDATED,
    WeekPartition,
    expired_partitions,
    minted_at,
    partitions_to_make,
    week_start,
)

WEDNESDAY = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


def test_weeks_start_on_monday_at_midnight_utc() -> None:
    assert week_start(WEDNESDAY) == MONDAY
    assert week_start(MONDAY) == MONDAY
    assert week_start(MONDAY - timedelta(microseconds=1)) == MONDAY - timedelta(days=7)
    assert WeekPartition(MONDAY).name == "reports_w20261130"


def test_the_missing_weeks_up_to_the_horizon_are_made_oldest_first() -> None:
    existing = {WeekPartition(MONDAY + timedelta(days=7))}
    made = partitions_to_make(existing, WEDNESDAY, weeks_ahead=2)
    assert [p.start for p in made] == [MONDAY, MONDAY + timedelta(days=14)]
    assert partitions_to_make(set(made) | existing, WEDNESDAY, weeks_ahead=2) == []


def test_a_week_expires_only_once_its_end_is_past_the_horizon() -> None:
    weeks = {WeekPartition(MONDAY - timedelta(days=7 * n)) for n in range(4)}
    assert expired_partitions(weeks, MONDAY - timedelta(days=14)) == [
        WeekPartition(MONDAY - timedelta(days=21))
    ]
    assert expired_partitions(weeks, MONDAY - timedelta(days=15)) == []


def test_only_uuid7_ids_with_a_plausible_time_are_dated() -> None:
    milliseconds = int(WEDNESDAY.timestamp() * 1000) + 7
    v7 = uuid.UUID(int=(milliseconds << 80) | (7 << 76) | (0b10 << 62) | 12345)
    assert minted_at(v7) == WEDNESDAY + timedelta(milliseconds=7)
    assert minted_at(str(v7)) == minted_at(v7)
    assert minted_at(uuid.uuid4()) == UNDATED
    assert minted_at(uuid.UUID(int=(7 << 76) | (0b10 << 62))) == UNDATED  # 1970: implausible
