"""The console's CSRF check: every unsafe-method request carries the form token.

Every POST (PUT, PATCH, DELETE) to the console must send the form field ``csrf_token``
made for the browser's session (``access/csrf.py``), else it is refused with 403 before
any handler runs and nothing changes. Pages get the token from ``form_token_of`` and
render it as a hidden field. A browser with neither a session nor a login-form secret
gets the latter (an HttpOnly, SameSite=Strict cookie) with the first page that renders a
form, so that the login form is protected too.

Exempt: the EST enrolment (``/.well-known/est/simpleenroll``), an API that agents call
with a one-time enrolment token, never a browser form; and calls authenticated by an API
token (role ``integration``), which a browser never attaches by itself, so that no other
site can make one for its visitor.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from remotecare.center.access.csrf import FORM_FIELD, SAFE_METHODS, form_token, token_matches
from remotecare.center.access.rules import Role
from remotecare.center.kernel.secrets import new_token
from remotecare.center.web.actors import SESSION_COOKIE, actor_of
from remotecare.center.web.responses import refuse

__all__ = ["CSRF_EXEMPT_PATHS", "FORM_SECRET_COOKIE", "csrf_protection", "form_token_of"]

logger = logging.getLogger(__name__)

FORM_SECRET_COOKIE = "rc_form"  # noqa: S105 (a cookie name, not a secret)
CSRF_EXEMPT_PATHS = frozenset({"/.well-known/est/simpleenroll"})
REFUSAL = "missing or wrong form token: reload the page and submit the form again"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class _FormSecret:
    """The browser's secret for this request; a new one is made only when a form needs it."""

    secret: str | None
    new: bool = False

    def token(self) -> str:
        if self.secret is None:
            self.secret, self.new = new_token(), True
        return form_token(self.secret)


_FORM_SECRET = web.RequestKey("form_secret", _FormSecret)


def form_token_of(request: web.Request) -> str:
    """The token the forms of this request's page carry (hidden field ``csrf_token``)."""
    return request[_FORM_SECRET].token()


def _changes_something(request: web.Request) -> bool:
    """Whether ``request`` reaches a handler that may change state (no 404, no 405)."""
    return (
        request.method not in SAFE_METHODS
        and actor_of(request).role is not Role.INTEGRATION
        and request.path not in CSRF_EXEMPT_PATHS
        and request.match_info.http_exception is None
    )


def csrf_protection(*, secure_cookie: bool = True) -> Middleware:
    """The console's middleware: refuse unsafe requests without the browser's form token."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        secret = request.cookies.get(SESSION_COOKIE) or request.cookies.get(FORM_SECRET_COOKIE)
        if _changes_something(request):
            form = await request.post()
            presented = form.get(FORM_FIELD)
            if not token_matches(secret, presented if isinstance(presented, str) else None):
                logger.info("refused %s %s: no valid form token", request.method, request.path)
                return refuse(403, REFUSAL)
        holder = _FormSecret(secret)
        request[_FORM_SECRET] = holder
        response = await handler(request)
        if holder.new and holder.secret is not None:
            response.set_cookie(
                FORM_SECRET_COOKIE,
                holder.secret,
                httponly=True,
                secure=secure_cookie,
                samesite="Strict",
                path="/",
            )
        return response

    return check
