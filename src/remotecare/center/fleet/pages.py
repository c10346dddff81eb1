"""The fleet's console pages: devices (with printers waiting for confirmation) and
endpoints, each scoped to what the person logged in may see."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import OPERATORS, allow
from remotecare.center.fleet import overview
from remotecare.center.fleet.printers import PendingPrinter, PrinterService
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.errors import refusal
from remotecare.center.web.pages import render
from remotecare.errors import OperatorError

__all__ = ["FleetPageDeps", "add_pages"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FleetPageDeps:
    transactions: Transactions
    printers: PrinterService
    clock: Clock


_DEPS = web.AppKey("fleet_page_deps", FleetPageDeps)


def add_pages(app: web.Application, deps: FleetPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/devices", get_devices)
    app.router.add_post(r"/printers/{printer_id:\d+}/confirm", post_confirm_printer)
    app.router.add_get("/endpoints", get_endpoints)


@allow(OPERATORS)
async def get_devices(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    now = deps.clock.now()

    def read(conn: Connection) -> tuple[list[overview.DeviceRow], list[PendingPrinter]]:
        return overview.devices(conn, actor, now), deps.printers.pending(conn, actor)

    devices, pending = await deps.transactions.read_async(read)
    return render(
        request, "devices.html", operator=actor.name, devices=devices, pending=pending, now=now
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
    return render(request, "endpoints.html", operator=actor.name, endpoints=rows, now=now)
