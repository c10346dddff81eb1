"""An ``Actor`` on every request, and every route's declared access rule enforced.

The device API resolves its actor from the verified client certificate
(``device_app.py``); the console from the session cookie, or for the JSON API from the
bearer token in ``Authorization`` (``console_actor``; a token that is present but not
live answers 401 at once, whatever the cookies say). Then
``enforce_access`` looks up the rule the route's handler declares (``access.rules.allow``):
a route without one is refused (500: a programming error, never an open door); an actor
the rule does not allow is sent to the login page (nobody logged in; 401 on the API) or
refused with 403.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web_urldispatcher import StaticResource

from remotecare.center.access.api_tokens import ApiTokens
from remotecare.center.access.rules import ANONYMOUS, PUBLIC, AccessRule, Actor, access_rule_of
from remotecare.center.access.service import Accounts
from remotecare.center.identity.rules import PresentedCertificate
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.responses import refuse

__all__ = [
    "ACTOR",
    "PEER",
    "PENDING_COMMANDS",
    "SESSION_COOKIE",
    "actor_of",
    "console_actor",
    "enforce_access",
    "route_access_rule",
]

logger = logging.getLogger(__name__)

ACTOR = web.RequestKey("actor", Actor)
# Device API only: the certificate the caller presented, and whether commands wait for it
# (known from the endpoint's record, so that most answers need no query for them).
PEER = web.RequestKey("peer", PresentedCertificate)
PENDING_COMMANDS = web.RequestKey("pending_commands", bool)
SESSION_COOKIE = "rc_session"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def actor_of(request: web.Request) -> Actor:
    """Who the request comes from (set by the app's middleware before any handler)."""
    actor: Actor = request.get(ACTOR, ANONYMOUS)
    return actor


def route_access_rule(route: web.AbstractRoute) -> AccessRule | None:
    """The access rule of ``route``: static files are public, every handler declares one."""
    if isinstance(route.resource, StaticResource):
        return PUBLIC
    return access_rule_of(route.handler)


def _unauthorized(error: str) -> web.Response:
    response = refuse(401, error)
    response.headers["WWW-Authenticate"] = 'Bearer realm="remotecare", error="invalid_token"'
    return response


def console_actor(
    transactions: Transactions, accounts: Accounts, api_tokens: ApiTokens
) -> Middleware:
    """The console's middleware: the integration of a bearer token, else the person of the
    session cookie, else anonymous."""

    async def bearer(request: web.Request, handler: Handler, header: str) -> web.StreamResponse:
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return _unauthorized("the Authorization header must be 'Bearer <API token>'")
        presented = presented.strip()
        caller = await transactions.read_async(lambda conn: api_tokens.actor_for(conn, presented))
        if caller is None:
            logger.info(
                "refused %s %s: unknown, revoked or expired API token", request.method, request.path
            )
            return _unauthorized("unknown, revoked or expired API token")
        if caller.note_due:
            await transactions.run_async(lambda conn: api_tokens.note_use(conn, caller.token_id))
        request[ACTOR] = caller.actor
        return await handler(request)

    @web.middleware
    async def resolve(request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization")
        if header is not None:
            return await bearer(request, handler, header)
        token = request.cookies.get(SESSION_COOKIE)
        actor = None
        if token:
            actor = await transactions.read_async(
                lambda conn: accounts.actor_for_session(conn, token)
            )
        request[ACTOR] = actor or ANONYMOUS
        return await handler(request)

    return resolve


@web.middleware
async def enforce_access(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.match_info.route
    rule = route_access_rule(route)
    if rule is None:
        if request.match_info.http_exception is not None:  # 404, 405: no route to guard
            return await handler(request)
        logger.error("route %s %s declares no access rule", request.method, request.path)
        return refuse(500, "this route declares no access rule")
    actor = actor_of(request)
    if rule.allows(actor):
        return await handler(request)
    if actor is ANONYMOUS and rule.is_api:
        return _unauthorized("this API takes an API token: Authorization: Bearer <token>")
    if actor is ANONYMOUS:  # the console's pages: log in first
        raise web.HTTPSeeOther("/login")
    logger.info("%s (%s) refused %s %s", actor.name, actor.role, request.method, request.path)
    return refuse(403, "not allowed for your role")
