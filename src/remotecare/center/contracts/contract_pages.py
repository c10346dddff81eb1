"""Changing a contract after its acceptance (terms, article 3): the services chosen, the
consent to news (purpose 6) and the contact persons, by the operator or by the customer's
own administrator. Every change is a new version; the former terms and contacts are kept.

``GET /customers/{id}/contract`` shows the current terms and the two forms; a customer's
administrator reaches only its own organisation's (another customer's id answers 404, as
one that does not exist). The billing cut-off is the operator's (it moves invoices) and
stays on the command line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from remotecare.center.access.rules import AccessRule, Actor, Role, allow
from remotecare.center.contracts.rules import ContractRefused, Service, ServiceStatus
from remotecare.center.contracts.service import (
    ContractService,
    customer_names,
    customer_statuses,
    customer_terms,
)
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.pages import render, translations_of

__all__ = ["CONTRACT_EDITORS", "ContractPageDeps", "add_pages"]

logger = logging.getLogger(__name__)

CONTRACT_EDITORS = AccessRule(
    "operators and customer administrators",
    frozenset({Role.OPERATOR_ADMIN, Role.OPERATOR_STAFF, Role.CUSTOMER_ADMIN}),
)
CONTACT_ROWS = 4  # rows of the contacts form; a change may name fewer
_NOTE_MAX = 500


@dataclass(frozen=True, slots=True)
class ContractPageDeps:
    transactions: Transactions
    contracts: ContractService


_DEPS = web.AppKey("contract_page_deps", ContractPageDeps)
_ID = r"{customer_id:\d{1,9}}"


def add_pages(app: web.Application, deps: ContractPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get(f"/customers/{_ID}/contract", get_contract)
    app.router.add_post(f"/customers/{_ID}/terms", post_terms)
    app.router.add_post(f"/customers/{_ID}/contacts/replace", post_contacts)


def _customer_id(request: web.Request, actor: Actor) -> int | None:
    """The id in the path if ``actor`` may change that customer's contract, else None."""
    customer_id = int(request.match_info["customer_id"])
    return customer_id if actor.may_see(customer_id) else None


def _not_found(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "not_found.html", status=404, person=actor.name)


async def _page(
    request: web.Request,
    actor: Actor,
    customer_id: int,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    contacts: list[dict[str, str]] | None = None,
) -> web.Response:
    deps = request.app[_DEPS]

    def read(conn: Any) -> tuple[str, str, Any] | None:
        name = customer_names(conn, [customer_id]).get(customer_id)
        if name is None:
            return None
        state = customer_statuses(conn, [customer_id]).get(customer_id, "")
        return name, state, customer_terms(conn, customer_id)

    found = await deps.transactions.read_async(read)
    if found is None:
        return _not_found(request, actor)
    name, state, terms = found
    rows = (contacts or []) + [{} for _ in range(CONTACT_ROWS - len(contacts or []))]
    return render(
        request,
        "contract.html",
        status=status,
        person=actor.name,
        show_endpoints=actor.sees_every_customer,
        customer_id=customer_id,
        customer=name,
        active=state == ServiceStatus.ACTIVE.value,
        terms=terms,
        services=[s.value for s in Service],
        contact_rows=rows,
        errors=errors or [],
        saved=request.query.get("saved", ""),
        note_max=_NOTE_MAX,
    )


@allow(CONTRACT_EDITORS)
async def get_contract(request: web.Request) -> web.Response:
    actor = actor_of(request)
    customer_id = _customer_id(request, actor)
    if customer_id is None:
        return _not_found(request, actor)
    return await _page(request, actor, customer_id)


def _saved(customer_id: int, what: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/customers/{customer_id}/contract?saved={what}")


@allow(CONTRACT_EDITORS)
async def post_terms(request: web.Request) -> web.Response:
    """A new version of the terms: the services ticked and the answer on news."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    customer_id = _customer_id(request, actor)
    if customer_id is None:
        return _not_found(request, actor)
    form = await request.post()
    _ = translations_of(request).gettext
    known = {s.value for s in Service}
    asked = [str(s) for s in form.getall("services", [])]
    news = {"yes": True, "no": False}.get(str(form.get("consents_to_news", "")))
    note = str(form.get("note", "")).strip()
    errors = []
    if not asked or any(s not in known for s in asked):
        errors.append(_("Choose at least one of the services offered."))
    if news is None:
        errors.append(_("Answer whether we may send news of products and services."))
    if len(note) > _NOTE_MAX:
        errors.append(_("The note is longer than %(most)d characters.") % {"most": _NOTE_MAX})
    if errors:
        return await _page(request, actor, customer_id, status=422, errors=errors)
    try:
        await deps.transactions.run_async(
            lambda conn: deps.contracts.change_terms(
                conn,
                actor,
                customer_id,
                services={Service(s) for s in asked},
                consents_to_news=news,
                note=note or None,
            )
        )
    except ContractRefused as refused:
        return await _page(request, actor, customer_id, status=409, errors=[str(refused)])
    logger.info("terms of customer %d changed by %s", customer_id, actor.name)
    raise _saved(customer_id, "terms")


def _contacts(form: MultiDictProxy[Any]) -> list[dict[str, str]]:
    """The rows filled in (a row left blank is not a contact)."""
    rows = []
    for n in range(CONTACT_ROWS):
        row = {f: str(form.get(f"{f}_{n}", "")).strip() for f in ("name", "email", "phone")}
        if any(row.values()):
            rows.append(row)
    return rows


@allow(CONTRACT_EDITORS)
async def post_contacts(request: web.Request) -> web.Response:
    """The contact persons become those of the form; the former ones are kept as history."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    customer_id = _customer_id(request, actor)
    if customer_id is None:
        return _not_found(request, actor)
    rows = _contacts(await request.post())
    if not rows:
        _ = translations_of(request).gettext
        errors = [_("Name at least one contact person.")]
        return await _page(request, actor, customer_id, status=422, errors=errors)
    try:
        await deps.transactions.run_async(
            lambda conn: deps.contracts.replace_contacts(conn, actor, customer_id, rows)
        )
    except ContractRefused as refused:
        problems = getattr(refused, "problems", None) or [str(refused)]
        return await _page(request, actor, customer_id, status=422, errors=problems, contacts=rows)
    logger.info("contacts of customer %d replaced by %s", customer_id, actor.name)
    raise _saved(customer_id, "contacts")
