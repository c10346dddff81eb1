"""The supply orders' JSON API for dealers' systems (API tokens, ``web/api.py``'s paging):

- ``GET /api/v1/orders?status=&open=&printer=&needs_person=&limit=&after=`` (scope
  ``orders:read``): the orders the token's customers have, oldest first, paged;
- ``POST /api/v1/orders/{order_id}/approve | ship | deliver | cancel`` (scope
  ``orders:write``), with an optional JSON body ``{"tracking": ...}`` (ship) or
  ``{"reason": ...}`` (cancel, required): the order as it is now. Another customer's
  order is 404; an order not at a step this may be done from is 409.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection

from remotecare.center.access.rules import ApiScope, allow, api_clients
from remotecare.center.care.supplies.rules.lifecycle import OrderStatus, Transition
from remotecare.center.care.supplies.service import OrderFilter, OrderService, SupplyOrder
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.api import InvalidQuery, json_response, page_request, page_response
from remotecare.errors import InvalidMessage, NotJson

__all__ = ["OrdersApiDeps", "add_api_routes", "order_json"]

_BODY_LIMIT = 4096  # bytes: a reason and a tracking number
Handler = Callable[[web.Request], Awaitable[web.Response]]


@dataclass(frozen=True, slots=True)
class OrdersApiDeps:
    transactions: Transactions
    orders: OrderService


_DEPS = web.AppKey("orders_api_deps", OrdersApiDeps)


class _TransitionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=256)
    tracking: str | None = Field(default=None, max_length=128)


def add_api_routes(app: web.Application, deps: OrdersApiDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/api/v1/orders", get_orders)
    for transition in Transition:
        app.router.add_post(
            f"/api/v1/orders/{{order_id}}/{transition.value}", _transition_route(transition)
        )


def order_json(order: SupplyOrder) -> dict[str, Any]:
    """An order as the API shows it (the customer by name, not by our id)."""
    item = dataclasses.asdict(order)
    del item["customer_id"]
    item["status"] = order.status.value
    return item


_TRUTH = {"true": True, "false": False}


def _flag(request: web.Request, name: str) -> bool | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if raw not in _TRUTH:
        raise InvalidQuery(f"{name} must be true or false")
    return _TRUTH[raw]


def _filter(request: web.Request) -> OrderFilter:
    status = request.query.get("status")
    if status is not None and status not in OrderStatus._value2member_map_:
        raise InvalidQuery(f"status must be one of {', '.join(OrderStatus)}")
    return OrderFilter(
        status=None if status is None else OrderStatus(status),
        open_only=bool(_flag(request, "open")),
        printer_serial=request.query.get("printer"),
        needs_person=_flag(request, "needs_person"),
    )


@allow(api_clients(ApiScope.ORDERS_READ))
async def get_orders(request: web.Request) -> web.Response:
    """The token's customers' orders, oldest first: ``?limit=&after=`` and filters."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    which = _filter(request)
    page = page_request(request)
    after = page.after(str, str)
    key: tuple[datetime, str] | None = None
    if after is not None:
        try:
            key = (datetime.fromisoformat(after[0]), after[1])
        except ValueError as exc:
            raise InvalidQuery("after is not a cursor of this list") from exc
    rows = await deps.transactions.read_async(
        lambda conn: deps.orders.orders_after(conn, actor, which, key, page.fetch)
    )
    return page_response(
        request,
        page,
        rows,
        item=order_json,
        key=lambda order: [order.proposed_at.isoformat(), order.id],
    )


async def _body(request: web.Request) -> _TransitionBody:
    """The optional JSON body of a transition (empty: no reason, no tracking)."""
    raw = await request.content.read(_BODY_LIMIT + 1)
    if len(raw) > _BODY_LIMIT:
        raise InvalidMessage(f"body exceeds {_BODY_LIMIT} bytes")
    if not raw.strip():
        return _TransitionBody()
    if request.content_type != "application/json":
        raise NotJson("content type must be application/json")
    try:
        return _TransitionBody.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidMessage(f"{where}: {first['msg']}") from exc


def _transition_route(transition: Transition) -> Handler:
    @allow(api_clients(ApiScope.ORDERS_WRITE))
    async def post_transition(request: web.Request) -> web.Response:
        deps = request.app[_DEPS]
        actor = actor_of(request)
        order_id = request.match_info["order_id"]
        body = await _body(request)

        def work(conn: Connection) -> SupplyOrder:
            if transition is Transition.CANCEL and not (body.reason or "").strip():
                deps.orders.order(conn, actor, order_id)  # another customer's order: 404
                raise InvalidMessage("reason: a cancelled order needs a reason")
            return deps.orders.act(
                conn, actor, order_id, transition, reason=body.reason, tracking=body.tracking
            )

        done = await deps.transactions.run_async(work)
        return json_response(request, order_json(done))

    post_transition.__name__ = f"post_order_{transition.value}"
    return post_transition
