"""The center's public HTTPS site: enrolment (EST-shaped), the CRL, the console and the
JSON API for dealers' systems (``/api/v1/``, with API tokens).

No client certificate is asked for here: an agent that enrols has none yet, and the
console authenticates people with a login. Every request gets an ``Actor`` (the session's
person, else anonymous) and every route declares who may call it (``web/actors.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from remotecare.center.access import pages as access_pages
from remotecare.center.access.api_tokens import ApiTokens
from remotecare.center.access.rules import PUBLIC, allow
from remotecare.center.contracts import pages as contracts_pages
from remotecare.center.fleet import pages as fleet_pages
from remotecare.center.identity import routes as identity_routes
from remotecare.center.web.actors import actor_of, console_actor, enforce_access
from remotecare.center.web.api import api_errors
from remotecare.center.web.csrf import csrf_protection
from remotecare.center.web.pages import JINJA, STATIC_DIR, make_environments, pages_for_people
from remotecare.center.web.server_header import without_server_header

__all__ = ["create_console_app"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RouteInstaller = Callable[[web.Application], None]  # a package's API routes, with its deps


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects too carry the headers
        _protect(exc)
        raise
    _protect(response)
    return response


def _protect(response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


@allow(PUBLIC)
async def get_root(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther(access_pages.home_page(actor_of(request).role))


def create_console_app(
    identity: identity_routes.IdentityDeps,
    access: access_pages.AccessDeps,
    fleet: fleet_pages.FleetPageDeps,
    *,
    api_tokens: ApiTokens,
    api_routes: Sequence[RouteInstaller] = (),
    page_routes: Sequence[RouteInstaller] = (),
    contracts: contracts_pages.ApplicationFormDeps | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[
            _security_headers,
            console_actor(access.transactions, access.accounts, api_tokens),
            pages_for_people,
            enforce_access,
            csrf_protection(secure_cookie=access.secure_cookie),
            api_errors,
        ],
        client_max_size=64 * 1024,
    )
    app[JINJA] = make_environments()
    identity_routes.add_public_routes(app, identity)
    access_pages.add_pages(app, access)
    fleet_pages.add_pages(app, fleet)
    for install in api_routes:
        install(app)
    for install in page_routes:  # other packages' console pages, with their deps
        install(app)
    if contracts is not None:
        contracts_pages.add_pages(app, contracts)
    app.router.add_get("/", get_root)
    app.router.add_static("/static", STATIC_DIR)
    return without_server_header(app)
