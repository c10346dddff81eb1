"""What a customer's devices sent, as the center received it (terms, articles 5 and 6(4)):
each device's latest stored report, its raw payload untouched, a page of devices at a time.
Raw reports are kept ``raw_report_days``: a device whose reports are all older shows none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from remotecare.center.access.rules import Actor
from remotecare.center.access.service import scoped
from remotecare.center.fleet.rules.binding import Binding
from remotecare.center.fleet.tables import printers, reports

__all__ = ["SentPage", "SentReport", "latest_reports"]


@dataclass(frozen=True, slots=True)
class SentReport:
    device_id: int
    serial: str
    model: str
    report_id: str | None  # None: no report of it is kept any more
    agent_time: datetime | None
    received_at: datetime | None
    payload: Any  # the report as received (decoded JSON)


@dataclass(frozen=True, slots=True)
class SentPage:
    devices: list[SentReport]
    page: int
    pages: int


def latest_reports(conn: Connection, actor: Actor, page: int, size: int) -> SentPage:
    """The devices ``actor`` may see, by id, ``size`` to a page, each with its latest
    report as received."""
    bound = scoped(
        select(printers.c.id, printers.c.serial, printers.c.model).where(
            printers.c.binding == Binding.BOUND.value
        ),
        printers.c.customer_id,
        actor,
    )
    count = conn.execute(select(func.count()).select_from(bound.subquery())).scalar_one()
    pages = max(1, -(-count // size))
    page = min(max(page, 1), pages)
    rows = conn.execute(bound.order_by(printers.c.id).limit(size).offset((page - 1) * size))
    found: list[SentReport] = []
    for device in rows:
        latest = conn.execute(
            select(
                reports.c.report_id, reports.c.agent_time, reports.c.received_at, reports.c.payload
            )
            .where(reports.c.printer_id == device.id)
            .order_by(reports.c.agent_time.desc())
            .limit(1)
        ).first()
        found.append(
            SentReport(
                device.id,
                device.serial,
                device.model,
                None if latest is None else latest.report_id,
                None if latest is None else latest.agent_time,
                None if latest is None else latest.received_at,
                None if latest is None else latest.payload,
            )
        )
    return SentPage(found, page, pages)
