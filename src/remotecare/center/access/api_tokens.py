"""API tokens: how a dealer's system (billing, ERP, ticketing) calls the JSON API.

A token is a bearer secret scoped to one customer (or, made by an operator's
administrator, to every customer) and to a set of ``ApiScope`` actions. It is shown once
when made and stored only as its SHA-256 (``kernel/secrets.py``); it may expire and is
revocable at once. The calling system becomes an ``Actor`` of role ``integration``, so
every service scopes what it returns exactly as for a person.

Usage::

    tokens = ApiTokens(clock)
    with transactions.begin() as conn:
        made = tokens.create(conn, admin, "billing", customer_id=7,
                             scopes={ApiScope.METERS_READ})
    print(made.token)                                   # shown once
    with transactions.read() as conn:
        actor = tokens.actor_for(conn, made.token)      # None: unknown, revoked, expired
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, or_, select, update

from remotecare.center.access.rules import Actor, ApiScope, Role
from remotecare.center.access.service import scoped
from remotecare.center.access.tables import api_tokens
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.secrets import hash_token, new_token
from remotecare.errors import OperatorError

__all__ = [
    "TOKEN_PREFIX",
    "ApiTokenInfo",
    "ApiTokens",
    "MadeToken",
    "TokenCaller",
    "TokenRefused",
    "looks_like_token",
]

TOKEN_PREFIX = "rct_"  # noqa: S105 (a prefix that lets secret scanners recognise a leaked token)
_TOKEN_LENGTH = len(TOKEN_PREFIX) + 43  # new_token(): 32 bytes in URL-safe base64
_LAST_USED_EVERY = timedelta(hours=1)  # note use at most this often: calls stay reads


class TokenRefused(OperatorError):
    """A token may not be made or revoked by this actor, or has no such id."""


@dataclass(frozen=True, slots=True)
class MadeToken:
    id: int
    token: str  # the secret, shown once


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    id: int
    name: str
    customer_id: int | None
    scopes: tuple[ApiScope, ...]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenCaller:
    """Who a live token stands for, and whether its use is due to be noted (hourly)."""

    actor: Actor
    token_id: int
    note_due: bool


def _scopes(stored: list[str]) -> tuple[ApiScope, ...]:
    """The stored scopes this center knows (one a later version dropped is ignored)."""
    return tuple(ApiScope(scope) for scope in stored if scope in ApiScope._value2member_map_)


def looks_like_token(presented: str) -> bool:
    """Whether ``presented`` has a token's shape (checked before any query)."""
    return (
        len(presented) == _TOKEN_LENGTH
        and presented.startswith(TOKEN_PREFIX)
        and all(c.isalnum() or c in "-_" for c in presented[len(TOKEN_PREFIX) :])
    )


def _may_manage(actor: Actor, customer_id: int | None) -> bool:
    """Operators' administrators manage every token; a customer's administrator its own
    customer's tokens only."""
    if actor.role is Role.OPERATOR_ADMIN:
        return True
    return (
        actor.role is Role.CUSTOMER_ADMIN
        and customer_id is not None
        and (actor.may_see(customer_id))
    )


@dataclass(frozen=True, slots=True)
class ApiTokens:
    clock: Clock

    def create(
        self,
        conn: Connection,
        actor: Actor,
        name: str,
        *,
        customer_id: int | None,
        scopes: Iterable[ApiScope],
        lifetime: timedelta | None = None,
    ) -> MadeToken:
        """A new token; ``customer_id`` None makes one for every customer."""
        chosen = sorted({ApiScope(scope) for scope in scopes})
        if not chosen:
            raise TokenRefused("a token needs at least one scope")
        if not name.strip() or len(name) > 100:
            raise TokenRefused("a token needs a name of 1 to 100 characters")
        if not _may_manage(actor, customer_id):
            raise TokenRefused(f"{actor.name} may not make this token")
        token = TOKEN_PREFIX + new_token()
        now = self.clock.now()
        token_id = conn.execute(
            insert(api_tokens)
            .values(
                token_hash=hash_token(token),
                name=name.strip(),
                customer_id=customer_id,
                scopes=[scope.value for scope in chosen],
                created_by=actor.name,
                created_at=now,
                expires_at=None if lifetime is None else now + lifetime,
            )
            .returning(api_tokens.c.id)
        ).scalar_one()
        return MadeToken(token_id, token)

    def actor_for(self, conn: Connection, presented: str) -> TokenCaller | None:
        """The integration a live token stands for; None if unknown, revoked or expired."""
        if not looks_like_token(presented):
            return None
        now = self.clock.now()
        row = conn.execute(
            select(
                api_tokens.c.id,
                api_tokens.c.name,
                api_tokens.c.customer_id,
                api_tokens.c.scopes,
                api_tokens.c.last_used_at,
            ).where(
                api_tokens.c.token_hash == hash_token(presented),
                api_tokens.c.revoked_at.is_(None),
                or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now),
            )
        ).first()
        if row is None:
            return None
        customers = None if row.customer_id is None else (row.customer_id,)
        actor = Actor.integration(f"token {row.id} ({row.name})", customers, _scopes(row.scopes))
        last = row.last_used_at
        return TokenCaller(actor, row.id, last is None or last < now - _LAST_USED_EVERY)

    def note_use(self, conn: Connection, token_id: int) -> None:
        """Record that token ``token_id`` was used now (``TokenCaller.note_due`` says when)."""
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id)
            .values(last_used_at=self.clock.now())
        )

    def listing(self, conn: Connection, actor: Actor) -> list[ApiTokenInfo]:
        """The tokens ``actor`` manages, newest first (never their secrets)."""
        if actor.role not in (Role.OPERATOR_ADMIN, Role.CUSTOMER_ADMIN):
            return []
        query = select(api_tokens).order_by(api_tokens.c.id.desc())
        if actor.role is Role.CUSTOMER_ADMIN:
            query = scoped(query, api_tokens.c.customer_id, actor)
        return [
            ApiTokenInfo(
                id=row.id,
                name=row.name,
                customer_id=row.customer_id,
                scopes=_scopes(row.scopes),
                created_by=row.created_by,
                created_at=row.created_at,
                expires_at=row.expires_at,
                revoked_at=row.revoked_at,
                last_used_at=row.last_used_at,
            )
            for row in conn.execute(query)
        ]

    def revoke(self, conn: Connection, actor: Actor, token_id: int) -> bool:
        """Revoke token ``token_id`` at once; False if it was revoked already."""
        row = conn.execute(
            select(api_tokens.c.customer_id, api_tokens.c.revoked_at).where(
                api_tokens.c.id == token_id
            )
        ).first()
        if row is None or not _may_manage(actor, row.customer_id):
            raise TokenRefused(f"no API token {token_id}")  # another's token: as if none
        if row.revoked_at is not None:
            return False
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id)
            .values(revoked_at=self.clock.now())
        )
        return True
