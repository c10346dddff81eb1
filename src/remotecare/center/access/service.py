"""Console accounts and sessions: who logs in, with which role, and the ``Actor`` a
session stands for. Functions take the caller's open connection.

A person may add a second factor (TOTP, ``access/totp.py``): started, then confirmed by a
first code, and from then on asked for at every login. With ``operators_need_totp`` an
operator without one cannot log in at all (the refusal says how to get one).

Usage::

    accounts = Accounts(clock, session_lifetime=timedelta(hours=12))
    with transactions.begin() as conn:
        outcome = accounts.authenticate(conn, "alice", password, code)
        outcome.token                                            # None if refused
        outcome.refusal                                          # why (LoginRefusal)
    with transactions.read() as conn:
        actor = accounts.actor_for_session(conn, token)          # None if expired
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, delete, false, insert, select, update

from remotecare.center.access import totp
from remotecare.center.access.partners import Partners
from remotecare.center.access.rules import Actor, Role
from remotecare.center.access.tables import console_sessions, users
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.secrets import (
    hash_password,
    hash_token,
    new_token,
    password_needs_rehash,
    verify_password,
)
from remotecare.errors import OperatorError

__all__ = [
    "MIN_PASSWORD_CHARS",
    "Accounts",
    "LoginOutcome",
    "LoginRefusal",
    "NoSuchUser",
    "Preferences",
    "TotpSetup",
    "UserInfo",
    "scoped",
    "visible",
]


MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024


class NoSuchUser(OperatorError):
    """No console user of that name."""


class LoginRefusal(enum.Enum):
    WRONG_CREDENTIALS = "wrong user name or password"
    CODE_NEEDED = "enter the code from your authenticator app"
    WRONG_CODE = "wrong or already used code"
    TOTP_REQUIRED = (
        "your role must log in with a second factor: ask an administrator to set one up "
        "(remotecare center users totp NAME)"
    )

    @property
    def counts_as_failure(self) -> bool:
        """Whether the login limit counts it (asking for the code is no failure)."""
        return self is not LoginRefusal.CODE_NEEDED


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    token: str | None  # the new session's, when the login succeeded
    refusal: LoginRefusal | None = None
    role: Role | None = None  # the person's, when the login succeeded: where they land


@dataclass(frozen=True, slots=True)
class TotpSetup:
    secret: str  # for typing into an authenticator app
    uri: str  # otpauth://, for a QR code


@dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    role: Role
    customer_id: int | None
    created_at: datetime
    second_factor: bool
    partner_id: int | None = None
    disabled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's own console settings, and the state of their second factor."""

    language: str | None
    time_zone: str | None
    second_factor: bool  # in force: asked at every login
    second_factor_started: bool  # started, waiting for a first code


S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True, slots=True)
class Accounts:
    clock: Clock
    session_lifetime: timedelta = timedelta(hours=12)
    operators_need_totp: bool = False
    issuer: str = "Remote Care"  # how authenticator apps name this center

    def create_user(
        self,
        conn: Connection,
        username: str,
        password: str,
        role: Role = Role.OPERATOR_ADMIN,
        customer_id: int | None = None,
        partner_id: int | None = None,
    ) -> None:
        """A console login; customers' people belong to ``customer_id``, affiliates' and
        subcontractors' people to ``partner_id``."""
        if role in (Role.DEVICE, Role.INTEGRATION, Role.ANONYMOUS):
            raise ValueError(f"{role} is not a role for a person")
        if role.of_a_customer and customer_id is None:
            raise ValueError(f"a {role} belongs to a customer")
        if role.of_a_partner and partner_id is None:
            raise ValueError(f"a {role} belongs to a partner company")
        if not role.of_a_customer and customer_id is not None:
            raise ValueError(f"a {role} belongs to no customer")
        if not role.of_a_partner and partner_id is not None:
            raise ValueError(f"a {role} belongs to no partner company")
        conn.execute(
            insert(users).values(
                username=username,
                password_hash=hash_password(password),
                created_at=self.clock.now(),
                role=role.value,
                customer_id=customer_id,
                partner_id=partner_id,
            )
        )

    def log_in(self, conn: Connection, username: str, password: str) -> str | None:
        """A new session token for valid credentials (and no second factor), else None."""
        return self.authenticate(conn, username, password).token

    def authenticate(
        self, conn: Connection, username: str, password: str, code: str | None = None
    ) -> LoginOutcome:
        """A new session for valid credentials and, where the person has a second
        factor, a valid unused code; else why not."""
        row = conn.execute(
            select(
                users.c.id,
                users.c.password_hash,
                users.c.role,
                users.c.totp_secret,
                users.c.totp_confirmed_at,
                users.c.totp_last_step,
                users.c.disabled_at,
            ).where(users.c.username == username)
        ).first()
        # An unknown name costs the same hashing as a wrong password: no timing tells.
        if not verify_password(password, None if row is None else row.password_hash):
            return LoginOutcome(None, LoginRefusal.WRONG_CREDENTIALS)
        assert row is not None
        if row.disabled_at is not None:  # told apart from a wrong password by nobody
            return LoginOutcome(None, LoginRefusal.WRONG_CREDENTIALS)
        if password_needs_rehash(row.password_hash):
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(password_hash=hash_password(password))
            )
        now = self.clock.now()
        if row.totp_confirmed_at is not None:
            if not code:
                return LoginOutcome(None, LoginRefusal.CODE_NEEDED)
            step = totp.accepted_step(row.totp_secret, code, now, row.totp_last_step)
            if step is None:
                return LoginOutcome(None, LoginRefusal.WRONG_CODE)
            conn.execute(update(users).where(users.c.id == row.id).values(totp_last_step=step))
        elif self.operators_need_totp and Role(row.role).sees_every_customer:
            return LoginOutcome(None, LoginRefusal.TOTP_REQUIRED)
        return LoginOutcome(self._new_session(conn, row.id, now), role=Role(row.role))

    def _new_session(self, conn: Connection, user_id: int, now: datetime) -> str:
        token = new_token()
        conn.execute(
            insert(console_sessions).values(
                token_hash=hash_token(token),
                user_id=user_id,
                created_at=now,
                expires_at=now + self.session_lifetime,
            )
        )
        return token

    def start_totp(self, conn: Connection, username: str) -> TotpSetup:
        """A new TOTP secret for ``username``, in force once ``confirm_totp`` saw a code
        made from it (until then logins go on as before). Replaces any earlier one."""
        secret = totp.new_secret()
        self._set(conn, username, totp_secret=secret, totp_confirmed_at=None, totp_last_step=None)
        return TotpSetup(secret, totp.provisioning_uri(secret, username, self.issuer))

    def confirm_totp(self, conn: Connection, username: str, code: str) -> bool:
        """Put the started second factor in force, given a code from it; False if wrong."""
        row = conn.execute(select(users.c.totp_secret).where(users.c.username == username)).first()
        if row is None:
            raise NoSuchUser(f"no console user {username!r}")
        if row.totp_secret is None:
            return False
        step = totp.accepted_step(row.totp_secret, code, self.clock.now(), None)
        if step is None:
            return False
        self._set(conn, username, totp_confirmed_at=self.clock.now(), totp_last_step=step)
        return True

    def remove_totp(self, conn: Connection, username: str) -> None:
        """Take the second factor away (a lost phone); the person logs in with the
        password alone, unless their role needs one."""
        self._set(conn, username, totp_secret=None, totp_confirmed_at=None, totp_last_step=None)

    def users(self, conn: Connection, customer_id: int | None = None) -> list[UserInfo]:
        """Every console user (or only ``customer_id``'s people), by name (never their
        secrets)."""
        query = select(
            users.c.username,
            users.c.role,
            users.c.customer_id,
            users.c.created_at,
            users.c.totp_confirmed_at,
            users.c.partner_id,
            users.c.disabled_at,
        ).order_by(users.c.username)
        if customer_id is not None:
            query = query.where(users.c.customer_id == customer_id)
        return [
            UserInfo(
                row.username,
                Role(row.role),
                row.customer_id,
                row.created_at,
                row.totp_confirmed_at is not None,
                row.partner_id,
                row.disabled_at,
            )
            for row in conn.execute(query)
        ]

    def user(self, conn: Connection, username: str) -> UserInfo | None:
        found = self._users_named(conn, username)
        return found[0] if found else None

    def _users_named(self, conn: Connection, username: str) -> list[UserInfo]:
        row = conn.execute(
            select(
                users.c.username,
                users.c.role,
                users.c.customer_id,
                users.c.created_at,
                users.c.totp_confirmed_at,
                users.c.partner_id,
                users.c.disabled_at,
            ).where(users.c.username == username)
        ).first()
        if row is None:
            return []
        return [
            UserInfo(
                row.username,
                Role(row.role),
                row.customer_id,
                row.created_at,
                row.totp_confirmed_at is not None,
                row.partner_id,
                row.disabled_at,
            )
        ]

    def disable(self, conn: Connection, username: str) -> None:
        """Stop ``username`` logging in, and end their sessions now (the caller checked
        that the administrator may)."""
        self._set(conn, username, disabled_at=self.clock.now())
        user_id = select(users.c.id).where(users.c.username == username).scalar_subquery()
        conn.execute(delete(console_sessions).where(console_sessions.c.user_id == user_id))

    def preferences_of(self, conn: Connection, username: str) -> Preferences:
        row = conn.execute(
            select(
                users.c.language, users.c.time_zone, users.c.totp_secret, users.c.totp_confirmed_at
            ).where(users.c.username == username)
        ).first()
        if row is None:
            raise NoSuchUser(f"no console user {username!r}")
        return Preferences(
            row.language,
            row.time_zone,
            row.totp_confirmed_at is not None,
            row.totp_secret is not None and row.totp_confirmed_at is None,
        )

    def choose_time_zone(self, conn: Connection, username: str, zone: str | None) -> None:
        """Keep ``username``'s time zone (an IANA name the caller checked; None: the
        center's)."""
        self._set(conn, username, time_zone=zone)

    def check_password(self, conn: Connection, username: str, password: str) -> bool:
        """Whether ``password`` is ``username``'s (for changes that ask for it again)."""
        row = conn.execute(
            select(users.c.password_hash).where(users.c.username == username)
        ).first()
        return verify_password(password, None if row is None else row.password_hash)

    def change_password(self, conn: Connection, username: str, current: str, new: str) -> bool:
        """Replace ``username``'s password, given the current one; False if it is wrong.
        The new one must be ``MIN_PASSWORD_CHARS`` long at least (``ValueError``)."""
        if not MIN_PASSWORD_CHARS <= len(new) <= MAX_PASSWORD_CHARS:
            raise ValueError(
                f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
            )
        if not self.check_password(conn, username, current):
            return False
        self._set(conn, username, password_hash=hash_password(new))
        return True

    def _set(self, conn: Connection, username: str, **values: Any) -> None:
        changed = conn.execute(update(users).where(users.c.username == username).values(**values))
        if changed.rowcount != 1:
            raise NoSuchUser(f"no console user {username!r}")

    def actor_for_session(self, conn: Connection, token: str) -> Actor | None:
        """The person a live session belongs to, as an ``Actor``; None if none."""
        row = conn.execute(
            select(users.c.username, users.c.role, users.c.customer_id, users.c.partner_id)
            .join(console_sessions, console_sessions.c.user_id == users.c.id)
            .where(
                console_sessions.c.token_hash == hash_token(token),
                console_sessions.c.expires_at > self.clock.now(),
                users.c.disabled_at.is_(None),
            )
        ).first()
        if row is None:
            return None
        role = Role(row.role)
        if role.of_a_partner:
            return Partners(self.clock).actor(conn, row.username, role, row.partner_id)
        customers = () if row.customer_id is None else (row.customer_id,)
        return Actor.scoped(row.username, role, customers)

    def language_of(self, conn: Connection, username: str) -> str | None:
        """The console language ``username`` chose, if any."""
        return conn.execute(
            select(users.c.language).where(users.c.username == username)
        ).scalar_one_or_none()

    def choose_language(self, conn: Connection, username: str, language: str) -> None:
        """Keep ``username``'s choice of console language (checked by the caller)."""
        conn.execute(update(users).where(users.c.username == username).values(language=language))

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
