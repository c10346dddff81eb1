"""Printers waiting for an operator (``printer_binding = "confirm"``), and confirming them.

Confirming a pending printer makes it a device of the endpoint that reported it and
attaches every report held for it, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update

from remotecare.center.adapters.db import customers, held_reports, printers, reports
from remotecare.center.care.feed import record_stored_readings
from remotecare.center.clock import Clock
from remotecare.center.domain.binding import Binding
from remotecare.errors import OperatorError

__all__ = ["AlreadyConfirmed", "ConfirmedPrinter", "PendingPrinter", "PrinterService"]


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

    service.pending()                       # what waits for confirmation
    service.confirm("CNB1234567")           # or confirm("CNB…", customer="Acme Ltd")
    """

    engine: Engine
    clock: Clock

    def pending(self) -> list[PendingPrinter]:
        held = (
            select(held_reports.c.printer_id, func.count().label("held"))
            .group_by(held_reports.c.printer_id)
            .subquery()
        )
        query = (
            select(
                printers.c.id,
                customers.c.name,
                printers.c.serial,
                printers.c.model,
                printers.c.address,
                printers.c.endpoint_id,
                printers.c.first_seen_at,
                printers.c.last_report_at,
                func.coalesce(held.c.held, 0),
            )
            .join(customers, customers.c.id == printers.c.customer_id)
            .outerjoin(held, held.c.printer_id == printers.c.id)
            .where(printers.c.binding == Binding.PENDING.value)
            .order_by(printers.c.first_seen_at, printers.c.id)
        )
        with self.engine.connect() as conn:
            return [PendingPrinter(*row) for row in conn.execute(query)]

    def confirm(self, serial: str, customer: str | None = None) -> ConfirmedPrinter:
        """Confirm the pending printer with ``serial`` (of ``customer``, if several have it)."""
        query = _printer_query().where(printers.c.serial == serial)
        if customer is not None:
            query = query.where(customers.c.name == customer)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            if not rows:
                whose = f" of {customer}" if customer else ""
                raise OperatorError(f"no printer {serial}{whose} has reported")
            if len(rows) > 1:
                names = ", ".join(sorted(row.customer for row in rows))
                raise OperatorError(f"printer {serial} is known for {names}: name the customer")
            return self._confirm(conn, rows[0])

    def confirm_id(self, printer_id: int) -> ConfirmedPrinter:
        with self.engine.begin() as conn:
            row = conn.execute(_printer_query().where(printers.c.id == printer_id)).first()
            if row is None:
                raise OperatorError(f"no printer {printer_id}")
            return self._confirm(conn, row)

    def _confirm(self, conn: Connection, row: Any) -> ConfirmedPrinter:
        if row.binding != Binding.PENDING:
            raise AlreadyConfirmed(f"printer {row.serial} of {row.customer} is already confirmed")
        changed = conn.execute(
            update(printers)
            .where(printers.c.id == row.id, printers.c.binding == Binding.PENDING.value)
            .values(binding=Binding.BOUND.value, confirmed_at=self.clock.now())
        ).rowcount
        if changed != 1:  # confirmed by someone else at the same moment
            raise AlreadyConfirmed(f"printer {row.serial} of {row.customer} is already confirmed")
        attached = _attach_held_reports(conn, row.id)
        return ConfirmedPrinter(row.id, row.customer, row.serial, row.endpoint_id, attached)


def _printer_query() -> Any:
    return select(
        printers.c.id,
        printers.c.serial,
        printers.c.endpoint_id,
        printers.c.binding,
        customers.c.name.label("customer"),
    ).join(customers, customers.c.id == printers.c.customer_id)


def _attach_held_reports(conn: Connection, printer_id: int) -> int:
    waiting = select(held_reports.c.report_id).where(held_reports.c.printer_id == printer_id)
    attached = conn.execute(
        update(reports).where(reports.c.report_id.in_(waiting)).values(printer_id=printer_id)
    ).rowcount
    record_stored_readings(conn, list(conn.execute(waiting).scalars()))  # now a device's readings
    conn.execute(delete(held_reports).where(held_reports.c.printer_id == printer_id))
    return int(attached)
