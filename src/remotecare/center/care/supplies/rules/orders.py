"""What to order, and when: a cartridge is ordered once, in time, and its siblings that will
be due before the parcel arrives travel in the same parcel.

- An order is due when the late end of the days-to-empty interval falls within the lead
  time (in the customer's working days) plus the safety days, or when the printer says the
  supply is low or empty (nearly full or full, for a receptacle). Supplies reporting only
  states are ordered on that transition; they have no number to wait for. It is also due
  when the early end falls within the lead time alone: a wide interval (a printer that
  reports in 25 % steps, a new cartridge) would otherwise put the order off until too late.
- A cartridge with an order open (or a delivered spare waiting at the customer) is never
  ordered again, however many readings see it: exactly one open order per cartridge.
- A forecast whose levels are erratic orders nothing until the printer says low: a
  printer reading random numbers must not start an order storm.
- An open order whose cartridge was replaced anyway, or whose printer went silent, is
  flagged for a person.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from remotecare.center.care.supplies.rules.calendar import WorkCalendar
from remotecare.center.care.supplies.rules.cartridges import CartridgeId, LevelFault
from remotecare.center.care.supplies.rules.forecast import Forecast
from remotecare.protocol.messages import SupplyState

__all__ = [
    "DueReason",
    "OpenOrder",
    "OrderFlag",
    "OrderPolicy",
    "Shipment",
    "SupplyOutlook",
    "delivery_at",
    "duplicate_orders",
    "order_due",
    "order_flags",
    "plan_shipment",
]

_DAY = timedelta(days=1)
_SAYS_ORDER = frozenset(
    {SupplyState.LOW, SupplyState.EMPTY, SupplyState.NEARLY_FULL, SupplyState.FULL}
)


@dataclass(frozen=True, slots=True)
class OrderPolicy:
    """How long a parcel takes and how much margin to keep.

    Usage::

        OrderPolicy(lead_time_working_days=3, safety_days=4)
    """

    lead_time_working_days: int = 3
    safety_days: float = 4.0
    silent_after: timedelta = timedelta(days=3)  # no reading for this long: a person looks


class DueReason(enum.StrEnum):
    """Why an order is due."""

    FORECAST = "forecast"  # empty (late end) before delivery plus safety days
    PRINTER_SAYS_LOW = "printer_says_low"
    SIBLING = "sibling"  # due within the lead time: joins a sibling's parcel


class OrderFlag(enum.StrEnum):
    """Why a person should look at an open order."""

    REPLACED_ANYWAY = "replaced_anyway"
    PRINTER_SILENT = "printer_silent"


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An order not yet closed, for one cartridge."""

    cartridge: CartridgeId
    ordered_at: datetime


@dataclass(frozen=True, slots=True)
class SupplyOutlook:
    """One supply of a printer as the order decision sees it."""

    cartridge: CartridgeId
    forecast: Forecast
    spares_on_hand: int = 0  # delivered for this position, not yet installed


@dataclass(frozen=True, slots=True)
class Shipment:
    """One parcel for one printer: the cartridges to send and why each goes."""

    items: tuple[tuple[CartridgeId, DueReason], ...]


def delivery_at(now: datetime, calendar: WorkCalendar, policy: OrderPolicy) -> datetime:
    """When a parcel ordered at ``now`` arrives (the end of its delivery day)."""
    day = calendar.add_working_days(calendar.local_date(now), policy.lead_time_working_days)
    return calendar.day_start(day + _DAY, now.tzinfo)


def _covered(outlook: SupplyOutlook, open_orders: Iterable[OpenOrder]) -> bool:
    index = outlook.cartridge.supply_index
    return outlook.spares_on_hand > 0 or any(
        order.cartridge == outlook.cartridge or order.cartridge.supply_index == index
        for order in open_orders
    )


def _due_by(forecast: Forecast, arrival: datetime, safety: timedelta) -> bool:
    """Whether even the late end of the interval is empty before the parcel arrives plus the
    safety days, or the early end before the parcel arrives at all (a wide interval must
    not put the order off until it is too late)."""
    if forecast.state in _SAYS_ORDER:
        return True
    if LevelFault.ERRATIC in forecast.faults:
        return False
    high, low = forecast.empty_at("high"), forecast.empty_at("low")
    return (high is not None and high <= arrival + safety) or (low is not None and low <= arrival)


def order_due(
    outlook: SupplyOutlook,
    *,
    now: datetime,
    calendar: WorkCalendar,
    policy: OrderPolicy,
    open_orders: Sequence[OpenOrder] = (),
) -> DueReason | None:
    """Why this cartridge must be ordered now, or ``None``."""
    if _covered(outlook, open_orders):
        return None
    if outlook.forecast.state in _SAYS_ORDER:
        return DueReason.PRINTER_SAYS_LOW
    arrival = delivery_at(now, calendar, policy)
    due = _due_by(outlook.forecast, arrival, policy.safety_days * _DAY)
    return DueReason.FORECAST if due else None


def plan_shipment(
    outlooks: Sequence[SupplyOutlook],
    *,
    now: datetime,
    calendar: WorkCalendar,
    policy: OrderPolicy,
    open_orders: Sequence[OpenOrder] = (),
) -> Shipment | None:
    """The parcel one printer needs now: its due cartridges, and the siblings that would
    become due before that parcel arrives (one parcel, not four); ``None`` if nothing is due."""
    due = [
        (outlook, reason)
        for outlook in outlooks
        if (
            reason := order_due(
                outlook, now=now, calendar=calendar, policy=policy, open_orders=open_orders
            )
        )
    ]
    if not due:
        return None
    chosen = {id(outlook) for outlook, _ in due}
    # Due before the next parcel ordered after this one's arrival would come.
    later = delivery_at(delivery_at(now, calendar, policy), calendar, policy)
    siblings = [
        (outlook, DueReason.SIBLING)
        for outlook in outlooks
        if id(outlook) not in chosen
        and not _covered(outlook, open_orders)
        and _due_by(outlook.forecast, later, policy.safety_days * _DAY)
    ]
    return Shipment(tuple((o.cartridge, reason) for o, reason in [*due, *siblings]))


def duplicate_orders(orders: Iterable[OpenOrder]) -> list[OpenOrder]:
    """Open orders beyond the first for the same cartridge (a person cancels them)."""
    seen: set[CartridgeId] = set()
    extra: list[OpenOrder] = []
    for order in sorted(orders, key=lambda o: o.ordered_at):
        if order.cartridge in seen:
            extra.append(order)
        seen.add(order.cartridge)
    return extra


def order_flags(
    order: OpenOrder,
    *,
    current: CartridgeId | None,
    last_reading_at: datetime | None,
    now: datetime,
    policy: OrderPolicy,
) -> frozenset[OrderFlag]:
    """What a person should look at on an open order."""
    flags: set[OrderFlag] = set()
    if current is not None and current != order.cartridge:
        flags.add(OrderFlag.REPLACED_ANYWAY)
    if last_reading_at is None or now - last_reading_at > policy.silent_after:
        flags.add(OrderFlag.PRINTER_SILENT)
    return frozenset(flags)
