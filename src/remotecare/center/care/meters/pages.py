"""The meter reads in the console: a page of reads (operators: every customer's, with a
customer filter; a customer's people: their own organisation's), filtered by period and
kind of read and paged, its CSV download (the same file as ``center meters export``), and
the section of a device's page with its latest periods' reads.

Reads of a closed period are the stored ones; of an open period, computed now (a
preview), a page of devices at a time, so a page costs what it shows.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import AccessRule, Actor, Role, allow
from remotecare.center.care.meters.export import ExportRow, export_rows, rows_of_device, write_csv
from remotecare.center.care.meters.rules.console_query import (
    PAGE_SIZE,
    ReadsQuery,
    ReadsQueryError,
    ReadState,
    period_before,
    read_reads_query,
    row_state_matches,
)
from remotecare.center.care.meters.rules.periods import BillingSettings, period_containing
from remotecare.center.care.meters.service import (
    closing_of,
    customer_settings,
    reads_of_customer,
    reads_of_device,
)
from remotecare.center.contracts.service import customer_names
from remotecare.center.fleet.billing import customers_with_devices, printer_customers
from remotecare.center.fleet.pages import DeviceSection, not_found
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.pages import render, translations_of

__all__ = [
    "DEVICE_PERIODS",
    "MAX_SCANNED_DEVICES",
    "METER_READERS",
    "MeterPageDeps",
    "ReadLine",
    "add_pages",
    "device_meter_reads",
]

logger = logging.getLogger(__name__)

# Billing is between the operator and the customer: partners' people do not see it.
METER_READERS = AccessRule(
    "operators and customers' people",
    frozenset({Role.OPERATOR_ADMIN, Role.OPERATOR_STAFF, Role.CUSTOMER_ADMIN, Role.CUSTOMER_USER}),
)
DEVICE_PERIODS = 3  # periods shown on a device's page, the running one first
_DEVICE_CHUNK = 100  # devices computed at a time for a page of the list
MAX_SCANNED_DEVICES = 5000  # looked at for one page at most (about 1.5 s of reads)


@dataclass(frozen=True, slots=True)
class MeterPageDeps:
    transactions: Transactions
    clock: Clock


_DEPS = web.AppKey("meter_page_deps", MeterPageDeps)


@dataclass(frozen=True, slots=True)
class ReadLine:
    """One row of the page: a device's read of one counter, with its device's id."""

    device_id: int
    customer_id: int
    row: ExportRow


class _NoSuchCustomer(Exception):
    """A customer id that does not exist or that the person may not see."""


def add_pages(app: web.Application, deps: MeterPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/meter-reads", get_meter_reads)
    app.router.add_get("/meter-reads.csv", get_meter_reads_csv)


def _page_context(actor: Actor) -> dict[str, Any]:
    return {"person": actor.name, "show_endpoints": actor.sees_every_customer}


def _latest_period(conn: Connection, actor: Actor, now: datetime) -> tuple[str, str]:
    """The period running now, by the person's customer's settings, and the newest one
    that may be asked for. Operators: the default cut-off's (the month's end); a customer
    whose cut-off falls earlier runs a month ahead after it, so one more may be asked."""
    if actor.customer_ids is not None and len(actor.customer_ids) == 1:
        [customer_id] = actor.customer_ids
        settings = customer_settings(conn, [customer_id])[customer_id]
        latest = period_containing(now, settings).name
        return latest, latest
    latest = period_containing(now, BillingSettings()).name
    return latest, period_before(latest, -1)


def _customers(conn: Connection, actor: Actor, chosen: int | None) -> list[int]:
    if chosen is None:
        return [c for c in customers_with_devices(conn) if actor.may_see(c)]
    if not actor.may_see(chosen) or chosen not in customer_names(conn, [chosen]):
        raise _NoSuchCustomer(chosen)  # the same answer for one that exists and is not theirs
    return [chosen]


@dataclass(slots=True)
class _Scan:
    """How many devices a page looked at, and whether it stopped at ``MAX_SCANNED_DEVICES``
    (a filter with few matches, or a far page, would otherwise read a whole fleet's reads
    for one page; the CSV has them all)."""

    devices: int = 0
    cut_short: bool = False


def _lines(
    conn: Connection, actor: Actor, query: ReadsQuery, now: datetime, scan: _Scan
) -> Iterator[ReadLine]:
    for customer_id in _customers(conn, actor, query.customer_id):
        name = customer_names(conn, [customer_id]).get(customer_id, str(customer_id))
        closed = closing_of(conn, customer_id, query.period) is not None
        devices = reads_of_customer(conn, customer_id, query.period, now, page_size=_DEVICE_CHUNK)
        for device, reads in devices:
            if scan.devices >= MAX_SCANNED_DEVICES:
                scan.cut_short = True
                return
            scan.devices += 1
            for row in rows_of_device(device, reads, name, query.period, closed):
                if row_state_matches(query.state, row.read_type, row.flags):
                    yield ReadLine(device.printer_id, customer_id, row)


@dataclass(frozen=True, slots=True)
class _Listing:
    lines: list[ReadLine]
    has_next: bool
    customers: list[tuple[int, str]]
    latest: str
    cut_short: bool = False


def _customer_choices(conn: Connection, actor: Actor) -> list[tuple[int, str]]:
    if not actor.sees_every_customer:
        return []
    names = customer_names(conn, customers_with_devices(conn))
    return sorted(names.items(), key=lambda item: item[1].casefold())


@allow(METER_READERS)
async def get_meter_reads(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    now = deps.clock.now()
    latest, newest = await deps.transactions.read_async(
        lambda conn: _latest_period(conn, actor, now)
    )
    try:
        query = read_reads_query(request.query, latest, newest)
    except ReadsQueryError as exc:
        return _refused(request, actor, latest, exc)

    def read(conn: Connection) -> _Listing:
        start = (query.page - 1) * PAGE_SIZE
        scan = _Scan()
        found = list(islice(_lines(conn, actor, query, now, scan), start, start + PAGE_SIZE + 1))
        return _Listing(
            found[:PAGE_SIZE],
            len(found) > PAGE_SIZE,
            _customer_choices(conn, actor),
            latest,
            scan.cut_short,
        )

    try:
        listing = await deps.transactions.read_async(read)
    except _NoSuchCustomer:
        return not_found(request, actor)
    return render(
        request,
        "meter_reads.html",
        query=query,
        listing=listing,
        states=list(ReadState),
        error=None,
        max_scanned=MAX_SCANNED_DEVICES,
        **_page_context(actor),
    )


def _refused(
    request: web.Request, actor: Actor, latest: str, error: ReadsQueryError
) -> web.Response:
    """The page again with the reason, answered 400: nothing is shown for a wrong ask."""
    translations = translations_of(request)
    message = translations.gettext(
        "This period, customer or kind of read cannot be shown: %(reason)s"
    ) % {"reason": str(error)}
    query = ReadsQuery(period_before(latest), None, None, 1)
    listing = _Listing([], False, [], latest)
    return render(
        request,
        "meter_reads.html",
        status=400,
        query=query,
        listing=listing,
        states=list(ReadState),
        error=message,
        max_scanned=MAX_SCANNED_DEVICES,
        **_page_context(actor),
    )


@allow(METER_READERS)
async def get_meter_reads_csv(request: web.Request) -> web.StreamResponse:
    """The period's reads as CSV (UTF-8 with BOM), exactly as ``center meters export``
    writes them: every device and counter of the chosen customer(s), whatever the page's
    kind-of-read filter."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    now = deps.clock.now()
    latest, newest = await deps.transactions.read_async(
        lambda conn: _latest_period(conn, actor, now)
    )
    try:
        query = read_reads_query(request.query, latest, newest)
    except ReadsQueryError as exc:
        return _refused(request, actor, latest, exc)

    def write(conn: Connection) -> tuple[str, int]:
        customers = _customers(conn, actor, query.customer_id)
        out = io.StringIO(newline="")
        count = write_csv(export_rows(conn, actor, query.period, now, customers), out)
        return out.getvalue(), count

    try:
        text, count = await deps.transactions.read_async(write)
    except _NoSuchCustomer:
        return not_found(request, actor)
    logger.info("meter reads of %s exported by %s: %d rows", query.period, actor.name, count)
    suffix = "" if query.customer_id is None else f"-{query.customer_id}"
    return web.Response(
        body=text.encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": (
                f'attachment; filename="meter-reads-{query.period}{suffix}.csv"'
            ),
        },
    )


def device_meter_reads(clock: Clock) -> DeviceSection:
    """The device page's "meter reads" (``device_meter_reads`` in its template): the
    device's reads of the latest periods, for the people who may see meter reads (none
    for partners)."""

    def section(
        conn: Connection, actor: Actor, device_id: int, language: str
    ) -> Mapping[str, object]:
        customer_id = printer_customers(conn, [device_id]).get(device_id)
        if customer_id is None or not METER_READERS.allows(actor) or not actor.may_see(customer_id):
            return {}
        return {"device_meter_reads": _device_reads(conn, device_id, customer_id, clock.now())}

    return section


def _device_reads(
    conn: Connection, device_id: int, customer_id: int, now: datetime
) -> dict[str, object]:
    settings = customer_settings(conn, [customer_id])[customer_id]
    latest = period_containing(now, settings).name
    names = [period_before(latest, back) for back in range(DEVICE_PERIODS)]
    periods: list[tuple[str, bool, Sequence[ExportRow]]] = []
    for period, closed, device, reads in reads_of_device(conn, customer_id, device_id, names, now):
        rows = [] if device is None else list(rows_of_device(device, reads, "", period, closed))
        periods.append((period, closed, rows))
    return {"periods": periods, "customer_id": customer_id, "latest": latest}
