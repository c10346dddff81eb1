"""The agent's outbox: every report is on disk before it is sent, and leaves only when
the center has acknowledged it (terms, article 5(3): nothing lost while the line or the
center is down). Plain stdlib sqlite3: a single-table queue needs no ORM."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from remotecare.protocol.messages import Report

__all__ = ["Outbox", "QueuedReport"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS dropped (
    reason TEXT PRIMARY KEY,
    count INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class QueuedReport:
    seq: int
    report_id: str
    body: bytes  # the report's JSON, exactly as it will be sent


class Outbox:
    """A durable FIFO of reports, bounded by ``max_reports``.

    When full, the oldest reports are dropped and counted by reason, never silently.
    """

    def __init__(self, path: Path, *, max_reports: int = 200_000) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._max_reports = max_reports

    def close(self) -> None:
        self._db.close()

    def put(self, reports: Sequence[Report]) -> None:
        rows = [(str(r.report_id), r.model_dump_json(exclude_none=True).encode()) for r in reports]
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO outbox (report_id, body) VALUES (?, ?)", rows
            )
            overflow = self.count() - self._max_reports
            if overflow > 0:
                self._db.execute(
                    "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)",
                    (overflow,),
                )
                self._count_dropped("outbox full", overflow)

    def peek(self, limit: int) -> list[QueuedReport]:
        rows = self._db.execute(
            "SELECT seq, report_id, body FROM outbox ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [QueuedReport(seq, rid, body) for seq, rid, body in rows]

    def remove(self, seqs: Sequence[int]) -> None:
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

    def drop(self, seqs: Sequence[int], reason: str) -> None:
        """Remove reports the center refused for good, keeping count of why."""
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            self._count_dropped(reason, len(seqs))

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def dropped(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT reason, count FROM dropped").fetchall())

    def _count_dropped(self, reason: str, count: int) -> None:
        self._db.execute(
            "INSERT INTO dropped (reason, count) VALUES (?, ?) "
            "ON CONFLICT(reason) DO UPDATE SET count = count + excluded.count",
            (reason[:200], count),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
