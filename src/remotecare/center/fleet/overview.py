"""The fleet at a glance, as the console and the command line show it: each device with
its latest reading, each endpoint, and whether each agent and printer is in touch.
Scoped to the customers the asking ``Actor`` may see."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, String, and_, cast, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from remotecare.center.access.partners import assigned_only
from remotecare.center.access.rules import Actor, WorkKind
from remotecare.center.access.service import scoped
from remotecare.center.contracts.service import customer_names
from remotecare.center.fleet.agent_status import dropped_by_reason
from remotecare.center.fleet.rules.binding import Binding
from remotecare.center.fleet.rules.connectivity import (
    DEFAULT_POLL_INTERVAL_SECONDS,
    SILENT_AFTER_INTERVALS,
    Presence,
    assess,
)
from remotecare.center.fleet.tables import printers
from remotecare.center.identity.endpoints import (
    EndpointContact,
    endpoint_contacts,
    endpoint_listing,
)

__all__ = [
    "DeviceRow",
    "EndpointRow",
    "PrinterFacts",
    "SupplyBar",
    "device_row",
    "devices",
    "endpoints",
    "printer_facts",
    "silent_printer_facts",
]


@dataclass(frozen=True, slots=True)
class SupplyBar:
    description: str
    colour: str | None
    percent: float | None
    state: str
    receptacle: bool


@dataclass(frozen=True, slots=True)
class DeviceRow:
    serial: str
    model: str
    customer: str
    address: str
    last_contact_at: datetime | None
    last_report_at: datetime
    unreachable_reason: str | None
    page_count: int | None
    page_unit: str | None
    status: str | None
    error_conditions: tuple[str, ...]
    supplies: tuple[SupplyBar, ...]
    presence: Presence  # the printer, by the last report about it (any outcome)
    agent_presence: Presence  # the agent that reads it, by its last check-in


@dataclass(frozen=True, slots=True)
class EndpointRow:
    endpoint_id: str
    customer: str
    enrolled_at: datetime
    last_seen_at: datetime | None
    certificate_not_after: datetime
    revoked: bool
    revoked_at: datetime | None
    revocation_reason: str | None
    printers: int
    presence: Presence
    queued_reports: int | None  # the agent's own word, from its last batch
    dropped_reports: dict[str, int]  # reason -> count, never silent


def device_row(row: Any, customer: str, agent: EndpointContact, now: datetime) -> DeviceRow:
    reading: dict[str, Any] = row.latest_reading or {}
    total = next((c for c in reading.get("counters", []) if c["name"] == "total"), None)
    status = reading.get("status", {})
    return DeviceRow(
        serial=row.serial,
        model=row.model,
        customer=customer,
        address=row.address,
        last_contact_at=row.last_contact_at,
        last_report_at=row.last_report_at,
        unreachable_reason=row.unreachable_reason,
        page_count=total["value"] if total else None,
        page_unit=total["unit"] if total else None,
        status=status.get("device_status"),
        error_conditions=tuple(status.get("error_conditions", [])),
        supplies=tuple(
            SupplyBar(
                description=s["description"],
                colour=s.get("colour"),
                percent=s.get("percent"),
                state=s["state"],
                receptacle=s["supply_class"] == "receptacle",
            )
            for s in reading.get("supplies", [])
        ),
        presence=assess(row.last_report_at, now, agent.poll_interval_seconds),
        agent_presence=_agent_presence(agent, now),
    )


def _agent_presence(agent: EndpointContact, now: datetime) -> Presence:
    return assess(agent.last_heard_at, now, agent.poll_interval_seconds)


def devices(conn: Connection, actor: Actor, now: datetime) -> list[DeviceRow]:
    """Every device (bound printer) ``actor`` may see, by customer and serial (of a
    subcontractor, the devices assigned to it)."""
    query = scoped(
        select(
            printers.c.customer_id,
            printers.c.endpoint_id,
            printers.c.serial,
            printers.c.model,
            printers.c.address,
            printers.c.last_contact_at,
            printers.c.last_report_at,
            printers.c.unreachable_reason,
            printers.c.latest_reading,
        ).where(printers.c.binding == Binding.BOUND.value),
        printers.c.customer_id,
        actor,
    )
    query = assigned_only(query, cast(printers.c.id, String), actor, WorkKind.DEVICE)
    rows = conn.execute(query).all()
    names = customer_names(conn, {row.customer_id for row in rows})
    agents = endpoint_contacts(conn, {row.endpoint_id for row in rows})
    found = [device_row(row, names[row.customer_id], agents[row.endpoint_id], now) for row in rows]
    return sorted(found, key=lambda device: (device.customer, device.serial))


def endpoints(conn: Connection, actor: Actor, now: datetime) -> list[EndpointRow]:
    """Every endpoint ``actor`` may see, by customer and enrolment."""
    listing = endpoint_listing(conn, actor)
    counts: dict[str, int] = dict(
        conn.execute(
            select(printers.c.endpoint_id, func.count())
            .where(printers.c.binding == Binding.BOUND.value)
            .group_by(printers.c.endpoint_id)
        ).all()
    )
    names = customer_names(conn, {e.contact.customer_id for e in listing})
    rows = [
        EndpointRow(
            endpoint_id=e.contact.endpoint_id,
            customer=names[e.contact.customer_id],
            enrolled_at=e.contact.enrolled_at,
            last_seen_at=e.contact.last_seen_at,
            certificate_not_after=e.certificate_not_after,
            revoked=e.revoked,
            revoked_at=e.revoked_at,
            revocation_reason=e.revocation_reason,
            printers=int(counts.get(e.contact.endpoint_id, 0)),
            presence=_agent_presence(e.contact, now),
            queued_reports=(e.agent_status or {}).get("queued_reports"),
            dropped_reports=dropped_by_reason(e.agent_status),
        )
        for e in listing
    ]
    # Stable: within a customer, the listing's order (enrolment, then id) stays.
    return sorted(rows, key=lambda row: row.customer)


@dataclass(frozen=True, slots=True)
class PrinterFacts:
    """What the fault monitor needs of a device: whose, which agent reads it, what it is,
    and whether the agent still reads it (``printer``: by the last successful read) and
    the agent still calls (``agent``)."""

    printer_id: int
    customer_id: int
    endpoint_id: str
    serial: str
    model: str
    printer: Presence
    agent: Presence


def printer_facts(
    conn: Connection, now: datetime, printer_ids: list[int] | None = None
) -> list[PrinterFacts]:
    """The facts of ``printer_ids`` (every bound printer when None), by id."""
    bound = printers.c.binding == Binding.BOUND.value
    if printer_ids is None:
        return _facts(conn, now, bound)
    return _facts(conn, now, and_(bound, printers.c.id.in_(printer_ids)))


_CHUNK = 2000  # ids per IN (...) list


def silent_printer_facts(
    conn: Connection, now: datetime, also: Collection[int] = ()
) -> list[PrinterFacts]:
    """The facts of the bound printers silent by their agent's poll interval (as
    ``assess`` judges them) and of the bound printers ``also``, by id.

    What a watch over silences needs, chosen in SQL: reading every printer's facts
    instead (``printer_facts``) took a minute at 1,000,000 printers, longer than the
    incident watch's round, on the CPU of the process that takes ingest."""
    by_interval: dict[int, list[str]] = {}
    for listing in endpoint_listing(conn, _EVERY_ENDPOINT):
        interval = listing.contact.poll_interval_seconds or DEFAULT_POLL_INTERVAL_SECONDS
        by_interval.setdefault(interval, []).append(listing.contact.endpoint_id)
    heard = func.coalesce(printers.c.last_contact_at, printers.c.first_seen_at)
    silent: list[ColumnElement[bool]] = [
        and_(
            printers.c.endpoint_id.in_(sorted(ids)),
            heard < now - timedelta(seconds=interval * SILENT_AFTER_INTERVALS),
        )
        for interval, ids in sorted(by_interval.items())
    ]
    bound = printers.c.binding == Binding.BOUND.value
    found = {f.printer_id: f for f in _facts(conn, now, and_(bound, or_(false(), *silent)))}
    wanted = sorted(set(also) - found.keys())
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(
            (f.printer_id, f) for f in _facts(conn, now, and_(bound, printers.c.id.in_(chunk)))
        )
    return [found[printer_id] for printer_id in sorted(found)]


_EVERY_ENDPOINT = Actor.operator("silence watch")


def _facts(conn: Connection, now: datetime, condition: ColumnElement[bool]) -> list[PrinterFacts]:
    query = select(
        printers.c.id,
        printers.c.customer_id,
        printers.c.endpoint_id,
        printers.c.serial,
        printers.c.model,
        func.coalesce(printers.c.last_contact_at, printers.c.first_seen_at).label("heard"),
    ).where(condition)
    rows = conn.execute(query.order_by(printers.c.id)).all()
    agents = {
        endpoint_id: (contact.poll_interval_seconds, _agent_presence(contact, now))
        for endpoint_id, contact in endpoint_contacts(
            conn, {row.endpoint_id for row in rows}
        ).items()
    }  # each agent judged once, not once per printer
    return [
        PrinterFacts(
            row.id,
            row.customer_id,
            row.endpoint_id,
            row.serial,
            row.model,
            assess(row.heard, now, agents[row.endpoint_id][0]),
            agents[row.endpoint_id][1],
        )
        for row in rows
    ]
