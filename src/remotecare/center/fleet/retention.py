"""Raw report retention: reports older than ``raw_report_days`` are deleted, a small batch
per transaction, with pauses, so that ingest never waits long for them.

Old reports are deleted whole, not kept with their payload cleared. What stays of a
reading is its compact history (``care/history``), in numbers; a report row without its
payload would still cost about 250 bytes a reading for ever (two UUIDs, the address, two
times, the primary key and the (printer, time) index on SQLite), about the whole budget
of a reading's history. What that gives up: idempotency by ``report_id`` holds for
``raw_report_days``. An agent whose outbox still holds a report older than that (it can:
the outbox is bounded by count, not age) gets ``accepted: 1`` for its retry instead of
``duplicates: 1``, which the agent treats the same way (the report leaves its outbox). The
center stores it again, and nothing doubles: the history's samples are keyed by series
and time, so the reading adds no sample a second time; the printer's state only takes
newer readings; and this retention deletes the report again on its next round.

Reports are found per printer through the (printer, agent time) index that ingest
already maintains (a printer's oldest reports first, printers walked in id order), so
retention adds no index to the ingest path. It leaves alone reports still waiting for a
printer's confirmation (``held_reports``) and the reports others still need, as the
composition root tells it (the care feed's readings not yet handed to every consumer).

On PostgreSQL the table is partitioned by week (``rules/report_time.py``): each round
first makes the partitions of the coming weeks and drops the expired ones whole
(``partitions.py``); the row-wise walk then covers only the default partition (reports
with undated ids, or moved there because they were still needed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Select, Table, TableClause, delete, or_, select

from remotecare.center.fleet.partitions import (
    default_partition,
    drop_expired_partitions,
    is_partitioned,
    make_partitions,
)
from remotecare.center.fleet.tables import held_reports, printers, reports
from remotecare.center.kernel.background import BackgroundLoop
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions

__all__ = ["KeptReports", "RawReportRetention", "RetentionPacing", "delete_old_reports"]

# Selects of report ids whose raw payloads others still need.
KeptReports = Sequence[Select[tuple[str]]]

logger = logging.getLogger(__name__)


def delete_old_reports(
    conn: Connection,
    printer_ids: list[int | None],
    before: datetime,
    limit: int,
    kept: KeptReports = (),
    stored: Table | TableClause = reports,
) -> int:
    """Delete up to ``limit`` reports about ``printer_ids`` (None: about no known printer)
    taken before ``before``, except held ones and those in ``kept``; how many went.
    ``stored``: the table to delete from (on PostgreSQL, the default partition)."""
    known = [printer_id for printer_id in printer_ids if printer_id is not None]
    about: ColumnElement[bool] = stored.c.printer_id.in_(known)
    if None in printer_ids:
        about = or_(about, stored.c.printer_id.is_(None))
    old = (
        select(stored.c.report_id)
        .where(
            about,
            stored.c.agent_time < before,
            stored.c.report_id.not_in(select(held_reports.c.report_id)),
            *(stored.c.report_id.not_in(needed) for needed in kept),
        )
        .limit(limit)
        .with_for_update(skip_locked=True, of=stored)
    )
    return int(conn.execute(delete(stored).where(stored.c.report_id.in_(old))).rowcount)


@dataclass(frozen=True, slots=True)
class RetentionPacing:
    """``batch`` reports per transaction, about ``printers`` printers at a time, a
    ``pause_s`` rest between transactions and ``round_every_s`` between rounds."""

    batch: int = 500
    printers: int = 200
    pause_s: float = 0.2
    round_every_s: float = 600.0
    weeks_ahead: int = 4  # PostgreSQL: weekly partitions made this far ahead


class RawReportRetention(BackgroundLoop):
    """Deletes reports older than ``days`` on a thread of its own, a round at a time.

    Usage::

        retention = RawReportRetention(transactions, clock, days=90, kept=report_ids_in_feed())
        retention.start()
        ...
        retention.stop()
    """

    def __init__(
        self,
        transactions: Transactions,
        clock: Clock,
        days: int,
        *,
        kept: KeptReports = (),
        pacing: RetentionPacing | None = None,
    ) -> None:
        super().__init__("retention", transactions)
        self._kept = kept
        self._clock = clock
        self._keep = timedelta(days=days)
        self._pacing = pacing or RetentionPacing()

    def step(self) -> float:
        deleted = self.run_round()
        if deleted:
            logger.info("retention: deleted %d raw reports", deleted)
        return self._pacing.round_every_s

    def run_round(self) -> int:
        """On PostgreSQL first make the coming weeks' partitions and drop expired ones; then
        walk every printer once (and the reports about none), batch by batch; how many
        reports were deleted row by row (whole partitions dropped are logged, not counted).
        Stops early when asked to stop."""
        now = self._clock.now()
        before = now - self._keep
        pacing = self._pacing
        stored: Table | TableClause = reports
        with self.writing(), self.transactions.begin() as conn:
            if is_partitioned(conn):
                stored = default_partition()
                make_partitions(conn, now, pacing.weeks_ahead)
                drop_expired_partitions(conn, before, tuple(self._kept))
        deleted = 0
        group: list[int | None] = [None]
        after = 0
        while group and not self.stopping.is_set():
            with self.writing(), self.transactions.begin() as conn:
                gone = delete_old_reports(conn, group, before, pacing.batch, self._kept, stored)
                if gone < pacing.batch:  # this group is done: on to the next printers
                    group = _next_printers(conn, stored, after, before, pacing.printers)
                    after = max((p for p in group if p is not None), default=after)
            deleted += gone
            if gone:
                self.stopping.wait(pacing.pause_s)
        return deleted


def _next_printers(
    conn: Connection, stored: Table | TableClause, after: int, before: datetime, limit: int
) -> list[int | None]:
    """The next ``limit`` printers after id ``after`` whose reports the walk visits.

    On PostgreSQL (``stored`` is the default partition, small by design) only those with
    old reports there: walking every printer cost 5,000 transactions a round at 1,000,000
    printers, on the thread beside ingest, for a partition that is nearly always empty.
    Elsewhere every printer, in id order, through the printers' primary key (a distinct
    walk of the whole reports table's index would read every report)."""
    if stored is not reports:
        query = (
            select(stored.c.printer_id)
            .where(stored.c.printer_id > after, stored.c.agent_time < before)
            .distinct()
            .order_by(stored.c.printer_id)
            .limit(limit)
        )
    else:
        query = select(printers.c.id).where(printers.c.id > after).order_by(printers.c.id)
        query = query.limit(limit)
    return list(conn.execute(query).scalars())
