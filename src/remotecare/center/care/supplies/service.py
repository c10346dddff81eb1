"""Supply orders as people work them: listed with filters, approved, shipped, delivered
and cancelled, each by an ``Actor`` and only within the customers it may see; the
current forecasts beside them; a CSV export.

Every function takes the caller's open connection (``kernel/transactions.py``).

Usage::

    service = OrderService(clock)
    with transactions.begin() as conn:
        service.act(conn, actor, order_id, Transition.APPROVE)
    with transactions.read() as conn:
        rows = service.orders(conn, actor, OrderFilter(status=OrderStatus.PROPOSED))
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select, update

from remotecare.center.access.partners import assigned_only
from remotecare.center.access.rules import Actor, WorkKind
from remotecare.center.access.service import scoped
from remotecare.center.care.supplies.rules.lifecycle import (
    OrderStatus,
    Transition,
    next_status,
)
from remotecare.center.care.supplies.tables import (
    OPEN_STATUSES,
    REASON_MAX_LENGTH,
    supply_forecasts,
    supply_orders,
)
from remotecare.center.contracts.service import customer_by_name, customer_names
from remotecare.center.kernel import spreadsheet
from remotecare.center.kernel.clock import Clock
from remotecare.errors import OperatorConflict, OperatorError

__all__ = [
    "CSV_COLUMNS",
    "OrderFilter",
    "OrderNotFound",
    "OrderService",
    "OrderTransitionRefused",
    "SupplyForecast",
    "SupplyOrder",
    "orders_csv",
]


class OrderNotFound(OperatorError):
    """No such order among the customers the caller may see."""


class OrderTransitionRefused(OperatorConflict):
    """The order is not at a step this may be done from (approve a shipped order)."""


@dataclass(frozen=True, slots=True)
class SupplyOrder:
    """One order as people see it."""

    id: str
    status: OrderStatus
    customer_id: int
    customer: str
    printer_serial: str
    printer_model: str
    supply_index: int
    supply_type: str
    colour: str | None
    cartridge_description: str
    cartridge_installed_at: datetime
    due_reason: str
    days_to_empty: float | None
    shipment_id: str
    ship_to: str
    proposed_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    shipped_at: datetime | None
    shipped_by: str | None
    tracking: str | None
    delivered_at: datetime | None
    delivered_by: str | None
    installed_at: datetime | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    needs_person: bool
    flag_reason: str | None
    updated_at: datetime
    printer_id: int | None = None


@dataclass(frozen=True, slots=True)
class SupplyForecast:
    """A printer supply's current forecast as people see it."""

    customer_id: int
    printer_id: int
    supply_index: int
    description: str
    supply_type: str
    colour: str | None
    as_of: datetime
    method: str
    state: str
    state_only: bool
    percent_left: float | None
    days_to_empty: float | None
    days_to_empty_low: float | None
    days_to_empty_high: float | None
    interval: float
    confidence: float
    low_confidence: bool
    faults: str


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders to list; ``None`` means any."""

    status: OrderStatus | None = None
    open_only: bool = False
    customer: str | None = None
    printer_serial: str | None = None
    needs_person: bool | None = None
    shipment_id: str | None = None
    customer_id: int | None = None
    printer_id: int | None = None


@dataclass(frozen=True, slots=True)
class OrderService:
    clock: Clock

    def orders(
        self,
        conn: Connection,
        actor: Actor,
        which: OrderFilter = OrderFilter(),
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[SupplyOrder]:
        """The orders ``actor`` may see that ``which`` selects, newest first."""
        query = self._selected(conn, select(supply_orders), actor, which)
        if query is None:
            return []
        query = query.order_by(supply_orders.c.proposed_at.desc(), supply_orders.c.id)
        if limit is not None:
            query = query.limit(limit)
        rows = conn.execute(query.offset(offset)).all()
        names = customer_names(conn, {row.customer_id for row in rows})
        return [_order(row, names.get(row.customer_id, "")) for row in rows]

    def orders_after(
        self,
        conn: Connection,
        actor: Actor,
        which: OrderFilter,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[SupplyOrder]:
        """A page of the orders ``actor`` may see, oldest first by ``(proposed_at, id)``,
        after that key (keyset paging: stable while orders arrive)."""
        query = self._selected(conn, select(supply_orders), actor, which)
        if query is None:
            return []
        if after is not None:
            at, order_id = after
            query = query.where(
                (supply_orders.c.proposed_at > at)
                | ((supply_orders.c.proposed_at == at) & (supply_orders.c.id > order_id))
            )
        query = query.order_by(supply_orders.c.proposed_at, supply_orders.c.id).limit(limit)
        rows = conn.execute(query).all()
        names = customer_names(conn, {row.customer_id for row in rows})
        return [_order(row, names.get(row.customer_id, "")) for row in rows]

    def count(self, conn: Connection, actor: Actor, which: OrderFilter = OrderFilter()) -> int:
        """How many orders ``orders`` would list without a limit."""
        query = self._selected(conn, select(func.count()).select_from(supply_orders), actor, which)
        return 0 if query is None else int(conn.execute(query).scalar_one())

    def order(self, conn: Connection, actor: Actor, order_id: str) -> SupplyOrder:
        row = conn.execute(_visible_order(order_id, actor)).first()
        if row is None:
            raise OrderNotFound(f"unknown order {order_id}")
        return _order(row, customer_names(conn, {row.customer_id}).get(row.customer_id, ""))

    def act(
        self,
        conn: Connection,
        actor: Actor,
        order_id: str,
        transition: Transition,
        *,
        reason: str | None = None,
        tracking: str | None = None,
    ) -> SupplyOrder:
        """Approve, ship, deliver or cancel an order ``actor`` may see; a cancel needs a
        reason. The order's row is locked, so two people acting at once take turns and
        the second is refused if the first moved it on."""
        row = conn.execute(_visible_order(order_id, actor).with_for_update()).first()
        if row is None:
            raise OrderNotFound(f"unknown order {order_id}")
        status = OrderStatus(row.status)
        target = next_status(status, transition)
        if target is None:
            raise OrderTransitionRefused(f"order {order_id} is {status}: cannot {transition}")
        now = self.clock.now()
        who = actor.name[:128]
        values: dict[str, Any] = {"status": target.value, "updated_at": now}
        if transition is Transition.APPROVE:
            values |= {"approved_at": now, "approved_by": who}
        elif transition is Transition.SHIP:
            values |= {"shipped_at": now, "shipped_by": who, "tracking": _short(tracking)}
        elif transition is Transition.DELIVER:
            values |= {"delivered_at": now, "delivered_by": who}
        else:
            text = (reason or "").strip()
            if not text:
                raise OrderTransitionRefused("a cancelled order needs a reason")
            values |= {
                "cancelled_at": now,
                "cancelled_by": who,
                "cancel_reason": text[:REASON_MAX_LENGTH],
                "needs_person": False,
            }
        conn.execute(update(supply_orders).where(supply_orders.c.id == row.id).values(**values))
        return self.order(conn, actor, order_id)

    def forecasts(
        self, conn: Connection, actor: Actor, printer_ids: Sequence[int] | None = None
    ) -> list[SupplyForecast]:
        """The current forecasts ``actor`` may see (of ``printer_ids``, if given)."""
        query = scoped(select(supply_forecasts), supply_forecasts.c.customer_id, actor)
        if printer_ids is not None:
            query = query.where(supply_forecasts.c.printer_id.in_(sorted(printer_ids)))
        query = query.order_by(supply_forecasts.c.printer_id, supply_forecasts.c.supply_index)
        return [
            SupplyForecast(
                **{name: getattr(row, name) for name in SupplyForecast.__dataclass_fields__}
            )
            for row in conn.execute(query)
        ]

    def _selected(
        self, conn: Connection, query: Select[Any], actor: Actor, which: OrderFilter
    ) -> Select[Any] | None:
        query = _within_work(query, actor)
        if which.status is not None:
            query = query.where(supply_orders.c.status == which.status.value)
        if which.open_only:
            query = query.where(supply_orders.c.status.in_(OPEN_STATUSES))
        if which.customer is not None:
            customer_id = customer_by_name(conn, which.customer)
            if customer_id is None:
                return None
            query = query.where(supply_orders.c.customer_id == customer_id)
        if which.printer_serial is not None:
            query = query.where(supply_orders.c.printer_serial == which.printer_serial)
        if which.needs_person is not None:
            query = query.where(supply_orders.c.needs_person.is_(which.needs_person))
        if which.shipment_id is not None:
            query = query.where(supply_orders.c.shipment_id == which.shipment_id)
        if which.customer_id is not None:
            query = query.where(supply_orders.c.customer_id == which.customer_id)
        if which.printer_id is not None:
            query = query.where(supply_orders.c.printer_id == which.printer_id)
        return query

    def open_counts(self, conn: Connection, actor: Actor) -> dict[OrderStatus, int]:
        """The open orders ``actor`` may see, counted by status."""
        query = _within_work(
            select(supply_orders.c.status, func.count()).where(
                supply_orders.c.status.in_(OPEN_STATUSES)
            ),
            actor,
        ).group_by(supply_orders.c.status)
        return {OrderStatus(status): int(count) for status, count in conn.execute(query).all()}


def _visible_order(order_id: str, actor: Actor) -> Select[Any]:
    return _within_work(select(supply_orders).where(supply_orders.c.id == order_id), actor)


def _within_work(query: Select[Any], actor: Actor) -> Select[Any]:
    """``query`` of orders limited to the customers ``actor`` may see and, of a
    subcontractor, to the orders assigned to its company (article 10)."""
    query = scoped(query, supply_orders.c.customer_id, actor)
    return assigned_only(query, supply_orders.c.id, actor, WorkKind.ORDER)


def _short(text: str | None) -> str | None:
    return None if text is None else text.strip()[:128] or None


def _order(row: Any, customer: str) -> SupplyOrder:
    values = {
        name: getattr(row, name)
        for name in SupplyOrder.__dataclass_fields__
        if name not in ("customer", "status")
    }
    return SupplyOrder(**values, status=OrderStatus(row.status), customer=customer)


CSV_COLUMNS = (
    "id",
    "status",
    "customer",
    "ship_to",
    "printer_serial",
    "printer_model",
    "supply_index",
    "supply_type",
    "colour",
    "cartridge_description",
    "due_reason",
    "days_to_empty",
    "shipment_id",
    "proposed_at",
    "approved_at",
    "approved_by",
    "shipped_at",
    "tracking",
    "delivered_at",
    "installed_at",
    "cancelled_at",
    "cancel_reason",
    "needs_person",
    "flag_reason",
)


def orders_csv(orders: Sequence[SupplyOrder]) -> str:
    """The orders as CSV text with a byte-order mark (so spreadsheets read it as UTF-8)."""

    def value(order: SupplyOrder, column: str) -> object:
        found = getattr(order, column)
        return f"{found:.1f}" if isinstance(found, float) else found  # days: one decimal

    out = io.StringIO()
    spreadsheet.write_csv(
        out, CSV_COLUMNS, ([value(order, c) for c in CSV_COLUMNS] for order in orders)
    )
    return out.getvalue()
