"""The fleet overview: the devices counted by connectivity and low supplies, the open
incidents by severity, the open orders by status, each count a link to the list it
counts. It lives with the care services because it gathers theirs beside the fleet's
(the fleet cannot import care). Scoped to what the person logged in may see, like every
list it links to."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import CONSOLE_USERS, Actor, allow
from remotecare.center.care.incidents.rules.catalogue import Severity
from remotecare.center.care.incidents.service import IncidentService
from remotecare.center.care.supplies.rules.lifecycle import OPEN, OrderStatus
from remotecare.center.care.supplies.service import OrderService
from remotecare.center.fleet.device_listing import FleetCounts, fleet_counts
from remotecare.center.fleet.rules.connectivity import Connectivity
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.pages import render

__all__ = ["OVERVIEW_PAGE", "OverviewDeps", "add_pages"]

OVERVIEW_PAGE = "/overview"


@dataclass(frozen=True, slots=True)
class OverviewDeps:
    transactions: Transactions
    clock: Clock
    incidents: IncidentService | None = None
    orders: OrderService | None = None


_DEPS = web.AppKey("overview_deps", OverviewDeps)


def add_pages(app: web.Application, deps: OverviewDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get(OVERVIEW_PAGE, get_overview)


@dataclass(frozen=True, slots=True)
class _Counts:
    fleet: FleetCounts
    incidents: dict[str, int] | None  # severity -> unresolved incidents; None: no service
    orders: dict[OrderStatus, int] | None  # status -> open orders


@allow(CONSOLE_USERS)
async def get_overview(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor: Actor = actor_of(request)
    now = deps.clock.now()

    def read(conn: Connection) -> _Counts:
        service = deps.incidents
        return _Counts(
            fleet_counts(conn, actor, now),
            None if service is None else service.open_counts(conn, actor),
            None if deps.orders is None else deps.orders.open_counts(conn, actor),
        )

    counts = await deps.transactions.read_async(read)
    return render(
        request,
        "overview.html",
        fleet=counts.fleet,
        states=list(Connectivity),
        incidents=counts.incidents,
        severities=list(Severity),
        orders=counts.orders,
        order_statuses=[status for status in OrderStatus if status in OPEN],
        person=actor.name,
        show_endpoints=actor.sees_every_customer,
    )
