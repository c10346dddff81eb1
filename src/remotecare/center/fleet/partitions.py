"""The weekly partitions of the raw reports on PostgreSQL: made ahead, dropped whole.

The rules (which weeks, which key, why) are in ``rules/report_time.py``. Every change
here runs under one transaction-scoped advisory lock, so that two centers sharing the
database never make or drop the same partition at once. On SQLite (unpartitioned) every
function here does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import (
    Connection,
    Select,
    TableClause,
    column,
    insert,
    or_,
    select,
    table,
    text,
)

from remotecare.center.fleet.rules.report_time import (
    WeekPartition,
    expired_partitions,
    partitions_to_make,
)
from remotecare.center.fleet.tables import held_reports, reports

__all__ = [
    "DEFAULT_PARTITION",
    "default_partition",
    "drop_expired_partitions",
    "is_partitioned",
    "is_report_partition",
    "make_partitions",
    "week_partitions",
]

logger = logging.getLogger(__name__)

DEFAULT_PARTITION = "reports_default"  # undated ids and weeks without a partition yet
_LOCK_KEY = 0x5245504F  # "REPO": the advisory lock for partition changes


def is_partitioned(conn: Connection) -> bool:
    """Whether ``reports`` is a partitioned table (PostgreSQL after migration 0016)."""
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass('reports')")
    ).scalar()
    return kind == "p"


def is_report_partition(name: str) -> bool:
    """Whether a table of this name is one of the partitions (not declared in the
    metadata: comparisons of the schema with the metadata leave them out)."""
    return name == DEFAULT_PARTITION or (name.startswith("reports_w") and name[9:].isdigit())


def default_partition() -> TableClause:
    """The default partition, to be read and written like ``reports``."""
    return table(DEFAULT_PARTITION, *(column(c.name, c.type) for c in reports.c))


def week_partitions(conn: Connection) -> set[WeekPartition]:
    """The weekly partitions attached to ``reports`` now."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass('reports')"
        )
    ).scalars()
    found: set[WeekPartition] = set()
    for name in names:
        if name.startswith("reports_w"):
            found.add(WeekPartition(datetime.strptime(name[9:] + "+0000", "%Y%m%d%z")))
    return found


def _lock(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def make_partitions(
    conn: Connection, now: datetime, weeks_ahead: int, since: datetime | None = None
) -> list[WeekPartition]:
    """Make the missing weekly partitions from ``since`` (default: this week) up to
    ``weeks_ahead`` weeks ahead; rows of those weeks waiting in the default partition move
    into theirs first (PostgreSQL refuses a new partition while the default holds its
    rows). What was made."""
    if not is_partitioned(conn):
        return []
    _lock(conn)
    made = partitions_to_make(week_partitions(conn), now, weeks_ahead, since)
    for week in made:
        bounds = {"start": week.start, "end": week.end}
        stray = conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM reports_default"
                " WHERE minted_at >= :start AND minted_at < :end)"
            ),
            bounds,
        ).scalar()
        if stray:
            conn.execute(text("CREATE TEMP TABLE moving (LIKE reports) ON COMMIT DROP"))
            conn.execute(
                text(
                    "WITH moved AS (DELETE FROM reports_default"
                    " WHERE minted_at >= :start AND minted_at < :end RETURNING *)"
                    " INSERT INTO moving SELECT * FROM moved"
                ),
                bounds,
            )
        # DDL takes no bind parameters: the bounds are our own datetimes, written out.
        conn.execute(
            text(
                f"CREATE TABLE {week.name} PARTITION OF reports FOR VALUES FROM"
                f" ('{week.start.isoformat()}') TO ('{week.end.isoformat()}')"
            )
        )
        if stray:
            conn.execute(text("INSERT INTO reports SELECT * FROM moving"))
            conn.execute(text("DROP TABLE moving"))
    if made:
        logger.info("reports: made %d weekly partition(s) up to %s", len(made), made[-1].end)
    return made


def drop_expired_partitions(
    conn: Connection, before: datetime, kept: tuple[Select[tuple[str]], ...] = ()
) -> list[WeekPartition]:
    """Drop the weekly partitions whose reports were all minted before ``before``. Reports
    among them still held for a printer's confirmation, or in ``kept``, move to the default
    partition first (retention deletes them row by row once free). What was dropped."""
    if not is_partitioned(conn):
        return []
    _lock(conn)
    dropped = expired_partitions(week_partitions(conn), before)
    for week in dropped:
        conn.execute(text(f"ALTER TABLE reports DETACH PARTITION {week.name}"))
        detached = table(week.name, *(column(c.name, c.type) for c in reports.c))
        still_needed = or_(
            detached.c.report_id.in_(select(held_reports.c.report_id)),
            *(detached.c.report_id.in_(needed) for needed in kept),
        )
        conn.execute(
            insert(reports).from_select(
                [c.name for c in reports.c], select(*detached.c).where(still_needed)
            )
        )
        conn.execute(text(f"DROP TABLE {week.name}"))
    if dropped:
        logger.info("reports: dropped %d weekly partition(s) before %s", len(dropped), before)
    return dropped
