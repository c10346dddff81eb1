"""What supplies does when a customer's contract ends: every open order of the customer is
cancelled, in the termination's transaction (``contracts.service.ContractEvents``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from remotecare.center.access.rules import Actor
from remotecare.center.care.supplies.rules.lifecycle import Transition
from remotecare.center.care.supplies.service import OrderService
from remotecare.center.care.supplies.tables import OPEN_STATUSES, supply_orders

__all__ = ["CancelOrdersOnTermination"]

TERMINATION_REASON = "contract terminated"


@dataclass(frozen=True, slots=True)
class CancelOrdersOnTermination:
    orders: OrderService

    def terminated(self, conn: Connection, actor: Actor, customer_id: int, now: datetime) -> str:
        open_ids = (
            conn.execute(
                select(supply_orders.c.id)
                .where(
                    supply_orders.c.customer_id == customer_id,
                    supply_orders.c.status.in_(OPEN_STATUSES),
                )
                .order_by(supply_orders.c.id)
            )
            .scalars()
            .all()
        )
        cancelled = [
            self.orders.act(conn, actor, order_id, Transition.CANCEL, reason=TERMINATION_REASON)
            for order_id in open_ids
        ]
        return f"{len(cancelled)} open supply order(s) cancelled"
