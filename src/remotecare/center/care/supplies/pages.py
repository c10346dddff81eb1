"""The supply orders' console pages: the list (filtered and paged in the database, plain
HTML forms), an order's page, and the forms that move it on: approve, ship (with the
parcel's tracking number), deliver, cancel (with a reason).

Who does what (terms, article 10): operators see every order and do each step; a
customer's or an affiliate's person sees their customers' orders, read-only; a
subcontractor's person sees only the orders assigned to its company and ships and
delivers them (approving and cancelling stay the operator's). An order the person may not
see answers 404, the same as one that does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import CONSOLE_USERS, OPERATORS, Actor, allow
from remotecare.center.care.incidents.pages import FIELD_WORK
from remotecare.center.care.supplies.rules.lifecycle import Transition, next_status
from remotecare.center.care.supplies.rules.order_listing import (
    ORDER_PAGE_SIZE,
    OrderQuery,
    OrderStateFilter,
    read_order_query,
)
from remotecare.center.care.supplies.service import (
    OrderFilter,
    OrderService,
    OrderTransitionRefused,
    SupplyForecast,
    SupplyOrder,
)
from remotecare.center.care.supplies.tables import REASON_MAX_LENGTH
from remotecare.center.fleet.device_listing import customer_choices
from remotecare.center.fleet.pages import DeviceSection
from remotecare.center.fleet.rules.device_query import page_count
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.pages import render, translations_of
from remotecare.errors import OperatorError

__all__ = ["OrderPageDeps", "add_pages", "device_orders"]

logger = logging.getLogger(__name__)

TRACKING_MAX_LENGTH = 128
_ORDER_ID = r"{order_id:[0-9a-fA-F-]{36}}"
_DEVICE_SECTION_LIMIT = 20
# Who may do each step: the operator all; a subcontractor's person what a delivery needs.
_FIELD_STEPS = frozenset({Transition.SHIP, Transition.DELIVER})


@dataclass(frozen=True, slots=True)
class OrderPageDeps:
    transactions: Transactions
    orders: OrderService
    clock: Clock


_DEPS = web.AppKey("order_page_deps", OrderPageDeps)


def add_pages(app: web.Application, deps: OrderPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/orders", get_orders)
    app.router.add_get(f"/orders/{_ORDER_ID}", get_order)
    app.router.add_post(f"/orders/{_ORDER_ID}/approve", post_approve)
    app.router.add_post(f"/orders/{_ORDER_ID}/ship", post_ship)
    app.router.add_post(f"/orders/{_ORDER_ID}/deliver", post_deliver)
    app.router.add_post(f"/orders/{_ORDER_ID}/cancel", post_cancel)


def _page_context(actor: Actor) -> dict[str, Any]:
    return {"person": actor.name, "show_endpoints": actor.sees_every_customer}


def _not_found(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "not_found.html", status=404, **_page_context(actor))


def _steps_for(actor: Actor, order: SupplyOrder) -> list[Transition]:
    """The steps ``actor`` may take on ``order`` now."""
    if actor.sees_every_customer:
        allowed = set(Transition)
    elif FIELD_WORK.allows(actor):
        allowed = set(_FIELD_STEPS)
    else:
        return []
    return [t for t in Transition if t in allowed and next_status(order.status, t) is not None]


@dataclass(frozen=True, slots=True)
class OrderPage:
    rows: list[SupplyOrder]
    total: int
    page: int
    pages: int


def _filter_of(query: OrderQuery) -> OrderFilter:
    return OrderFilter(
        status=query.state.status,
        open_only=query.state is OrderStateFilter.OPEN,
        customer_id=query.customer_id,
        printer_id=query.device_id,
    )


@allow(CONSOLE_USERS)
async def get_orders(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    query = read_order_query(request.query)

    def read(conn: Connection) -> tuple[OrderPage, list[tuple[int, str]]]:
        which = _filter_of(query)
        total = deps.orders.count(conn, actor, which)
        pages = page_count(total, ORDER_PAGE_SIZE)
        page = min(query.page, pages)
        rows = deps.orders.orders(
            conn, actor, which, limit=ORDER_PAGE_SIZE, offset=(page - 1) * ORDER_PAGE_SIZE
        )
        return OrderPage(rows, total, page, pages), customer_choices(conn, actor)

    listing, customers = await deps.transactions.read_async(read)
    return render(
        request,
        "orders.html",
        listing=listing,
        query=query,
        states=list(OrderStateFilter),
        customers=customers,
        now=deps.clock.now(),
        **_page_context(actor),
    )


def _render_order(
    request: web.Request,
    order: SupplyOrder,
    actor: Actor,
    now: datetime,
    *,
    status: int = 200,
    error: str | None = None,
) -> web.Response:
    return render(
        request,
        "order.html",
        status=status,
        order=order,
        steps=[t.value for t in _steps_for(actor, order)],
        error=error,
        reason_max=REASON_MAX_LENGTH,
        tracking_max=TRACKING_MAX_LENGTH,
        now=now,
        **_page_context(actor),
    )


async def _read_order(deps: OrderPageDeps, actor: Actor, order_id: str) -> SupplyOrder | None:
    def read(conn: Connection) -> SupplyOrder | None:
        try:
            return deps.orders.order(conn, actor, order_id)
        except OperatorError:
            return None

    return await deps.transactions.read_async(read)


@allow(CONSOLE_USERS)
async def get_order(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    order = await _read_order(deps, actor, request.match_info["order_id"].lower())
    if order is None:
        return _not_found(request, actor)
    return _render_order(request, order, actor, deps.clock.now())


async def _step(request: web.Request, transition: Transition) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    order_id = request.match_info["order_id"].lower()
    form = await request.post()
    order = await _read_order(deps, actor, order_id)  # whose it is first, whatever the form
    if order is None:
        return _not_found(request, actor)
    now = deps.clock.now()
    gettext = translations_of(request).gettext
    if transition not in _steps_for(actor, order) and next_status(order.status, transition):
        error = gettext("Your role may not do this step. Nothing was changed.")
        return _render_order(request, order, actor, now, status=403, error=error)
    reason = " ".join(str(form.get("reason", "")).split()) or None
    tracking = " ".join(str(form.get("tracking", "")).split()) or None
    if transition is Transition.CANCEL and reason is None:
        error = gettext("Say why the order is cancelled. Nothing was changed.")
        return _render_order(request, order, actor, now, status=422, error=error)
    if (reason and len(reason) > REASON_MAX_LENGTH) or (
        tracking and len(tracking) > TRACKING_MAX_LENGTH
    ):
        error = gettext(
            "The reason may have at most %(reason)d characters and the tracking number"
            " %(tracking)d. Nothing was changed."
        ) % {"reason": REASON_MAX_LENGTH, "tracking": TRACKING_MAX_LENGTH}
        return _render_order(request, order, actor, now, status=422, error=error)
    try:
        await deps.transactions.run_async(
            lambda conn: deps.orders.act(
                conn, actor, order_id, transition, reason=reason, tracking=tracking
            )
        )
    except OrderTransitionRefused:
        error = gettext(
            "This order is no longer at a step where this can be done (someone may have"
            " moved it on). Nothing was changed."
        )
        current = await _read_order(deps, actor, order_id) or order
        return _render_order(request, current, actor, now, status=409, error=error)
    except OperatorError:  # gone from the person's work meanwhile
        return _not_found(request, actor)
    logger.info("order %s: %s by %s", order_id, transition.value, actor.name)
    raise web.HTTPSeeOther(f"/orders/{order_id}")


@allow(OPERATORS)
async def post_approve(request: web.Request) -> web.Response:
    """Approve a proposed order: it may be shipped."""
    return await _step(request, Transition.APPROVE)


@allow(FIELD_WORK)
async def post_ship(request: web.Request) -> web.Response:
    """Record the parcel sent, with its tracking number if there is one."""
    return await _step(request, Transition.SHIP)


@allow(FIELD_WORK)
async def post_deliver(request: web.Request) -> web.Response:
    """Record the parcel delivered."""
    return await _step(request, Transition.DELIVER)


@allow(OPERATORS)
async def post_cancel(request: web.Request) -> web.Response:
    """Cancel an open order, with a reason."""
    return await _step(request, Transition.CANCEL)


def device_orders(service: OrderService) -> DeviceSection:
    """The device page's orders section (``FleetPageDeps.device_sections``): the newest
    orders for the device's supplies that the person may see."""

    def section(
        conn: Connection, actor: Actor, device_id: int, language: str
    ) -> Mapping[str, object]:
        rows = service.orders(
            conn, actor, OrderFilter(printer_id=device_id), limit=_DEVICE_SECTION_LIMIT
        )
        return {"device_orders": rows}

    return section


def device_forecasts(service: OrderService) -> DeviceSection:
    """The device page's forecasts (``FleetPageDeps.device_sections``): for each supply,
    when it runs out (a receptacle: fills), with its interval and confidence, or why
    there is no number."""

    def section(
        conn: Connection, actor: Actor, device_id: int, language: str
    ) -> Mapping[str, object]:
        forecasts = service.forecasts(conn, actor, [device_id])
        return {"device_forecasts": [(f, _dates(f)) for f in forecasts]}

    return section


@dataclass(frozen=True, slots=True)
class ForecastDates:
    """A forecast's days turned into dates: the expected one and its interval."""

    expected: datetime | None
    earliest: datetime | None
    latest: datetime | None


def _dates(forecast: SupplyForecast) -> ForecastDates:
    def at(days: float | None) -> datetime | None:
        return None if days is None else forecast.as_of + timedelta(days=days)

    return ForecastDates(
        at(forecast.days_to_empty),
        at(forecast.days_to_empty_low),
        at(forecast.days_to_empty_high),
    )
