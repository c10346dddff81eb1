"""Delivering the outbox: a background loop takes the messages due, sends them all at
once (each bounded in time, so one hanging server holds up no other recipient), and
records each outcome. A failure is tried again after a growing pause (30 s doubling, at
most an hour); a message failing for a day goes to the dead letters for the operator.

Messages are taken under a lease (their next attempt moved a few minutes ahead in the
transaction that takes them), so several workers never send the same message at once and
a process killed while sending leaves them due again when the lease ends. Messages held
for a subscription's quiet hours leave together afterwards, as one digest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, update

from remotecare.center.kernel.background import BackgroundLoop
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.notify.messages import digest_email, incident_email, webhook_body
from remotecare.center.notify.rules import (
    DEAD_AFTER,
    Channel,
    OutboxStatus,
    Subscription,
    retry_delay,
)
from remotecare.center.notify.senders import (
    DeliveryError,
    SmtpSettings,
    send_email,
    send_webhook,
    webhook_client,
)
from remotecare.center.notify.service import live_secrets, subscriptions
from remotecare.center.notify.tables import ERROR_MAX_LENGTH, notify_outbox

__all__ = ["DeliveryLoop", "DeliveryPacing"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryPacing:
    """``batch`` messages per round; ``lease`` while they are being sent; ``deadline_s``
    for one delivery however the server behaves; ``idle_s`` between looks at an empty
    outbox."""

    batch: int = 100
    lease: timedelta = timedelta(minutes=2)
    deadline_s: float = 30.0
    timeout_s: float = 10.0
    idle_s: float = 0.5


@dataclass(frozen=True, slots=True)
class _Parcel:
    """What leaves as one message: one row, or a subscription's held rows as a digest."""

    subscription: Subscription
    rows: tuple[Any, ...]

    @property
    def message_id(self) -> str:
        return str(self.rows[0].message_id)

    @property
    def facts(self) -> list[Mapping[str, Any]]:
        return [row.payload for row in self.rows]


class DeliveryLoop(BackgroundLoop):
    """Usage::

    loop = DeliveryLoop(transactions, clock, smtp_settings)
    loop.start()
    ...
    loop.stop()
    """

    def __init__(
        self,
        transactions: Transactions,
        clock: Clock,
        smtp: SmtpSettings | None,
        *,
        pacing: DeliveryPacing | None = None,
        webhook_ca_file: Path | None = None,
    ) -> None:
        super().__init__("notify-delivery", transactions)
        self._clock = clock
        self._smtp = smtp
        self._pacing = pacing or DeliveryPacing()
        self._webhook_ca_file = webhook_ca_file

    def step(self) -> float:
        return 0.0 if self.deliver_once() else self._pacing.idle_s

    def deliver_once(self) -> int:
        """One round: take what is due, send it, record the outcomes; how many rows."""
        now = self._clock.now()
        with self.writing(), self.transactions.begin() as conn:
            rows = self._claim(conn, now)
            if not rows:
                return 0
            subscribed = {s.id: s for s in subscriptions(conn, active_only=False)}
            webhooks = [s.id for s in subscribed.values() if s.channel is Channel.WEBHOOK]
            secrets = live_secrets(conn, webhooks, now)
        parcels = _parcels(rows, subscribed)
        outcomes = asyncio.run(self._send_all(parcels, secrets))
        done = self._clock.now()
        with self.writing(), self.transactions.begin() as conn:
            for parcel, error in zip(parcels, outcomes, strict=True):
                _record(conn, parcel, error, done)
        return len(rows)

    def _claim(self, conn: Connection, now: datetime) -> list[Any]:
        due = (
            select(notify_outbox)
            .where(
                notify_outbox.c.status == OutboxStatus.PENDING.value,
                notify_outbox.c.next_attempt_at <= now,
            )
            .order_by(notify_outbox.c.next_attempt_at, notify_outbox.c.id)
            .limit(self._pacing.batch)
            .with_for_update(skip_locked=True)
        )
        rows = list(conn.execute(due))
        if rows:
            conn.execute(
                update(notify_outbox)
                .where(notify_outbox.c.id.in_([row.id for row in rows]))
                .values(next_attempt_at=now + self._pacing.lease)
            )
        return rows

    async def _send_all(
        self, parcels: Sequence[_Parcel], secrets: Mapping[int, list[str]]
    ) -> list[str | None]:
        async with webhook_client(self._pacing.timeout_s, self._webhook_ca_file) as client:
            return list(
                await asyncio.gather(
                    *(self._send_bounded(client, parcel, secrets) for parcel in parcels)
                )
            )

    async def _send_bounded(
        self, client: Any, parcel: _Parcel, secrets: Mapping[int, list[str]]
    ) -> str | None:
        """Send one parcel; None when delivered, else why not."""
        try:
            await asyncio.wait_for(
                self._send(client, parcel, secrets), timeout=self._pacing.deadline_s
            )
        except DeliveryError as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {self._pacing.deadline_s:g} s"
        except Exception as exc:  # one bad message must not stop the others
            logger.exception("notify: delivering %s failed", parcel.message_id)
            return f"{type(exc).__name__}: {exc}"
        return None

    async def _send(self, client: Any, parcel: _Parcel, secrets: Mapping[int, list[str]]) -> None:
        subscription = parcel.subscription
        if subscription.channel is Channel.EMAIL:
            if self._smtp is None:
                raise DeliveryError("no SMTP server configured (smtp_host)")
            facts = parcel.facts
            message = (
                incident_email(facts[0], subscription.language)
                if len(facts) == 1
                else digest_email(facts, subscription.language)
            )
            await send_email(self._smtp, subscription.address, message, parcel.message_id)
        else:
            live = secrets.get(subscription.id)
            if not live:
                raise DeliveryError("the webhook subscription has no live secret")
            body = webhook_body(parcel.message_id, parcel.facts)
            await send_webhook(
                client, subscription.address, live, parcel.message_id, body, int(time.time())
            )


def _parcels(rows: Sequence[Any], subscribed: Mapping[int, Subscription]) -> list[_Parcel]:
    parcels: list[_Parcel] = []
    held: dict[int, list[Any]] = {}
    for row in rows:
        subscription = subscribed[row.subscription_id]
        if row.held:
            held.setdefault(row.subscription_id, []).append(row)
        else:
            parcels.append(_Parcel(subscription, (row,)))
    for subscription_id, group in held.items():
        parcels.append(_Parcel(subscribed[subscription_id], tuple(group)))
    return parcels


def _record(conn: Connection, parcel: _Parcel, error: str | None, now: datetime) -> None:
    for row in parcel.rows:
        attempts = row.attempts + 1
        if error is None:
            values: dict[str, Any] = {
                "status": OutboxStatus.SENT.value,
                "sent_at": now,
                "attempts": attempts,
                "last_error": None,
            }
        else:
            dead = now - row.created_at >= DEAD_AFTER
            values = {
                "status": (OutboxStatus.DEAD if dead else OutboxStatus.PENDING).value,
                "attempts": attempts,
                "next_attempt_at": now + retry_delay(attempts),
                "last_error": error[:ERROR_MAX_LENGTH],
            }
            logger.warning(
                "notify: %s to subscription %d failed (attempt %d%s): %s",
                row.message_id,
                row.subscription_id,
                attempts,
                ", dead letter" if dead else "",
                error,
            )
        conn.execute(update(notify_outbox).where(notify_outbox.c.id == row.id).values(**values))
