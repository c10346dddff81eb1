"""The care feed: each reading ingest stored, handed to every consumer at least once.

Ingest writes one ``care_feed`` row per stored reading in the transaction that stores it
(``record_stored_readings``), so a reading is in the feed exactly when it is stored. The
feed is a queue: a drainer takes a batch by *deleting* its rows, reads the readings, and
runs every consumer on them in that same transaction. A batch therefore commits whole or
not at all: a process killed mid-batch leaves its rows in the feed for the next drainer,
and nothing the consumers wrote for it survives. No position is kept, so a reading whose
transaction committed late is never skipped.

Several drainers (one per worker process) share the feed. On PostgreSQL each takes rows
with ``FOR UPDATE SKIP LOCKED``, so they never wait for one another nor take the same
rows. On SQLite, whose one writer every process shares, a drainer writes its batch while
holding the writer lock file that group commits take turns on (``group_commit.py``), one
small batch at a time, and only once it has seen there is work; it reads the rows inside
the lock, so a batch another worker committed is gone from its view.

A consumer that raises on a batch has it rolled back (a savepoint) and tried reading by
reading; a reading it still fails on goes to ``care_feed_retries`` for that consumer
alone, with attempts and a next time, and is logged. The other consumers and readings go
on, and the reading is retried until it succeeds: never lost, and it never holds back the
feed. Consumers must be idempotent, because "at least once" includes a retry of a reading
they had handled before their transaction failed.

The drainer runs apart from ingest (a thread of its own, its own transactions) and paces
itself, so a slow or failing consumer makes the feed longer, never ingest slower; after a
restart the feed is simply drained from where it is.

Urgent readings go ahead. Under sustained ingest the routine backlog grows by design, and
a reading that opens an incident used to wait behind all of it (BENCHMARKS.md, fault
monitoring: p99 19-73 s). Ingest marks a row ``urgent`` when the reading's conditions
(alerts, error bits, covers, supply and tray states: ``fleet/rules/conditions.py``) differ
from its printer's previous reading, or it is the printer's first; a printer's readings
are otherwise the same from poll to poll, so few rows are marked. Each step first takes a
small batch of urgent rows, never deferred while ingest is busy, *together with every
older row of the same printers*; routine rows keep the pacing. Taking the older rows along
means no consumer ever sees a printer's reading before an older one it would have seen
first in the routine order, so the consumers (history, supplies, meters, incidents) need
no new out-of-order reasoning, and at-least-once and idempotency are as before: an urgent
batch is a feed batch like any other (same deletion, same transaction, same retries).
This was preferred to a second cursor for the incidents consumer alone, which would keep
two positions in a queue that has none and run incidents on readings whose history (which
the supplies read) is not yet written.

Among urgent rows, a known printer's changed conditions go before a never-seen printer's
first reading (``first_reading``, set by ingest). A whole fleet appearing at once (4,000
new printers in seconds, each first reading opening a toner-low incident) made a real
fault of a known printer wait behind every first reading, 10-17 s at p99 under load
(BENCHMARKS.md); the cost is in the incidents consumer, several statements per incident
opened, each waiting for the interpreter lock while ingest holds it. A step's urgent batch
is therefore of one kind: the waiting changes if there are any (oldest first), else first
readings. Changes of known printers are rare, so first readings are delayed, not starved;
both still go ahead of the routine backlog, and the order within a printer is kept as
above (taking a change takes its printer's first reading along).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Connection, Select, and_, delete, exists, insert, or_, select, tuple_

from remotecare.center.care.tables import ERROR_MAX_LENGTH, care_feed, care_feed_retries
from remotecare.center.fleet.reports import StoredReading, stored_readings
from remotecare.center.kernel.background import BackgroundLoop
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions

__all__ = [
    "CareConsumer",
    "DrainPacing",
    "FedReading",
    "FeedDrainer",
    "record_stored_readings",
    "report_ids_in_feed",
    "retry_delay",
]

logger = logging.getLogger(__name__)

_RECORD = insert(care_feed)


FedReading = StoredReading  # one stored reading as the feed hands it to consumers


class CareConsumer(Protocol):
    """A downstream service fed with stored readings.

    ``handle`` writes through ``conn`` only, inside the drainer's transaction, and must
    be idempotent: a reading may come again after a failure. ``name`` is stable, as the
    readings it failed on are kept for it under that name.
    """

    @property
    def name(self) -> str: ...

    def handle(self, conn: Connection, readings: Sequence[FedReading]) -> None: ...


def record_stored_readings(
    conn: Connection,
    report_ids: Sequence[str],
    printer_ids: Sequence[int] | None = None,
    urgent: Collection[str] = (),
    first: Collection[str] = (),
) -> None:
    """Put readings stored in the open transaction of ``conn`` in the feed, with their
    printers (``printer_ids``, in the same order), which of them are ``urgent`` and which
    are their printer's ``first`` (urgent too, after the others)."""
    if not report_ids:
        return
    printers: Sequence[int | None] = (
        [None] * len(report_ids) if printer_ids is None else printer_ids
    )
    conn.execute(
        _RECORD,
        [
            {
                "report_id": report_id,
                "printer_id": printer_id,
                "urgent": report_id in urgent or report_id in first,
                "first_reading": report_id in first,
            }
            for report_id, printer_id in zip(report_ids, printers, strict=True)
        ],
    )


_FIRST_RETRY = timedelta(seconds=10)
_LAST_RETRY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failures: doubling from 10 s, at most an hour."""
    delay: timedelta = _FIRST_RETRY * 2 ** min(attempts - 1, 16)
    return min(_LAST_RETRY, delay)


@dataclass(frozen=True, slots=True)
class DrainPacing:
    """How much a drainer takes and how it rests.

    ``batch`` readings per transaction; ``idle_s`` between looks at an empty feed;
    after a batch, a rest as long as the batch took times ``rest_ratio`` (at least
    ``min_rest_s``), so a drainer with a backlog leaves most of the machine to ingest.
    While the rest of its process (the event loop serving the device API, the group
    committer) used more than ``busy_cpu_share`` of a core since the last look, the
    drainer defers, but takes one batch of ``busy_batch`` at least every ``max_defer_s``:
    its Python work shares the interpreter lock with them, so a center busy with reports
    lets the feed grow (and drains it once the load falls) instead of serving fewer.
    """

    batch: int = 200
    idle_s: float = 0.5
    rest_ratio: float = 1.0
    min_rest_s: float = 0.01
    busy_cpu_share: float = 0.3
    max_defer_s: float = 2.0
    busy_batch: int = 40
    urgent_batch: int = 50  # urgent readings per step, whatever the load


class FeedDrainer(BackgroundLoop):
    """Drains the feed into ``consumers`` on a thread of its own.

    Usage::

        drainer = FeedDrainer(transactions, [history], clock)
        drainer.start()
        ...
        drainer.stop()
    """

    def __init__(
        self,
        transactions: Transactions,
        consumers: Sequence[CareConsumer],
        clock: Clock,
        *,
        pacing: DrainPacing | None = None,
    ) -> None:
        super().__init__("care-feed", transactions)
        self._consumers = {consumer.name: consumer for consumer in consumers}
        self._clock = clock
        self._pacing = pacing or DrainPacing()
        self._last_look = (time.monotonic(), 0.0)  # (when, CPU of the other threads)
        self._last_batch = time.monotonic()

    def step(self) -> float:
        """Urgent rows first (a short rest, then a look for more); then one batch, unless
        ingest is busy; a rest as long as the batch took (times ``rest_ratio``), or the
        idle rest."""
        pacing = self._pacing
        if self.drain_urgent(pacing.urgent_batch):
            return pacing.min_rest_s  # more urgent rows may wait: the routine lane can wait
        started = time.monotonic()
        busy = self._others_busy(started)
        if busy and started - self._last_batch < pacing.max_defer_s:
            return pacing.idle_s
        self._last_batch = started
        if not self.drain_once(pacing.busy_batch if busy else pacing.batch):
            return pacing.idle_s
        took = time.monotonic() - started
        self._last_look = (time.monotonic(), _cpu_of_other_threads())  # not our batch's
        return max(pacing.min_rest_s, took * pacing.rest_ratio)

    def _others_busy(self, now: float) -> bool:
        """Whether the other threads of this process used more than ``busy_cpu_share`` of
        a core since the last look (the first look, at no time, counts as busy)."""
        then, cpu_then = self._last_look
        cpu_now = _cpu_of_other_threads()
        self._last_look = (now, cpu_now)
        return cpu_now - cpu_then > self._pacing.busy_cpu_share * max(now - then, 1e-3)

    def drain_once(self, limit: int | None = None) -> int:
        """One batch of the feed and of the retries now due (``limit`` readings of each,
        by default the pacing's batch); how many readings it took."""
        if not self._consumers or not self._has_work():
            return 0
        limit = limit or self._pacing.batch
        with self.writing(), self.transactions.begin() as conn:
            return self._feed_batch(conn, limit) + self._retry_batch(conn, limit)

    def drain_urgent(self, limit: int) -> int:
        """One batch of up to ``limit`` urgent rows of one kind (known printers' changes
        while any wait, else first readings) with their printers' older rows; how many
        readings it took."""
        if not self._consumers or not self._has_urgent():
            return 0
        with self.writing(), self.transactions.begin() as conn:
            marked = conn.execute(
                select(care_feed.c.id, care_feed.c.printer_id, care_feed.c.first_reading)
                .where(care_feed.c.urgent.is_(True))
                .order_by(care_feed.c.first_reading, care_feed.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not marked:
                return 0
            if not marked[0].first_reading:  # changes alone: no first reading's cost
                marked = [row for row in marked if not row.first_reading]
            top = max(row.id for row in marked)
            printer_ids = sorted({row.printer_id for row in marked if row.printer_id is not None})
            taken = (
                select(care_feed.c.id)
                .where(
                    or_(
                        care_feed.c.id.in_([row.id for row in marked]),
                        and_(care_feed.c.printer_id.in_(printer_ids), care_feed.c.id <= top),
                    )
                )
                .with_for_update(skip_locked=True)
            )
            return self._consume(conn, taken)

    def _has_urgent(self) -> bool:
        with self.transactions.read() as conn:
            return bool(
                conn.execute(
                    select(exists(select(care_feed.c.id).where(care_feed.c.urgent.is_(True))))
                ).scalar()
            )

    def _has_work(self) -> bool:
        """A look without the writer lock (readers do not block on SQLite in WAL mode)."""
        now = self._clock.now()
        due = care_feed_retries.c.next_attempt_at <= now
        with self.transactions.read() as conn:
            return bool(
                conn.execute(select(exists(select(care_feed.c.id)))).scalar()
                or conn.execute(
                    select(exists(select(care_feed_retries.c.report_id).where(due)))
                ).scalar()
            )

    def _feed_batch(self, conn: Connection, limit: int) -> int:
        # Deleting first also opens the write transaction (pysqlite begins before DML
        # only), so that the consumers' savepoints nest inside it.
        taken = (
            select(care_feed.c.id)
            .order_by(care_feed.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self._consume(conn, taken)

    def _consume(self, conn: Connection, taken: Select[tuple[int]]) -> int:
        """Delete the rows ``taken`` selects and hand their readings to every consumer."""
        claimed = conn.execute(
            delete(care_feed).where(care_feed.c.id.in_(taken)).returning(care_feed.c.report_id)
        ).scalars()
        fed = stored_readings(conn, list(claimed))
        for name, consumer in self._consumers.items():
            try:
                with conn.begin_nested():
                    consumer.handle(conn, fed)
            except Exception as exc:
                logger.warning("care feed: %s failed on a batch (%s); one by one", name, exc)
                for reading in fed:
                    self._handle_alone(conn, consumer, reading, attempts=0)
        return len(fed)

    def _retry_batch(self, conn: Connection, limit: int) -> int:
        due = (
            select(care_feed_retries.c.consumer, care_feed_retries.c.report_id)
            .where(
                care_feed_retries.c.next_attempt_at <= self._clock.now(),
                care_feed_retries.c.consumer.in_(sorted(self._consumers)),
            )
            .order_by(care_feed_retries.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        key = tuple_(care_feed_retries.c.consumer, care_feed_retries.c.report_id)
        claimed = conn.execute(
            delete(care_feed_retries)
            .where(key.in_(due))
            .returning(
                care_feed_retries.c.consumer,
                care_feed_retries.c.report_id,
                care_feed_retries.c.attempts,
            )
        ).all()
        fed = {
            reading.report_id: reading for reading in stored_readings(conn, [r[1] for r in claimed])
        }
        for name, report_id, attempts in claimed:
            reading = fed.get(report_id)
            if reading is None:
                logger.warning("care feed: report %s is gone; %s cannot retry it", report_id, name)
                continue
            self._handle_alone(conn, self._consumers[name], reading, attempts)
        return len(claimed)

    def _handle_alone(
        self, conn: Connection, consumer: CareConsumer, reading: FedReading, attempts: int
    ) -> None:
        """Run ``consumer`` on one reading; on failure, keep it for a later try."""
        try:
            with conn.begin_nested():
                consumer.handle(conn, [reading])
        except Exception as exc:
            attempts += 1
            logger.exception(
                "care feed: %s failed on report %s (attempt %d); retrying later",
                consumer.name,
                reading.report_id,
                attempts,
            )
            conn.execute(
                insert(care_feed_retries),
                {
                    "consumer": consumer.name,
                    "report_id": reading.report_id,
                    "attempts": attempts,
                    "next_attempt_at": self._clock.now() + retry_delay(attempts),
                    "last_error": repr(exc)[:ERROR_MAX_LENGTH],
                },
            )


def _cpu_of_other_threads() -> float:
    """Processor time of this process's threads but the calling one, in seconds."""
    return time.process_time() - time.thread_time()


def report_ids_in_feed() -> list[Select[tuple[str]]]:
    """The reports the feed has not yet handed to every consumer: their raw payloads must
    stay (``fleet/retention.py`` is told so by the composition root)."""
    return [select(care_feed.c.report_id), select(care_feed_retries.c.report_id)]
