"""Revoking an agent's endpoint from the console (operators): the same revocation as
``center revoke``, asked with a reason and confirmed with a tick, since it cannot be
undone (the agent must enrol again with a new token). Its agent is refused within a
second on every center (the CRL and the endpoint row)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from remotecare.center.access.rules import OPERATORS, allow
from remotecare.center.identity.certificates import CertificateService
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.pages import render, translations_of
from remotecare.errors import OperatorError

__all__ = ["RevocationPageDeps", "add_pages"]

logger = logging.getLogger(__name__)

REASON_MAX = 256


@dataclass(frozen=True, slots=True)
class RevocationPageDeps:
    transactions: Transactions
    certificates: CertificateService


_DEPS = web.AppKey("revocation_page_deps", RevocationPageDeps)


def add_pages(app: web.Application, deps: RevocationPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_post(r"/endpoints/{endpoint_id:[0-9a-f-]{36}}/revoke", post_revoke)


@allow(OPERATORS)
async def post_revoke(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    endpoint_id = request.match_info["endpoint_id"]
    form = await request.post()
    reason = str(form.get("reason", "")).strip()
    _ = translations_of(request).gettext
    refusal = None
    if form.get("confirm") != "yes":
        refusal = _("Tick the box to confirm: a revoked agent must enrol again.")
    elif not reason:
        refusal = _("Say why the endpoint is revoked.")
    elif len(reason) > REASON_MAX:
        refusal = _("The reason is longer than %(most)d characters.") % {"most": REASON_MAX}
    if refusal is not None:
        return web.Response(status=422, text=refusal)
    try:
        done = await deps.transactions.run_async(
            lambda conn: deps.certificates.revoke(conn, actor, endpoint_id, reason)
        )
    except OperatorError:
        return render(request, "not_found.html", status=404, person=actor.name)
    if not done.already_revoked:
        logger.info("endpoint %s revoked by %s: %s", endpoint_id, actor.name, reason)
    raise web.HTTPSeeOther(f"/endpoints?revoked={quote(endpoint_id)}")
