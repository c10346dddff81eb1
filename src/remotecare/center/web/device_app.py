"""The device API, served only over mutual TLS: agents push reports here, pick up the
commands queued for them, upload diagnostic bundles and renew their certificates.

Every request is attributed to the endpoint named by the verified client certificate,
never to anything in the body, and checked against the endpoint's record on every
request (also on keep-alive connections): a revocation is refused within a second. The
endpoint becomes the request's ``Actor`` (role ``device``, scoped to its customer), and
every route declares that only devices may call it (``web/actors.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from remotecare.center.access.rules import PUBLIC, Actor, allow
from remotecare.center.fleet import device_routes
from remotecare.center.fleet.bundle_routes import add_bundle_routes
from remotecare.center.fleet.bundles import BundleService
from remotecare.center.identity import routes as identity_routes
from remotecare.center.identity.rules import EndpointRecord, refusal_for
from remotecare.center.web.actors import ACTOR, PEER, PENDING_COMMANDS, enforce_access
from remotecare.center.web.bodies import BODY_LIMIT, INFLATED_LIMIT
from remotecare.center.web.openapi import OPENAPI_PATH, build_openapi
from remotecare.center.web.peer import Identify, identify_caller
from remotecare.center.web.responses import refuse
from remotecare.center.web.server_header import without_server_header

__all__ = ["create_device_app"]

logger = logging.getLogger(__name__)

_IDENTIFY: web.AppKey[Identify] = web.AppKey("identify")
_IDENTITY = web.AppKey("identity", identity_routes.IdentityDeps)
_OPENAPI = web.AppKey("openapi", dict[str, bytes])

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _identify_endpoint(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == OPENAPI_PATH:  # the contract is no secret (TLS still applies)
        return await handler(request)
    peer = request.app[_IDENTIFY](request)
    if isinstance(peer, web.Response):
        return peer
    if peer is None:
        return refuse(401, "a client certificate issued by this center is required")
    identity = request.app[_IDENTITY]
    record = await identity.directory.lookup(peer.endpoint_id, peer.serial_hex)
    reason = refusal_for(record, peer, identity.certificates.clock.now())
    if reason is not None:
        logger.info("refused endpoint %s: %s", peer.endpoint_id, reason)
        return refuse(403, reason)
    assert isinstance(record, EndpointRecord)
    request[ACTOR] = Actor.device(record.endpoint_id, record.customer_id)
    request[PEER] = peer
    request[PENDING_COMMANDS] = record.pending_commands
    return await handler(request)


@allow(PUBLIC)
async def get_openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 description of this API, built from the wire models."""
    cache = request.app[_OPENAPI]
    if "json" not in cache:
        cache["json"] = json.dumps(build_openapi(request.app)).encode()
    return web.Response(body=cache["json"], content_type="application/json")


def create_device_app(
    identity: identity_routes.IdentityDeps,
    fleet: device_routes.DeviceRouteDeps,
    *,
    max_body_bytes: int,
    max_inflated_bytes: int,
    identify: Identify | None = None,
    bundles: BundleService | None = None,
) -> web.Application:
    middlewares: list[Middleware] = [_identify_endpoint, enforce_access]
    if fleet.metrics is not None:
        middlewares.insert(0, fleet.metrics.middleware(device_routes.REPORT_PATHS))
    app = web.Application(middlewares=middlewares, client_max_size=max_body_bytes)
    app[_IDENTIFY] = identify or identify_caller(None)
    app[_IDENTITY] = identity
    app[_OPENAPI] = {}
    app[INFLATED_LIMIT] = max_inflated_bytes
    app[BODY_LIMIT] = max_body_bytes
    device_routes.add_device_routes(app, fleet)
    identity_routes.add_device_routes(app, identity)
    app.router.add_get(OPENAPI_PATH, get_openapi)
    if bundles is not None:
        add_bundle_routes(app, bundles, fleet.transactions)
    return without_server_header(app)
