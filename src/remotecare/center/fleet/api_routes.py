"""The fleet's JSON API for dealers' systems: the devices a token may see, paged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, Row, select

from remotecare.center.access.rules import Actor, ApiScope, allow, api_clients
from remotecare.center.access.service import scoped
from remotecare.center.contracts.service import customer_names
from remotecare.center.fleet.rules.binding import Binding
from remotecare.center.fleet.tables import printers
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.api import page_request, page_response

__all__ = ["FleetApiDeps", "add_api_routes"]


@dataclass(frozen=True, slots=True)
class FleetApiDeps:
    transactions: Transactions


_DEPS = web.AppKey("fleet_api_deps", FleetApiDeps)


def add_api_routes(app: web.Application, deps: FleetApiDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/api/v1/devices", get_devices)


def _devices_page(
    conn: Connection, actor: Actor, after_id: int | None, limit: int
) -> tuple[Sequence[Any], dict[int, str]]:
    query = scoped(
        select(
            printers.c.id,
            printers.c.customer_id,
            printers.c.serial,
            printers.c.serial_source,
            printers.c.model,
            printers.c.address,
            printers.c.endpoint_id,
            printers.c.first_seen_at,
            printers.c.last_contact_at,
            printers.c.last_report_at,
            printers.c.latest_reading,
        ).where(printers.c.binding == Binding.BOUND.value),
        printers.c.customer_id,
        actor,
    )
    if after_id is not None:
        query = query.where(printers.c.id > after_id)
    rows = conn.execute(query.order_by(printers.c.id).limit(limit)).all()
    return rows, customer_names(conn, {row.customer_id for row in rows})


def _device_item(row: Row[Any], names: dict[int, str]) -> dict[str, Any]:
    reading: dict[str, Any] = row.latest_reading or {}
    return {
        "id": row.id,
        "serial": row.serial,
        "serial_source": row.serial_source,
        "model": row.model,
        "customer": names[row.customer_id],
        "address": row.address,
        "endpoint_id": row.endpoint_id,
        "first_seen_at": row.first_seen_at,
        "last_contact_at": row.last_contact_at,
        "last_report_at": row.last_report_at,
        "status": reading.get("status"),
        "counters": reading.get("counters", []),
        "supplies": reading.get("supplies", []),
    }


@allow(api_clients(ApiScope.DEVICES_READ))
async def get_devices(request: web.Request) -> web.Response:
    """The bound devices the token may see, by id: ``?limit=&after=``."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    page = page_request(request)
    after = page.after(int)
    after_id = None if after is None else after[0]
    rows, names = await deps.transactions.read_async(
        lambda conn: _devices_page(conn, actor, after_id, page.fetch)
    )
    return page_response(
        request, page, rows, item=lambda row: _device_item(row, names), key=lambda row: [row.id]
    )
