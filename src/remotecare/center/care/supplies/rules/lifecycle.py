"""An order's lifecycle: proposed -> approved -> shipped -> delivered -> installed, or
cancelled from any open step. People approve, ship, deliver and cancel; "installed" is
set only by the replacement the agent sees (``forecasting.py``)."""

from __future__ import annotations

import enum

__all__ = ["OPEN", "OrderStatus", "Transition", "next_status"]


class OrderStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    INSTALLED = "installed"
    CANCELLED = "cancelled"


OPEN = frozenset(
    {OrderStatus.PROPOSED, OrderStatus.APPROVED, OrderStatus.SHIPPED, OrderStatus.DELIVERED}
)


class Transition(enum.StrEnum):
    """What a person does to an order."""

    APPROVE = "approve"
    SHIP = "ship"
    DELIVER = "deliver"
    CANCEL = "cancel"


_FROM: dict[Transition, tuple[frozenset[OrderStatus], OrderStatus]] = {
    Transition.APPROVE: (frozenset({OrderStatus.PROPOSED}), OrderStatus.APPROVED),
    Transition.SHIP: (frozenset({OrderStatus.APPROVED}), OrderStatus.SHIPPED),
    Transition.DELIVER: (frozenset({OrderStatus.SHIPPED}), OrderStatus.DELIVERED),
    Transition.CANCEL: (OPEN, OrderStatus.CANCELLED),
}


def next_status(status: OrderStatus, transition: Transition) -> OrderStatus | None:
    """The status ``transition`` leads to from ``status``; ``None`` if it may not be done."""
    allowed, target = _FROM[transition]
    return target if status in allowed else None
