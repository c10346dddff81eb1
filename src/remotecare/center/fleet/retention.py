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
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Select, delete, or_, select

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
) -> int:
    """Delete up to ``limit`` reports about ``printer_ids`` (None: about no known printer)
    taken before ``before``, except held ones and those in ``kept``; how many went."""
    known = [printer_id for printer_id in printer_ids if printer_id is not None]
    about: ColumnElement[bool] = reports.c.printer_id.in_(known)
    if None in printer_ids:
        about = or_(about, reports.c.printer_id.is_(None))
    old = (
        select(reports.c.report_id)
        .where(
            about,
            reports.c.agent_time < before,
            reports.c.report_id.not_in(select(held_reports.c.report_id)),
            *(reports.c.report_id.not_in(needed) for needed in kept),
        )
        .limit(limit)
        .with_for_update(skip_locked=True, of=reports)
    )
    return int(conn.execute(delete(reports).where(reports.c.report_id.in_(old))).rowcount)


@dataclass(frozen=True, slots=True)
class RetentionPacing:
    """``batch`` reports per transaction, about ``printers`` printers at a time, a
    ``pause_s`` rest between transactions and ``round_every_s`` between rounds."""

    batch: int = 500
    printers: int = 200
    pause_s: float = 0.2
    round_every_s: float = 600.0


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
        """Walk every printer once (and the reports about none), batch by batch; how many
        reports were deleted. Stops early when asked to stop."""
        before = self._clock.now() - self._keep
        pacing = self._pacing
        deleted = 0
        group: list[int | None] = [None]
        after = 0
        while group and not self.stopping.is_set():
            with self.writing(), self.transactions.begin() as conn:
                gone = delete_old_reports(conn, group, before, pacing.batch, self._kept)
                if gone < pacing.batch:  # this group is done: on to the next printers
                    group = list(
                        conn.execute(
                            select(printers.c.id)
                            .where(printers.c.id > after)
                            .order_by(printers.c.id)
                            .limit(pacing.printers)
                        ).scalars()
                    )
                    after = max((p for p in group if p is not None), default=after)
            deleted += gone
            if gone:
                self.stopping.wait(pacing.pause_s)
        return deleted
