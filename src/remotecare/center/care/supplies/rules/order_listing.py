"""What a person asks of the orders list, read from the page's query string. Pure: values
in, values out. As on the other lists, an unknown status, customer, device or page is left
out, not refused, so that a stale or edited link still shows a list."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from remotecare.center.care.supplies.rules.lifecycle import OrderStatus

__all__ = ["ORDER_PAGE_SIZE", "OrderQuery", "OrderStateFilter", "read_order_query"]

ORDER_PAGE_SIZE = 25
_MAX_PAGE = 1_000_000


class OrderStateFilter(enum.StrEnum):
    """Which orders the list shows: the open ones (the default), all, or one status."""

    OPEN = "open"
    ALL = "all"
    PROPOSED = OrderStatus.PROPOSED.value
    APPROVED = OrderStatus.APPROVED.value
    SHIPPED = OrderStatus.SHIPPED.value
    DELIVERED = OrderStatus.DELIVERED.value
    INSTALLED = OrderStatus.INSTALLED.value
    CANCELLED = OrderStatus.CANCELLED.value

    @property
    def status(self) -> OrderStatus | None:
        """The one status this filter shows, if it is one."""
        return (
            None
            if self in (OrderStateFilter.OPEN, OrderStateFilter.ALL)
            else OrderStatus(self.value)
        )


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """A search of the orders list: every part optional, ``page`` from 1."""

    state: OrderStateFilter = OrderStateFilter.OPEN
    customer_id: int | None = None
    device_id: int | None = None  # a printer's id
    page: int = 1

    @property
    def is_filtered(self) -> bool:
        return bool(self.state is not OrderStateFilter.OPEN or self.customer_id or self.device_id)

    @property
    def params(self) -> dict[str, str]:
        """The query string that asks for this search again (without the page)."""
        given = {
            "state": "" if self.state is OrderStateFilter.OPEN else self.state.value,
            "customer": "" if self.customer_id is None else str(self.customer_id),
            "device": "" if self.device_id is None else str(self.device_id),
        }
        return {key: value for key, value in given.items() if value}


def read_order_query(given: Mapping[str, str]) -> OrderQuery:
    """The search a query string asks for; what cannot be understood is left out."""
    state = given.get("state", "")
    return OrderQuery(
        state=OrderStateFilter(state) if state in set(OrderStateFilter) else OrderStateFilter.OPEN,
        customer_id=_positive(given.get("customer", "")),
        device_id=_positive(given.get("device", "")),
        page=min(_positive(given.get("page", "")) or 1, _MAX_PAGE),
    )


def _positive(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    number = int(text)
    return number if number > 0 else None
