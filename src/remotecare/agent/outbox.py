"""The agent's outbox: every report is on disk before it is sent, and leaves only when
the center has acknowledged it (terms, article 5(3): nothing lost while the line or the
center is down). Plain stdlib sqlite3: a single-table queue needs no ORM.

The outbox is bounded. When it is full the oldest reports are dropped, and every drop,
whatever its reason, is counted with the span of readings it cost; that summary travels
to the center with every batch (:meth:`Outbox.agent_status`), so nothing is lost silently.

A poll cycle queues its reports as its printers finish, through an :class:`OutboxWriter`:
a few at a time, so that 1,000 printers cost a few dozen flushes to disk, not 1,000.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from remotecare.errors import OutboxError
from remotecare.protocol.codec import encode
from remotecare.protocol.messages import AgentStatus, DropSummary, Report

__all__ = [
    "DROP_OUTBOX_FULL",
    "DROP_REFUSED",
    "DROP_REJECTED",
    "GROUP_REPORTS",
    "GROUP_SECONDS",
    "Outbox",
    "OutboxWriter",
    "QueuedReport",
]

logger = logging.getLogger(__name__)

DROP_OUTBOX_FULL: Final = "outbox full"
DROP_REFUSED: Final = "refused by center"  # 403: a printer bound to another endpoint
DROP_REJECTED: Final = "rejected by center"  # 400/413/422: the center will never take it

# A cycle's reports are queued in groups of at most this many, or this long after the
# first one of a group came, whichever is first: one transaction (one fsync) per group.
GROUP_REPORTS: Final = 64
GROUP_SECONDS: Final = 0.5

_SCHEMA_VERSION: Final = 2
_NEARLY_FULL_BYTES: Final = 256 * 1024  # an SQLite error with less free space is "disk full"
_TABLES: Final = (
    "CREATE TABLE IF NOT EXISTS outbox ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL UNIQUE,"
    " body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS dropped (reason TEXT PRIMARY KEY, count INTEGER NOT NULL)",
)
# Version 2: when each queued reading was taken, and the span of what each reason dropped.
_COLUMNS_V2: Final = (
    ("outbox", "agent_time"),
    ("dropped", "first_agent_time"),
    ("dropped", "last_agent_time"),
)


@dataclass(frozen=True, slots=True)
class QueuedReport:
    seq: int
    report_id: str
    body: bytes  # the report's JSON, exactly as it will be sent


class Outbox:
    """A durable FIFO of reports, bounded by ``max_reports``.

    Usage::

        outbox = Outbox(paths.outbox)
        outbox.put(reports)                 # durable before it returns
        batch = outbox.peek(200)            # oldest first
        outbox.remove([q.seq for q in batch])   # once the center acknowledged them
    """

    def __init__(self, path: Path, *, max_reports: int = 200_000) -> None:
        self._path = path
        self._max_reports = max_reports
        try:
            self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.Error as exc:
            raise _storage_error(path, exc, "open") from exc

    def close(self) -> None:
        self._db.close()

    def put(self, reports: Sequence[Report]) -> None:
        """Queue ``reports`` durably; drop the oldest (counted) beyond the bound."""
        rows = [
            (
                str(r.report_id),
                encode(r),
                r.agent_time.isoformat(),
            )
            for r in reports
        ]
        try:
            with self._transaction():
                self._db.executemany(
                    "INSERT OR IGNORE INTO outbox (report_id, body, agent_time) VALUES (?, ?, ?)",
                    rows,
                )
                overflow = self.count() - self._max_reports
                if overflow > 0:
                    oldest = [
                        seq
                        for (seq,) in self._db.execute(
                            "SELECT seq FROM outbox ORDER BY seq LIMIT ?", (overflow,)
                        )
                    ]
                    self._drop(oldest, DROP_OUTBOX_FULL)
        except sqlite3.Error as exc:
            raise _storage_error(self._path, exc, "queue new reports in") from exc

    def peek(self, limit: int) -> list[QueuedReport]:
        rows = self._db.execute(
            "SELECT seq, report_id, body FROM outbox ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [QueuedReport(seq, rid, body) for seq, rid, body in rows]

    def remove(self, seqs: Sequence[int]) -> None:
        """Forget reports the center has acknowledged.

        Without a flush to disk of its own: should a power cut undo the removal, the
        reports go again and the center answers them as duplicates (idempotent by
        report_id). Queuing stays fully synchronous: a reading must survive.
        """
        try:
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                with self._transaction():
                    self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            finally:
                self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise _storage_error(self._path, exc, "update") from exc

    def drop(self, seqs: Sequence[int], reason: str) -> None:
        """Remove reports the center refused for good, keeping count of why."""
        try:
            with self._transaction():
                self._drop(seqs, reason)
        except sqlite3.Error as exc:
            raise _storage_error(self._path, exc, "update") from exc

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def dropped(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT reason, count FROM dropped").fetchall())

    def drop_summary(self) -> list[DropSummary]:
        """Every reason reports were dropped for, with counts and the span of readings."""
        rows = self._db.execute(
            "SELECT reason, count, first_agent_time, last_agent_time FROM dropped ORDER BY reason"
        ).fetchall()
        return [
            DropSummary(
                reason=reason[:64],
                count=count,
                first_agent_time=_time(first),
                last_agent_time=_time(last),
            )
            for reason, count, first, last in rows[:16]
        ]

    def agent_status(self) -> AgentStatus:
        """What travels with each batch: the queue length and every drop so far."""
        return AgentStatus(queued_reports=self.count(), dropped=self.drop_summary())

    def integrity_ok(self) -> bool:
        """SQLite's own consistency check of the file (for the doctor and tests)."""
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    def _drop(self, seqs: Sequence[int], reason: str) -> None:
        if not seqs:
            return
        marks = ",".join("?" * len(seqs))
        first, last = self._db.execute(
            f"SELECT min(agent_time), max(agent_time) FROM outbox WHERE seq IN ({marks})",  # noqa: S608
            list(seqs),
        ).fetchone()
        deleted = self._db.execute(
            f"DELETE FROM outbox WHERE seq IN ({marks})",  # noqa: S608
            list(seqs),
        ).rowcount
        self._db.execute(
            "INSERT INTO dropped (reason, count, first_agent_time, last_agent_time) "
            "VALUES (?, ?, ?, ?) "
            "ON CONFLICT(reason) DO UPDATE SET count = count + excluded.count, "
            "first_agent_time = coalesce(min(first_agent_time, excluded.first_agent_time), "
            "first_agent_time, excluded.first_agent_time), "
            "last_agent_time = coalesce(max(last_agent_time, excluded.last_agent_time), "
            "last_agent_time, excluded.last_agent_time)",
            (reason[:64], deleted, first, last),
        )

    def _migrate(self) -> None:
        with self._transaction():
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version >= _SCHEMA_VERSION:
                return
            for statement in _TABLES:
                self._db.execute(statement)
            for table, column in _COLUMNS_V2:
                present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
            self._db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


class OutboxWriter:
    """Queue reports as they come, in small groups: one transaction per ``group_reports``
    reports or ``group_seconds`` after the first waiting one came, whichever is first.

    A report is durable once its group is written; should the agent die before that, its
    printer is simply read again next cycle. Groups go through :meth:`Outbox.put` in the
    order the reports came, so the bound and the drop summary apply as ever. A group the
    outbox cannot take (disk full) is lost and counted, and the first error kept; later
    groups are tried again.

    Usage::

        writer = OutboxWriter(outbox)
        writer.add(report)                  # writes the group once it is full
        await asyncio.sleep(writer.seconds_until_due())
        writer.write_if_due()               # a group that waited group_seconds
        writer.write()                      # what is left, at the end of the cycle
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        group_reports: int = GROUP_REPORTS,
        group_seconds: float = GROUP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outbox = outbox
        self._group_reports = group_reports
        self._group_seconds = group_seconds
        self._clock = clock
        self._waiting: list[Report] = []
        self._first_came_at = 0.0
        self.queued = 0  # reports written
        self.groups = 0  # transactions that wrote them
        self.lost = 0  # reports the outbox could not take
        self.error: str | None = None  # the first storage error

    def add(self, report: Report) -> None:
        """Take one report; write its group at once if the group is full."""
        if not self._waiting:
            self._first_came_at = self._clock()
        self._waiting.append(report)
        if len(self._waiting) >= self._group_reports:
            self.write()

    def seconds_until_due(self) -> float:
        """How long until the waiting group must be written (a full period if none waits)."""
        if not self._waiting:
            return self._group_seconds
        return max(0.0, self._first_came_at + self._group_seconds - self._clock())

    def write_if_due(self) -> None:
        if self._waiting and self.seconds_until_due() <= 0:
            self.write()

    def write(self) -> None:
        """Write the waiting reports in one transaction."""
        group, self._waiting = self._waiting, []
        if not group:
            return
        try:
            self._outbox.put(group)
        except OutboxError as exc:
            self.lost += len(group)
            if self.error is None:
                logger.error("%s", exc)
                self.error = str(exc)
            return
        self.queued += len(group)
        self.groups += 1


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _free_bytes(directory: Path) -> int | None:
    try:
        stats = os.statvfs(directory)
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def _storage_error(path: Path, exc: sqlite3.Error, doing: str) -> OutboxError:
    text = str(exc)
    free = _free_bytes(path.parent)
    if (
        "full" in text.lower()
        or getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        or (free is not None and free < _NEARLY_FULL_BYTES)
    ):
        return OutboxError(
            f"the disk holding {path.parent} is full: could not {doing} the outbox. "
            "Reports already queued are safe and will be sent; new readings cannot be kept "
            "until space is freed on that disk."
        )
    return OutboxError(f"could not {doing} the outbox {path}: {text}")
