"""When a report id was minted, and the weekly partitions of the raw reports on PostgreSQL.

Why the partition key is derived from the report id (``minted_at``), not the arrival or
the agent's time: a partitioned table's unique keys must include the partition key, so
the primary key becomes ``(report_id, minted_at)``. Duplicates are refused by that key
alone (``INSERT ... ON CONFLICT DO NOTHING``) only if a retry of a report always carries
the same ``minted_at`` as its first delivery; a value computed from the id alone does,
whichever partition it lands in, so "unique (report_id, minted_at)" means exactly
"unique report_id", across partition boundaries too. The arrival time would not (a retry
arrives later, perhaps in the next week); neither would the agent's time (a report id
sent again with another time would be stored twice). A second, unpartitioned table of
every report id would also work, but costs one more index insert per report and row-wise
deletes again, which is what partitions are for.

Agents mint UUIDv7 ids (``protocol.messages.new_report_id``): their first 48 bits are the
Unix time in milliseconds, the moment the reading was taken (as ``agent_time``). The
center accepts any UUID, though: an id of another version, or a v7 id whose time is
implausible, is ``UNDATED`` and lands in the default partition, which retention cleans
row by row as before (by ``agent_time``). So does a dated id beyond the partitions made
so far; making a partition first moves such rows out of the default one.

Partitions span a week (Monday 00:00 UTC onwards) and are dropped whole once their end
is older than the retention horizon: a raw report lives between ``raw_report_days`` and
``raw_report_days`` + 7 days, instead of a row-wise delete of every report.

SQLite stays unpartitioned (its primary key remains ``report_id``); the column is filled
there too, so that ingest is the same on both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "PARTITION_SPAN",
    "UNDATED",
    "WeekPartition",
    "expired_partitions",
    "minted_at",
    "partitions_to_make",
    "week_start",
]

UNDATED = datetime(1970, 1, 1, tzinfo=UTC)  # ids that carry no plausible time
PARTITION_SPAN = timedelta(days=7)
_PLAUSIBLE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
_PLAUSIBLE_UNTIL = datetime(2200, 1, 1, tzinfo=UTC)
_MONDAY = datetime(2024, 1, 1, tzinfo=UTC)  # any Monday 00:00 UTC: weeks are counted from it


def minted_at(report_id: str | uuid.UUID) -> datetime:
    """The time embedded in a UUIDv7 report id (to the millisecond), else ``UNDATED``.

    Mirrored in SQL by migration 0016 (same rules: version 7, RFC 9562 variant, a time
    from 2000 up to 2200); a test holds the two together."""
    parsed = report_id if isinstance(report_id, uuid.UUID) else uuid.UUID(report_id)
    if parsed.version != 7 or parsed.variant != uuid.RFC_4122:
        return UNDATED
    milliseconds = parsed.int >> 80
    when = datetime.fromtimestamp(milliseconds // 1000, UTC) + timedelta(
        milliseconds=milliseconds % 1000
    )
    return when if _PLAUSIBLE_FROM <= when < _PLAUSIBLE_UNTIL else UNDATED


def week_start(when: datetime) -> datetime:
    """The Monday 00:00 UTC on or before ``when``."""
    weeks = (when - _MONDAY) // PARTITION_SPAN
    return _MONDAY + weeks * PARTITION_SPAN


@dataclass(frozen=True, slots=True, order=True)
class WeekPartition:
    """One week's partition: reports minted from ``start`` up to ``start`` + 7 days."""

    start: datetime

    @property
    def end(self) -> datetime:
        return self.start + PARTITION_SPAN

    @property
    def name(self) -> str:
        return f"reports_w{self.start:%Y%m%d}"


def partitions_to_make(
    existing: set[WeekPartition], now: datetime, weeks_ahead: int, since: datetime | None = None
) -> list[WeekPartition]:
    """The weeks from ``since`` (default: this week) to ``weeks_ahead`` weeks after this
    one that have no partition yet, oldest first."""
    first = week_start(since or now)
    last = week_start(now) + weeks_ahead * PARTITION_SPAN
    wanted: list[WeekPartition] = []
    start = first
    while start <= last:
        if WeekPartition(start) not in existing:
            wanted.append(WeekPartition(start))
        start += PARTITION_SPAN
    return wanted


def expired_partitions(existing: set[WeekPartition], before: datetime) -> list[WeekPartition]:
    """The partitions whose every report was minted before ``before``, oldest first."""
    return sorted(p for p in existing if p.end <= before)
