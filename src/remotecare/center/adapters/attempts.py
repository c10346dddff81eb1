"""Failed enrolment attempts, recorded in the database that every center process shares.

One row per failure (client address, time). Only the last window matters, so rows
older than that are deleted now and then; under attack the table holds about as many
rows as the overall limit admits per window.

The table is declared here rather than in ``db.py``, on the same ``metadata``
(the migrations' ``env.py`` imports this module so that Alembic sees it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Column,
    Engine,
    Index,
    Integer,
    String,
    Table,
    delete,
    insert,
    literal,
    select,
    union_all,
)

from remotecare.center.adapters.db import UtcDateTime, metadata
from remotecare.center.domain.rate_limit import RecentFailures

__all__ = ["CLIENT_MAX_LENGTH", "SqlFailureLog", "failed_enrolments"]

CLIENT_MAX_LENGTH = 64  # an IPv6 address with a zone fits

failed_enrolments = Table(
    "failed_enrolments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(CLIENT_MAX_LENGTH), nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
    Index("ix_failed_enrolments_failed_at", "failed_at"),
    Index("ix_failed_enrolments_client_failed_at", "client", "failed_at"),
)


class SqlFailureLog:
    """The failures of every process, in one table.

    Usage::

        log = SqlFailureLog(engine)
        recent = log.recent("192.0.2.7", since, per_client=5, overall=100)
        log.record("192.0.2.7", now)
        log.forget(before=since)
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def recent(
        self, client: str, since: datetime, *, per_client: int, overall: int
    ) -> RecentFailures:
        """The newest ``per_client`` failures of ``client`` and ``overall`` of everyone's
        after ``since``, in one query (both ranges are read from an index)."""
        t = failed_enrolments
        mine = (
            select(literal(True).label("mine"), t.c.failed_at)
            .where(t.c.client == _stored(client), t.c.failed_at > since)
            .order_by(t.c.failed_at.desc())
            .limit(per_client)
            .subquery()
        )
        everyone = (
            select(literal(False).label("mine"), t.c.failed_at)
            .where(t.c.failed_at > since)
            .order_by(t.c.failed_at.desc())
            .limit(overall)
            .subquery()
        )
        query = union_all(select(mine), select(everyone))
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return RecentFailures(
            client=sorted((at for is_mine, at in rows if is_mine), reverse=True),
            overall=sorted((at for is_mine, at in rows if not is_mine), reverse=True),
        )

    def record(self, client: str, at: datetime) -> None:
        """Record one failed attempt by ``client``, committed when this returns."""
        with self._engine.begin() as conn:
            conn.execute(insert(failed_enrolments).values(client=_stored(client), failed_at=at))

    def forget(self, *, before: datetime) -> int:
        """Delete the failures at or before ``before``; how many there were."""
        with self._engine.begin() as conn:
            result = conn.execute(
                delete(failed_enrolments).where(failed_enrolments.c.failed_at <= before)
            )
        return result.rowcount


def _stored(client: str) -> str:
    return client[:CLIENT_MAX_LENGTH]
