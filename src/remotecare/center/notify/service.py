"""Subscriptions, their webhook secrets, and the outbox: functions that run in the
transaction of the connection they are given.

``enqueue`` is called by the incidents service inside the transaction that changes the
incident, so the change and the messages it owes commit together or not at all: a center
killed after the commit delivers them after its restart, and one killed before it has
neither.

Usage::

    with transactions.begin() as conn:
        incident_changed(conn, ...)
        enqueue(conn, notice, now)
"""

from __future__ import annotations

import base64
import secrets as random_secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from remotecare.center.notify.rules import (
    SECRET_PREFIX,
    Audience,
    Channel,
    IncidentNotice,
    OutboxStatus,
    Subscription,
    matches,
    message_facts,
    parse_clock_time,
    quiet_until,
)
from remotecare.center.notify.tables import notify_outbox, notify_subscriptions, webhook_secrets
from remotecare.errors import OperatorError

__all__ = [
    "ROTATION_OVERLAP",
    "NoticeLine",
    "OutboxRow",
    "SubscriptionRequest",
    "add_subscription",
    "dead_letters",
    "enqueue",
    "live_secrets",
    "notices_of",
    "outbox_rows",
    "retry_dead",
    "rotate_secret",
    "subscriptions",
]

ROTATION_OVERLAP = timedelta(hours=24)  # both secrets sign this long after a rotation
LANGUAGES = ("en", "ja")


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    name: str
    channel: Channel
    address: str
    audience: Audience
    customer_ids: frozenset[int] | None = None
    severities: frozenset[str] = frozenset({"critical", "warning"})
    responders: frozenset[str] | None = None
    language: str = "en"
    quiet_start: str | None = None
    quiet_end: str | None = None
    timezone: str = "Asia/Tokyo"


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        name=row.name,
        channel=Channel(row.channel),
        address=row.address,
        audience=Audience(row.audience),
        customer_ids=None if row.customer_ids is None else frozenset(row.customer_ids),
        severities=frozenset(row.severities),
        responders=None if row.responders is None else frozenset(row.responders),
        language=row.language,
        quiet_start=parse_clock_time(row.quiet_start) if row.quiet_start else None,
        quiet_end=parse_clock_time(row.quiet_end) if row.quiet_end else None,
        timezone=row.timezone,
    )


def subscriptions(conn: Connection, *, active_only: bool = True) -> list[Subscription]:
    query = select(notify_subscriptions).order_by(notify_subscriptions.c.id)
    if active_only:
        query = query.where(notify_subscriptions.c.active.is_(True))
    return [_subscription(row) for row in conn.execute(query)]


def _new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(32)).decode()


def _check(request: SubscriptionRequest) -> None:
    if request.language not in LANGUAGES:
        raise OperatorError(f"language must be one of {', '.join(LANGUAGES)}")
    if request.channel is Channel.EMAIL and "@" not in request.address:
        raise OperatorError(f"{request.address!r} is not an e-mail address")
    if request.channel is Channel.WEBHOOK and not request.address.startswith(
        ("https://", "http://")
    ):
        raise OperatorError(f"{request.address!r} is not an http(s) URL")
    if (request.quiet_start is None) != (request.quiet_end is None):
        raise OperatorError("quiet hours need both a start and an end")
    try:
        for text in (request.quiet_start, request.quiet_end):
            if text is not None:
                parse_clock_time(text)
    except ValueError as exc:
        raise OperatorError(str(exc)) from exc
    unknown = request.severities - {"critical", "warning", "info"}
    if unknown or not request.severities:
        raise OperatorError(f"severities must be among critical, warning, info: {sorted(unknown)}")


def add_subscription(
    conn: Connection, request: SubscriptionRequest, now: datetime
) -> tuple[int, str | None]:
    """A new subscription; its id and, for a webhook, its first secret (shown once)."""
    _check(request)
    taken = conn.execute(
        select(notify_subscriptions.c.id).where(notify_subscriptions.c.name == request.name)
    ).first()
    if taken is not None:
        raise OperatorError(f"a subscription named {request.name!r} exists")
    responders = request.responders
    if request.audience is Audience.SUBCONTRACTOR and responders is None:
        responders = frozenset({"field_service"})  # subcontractors hear of their work only
    subscription_id = conn.execute(
        insert(notify_subscriptions)
        .values(
            name=request.name,
            channel=request.channel.value,
            address=request.address,
            audience=request.audience.value,
            customer_ids=None if request.customer_ids is None else sorted(request.customer_ids),
            severities=sorted(request.severities),
            responders=None if responders is None else sorted(responders),
            language=request.language,
            quiet_start=request.quiet_start,
            quiet_end=request.quiet_end,
            timezone=request.timezone,
            active=True,
            created_at=now,
        )
        .returning(notify_subscriptions.c.id)
    ).scalar_one()
    secret = None
    if request.channel is Channel.WEBHOOK:
        secret = _new_secret()
        conn.execute(
            insert(webhook_secrets).values(
                subscription_id=subscription_id, secret=secret, created_at=now
            )
        )
    return int(subscription_id), secret


def rotate_secret(conn: Connection, name: str, now: datetime) -> str:
    """A new secret for the webhook subscription ``name``; the current ones keep signing
    for :data:`ROTATION_OVERLAP`, so receivers can switch without a gap."""
    row = conn.execute(
        select(notify_subscriptions.c.id, notify_subscriptions.c.channel).where(
            notify_subscriptions.c.name == name
        )
    ).first()
    if row is None or row.channel != Channel.WEBHOOK:
        raise OperatorError(f"no webhook subscription named {name!r}")
    conn.execute(
        update(webhook_secrets)
        .where(
            webhook_secrets.c.subscription_id == row.id,
            or_(webhook_secrets.c.retire_at.is_(None), webhook_secrets.c.retire_at > now),
        )
        .values(retire_at=func.coalesce(webhook_secrets.c.retire_at, now + ROTATION_OVERLAP))
    )
    secret = _new_secret()
    conn.execute(
        insert(webhook_secrets).values(subscription_id=row.id, secret=secret, created_at=now)
    )
    return secret


def live_secrets(
    conn: Connection, subscription_ids: Sequence[int], now: datetime
) -> dict[int, list[str]]:
    """The secrets that sign now, per subscription (newest first)."""
    rows = conn.execute(
        select(webhook_secrets.c.subscription_id, webhook_secrets.c.secret)
        .where(
            webhook_secrets.c.subscription_id.in_(subscription_ids),
            or_(webhook_secrets.c.retire_at.is_(None), webhook_secrets.c.retire_at > now),
        )
        .order_by(webhook_secrets.c.id.desc())
    ).all()
    found: dict[int, list[str]] = {}
    for subscription_id, secret in rows:
        found.setdefault(subscription_id, []).append(secret)
    return found


def enqueue(conn: Connection, notice: IncidentNotice, now: datetime) -> int:
    """Owe a message about ``notice`` to every subscription that wants it, in the open
    transaction; how many. A notice already owed to a subscription is not owed twice."""
    owed = 0
    already = set(
        conn.execute(
            select(notify_outbox.c.subscription_id).where(
                notify_outbox.c.incident_id == notice.incident_id,
                notify_outbox.c.event == notice.event,
            )
        ).scalars()
    )
    for subscription in subscriptions(conn):
        if subscription.id in already or not matches(subscription, notice):
            continue
        held_until = quiet_until(subscription, now)
        conn.execute(
            insert(notify_outbox).values(
                message_id=f"msg_{uuid.uuid4().hex}",
                subscription_id=subscription.id,
                incident_id=notice.incident_id,
                event=notice.event,
                payload=message_facts(notice, subscription.audience),
                status=OutboxStatus.PENDING.value,
                held=held_until is not None,
                attempts=0,
                created_at=now,
                next_attempt_at=held_until or now,
            )
        )
        owed += 1
    return owed


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    message_id: str
    subscription: str
    incident_id: int
    event: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


def outbox_rows(conn: Connection, *, status: OutboxStatus | None = None) -> list[OutboxRow]:
    query = (
        select(notify_outbox, notify_subscriptions.c.name)
        .join(notify_subscriptions, notify_subscriptions.c.id == notify_outbox.c.subscription_id)
        .order_by(notify_outbox.c.id)
    )
    if status is not None:
        query = query.where(notify_outbox.c.status == status.value)
    return [
        OutboxRow(
            r.id,
            r.message_id,
            r.name,
            r.incident_id,
            r.event,
            r.status,
            r.attempts,
            r.created_at,
            r.next_attempt_at,
            r.sent_at,
            r.last_error,
        )
        for r in conn.execute(query)
    ]


def dead_letters(conn: Connection) -> list[OutboxRow]:
    """Messages that failed for a day: the operator's to look at (and retry)."""
    return outbox_rows(conn, status=OutboxStatus.DEAD)


def retry_dead(conn: Connection, now: datetime) -> int:
    """Put the dead letters back in the outbox, due now, with a fresh day to succeed."""
    result = conn.execute(
        update(notify_outbox)
        .where(and_(notify_outbox.c.status == OutboxStatus.DEAD.value))
        .values(status=OutboxStatus.PENDING.value, attempts=0, created_at=now, next_attempt_at=now)
    )
    return int(result.rowcount)


@dataclass(frozen=True, slots=True)
class NoticeLine:
    """A message owed about an incident, as its timeline shows it: to whom (the
    subscription's name, channel and audience, never its address) and how it went."""

    subscription: str
    channel: str
    audience: str
    event: str
    status: str
    created_at: datetime
    sent_at: datetime | None


def notices_of(conn: Connection, incident_ids: Sequence[int]) -> dict[int, list[NoticeLine]]:
    """The messages owed about each of ``incident_ids``, oldest first."""
    if not incident_ids:
        return {}
    query = (
        select(
            notify_outbox.c.incident_id,
            notify_outbox.c.event,
            notify_outbox.c.status,
            notify_outbox.c.created_at,
            notify_outbox.c.sent_at,
            notify_subscriptions.c.name,
            notify_subscriptions.c.channel,
            notify_subscriptions.c.audience,
        )
        .join(notify_subscriptions, notify_subscriptions.c.id == notify_outbox.c.subscription_id)
        .where(notify_outbox.c.incident_id.in_(sorted(set(incident_ids))))
        .order_by(notify_outbox.c.id)
    )
    found: dict[int, list[NoticeLine]] = {}
    for r in conn.execute(query):
        found.setdefault(r.incident_id, []).append(
            NoticeLine(r.name, r.channel, r.audience, r.event, r.status, r.created_at, r.sent_at)
        )
    return found
