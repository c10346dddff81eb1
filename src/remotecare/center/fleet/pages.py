"""The fleet's console pages: the devices list (searched, filtered, paged), a device's page
with its charts, its diagnostic logs to download, and the endpoints; each scoped to what
the person logged in may see. A device the person may not see answers 404, the same as
one that does not exist."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import CONSOLE_USERS, OPERATORS, Actor, allow
from remotecare.center.fleet import overview
from remotecare.center.fleet.bundles import BundleService
from remotecare.center.fleet.device_listing import (
    DeviceDetail,
    DeviceListing,
    customer_choices,
    device_detail,
    search_devices,
    vendor_choices,
)
from remotecare.center.fleet.printers import PendingPrinter, PrinterService
from remotecare.center.fleet.rules.device_query import MAX_SEARCH_CHARS, read_query
from remotecare.center.fleet.rules.usage import DeviceHistory, month_starts, monthly_usage
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.charts import bar_chart, line_chart
from remotecare.center.web.errors import refusal
from remotecare.center.web.i18n import DEFAULT_TIME_ZONE
from remotecare.center.web.pages import language_of, render
from remotecare.errors import OperatorError

__all__ = ["DeviceSection", "FleetPageDeps", "HistoryReader", "add_pages", "not_found"]

logger = logging.getLogger(__name__)

HISTORY_SPAN = timedelta(days=365)
# (connection, printer id, since, until): the compact history, read by the care services.
HistoryReader = Callable[[Connection, int, datetime, datetime], DeviceHistory]
# (connection, actor, device id, language) -> what the device page's template adds: a
# section of a care service (its incidents, its orders), which the fleet cannot import.
DeviceSection = Callable[[Connection, Actor, int, str], Mapping[str, object]]


def _no_history(
    conn: Connection, printer_id: int, since: datetime, until: datetime
) -> DeviceHistory:
    return DeviceHistory([], [])


@dataclass(frozen=True, slots=True)
class FleetPageDeps:
    transactions: Transactions
    printers: PrinterService
    clock: Clock
    history: HistoryReader = _no_history
    bundles: BundleService | None = None
    device_sections: tuple[DeviceSection, ...] = ()


_DEPS = web.AppKey("fleet_page_deps", FleetPageDeps)


def add_pages(app: web.Application, deps: FleetPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/devices", get_devices)
    app.router.add_get(r"/devices/{device_id:\d{1,9}}", get_device)
    app.router.add_get(r"/devices/{device_id:\d{1,9}}/bundles/{bundle_id}", get_bundle)
    app.router.add_post(r"/printers/{printer_id:\d+}/confirm", post_confirm_printer)
    app.router.add_get("/endpoints", get_endpoints)


def _page_context(actor: Actor) -> dict[str, Any]:
    return {"person": actor.name, "show_endpoints": actor.sees_every_customer}


def not_found(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "not_found.html", status=404, **_page_context(actor))


@allow(CONSOLE_USERS)
async def get_devices(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    now = deps.clock.now()
    query = read_query(request.query)

    def read(
        conn: Connection,
    ) -> tuple[DeviceListing, list[tuple[int, str]], list[PendingPrinter]]:
        pending = deps.printers.pending(conn, actor) if actor.sees_every_customer else []
        return search_devices(conn, actor, query, now), customer_choices(conn, actor), pending

    listing, customers, pending = await deps.transactions.read_async(read)
    return render(
        request,
        "devices.html",
        listing=listing,
        query=query,
        customers=customers,
        vendors=vendor_choices(),
        pending=pending,
        now=now,
        max_text=MAX_SEARCH_CHARS,
        **_page_context(actor),
    )


@allow(CONSOLE_USERS)
async def get_device(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    now = deps.clock.now()
    device_id = int(request.match_info["device_id"])  # the route admits digits only

    language = language_of(request)

    def read(conn: Connection) -> tuple[DeviceDetail, DeviceHistory, dict[str, Any]] | None:
        detail = device_detail(conn, actor, device_id, now)
        if detail is None:
            return None
        sections: dict[str, Any] = {}
        for section in deps.device_sections:
            sections.update(section(conn, actor, device_id, language))
        return detail, deps.history(conn, device_id, now - HISTORY_SPAN, now), sections

    found = await deps.transactions.read_async(read)
    if found is None:
        return not_found(request, actor)
    detail, history, sections = found
    since = now - HISTORY_SPAN
    ticks = month_starts(now, 12, DEFAULT_TIME_ZONE)[1::2]
    usage = monthly_usage(history.counters, now, DEFAULT_TIME_ZONE)
    return render(
        request,
        "device.html",
        device=detail,
        d=detail.row,
        supply_charts=[
            (line, line_chart(line.points, since, now, ticks)) for line in history.supplies
        ],
        usage=usage,
        usage_chart=bar_chart(usage.months, list(usage.counts.values())) if usage.counts else None,
        may_download=actor.sees_every_customer and deps.bundles is not None,
        now=now,
        **sections,
        **_page_context(actor),
    )


@allow(OPERATORS)
async def get_bundle(request: web.Request) -> web.StreamResponse:
    """Download a diagnostic log of a device, once it has arrived whole."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    now = deps.clock.now()
    device_id = int(request.match_info["device_id"])
    try:
        bundle_id = str(uuid.UUID(request.match_info["bundle_id"]))
    except ValueError:
        return not_found(request, actor)
    bundles = deps.bundles
    if bundles is None:
        return not_found(request, actor)

    def read(conn: Connection) -> str | None:
        detail = device_detail(conn, actor, device_id, now)
        if detail is None or not any(
            b.bundle_id == bundle_id and b.complete for b in detail.bundles
        ):
            return None
        stored = [
            b
            for b in bundles.list_for_endpoint(conn, detail.endpoint_id)
            if b.bundle_id == bundle_id
        ]
        return str(stored[0].path) if stored else None

    path = await deps.transactions.read_async(read)
    if path is None:
        return not_found(request, actor)
    logger.info("diagnostic log %s of device %s downloaded by %s", bundle_id, device_id, actor.name)
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/gzip",
            "Content-Disposition": f'attachment; filename="diagnostics-{bundle_id}.tar.gz"',
        },
    )


@allow(OPERATORS)
async def post_confirm_printer(request: web.Request) -> web.Response:
    """Confirm a pending printer (``printer_binding = "confirm"``) and go back to the list."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    printer_id = int(request.match_info["printer_id"])  # the route admits digits only
    try:
        confirmed = await deps.transactions.run_async(
            lambda conn: deps.printers.confirm_id(conn, actor, printer_id)
        )
    except OperatorError as exc:  # none such (404), or confirmed already (409)
        return refusal(exc)
    logger.info(
        "printer %s of %s confirmed for endpoint %s by %s",
        confirmed.serial,
        confirmed.customer,
        confirmed.endpoint_id,
        actor.name,
    )
    raise web.HTTPSeeOther("/devices")


@allow(OPERATORS)
async def get_endpoints(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    now = deps.clock.now()
    rows = await deps.transactions.read_async(lambda conn: overview.endpoints(conn, actor, now))
    revoked = request.query.get("revoked", "")[:36]
    return render(
        request,
        "endpoints.html",
        endpoints=rows,
        now=now,
        revoked=revoked if any(e.endpoint_id == revoked for e in rows) else "",
        **_page_context(actor),
    )
