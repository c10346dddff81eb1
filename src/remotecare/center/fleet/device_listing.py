"""The devices list as the console pages it, and one device's page: searched, filtered and
counted in the database, scoped to what the asking ``Actor`` may see.

A device another customer owns is not found, exactly like one that does not exist, so
that a guessed id tells nothing (the page answers 404 for both).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, false, func, or_, select, true

from remotecare.center.access.rules import Actor, WorkKind
from remotecare.center.access.service import visible
from remotecare.center.contracts.service import customer_names
from remotecare.center.fleet.overview import DeviceRow, device_row
from remotecare.center.fleet.rules.binding import Binding
from remotecare.center.fleet.rules.connectivity import (
    DEFAULT_POLL_INTERVAL_SECONDS,
    LATE_AFTER_INTERVALS,
    SILENT_AFTER_INTERVALS,
    Connectivity,
)
from remotecare.center.fleet.rules.device_query import (
    PAGE_SIZE,
    VENDORS,
    DeviceQuery,
    Vendor,
    like_pattern,
    page_count,
    vendor_of,
)
from remotecare.center.fleet.tables import commands, diagnostic_bundles, printers
from remotecare.center.identity.endpoints import endpoint_contacts

__all__ = [
    "AlertLine",
    "BundleLine",
    "CommandLine",
    "DeviceDetail",
    "DeviceListing",
    "FleetCounts",
    "ListedDevice",
    "VisitFacts",
    "customer_choices",
    "device_detail",
    "device_ids_by_serial",
    "fleet_counts",
    "search_devices",
    "vendor_choices",
    "visit_facts",
]

_RECENT_COMMANDS = 20
_RECENT_BUNDLES = 20


@dataclass(frozen=True, slots=True)
class ListedDevice:
    device_id: int
    row: DeviceRow


@dataclass(frozen=True, slots=True)
class DeviceListing:
    rows: list[ListedDevice]
    total: int
    page: int  # the page shown: the one asked for, or the last one when it was past the end
    pages: int


@dataclass(frozen=True, slots=True)
class CommandLine:
    kind: str
    arguments: dict[str, Any]
    status: str
    created_at: datetime
    finished_at: datetime | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class BundleLine:
    bundle_id: str
    reason: str
    size_bytes: int
    received_bytes: int
    complete: bool
    declared_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeviceDetail:
    device_id: int
    endpoint_id: str
    customer_id: int
    serial_source: str
    first_seen_at: datetime
    sys_object_id: str | None
    vendor: Vendor | None
    row: DeviceRow
    commands: list[CommandLine]
    bundles: list[BundleLine]


def _bound(actor: Actor) -> ColumnElement[bool]:
    """Devices (bound printers) of the customers ``actor`` may see, and of those only the
    ones assigned to it when it is a subcontractor."""
    conditions = [printers.c.binding == Binding.BOUND.value]
    scope = visible(printers.c.customer_id, actor)
    if scope is not None:
        conditions.append(scope)
    assigned = actor.assigned(WorkKind.DEVICE)  # a device's id as text, as assigned
    if assigned is not None:
        ids = sorted(int(ref) for ref in assigned if ref.isascii() and ref.isdigit())
        conditions.append(printers.c.id.in_(ids) if ids else false())
    return and_(*conditions)


def customer_choices(conn: Connection, actor: Actor) -> list[tuple[int, str]]:
    """The customers with devices that ``actor`` may see, by name."""
    ids = set(
        conn.execute(select(printers.c.customer_id).where(_bound(actor)).distinct()).scalars()
    )
    return sorted(customer_names(conn, ids).items(), key=lambda item: item[1].casefold())


def vendor_choices() -> list[tuple[str, str]]:
    return [(vendor.key, vendor.name) for vendor in VENDORS]


def _text_condition(text: str, customers: Iterable[tuple[int, str]]) -> ColumnElement[bool] | None:
    if not text:
        return None
    pattern = like_pattern(text)
    wanted = text.casefold()
    matching_customers = [id_ for id_, name in customers if wanted in name.casefold()]
    columns = (printers.c.serial, printers.c.model, printers.c.address)
    matches: list[ColumnElement[bool]] = [c.ilike(pattern, escape="\\") for c in columns]
    if matching_customers:
        matches.append(printers.c.customer_id.in_(matching_customers))
    return or_(*matches)


def _state_condition(
    conn: Connection, actor: Actor, state: Connectivity, now: datetime
) -> ColumnElement[bool]:
    """Devices in ``state``, judged as ``connectivity.assess`` does, per poll interval of
    the agent that reads them (agents sharing an interval share one condition)."""
    return _state_conditions(conn, actor, now)[state]


def _state_conditions(
    conn: Connection, actor: Actor, now: datetime
) -> dict[Connectivity, ColumnElement[bool]]:
    """``_state_condition`` of each state, the agents' intervals read once."""
    endpoint_ids = list(
        conn.execute(select(printers.c.endpoint_id).where(_bound(actor)).distinct()).scalars()
    )
    by_interval: dict[int, list[str]] = {}
    for endpoint_id, contact in endpoint_contacts(conn, endpoint_ids).items():
        interval = contact.poll_interval_seconds or DEFAULT_POLL_INTERVAL_SECONDS
        by_interval.setdefault(interval, []).append(endpoint_id)
    parts: dict[Connectivity, list[ColumnElement[bool]]] = {state: [] for state in Connectivity}
    for interval, ids in sorted(by_interval.items()):
        late_from = now - timedelta(seconds=interval * LATE_AFTER_INTERVALS)
        silent_from = now - timedelta(seconds=interval * SILENT_AFTER_INTERVALS)
        heard = printers.c.last_report_at
        agents = printers.c.endpoint_id.in_(sorted(ids))
        parts[Connectivity.ONLINE].append(and_(agents, heard >= late_from))
        parts[Connectivity.LATE].append(and_(agents, heard < late_from, heard >= silent_from))
        parts[Connectivity.SILENT].append(and_(agents, heard < silent_from))
    return {state: or_(*found) if found else false() for state, found in parts.items()}


def _vendor_condition(vendor: Vendor) -> ColumnElement[bool]:
    """As ``vendor_of`` decides: the model name first (from the listing index), the
    sysObjectID in the latest reading only for models no known prefix names."""
    model = func.lower(printers.c.model)

    def named_by(prefixes: Iterable[str]) -> list[ColumnElement[bool]]:
        return [model.like(like_pattern(prefix)[1:], escape="\\") for prefix in prefixes]

    unnamed = and_(*(~condition for v in VENDORS for condition in named_by(v.model_prefixes)))
    sys_object_id = printers.c.latest_reading["sys_object_id"].as_string()
    return or_(
        *named_by(vendor.model_prefixes),
        and_(
            unnamed,
            or_(
                sys_object_id.like(f"1.3.6.1.4.1.{vendor.enterprise}.%"),
                sys_object_id == f"1.3.6.1.4.1.{vendor.enterprise}",
            ),
        ),
    )


def _low_supplies_condition() -> ColumnElement[bool]:
    """Devices whose latest reading has a supply that is low or empty (or a waste box
    nearly full or full): the count ingest keeps beside the reading, from its index."""
    return printers.c.low_supplies > 0


def search_devices(
    conn: Connection, actor: Actor, query: DeviceQuery, now: datetime
) -> DeviceListing:
    """One page of the devices ``actor`` may see that match ``query``, by serial."""
    conditions: list[ColumnElement[bool]] = [_bound(actor)]
    customers = customer_choices(conn, actor) if query.text else []
    text_condition = _text_condition(query.text, customers)
    if text_condition is not None:
        conditions.append(text_condition)
    if query.state is not None:
        conditions.append(_state_condition(conn, actor, query.state, now))
    vendor = query.vendor_entry()
    if vendor is not None:
        conditions.append(_vendor_condition(vendor))
    if query.customer_id is not None:
        conditions.append(printers.c.customer_id == query.customer_id)
    if query.low_supplies:
        conditions.append(_low_supplies_condition())
    where = and_(true(), *conditions)
    total = int(conn.execute(select(func.count()).select_from(printers).where(where)).scalar_one())
    pages = page_count(total)
    page = min(query.page, pages)
    # The page's ids first, from the narrow listing index; then only their rows, whose
    # latest readings are large (read for 50 devices, not for every one skipped).
    page_ids = list(
        conn.execute(
            select(printers.c.id)
            .where(where)
            .order_by(printers.c.serial, printers.c.customer_id)  # unique, the index's order
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).scalars()
    )
    found = {
        row.id: row
        for row in conn.execute(
            select(
                printers.c.id,
                printers.c.customer_id,
                printers.c.endpoint_id,
                printers.c.serial,
                printers.c.model,
                printers.c.address,
                printers.c.last_contact_at,
                printers.c.last_report_at,
                printers.c.unreachable_reason,
                printers.c.latest_reading,
            ).where(printers.c.id.in_(page_ids))
        )
    }
    rows = [found[id_] for id_ in page_ids if id_ in found]
    names = customer_names(conn, {row.customer_id for row in rows})
    agents = endpoint_contacts(conn, {row.endpoint_id for row in rows})
    listed = [
        ListedDevice(row.id, device_row(row, names[row.customer_id], agents[row.endpoint_id], now))
        for row in rows
    ]
    return DeviceListing(listed, total, page, pages)


def device_detail(
    conn: Connection, actor: Actor, device_id: int, now: datetime
) -> DeviceDetail | None:
    """The device ``device_id`` if ``actor`` may see it, else None (as if it did not exist)."""
    row = conn.execute(select(printers).where(_bound(actor), printers.c.id == device_id)).first()
    if row is None:
        return None
    names = customer_names(conn, {row.customer_id})
    agent = endpoint_contacts(conn, {row.endpoint_id})[row.endpoint_id]
    reading: dict[str, Any] = row.latest_reading or {}
    sys_object_id = reading.get("sys_object_id")
    sent = conn.execute(
        select(commands)
        .where(commands.c.endpoint_id == row.endpoint_id)
        .order_by(commands.c.created_at.desc(), commands.c.id)
        .limit(_RECENT_COMMANDS)
    ).all()
    command_lines = [
        CommandLine(c.kind, c.arguments, c.status, c.created_at, c.finished_at, c.detail)
        for c in sent
        # a diagnostic log of another printer of the same agent is that printer's story
        if c.kind != "collect_diagnostics" or c.arguments.get("printer") == row.serial
    ]
    logs = [
        BundleLine(
            b.id,
            b.reason,
            b.size_bytes,
            b.received_bytes,
            b.status == "complete",
            b.declared_at,
            b.completed_at,
        )
        for b in conn.execute(
            select(diagnostic_bundles)
            .where(
                diagnostic_bundles.c.endpoint_id == row.endpoint_id,
                or_(
                    diagnostic_bundles.c.printer_serial.is_(None),
                    diagnostic_bundles.c.printer_serial == row.serial,
                ),
            )
            .order_by(diagnostic_bundles.c.declared_at.desc())
            .limit(_RECENT_BUNDLES)
        )
    ]
    return DeviceDetail(
        device_id=row.id,
        endpoint_id=row.endpoint_id,
        customer_id=row.customer_id,
        serial_source=row.serial_source,
        first_seen_at=row.first_seen_at,
        sys_object_id=sys_object_id,
        vendor=vendor_of(sys_object_id, row.model),
        row=device_row(row, names[row.customer_id], agent, now),
        commands=command_lines,
        bundles=logs,
    )


@dataclass(frozen=True, slots=True)
class FleetCounts:
    """The devices ``actor`` may see, counted: all, by connectivity, with low supplies."""

    total: int
    by_state: dict[Connectivity, int]
    low_supplies: int


def fleet_counts(conn: Connection, actor: Actor, now: datetime) -> FleetCounts:
    """The fleet overview's counts, each as the devices list filters (so each count is
    the length of the list its link opens)."""
    bound = _bound(actor)
    states = _state_conditions(conn, actor, now)
    # One pass for the total and the states; the low supplies apart (they read JSON).
    counted = conn.execute(
        select(
            func.count(),
            *(func.sum(case((states[state], 1), else_=0)) for state in Connectivity),
        )
        .select_from(printers)
        .where(bound)
    ).one()
    low = conn.execute(
        select(func.count()).select_from(printers).where(and_(bound, _low_supplies_condition()))
    ).scalar_one()
    return FleetCounts(
        total=int(counted[0]),
        by_state={state: int(n or 0) for state, n in zip(Connectivity, counted[1:], strict=True)},
        low_supplies=int(low),
    )


_MAX_SERIAL_MATCHES = 1000


def device_ids_by_serial(conn: Connection, actor: Actor, text: str) -> list[int]:
    """The ids of the devices ``actor`` may see whose serial holds ``text`` (literally; at
    most a thousand: a search that matches more is too loose to narrow anything)."""
    if not text:
        return []
    return list(
        conn.execute(
            select(printers.c.id)
            .where(_bound(actor), printers.c.serial.ilike(like_pattern(text), escape="\\"))
            .order_by(printers.c.id)
            .limit(_MAX_SERIAL_MATCHES)
        ).scalars()
    )


@dataclass(frozen=True, slots=True)
class AlertLine:
    """An alert in the printer's alert table, as its latest reading gave it."""

    severity: str
    code: str
    description: str
    group: str


@dataclass(frozen=True, slots=True)
class VisitFacts:
    """What a technician's visit needs of a device: which machine, where it answers, its
    alerts now and its newest complete diagnostic log."""

    device_id: int
    serial: str
    model: str
    address: str
    endpoint_id: str
    last_report_at: datetime
    alerts: list[AlertLine]
    latest_bundle: BundleLine | None


def visit_facts(conn: Connection, printer_id: int) -> VisitFacts | None:
    """The visit facts of ``printer_id``. Not scoped: call it for a device whose incident
    or order the person was already found to see."""
    row = conn.execute(
        select(
            printers.c.id,
            printers.c.serial,
            printers.c.model,
            printers.c.address,
            printers.c.endpoint_id,
            printers.c.last_report_at,
            printers.c.latest_reading,
        ).where(printers.c.id == printer_id)
    ).first()
    if row is None:
        return None
    reading: dict[str, Any] = row.latest_reading or {}
    alerts = [
        AlertLine(
            str(a.get("severity", "")),
            str(a.get("code", "")),
            str(a.get("description", "")),
            str(a.get("group", "")),
        )
        for a in reading.get("alerts", [])
    ]
    newest = conn.execute(
        select(diagnostic_bundles)
        .where(
            diagnostic_bundles.c.endpoint_id == row.endpoint_id,
            diagnostic_bundles.c.status == "complete",
            or_(
                diagnostic_bundles.c.printer_serial.is_(None),
                diagnostic_bundles.c.printer_serial == row.serial,
            ),
        )
        .order_by(diagnostic_bundles.c.declared_at.desc())
        .limit(1)
    ).first()
    bundle = (
        None
        if newest is None
        else BundleLine(
            newest.id,
            newest.reason,
            newest.size_bytes,
            newest.received_bytes,
            True,
            newest.declared_at,
            newest.completed_at,
        )
    )
    return VisitFacts(
        row.id,
        row.serial,
        row.model,
        row.address,
        row.endpoint_id,
        row.last_report_at,
        alerts,
        bundle,
    )
