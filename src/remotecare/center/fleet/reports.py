"""The readings stored in reports, as other packages (the care feed) read them: parsed
from the stored report, never as JSON past this module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Text, cast, select

from remotecare.center.fleet.tables import reports
from remotecare.protocol.messages import PrinterReading, Report

__all__ = ["StoredReading", "stored_readings"]


@dataclass(frozen=True, slots=True)
class StoredReading:
    """One reading as stored: its report, its printer, when the agent took it (and when
    the center received it, to judge the agent's clock)."""

    report_id: str
    printer_id: int
    agent_time: datetime
    reading: PrinterReading
    received_at: datetime | None = None


def stored_readings(conn: Connection, report_ids: Sequence[str]) -> list[StoredReading]:
    """The stored readings of ``report_ids`` about a known printer, in that order (each
    report's JSON is parsed by pydantic in one go, as text)."""
    if not report_ids:
        return []
    rows = conn.execute(
        select(
            reports.c.report_id,
            reports.c.printer_id,
            cast(reports.c.payload, Text),
            reports.c.received_at,
        ).where(reports.c.report_id.in_(report_ids))
    ).all()
    found: dict[str, StoredReading] = {}
    for report_id, printer_id, payload, received_at in rows:
        report = Report.model_validate_json(payload)
        if report.reading is not None and printer_id is not None:
            found[report_id] = StoredReading(
                report_id, printer_id, report.agent_time, report.reading, received_at
            )
    return [found[report_id] for report_id in report_ids if report_id in found]
