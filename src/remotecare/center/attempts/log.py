"""Failed attempts (enrolments, console logins), recorded in the database every center
process shares.

One row per failure and per subject it counts against, for one purpose: an enrolment
counts against the client address (``"enrolment"``); a console login against the
address (``"login-address"``) and the login name (``"login-name"``), so a failed login
makes two rows. Each purpose has its own ``SqlFailureLog``. Only the last window of a
purpose matters, so older rows are deleted now and then; the table holds about as many
rows as the limits admit per window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import (
    delete,
    insert,
    literal,
    select,
    union_all,
)

from remotecare.center.attempts.rules import RecentFailures
from remotecare.center.attempts.tables import SUBJECT_MAX_LENGTH, failed_attempts
from remotecare.center.kernel.transactions import Transactions

__all__ = ["PURPOSES", "SUBJECT_MAX_LENGTH", "Purpose", "SqlFailureLog", "failed_attempts"]

Purpose = Literal["enrolment", "login-address", "login-name", "application-form"]
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)


class SqlFailureLog:
    """The failures of every process for one purpose, in one table.

    Usage::

        log = SqlFailureLog(transactions, "enrolment")
        recent = log.recent("192.0.2.7", since, per_client=5, overall=100)
        log.record("192.0.2.7", now)
        log.forget(before=since)
        log.clear("192.0.2.7")     # an administrator lets it try again at once

    The "client" is the subject the failures count against (for ``"login-name"``, the
    login name). ``overall=0`` reads no overall failures.

    The limiter calls it from a thread, before and after an attempt: each call is a
    transaction of its own, committed when it returns, so every process sees it at once.
    """

    def __init__(self, transactions: Transactions, purpose: Purpose) -> None:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown purpose {purpose!r}")
        self._transactions = transactions
        self.purpose = purpose

    def recent(
        self, client: str, since: datetime, *, per_client: int, overall: int
    ) -> RecentFailures:
        """The newest ``per_client`` failures of ``client`` and ``overall`` of everyone's
        after ``since``, in one query (both ranges are read from an index)."""
        t = failed_attempts
        mine = (
            select(literal(True).label("mine"), t.c.failed_at)
            .where(
                t.c.purpose == self.purpose,
                t.c.subject == _stored(client),
                t.c.failed_at > since,
            )
            .order_by(t.c.failed_at.desc())
            .limit(per_client)
            .subquery()
        )
        everyone = (
            select(literal(False).label("mine"), t.c.failed_at)
            .where(t.c.purpose == self.purpose, t.c.failed_at > since)
            .order_by(t.c.failed_at.desc())
            .limit(overall)
            .subquery()
        )
        query = union_all(select(mine), select(everyone)) if overall > 0 else select(mine)
        with self._transactions.read() as conn:
            rows = conn.execute(query).all()
        return RecentFailures(
            client=sorted((at for is_mine, at in rows if is_mine), reverse=True),
            overall=sorted((at for is_mine, at in rows if not is_mine), reverse=True),
        )

    def record(self, client: str, at: datetime) -> None:
        """Record one failed attempt by ``client``, committed when this returns."""
        with self._transactions.begin() as conn:
            conn.execute(
                insert(failed_attempts).values(
                    purpose=self.purpose, subject=_stored(client), failed_at=at
                )
            )

    def forget(self, *, before: datetime) -> int:
        """Delete this purpose's failures at or before ``before``; how many there were."""
        t = failed_attempts
        with self._transactions.begin() as conn:
            result = conn.execute(
                delete(t).where(t.c.purpose == self.purpose, t.c.failed_at <= before)
            )
        return result.rowcount

    def clear(self, client: str) -> int:
        """Delete every failure of this purpose against ``client``, however recent; how
        many there were. Limiters read the table before each attempt, so ``client`` may
        try again at once in every process (an administrator's unlock)."""
        t = failed_attempts
        with self._transactions.begin() as conn:
            result = conn.execute(
                delete(t).where(t.c.purpose == self.purpose, t.c.subject == _stored(client))
            )
        return result.rowcount


def _stored(client: str) -> str:
    return client[:SUBJECT_MAX_LENGTH]
