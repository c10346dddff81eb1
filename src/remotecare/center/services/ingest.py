"""Ingest: store each report once, bind printers to the endpoint that reads them, and
refuse a report about a printer that belongs to another endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from remotecare.center.adapters.db import endpoints, printers, reports
from remotecare.protocol.messages import Report

__all__ = ["Caller", "IngestOutcome", "Refusal", "ingest_reports"]


@dataclass(frozen=True, slots=True)
class Caller:
    endpoint_id: str
    customer_id: int


@dataclass(frozen=True, slots=True)
class Refusal:
    report_id: str
    reason: str


@dataclass(slots=True)
class IngestOutcome:
    accepted: int = 0
    duplicates: int = 0
    refused: list[Refusal] = field(default_factory=list)


def _insert(conn: Connection, table: Any) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def ingest_reports(
    conn: Connection, caller: Caller, batch: Sequence[Report], now: datetime
) -> IngestOutcome:
    """Store ``batch`` for ``caller`` in the open transaction of ``conn``.

    All or nothing: if any report is refused, nothing of the batch is written and the
    refusals are returned, so the sender learns exactly which report was wrong.
    """
    serials = {r.reading.serial for r in batch if r.reading is not None}
    bound = _printers_by_serial(conn, caller.customer_id, serials)
    refused = [
        Refusal(str(r.report_id), f"printer {r.reading.serial} is bound to another endpoint")
        for r in batch
        if r.reading is not None
        and bound.get(r.reading.serial, (None, caller.endpoint_id))[1] != caller.endpoint_id
    ]
    if refused:
        return IngestOutcome(refused=refused)

    newest_by_serial: dict[str, Report] = {}
    for r in batch:
        if r.reading is not None:
            seen = newest_by_serial.get(r.reading.serial)
            if seen is None or r.agent_time > seen.agent_time:
                newest_by_serial[r.reading.serial] = r
    unbound = [r for s, r in newest_by_serial.items() if s not in bound]
    if unbound:
        _bind_printers(conn, caller, unbound, now)
        bound = _printers_by_serial(conn, caller.customer_id, serials)
    by_address = _printers_by_address(
        conn, caller.endpoint_id, {r.printer_address for r in batch if r.reading is None}
    )

    rows = []
    for r in batch:
        printer_id = (
            bound[r.reading.serial][0]
            if r.reading is not None
            else by_address.get(r.printer_address)
        )
        rows.append(
            {
                "report_id": str(r.report_id),
                "endpoint_id": caller.endpoint_id,
                "printer_id": printer_id,
                "printer_address": r.printer_address,
                "agent_time": r.agent_time,
                "received_at": now,
                "reachable": r.reading is not None,
                "payload": r.model_dump(mode="json", exclude_none=True),
            }
        )
    statement = (
        _insert(conn, reports)
        .on_conflict_do_nothing(index_elements=["report_id"])
        .returning(reports.c.report_id)
    )
    inserted = set(conn.execute(statement, rows).scalars()) if rows else set()
    outcome = IngestOutcome(accepted=len(inserted), duplicates=len(batch) - len(inserted))
    fresh = [r for r in batch if str(r.report_id) in inserted]
    _update_printer_state(conn, fresh, bound, by_address, now)
    conn.execute(
        update(endpoints).where(endpoints.c.id == caller.endpoint_id).values(last_seen_at=now)
    )
    return outcome


def _printers_by_serial(
    conn: Connection, customer_id: int, serials: set[str]
) -> dict[str, tuple[int, str]]:
    if not serials:
        return {}
    query = select(printers.c.serial, printers.c.id, printers.c.endpoint_id).where(
        printers.c.customer_id == customer_id, printers.c.serial.in_(serials)
    )
    return {serial: (pid, eid) for serial, pid, eid in conn.execute(query)}


def _printers_by_address(conn: Connection, endpoint_id: str, addresses: set[str]) -> dict[str, int]:
    if not addresses:
        return {}
    query = select(printers.c.address, printers.c.id).where(
        printers.c.endpoint_id == endpoint_id, printers.c.address.in_(addresses)
    )
    return dict(conn.execute(query).tuples().all())


def _bind_printers(
    conn: Connection, caller: Caller, first_reports: list[Report], now: datetime
) -> None:
    """Automatic binding: a printer first reported by an endpoint of this customer is its."""
    rows = [
        {
            "customer_id": caller.customer_id,
            "endpoint_id": caller.endpoint_id,
            "serial": r.reading.serial,
            "serial_source": r.reading.serial_source.value,
            "address": r.printer_address,
            "model": r.reading.model,
            "first_seen_at": now,
            "last_report_at": now,
        }
        for r in first_reports
        if r.reading is not None
    ]
    # Another process may bind the same printer at the same moment: the unique key decides.
    conn.execute(
        _insert(conn, printers).on_conflict_do_nothing(index_elements=["customer_id", "serial"]),
        rows,
    )


def _update_printer_state(
    conn: Connection,
    fresh: list[Report],
    bound: dict[str, tuple[int, str]],
    by_address: dict[str, int],
    now: datetime,
) -> None:
    for r in fresh:
        if r.reading is not None:
            printer_id = bound[r.reading.serial][0]
            conn.execute(
                update(printers)
                .where(printers.c.id == printer_id)
                .values(last_report_at=now, address=r.printer_address)
            )
            conn.execute(
                update(printers)
                .where(
                    printers.c.id == printer_id,
                    (printers.c.latest_reading_at.is_(None))
                    | (printers.c.latest_reading_at <= r.agent_time),
                )
                .values(
                    model=r.reading.model,
                    latest_reading=r.reading.model_dump(mode="json", exclude_none=True),
                    latest_reading_at=r.agent_time,
                    last_contact_at=r.agent_time,
                    unreachable_reason=None,
                )
            )
        elif r.printer_address in by_address:
            conn.execute(
                update(printers)
                .where(
                    printers.c.id == by_address[r.printer_address],
                    (printers.c.latest_reading_at.is_(None))
                    | (printers.c.latest_reading_at <= r.agent_time),
                )
                .values(last_report_at=now, unreachable_reason=r.unreachable_reason)
            )
