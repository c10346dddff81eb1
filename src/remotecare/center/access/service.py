"""Console accounts and sessions: who logs in, with which role, and the ``Actor`` a
session stands for. Functions take the caller's open connection.

Usage::

    accounts = Accounts(clock, session_lifetime=timedelta(hours=12))
    with transactions.begin() as conn:
        token = accounts.log_in(conn, "alice", password)        # None if wrong
    with transactions.read() as conn:
        actor = accounts.actor_for_session(conn, token)          # None if expired
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, delete, false, insert, select

from remotecare.center.access.rules import Actor, Role
from remotecare.center.access.tables import console_sessions, users
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.secrets import hash_password, hash_token, new_token, verify_password

__all__ = ["Accounts", "scoped", "visible"]

S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True, slots=True)
class Accounts:
    clock: Clock
    session_lifetime: timedelta = timedelta(hours=12)

    def create_user(
        self,
        conn: Connection,
        username: str,
        password: str,
        role: Role = Role.OPERATOR_ADMIN,
        customer_id: int | None = None,
    ) -> None:
        """A console login; customers' people belong to ``customer_id``."""
        if role in (Role.DEVICE, Role.INTEGRATION, Role.ANONYMOUS):
            raise ValueError(f"{role} is not a role for a person")
        if role in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_USER) and customer_id is None:
            raise ValueError(f"a {role} belongs to a customer")
        conn.execute(
            insert(users).values(
                username=username,
                password_hash=hash_password(password),
                created_at=self.clock.now(),
                role=role.value,
                customer_id=customer_id,
            )
        )

    def log_in(self, conn: Connection, username: str, password: str) -> str | None:
        """A new session token for valid credentials, else None."""
        row = conn.execute(
            select(users.c.id, users.c.password_hash).where(users.c.username == username)
        ).first()
        # An unknown name costs the same hashing as a wrong password: no timing tells.
        if not verify_password(password, None if row is None else row.password_hash):
            return None
        assert row is not None
        token = new_token()
        now = self.clock.now()
        conn.execute(
            insert(console_sessions).values(
                token_hash=hash_token(token),
                user_id=row.id,
                created_at=now,
                expires_at=now + self.session_lifetime,
            )
        )
        return token

    def actor_for_session(self, conn: Connection, token: str) -> Actor | None:
        """The person a live session belongs to, as an ``Actor``; None if none."""
        row = conn.execute(
            select(users.c.username, users.c.role, users.c.customer_id)
            .join(console_sessions, console_sessions.c.user_id == users.c.id)
            .where(
                console_sessions.c.token_hash == hash_token(token),
                console_sessions.c.expires_at > self.clock.now(),
            )
        ).first()
        if row is None:
            return None
        role = Role(row.role)
        # Subcontractors' assignments arrive with the contracts issue: until then, none.
        customers = () if row.customer_id is None else (row.customer_id,)
        return Actor.scoped(row.username, role, customers)

    def log_out(self, conn: Connection, token: str) -> None:
        conn.execute(
            delete(console_sessions).where(console_sessions.c.token_hash == hash_token(token))
        )


def visible(column: ColumnElement[int], actor: Actor) -> ColumnElement[bool] | None:
    """The condition on a customer id ``column`` that limits rows to what ``actor`` may
    see; None when it sees every customer."""
    if actor.customer_ids is None:
        return None
    if not actor.customer_ids:
        return false()
    return column.in_(sorted(actor.customer_ids))


def scoped(query: S, column: ColumnElement[int], actor: Actor) -> S:
    """``query`` limited to the customers ``actor`` may see."""
    condition = visible(column, actor)
    return query if condition is None else query.where(condition)
