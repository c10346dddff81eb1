"""Device API routes for diagnostic bundles (mutual TLS, caller from the certificate):

- ``POST /api/v1/bundles``                       declare (id, size, sha256, reason)
- ``PUT  /api/v1/bundles/{id}/chunks?offset=N``  append the bytes at the resume point
- ``GET  /api/v1/bundles/{id}``                  how many bytes arrived (the resume point)
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import DEVICES, allow
from remotecare.center.fleet.bundles import BundleError, BundleService
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.errors import refusal
from remotecare.center.web.responses import refuse
from remotecare.errors import ProtocolError
from remotecare.protocol.codec import decode
from remotecare.protocol.messages import BundleDeclaration, BundleState

__all__ = ["add_bundle_routes"]

logger = logging.getLogger(__name__)

_SERVICE = web.AppKey("bundles", BundleService)
_TRANSACTIONS = web.AppKey("bundle_transactions", Transactions)

BundleWork = Callable[[Connection, BundleService, str], BundleState]
Run = Callable[[BundleWork], Awaitable[BundleState]]  # in a transaction, for the caller


def add_bundle_routes(
    app: web.Application, service: BundleService, transactions: Transactions
) -> None:
    """Register the bundle routes on the device API ``app``."""
    app[_SERVICE] = service
    app[_TRANSACTIONS] = transactions

    def wrap(
        handler: Callable[[web.Request, Run], Awaitable[web.Response]],
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        @allow(DEVICES)
        async def route(request: web.Request) -> web.Response:
            endpoint = actor_of(request).endpoint_id
            assert endpoint is not None

            async def run(work: BundleWork) -> BundleState:
                service = request.app[_SERVICE]
                return await request.app[_TRANSACTIONS].run_async(
                    lambda conn: work(conn, service, endpoint)
                )

            try:
                return await handler(request, run)
            except BundleError as exc:  # a 409 says why; GET tells the resume point
                return refusal(exc)

        return route

    app.router.add_post("/api/v1/bundles", wrap(_declare))
    app.router.add_get("/api/v1/bundles/{bundle_id}", wrap(_state))
    app.router.add_put("/api/v1/bundles/{bundle_id}/chunks", wrap(_chunk))


def _answer(state: BundleState, status: int = 200) -> web.Response:
    return web.json_response(text=state.model_dump_json(), status=status)


async def _declare(request: web.Request, run: Run) -> web.Response:
    if request.content_type != "application/json":
        return refuse(415, "content type must be application/json")
    try:
        declaration = decode(BundleDeclaration, await request.read())
    except ProtocolError as exc:  # 422 whatever is wrong, as declarations always answered
        return refuse(422, str(exc))
    state = await run(lambda conn, service, endpoint: service.declare(conn, endpoint, declaration))
    return _answer(state, 201 if state.received_bytes == 0 and not state.complete else 200)


def _bundle_id(request: web.Request) -> uuid.UUID | web.Response:
    try:
        return uuid.UUID(request.match_info["bundle_id"])
    except ValueError:
        return refuse(404, "no such bundle")


async def _state(request: web.Request, run: Run) -> web.Response:
    bundle_id = _bundle_id(request)
    if isinstance(bundle_id, web.Response):
        return bundle_id
    return _answer(
        await run(lambda conn, service, endpoint: service.state(conn, endpoint, bundle_id))
    )


async def _chunk(request: web.Request, run: Run) -> web.Response:
    bundle_id = _bundle_id(request)
    if isinstance(bundle_id, web.Response):
        return bundle_id
    try:
        offset = int(request.query.get("offset", ""))
    except ValueError:
        return refuse(400, "offset=N (bytes already sent) is required")
    if offset < 0:
        return refuse(400, "offset must not be negative")
    try:
        chunk = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return refuse(413, "chunk too large for one request: send smaller chunks")
    except OSError as exc:  # the agent went away mid-chunk (ConnectionResetError, TLS): expected
        logger.info(
            "chunk of bundle %s at offset %d cut off (%s): not kept", bundle_id, offset, exc
        )
        return refuse(400, "chunk cut off")  # nobody reads it; the agent resumes via GET
    if not chunk:
        return refuse(400, "empty chunk")
    state = await run(
        lambda conn, service, endpoint: service.append(conn, endpoint, bundle_id, offset, chunk)
    )
    return _answer(state)
