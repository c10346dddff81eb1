"""What notify does when a customer's contract ends (``contracts.service.ContractEvents``):
the customer's own subscriptions stop, and what they still owed is not sent. Subscriptions
that name other customers too, or every customer, go on for the others."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from remotecare.center.access.rules import Actor
from remotecare.center.notify.tables import notify_outbox, notify_subscriptions

__all__ = ["StopNotificationsOnTermination"]

TERMINATION_REASON = "contract terminated"


class StopNotificationsOnTermination:
    def terminated(self, conn: Connection, actor: Actor, customer_id: int, now: datetime) -> str:
        rows = conn.execute(
            select(notify_subscriptions.c.id, notify_subscriptions.c.customer_ids).where(
                notify_subscriptions.c.active.is_(True)
            )
        ).all()
        # customer_ids is JSON (no portable containment test): judged here, few rows.
        own = sorted(row.id for row in rows if row.customer_ids == [customer_id])
        if not own:
            return "0 notification subscription(s) stopped"
        conn.execute(
            update(notify_subscriptions)
            .where(notify_subscriptions.c.id.in_(own))
            .values(active=False)
        )
        dropped = conn.execute(
            update(notify_outbox)
            .where(
                notify_outbox.c.subscription_id.in_(own),
                notify_outbox.c.status == "pending",
            )
            .values(status="dead", last_error=TERMINATION_REASON)
        ).rowcount
        return f"{len(own)} notification subscription(s) stopped, {dropped} message(s) unsent"
