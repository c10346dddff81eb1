"""Printers waiting for an operator (``printer_binding = "confirm"``, or known only by a
weak identity), and confirming them.

Confirming a pending printer makes it a device of the endpoint that reported it and
attaches every report held for it, in one transaction (the caller's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from remotecare.center.access.rules import Actor
from remotecare.center.access.service import scoped
from remotecare.center.contracts.service import customer_by_name, customer_names
from remotecare.center.fleet.ingest import ReadingsFeed
from remotecare.center.fleet.rules.binding import Binding
from remotecare.center.fleet.tables import held_reports, printers, reports
from remotecare.center.kernel.clock import Clock
from remotecare.errors import OperatorError
from remotecare.protocol.messages import SerialSource

__all__ = [
    "AlreadyConfirmed",
    "ConfirmedPrinter",
    "PendingPrinter",
    "PrinterService",
    "printer_id_of",
]


class AlreadyConfirmed(OperatorError):
    """The printer is a device already: there is nothing to confirm."""


@dataclass(frozen=True, slots=True)
class PendingPrinter:
    printer_id: int
    customer: str
    serial: str
    model: str
    address: str
    endpoint_id: str
    first_seen_at: datetime
    last_report_at: datetime
    held_reports: int
    serial_source: str = ""  # "weak:address+sysObjectID": no serial, vendor serial or MAC

    @property
    def weak(self) -> bool:
        """Known only by its weak identity: its address and sysObjectID, not the machine."""
        return self.serial_source == SerialSource.WEAK.value


@dataclass(frozen=True, slots=True)
class ConfirmedPrinter:
    printer_id: int
    customer: str
    serial: str
    endpoint_id: str
    attached_reports: int


@dataclass(frozen=True, slots=True)
class PrinterService:
    """Usage::

    service.pending(conn, actor)                        # what waits for confirmation
    service.confirm(conn, actor, "CNB1234567")          # or customer="Acme Ltd"
    """

    clock: Clock
    feed: ReadingsFeed | None = None  # where a confirmed printer's held readings go next

    def pending(self, conn: Connection, actor: Actor) -> list[PendingPrinter]:
        """The printers waiting for confirmation that ``actor`` may see, oldest first."""
        held = (
            select(held_reports.c.printer_id, func.count().label("held"))
            .group_by(held_reports.c.printer_id)
            .subquery()
        )
        query = scoped(
            select(
                printers.c.id,
                printers.c.customer_id,
                printers.c.serial,
                printers.c.serial_source,
                printers.c.model,
                printers.c.address,
                printers.c.endpoint_id,
                printers.c.first_seen_at,
                printers.c.last_report_at,
                func.coalesce(held.c.held, 0).label("held"),
            )
            .outerjoin(held, held.c.printer_id == printers.c.id)
            .where(printers.c.binding == Binding.PENDING.value)
            .order_by(printers.c.first_seen_at, printers.c.id),
            printers.c.customer_id,
            actor,
        )
        rows = conn.execute(query).all()
        names = customer_names(conn, {row.customer_id for row in rows})
        return [
            PendingPrinter(
                row.id,
                names[row.customer_id],
                row.serial,
                row.model,
                row.address,
                row.endpoint_id,
                row.first_seen_at,
                row.last_report_at,
                row.held,
                row.serial_source,
            )
            for row in rows
        ]

    def confirm(
        self, conn: Connection, actor: Actor, serial: str, customer: str | None = None
    ) -> ConfirmedPrinter:
        """Confirm the pending printer with ``serial`` (of ``customer``, if several have it)."""
        query = scoped(_printer_query(), printers.c.customer_id, actor).where(
            printers.c.serial == serial
        )
        if customer is not None:
            query = query.where(printers.c.customer_id == customer_by_name(conn, customer))
        rows = conn.execute(query).all()
        if not rows:
            whose = f" of {customer}" if customer else ""
            raise OperatorError(f"no printer {serial}{whose} has reported")
        names = customer_names(conn, {row.customer_id for row in rows})
        if len(rows) > 1:
            listed = ", ".join(sorted(names[row.customer_id] for row in rows))
            raise OperatorError(f"printer {serial} is known for {listed}: name the customer")
        return self._confirm(conn, rows[0], names[rows[0].customer_id])

    def confirm_id(self, conn: Connection, actor: Actor, printer_id: int) -> ConfirmedPrinter:
        query = scoped(_printer_query(), printers.c.customer_id, actor)
        row = conn.execute(query.where(printers.c.id == printer_id)).first()
        if row is None:
            raise OperatorError(f"no printer {printer_id}")
        return self._confirm(conn, row, customer_names(conn, [row.customer_id])[row.customer_id])

    def _confirm(self, conn: Connection, row: Any, customer: str) -> ConfirmedPrinter:
        if row.binding != Binding.PENDING:
            raise AlreadyConfirmed(f"printer {row.serial} of {customer} is already confirmed")
        changed = conn.execute(
            update(printers)
            .where(printers.c.id == row.id, printers.c.binding == Binding.PENDING.value)
            .values(binding=Binding.BOUND.value, confirmed_at=self.clock.now())
        ).rowcount
        if changed != 1:  # confirmed by someone else at the same moment
            raise AlreadyConfirmed(f"printer {row.serial} of {customer} is already confirmed")
        attached = _attach_held_reports(conn, row.id, self.feed)
        return ConfirmedPrinter(row.id, customer, row.serial, row.endpoint_id, attached)


def _printer_query() -> Any:
    return select(
        printers.c.id,
        printers.c.serial,
        printers.c.endpoint_id,
        printers.c.binding,
        printers.c.customer_id,
    )


def _attach_held_reports(conn: Connection, printer_id: int, feed: ReadingsFeed | None) -> int:
    waiting = select(held_reports.c.report_id).where(held_reports.c.printer_id == printer_id)
    attached = conn.execute(
        update(reports).where(reports.c.report_id.in_(waiting)).values(printer_id=printer_id)
    ).rowcount
    if feed is not None:  # now a device's readings
        held = list(conn.execute(waiting).scalars())  # a new device's first readings
        feed(conn, held, [printer_id] * len(held), held, held)
    conn.execute(delete(held_reports).where(held_reports.c.printer_id == printer_id))
    return int(attached)


def printer_id_of(conn: Connection, actor: Actor, serial: str, customer_id: int) -> int | None:
    """The id of ``customer_id``'s printer ``serial``, if ``actor`` may see it."""
    query = scoped(select(printers.c.id), printers.c.customer_id, actor)
    found = conn.execute(
        query.where(printers.c.serial == serial, printers.c.customer_id == customer_id)
    ).scalar()
    return None if found is None else int(found)
