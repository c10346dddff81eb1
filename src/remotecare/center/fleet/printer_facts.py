"""What other packages (the care services) need to know about printers: whose they are,
what they are and when the agent last read them. Functions take the caller's connection."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from remotecare.center.fleet.tables import printers

__all__ = ["PrinterFacts", "printer_facts"]

_CHUNK = 2000  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class PrinterFacts:
    printer_id: int
    customer_id: int
    serial: str
    model: str
    last_contact_at: datetime | None  # the agent's last successful reading of it


def printer_facts(conn: Connection, printer_ids: Collection[int]) -> dict[int, PrinterFacts]:
    """The facts of ``printer_ids`` (unknown ids are left out)."""
    ordered = sorted(set(printer_ids))
    found: dict[int, PrinterFacts] = {}
    for start in range(0, len(ordered), _CHUNK):
        query = select(
            printers.c.id,
            printers.c.customer_id,
            printers.c.serial,
            printers.c.model,
            printers.c.last_contact_at,
        ).where(printers.c.id.in_(ordered[start : start + _CHUNK]))
        for row in conn.execute(query):
            found[row.id] = PrinterFacts(
                row.id, row.customer_id, row.serial, row.model, row.last_contact_at
            )
    return found
