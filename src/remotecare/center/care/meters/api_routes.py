"""The meters' JSON API for a dealer's billing system: ``GET /api/v1/meters?period=YYYY-MM``
(``&customer=NAME`` to choose one), with a token carrying ``meters:read``.

One item per device and counter, as the CSV export has them (devices without a read
listed too), ordered by customer id, device id and counter: a stable key, paged by
``?limit=&after=``; the ETag lets a billing system poll without moving data when nothing
changed (a closed period's reads change only by a correction).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import Actor, ApiScope, allow, api_clients
from remotecare.center.care.meters.export import ExportRow, rows_of_device
from remotecare.center.care.meters.rules.periods import (
    BillingSettings,
    BillingSettingsError,
    period_named,
)
from remotecare.center.care.meters.service import (
    MeterError,
    closing_of,
    reads_of_customer,
)
from remotecare.center.contracts.service import customer_by_name, customer_names
from remotecare.center.fleet.billing import customers_with_devices
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.api import InvalidQuery, page_request, page_response

__all__ = ["MetersApiDeps", "add_api_routes"]


@dataclass(frozen=True, slots=True)
class MetersApiDeps:
    transactions: Transactions
    clock: Clock


_DEPS = web.AppKey("meters_api_deps", MetersApiDeps)
_NAME_CHECK = BillingSettings()  # a period's name means the same whoever's settings
Key = tuple[int, int, str]  # customer id, device id, counter


def add_api_routes(app: web.Application, deps: MetersApiDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/api/v1/meters", get_meters)


@dataclass(frozen=True, slots=True)
class _Item:
    key: Key
    row: ExportRow


def _customers(conn: Connection, actor: Actor, name: str | None) -> list[int]:
    if name is None:
        return [c for c in customers_with_devices(conn) if actor.may_see(c)]
    found = customer_by_name(conn, name)
    if found is None or not actor.may_see(found):
        raise MeterError(f"no customer {name!r}")  # the same for one the token may not see
    return [found]


def _page(
    conn: Connection,
    actor: Actor,
    period: str,
    customer: str | None,
    after: Key | None,
    fetch: int,
    now: datetime,
) -> list[_Item]:
    items: list[_Item] = []
    for customer_id in _customers(conn, actor, customer):
        if after is not None and customer_id < after[0]:
            continue
        name = customer_names(conn, [customer_id]).get(customer_id, str(customer_id))
        closed = closing_of(conn, customer_id, period) is not None
        from_device = after[1] - 1 if after is not None and customer_id == after[0] else 0
        devices = reads_of_customer(
            conn, customer_id, period, now, after_printer_id=from_device, page_size=fetch
        )
        for device, reads in devices:
            for row in rows_of_device(device, reads, name, period, closed):
                key = (customer_id, device.printer_id, row.counter)
                if after is not None and key <= after:
                    continue
                items.append(_Item(key, row))
                if len(items) >= fetch:
                    return items
    return items


def _item(item: _Item) -> dict[str, Any]:
    return asdict(item.row)


@allow(api_clients(ApiScope.METERS_READ))
async def get_meters(request: web.Request) -> web.Response:
    """A period's meter reads the token may see: ``?period=YYYY-MM[&customer=NAME]``."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    period = request.query.get("period")
    if period is None:
        raise InvalidQuery("period is required (YYYY-MM)")
    try:
        period_named(period, _NAME_CHECK)
    except BillingSettingsError as exc:
        raise InvalidQuery(str(exc)) from exc
    page = page_request(request)
    after = page.after(int, int, str)
    key = None if after is None else (int(after[0]), int(after[1]), str(after[2]))
    customer = request.query.get("customer")
    now = deps.clock.now()
    items = await deps.transactions.read_async(
        lambda conn: _page(conn, actor, period, customer, key, page.fetch, now)
    )
    return page_response(request, page, items, item=_item, key=lambda item: list(item.key))
