"""Devices as billing sees them (``care/meters``): identity, model, customer and site,
walked in a stable order a page at a time, so that an export of any size streams."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, select

from remotecare.center.fleet.rules.binding import Binding
from remotecare.center.fleet.tables import printers

__all__ = [
    "BilledDevice",
    "billed_devices",
    "customers_with_devices",
    "devices_sharing_a_site",
    "printer_customers",
]

_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class BilledDevice:
    """A device (bound printer). ``site`` is the printer as the agent's configuration names
    it: with the endpoint, where it stands (a new serial there is a swapped device)."""

    printer_id: int
    customer_id: int
    endpoint_id: str
    serial: str
    model: str
    site: str
    first_seen_at: datetime


def billed_devices(
    conn: Connection,
    customer_ids: Collection[int] | None,
    *,
    after_printer_id: int = 0,
    limit: int = 1000,
) -> list[BilledDevice]:
    """Up to ``limit`` devices of ``customer_ids`` (None: every customer) with an id above
    ``after_printer_id``, in id order."""
    query = (
        select(
            printers.c.id,
            printers.c.customer_id,
            printers.c.endpoint_id,
            printers.c.serial,
            printers.c.model,
            printers.c.address,
            printers.c.first_seen_at,
        )
        .where(printers.c.binding == Binding.BOUND.value, printers.c.id > after_printer_id)
        .order_by(printers.c.id)
        .limit(limit)
    )
    if customer_ids is not None:
        query = query.where(printers.c.customer_id.in_(sorted(customer_ids)))
    return [BilledDevice(*row) for row in conn.execute(query)]


def printer_customers(conn: Connection, printer_ids: Collection[int]) -> dict[int, int]:
    """The customer of each of ``printer_ids`` (unknown ids are left out)."""
    ordered = sorted(set(printer_ids))
    found: dict[int, int] = {}
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        query = select(printers.c.id, printers.c.customer_id).where(printers.c.id.in_(chunk))
        found.update({row.id: row.customer_id for row in conn.execute(query)})
    return found


def devices_sharing_a_site(conn: Connection, customer_id: int) -> list[BilledDevice]:
    """The customer's devices at a site (endpoint and address) where another device is or
    was too: where a device may have been swapped."""
    shared = (
        select(printers.c.endpoint_id, printers.c.address)
        .where(printers.c.customer_id == customer_id, printers.c.binding == Binding.BOUND.value)
        .group_by(printers.c.endpoint_id, printers.c.address)
        .having(func.count() > 1)
        .subquery()
    )
    query = (
        select(
            printers.c.id,
            printers.c.customer_id,
            printers.c.endpoint_id,
            printers.c.serial,
            printers.c.model,
            printers.c.address,
            printers.c.first_seen_at,
        )
        .join(
            shared,
            and_(
                printers.c.endpoint_id == shared.c.endpoint_id,
                printers.c.address == shared.c.address,
            ),
        )
        .where(printers.c.customer_id == customer_id, printers.c.binding == Binding.BOUND.value)
        .order_by(printers.c.id)
    )
    return [BilledDevice(*row) for row in conn.execute(query)]


def customers_with_devices(conn: Connection) -> list[int]:
    """The customers that have at least one device, by id."""
    query = (
        select(printers.c.customer_id)
        .where(printers.c.binding == Binding.BOUND.value)
        .group_by(printers.c.customer_id)
        .order_by(printers.c.customer_id)
    )
    return [int(customer_id) for customer_id in conn.execute(query).scalars()]
