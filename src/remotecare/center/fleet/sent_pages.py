"""The customer administrator's "what my devices send" page (terms, articles 5 and 6(4)):
the fields an agent may send (the allow-list the agent and the center share, read from
the wire contract) and each of the organisation's devices' latest report exactly as the
center received it, pretty-printed."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiohttp import web

from remotecare.center.access.rules import AccessRule, Role, allow
from remotecare.center.fleet.sent import latest_reports
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.pages import render
from remotecare.protocol.allow_list import report_fields

__all__ = ["CUSTOMER_ADMINS", "DEVICES_PER_PAGE", "SentPageDeps", "add_pages"]

CUSTOMER_ADMINS = AccessRule("customer administrators", frozenset({Role.CUSTOMER_ADMIN}))
DEVICES_PER_PAGE = 10


@dataclass(frozen=True, slots=True)
class SentPageDeps:
    transactions: Transactions


_DEPS = web.AppKey("sent_page_deps", SentPageDeps)


def add_pages(app: web.Application, deps: SentPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/what-my-devices-send", get_what_my_devices_send)


def pretty(payload: object) -> str:
    """The payload as indented JSON, its keys in the order received, text unescaped."""
    return json.dumps(payload, indent=2, ensure_ascii=False)


@allow(CUSTOMER_ADMINS)
async def get_what_my_devices_send(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    text = request.query.get("page", "1")
    page = int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 1
    found = await deps.transactions.read_async(
        lambda conn: latest_reports(conn, actor, page, DEVICES_PER_PAGE)
    )
    return render(
        request,
        "what_my_devices_send.html",
        fields=report_fields(),
        sent=found,
        shown=[
            (device, None if device.payload is None else pretty(device.payload))
            for device in found.devices
        ],
        person=actor.name,
        show_endpoints=False,
    )
