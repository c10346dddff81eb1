"""Customers, contracts and the audit log in the console (terms, articles 3, 4, 10, 11).

Operators: the applications waiting for a decision (accept, or reject with a reason), the
customers, and each customer's page: its terms and their history, its contact persons
read through the privacy service for a purpose chosen on the page (each read written to
the audit log), and the termination (a date, a reason and a confirmation). The
operator's administrators: the audit log, filtered and paged, and as CSV. A customer's
administrator: their organisation's contact persons (read for purpose 2, audited).

Contact persons are read only by a form (POST): a read writes the audit log, so no link,
prefetch or reload reads them by itself.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import (
    OPERATOR_ADMINS,
    OPERATORS,
    AccessRule,
    Actor,
    Role,
    allow,
)
from remotecare.center.contracts.rules import ApplicationStatus, ContractRefused
from remotecare.center.contracts.service import (
    ContractService,
    customer_names,
    customer_statuses,
    customer_terms,
    customers_listing,
    termination_of,
    terms_history,
)
from remotecare.center.kernel import spreadsheet
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.privacy.rules import Purpose, PurposeRefused
from remotecare.center.privacy.service import AuditFilters, ContactView, PrivacyService
from remotecare.center.web.actors import actor_of
from remotecare.center.web.pages import render, time_zone_of, translations_of

__all__ = ["AUDIT_PAGE_SIZE", "CUSTOMER_ADMINS", "PrivacyPageDeps", "add_pages"]

logger = logging.getLogger(__name__)

CUSTOMER_ADMINS = AccessRule("customer administrators", frozenset({Role.CUSTOMER_ADMIN}))
AUDIT_PAGE_SIZE = 100
AUDIT_COLUMNS = (
    "id",
    "at",
    "actor",
    "actor_role",
    "action",
    "purpose",
    "record",
    "customer_id",
    "fields",
    "recipient",  # a disclosure's recipient (article 10)
)
_MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class PrivacyPageDeps:
    transactions: Transactions
    contracts: ContractService
    privacy: PrivacyService
    clock: Clock


_DEPS = web.AppKey("privacy_page_deps", PrivacyPageDeps)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated when shown."""
    return message


class _Refused(Exception):
    def __init__(self, status: int, message: str, **values: object) -> None:
        super().__init__(message)
        self.status, self.message, self.values = status, message, values


def add_pages(app: web.Application, deps: PrivacyPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/customers", get_customers)
    app.router.add_post(r"/applications/{application_id:\d{1,9}}/accept", post_accept)
    app.router.add_post(r"/applications/{application_id:\d{1,9}}/reject", post_reject)
    app.router.add_get(r"/customers/{customer_id:\d{1,9}}", get_customer)
    app.router.add_post(r"/customers/{customer_id:\d{1,9}}/contacts", post_customer_contacts)
    app.router.add_post(r"/customers/{customer_id:\d{1,9}}/terminate", post_terminate)
    app.router.add_get("/audit-log", get_audit_log)
    app.router.add_get("/audit-log.csv", get_audit_log_csv)
    app.router.add_get("/contacts", get_own_contacts)
    app.router.add_post("/contacts", post_own_contacts)


def _context(request: web.Request, actor: Actor, **values: Any) -> dict[str, Any]:
    return {"person": actor.name, "show_endpoints": actor.sees_every_customer, **values}


def _message(request: web.Request, refused: _Refused) -> str:
    return translations_of(request).gettext(refused.message) % refused.values


# --- applications and customers ----------------------------------------------------------


@allow(OPERATORS)
async def get_customers(request: web.Request) -> web.Response:
    return await _customers_page(request)


async def _customers_page(
    request: web.Request, *, status: int = 200, error: str | None = None
) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)

    def read(conn: Connection) -> tuple[list[Any], list[Any]]:
        waiting = deps.contracts.applications(conn, actor, ApplicationStatus.SUBMITTED)
        return waiting, customers_listing(conn, actor)

    waiting, customers = await deps.transactions.read_async(read)
    return render(
        request,
        "customers.html",
        status=status,
        **_context(
            request, actor, waiting=waiting, customers=customers, error=error, path="/customers"
        ),
    )


@allow(OPERATORS)
async def post_accept(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    application_id = int(request.match_info["application_id"])
    try:
        customer_id = await deps.transactions.run_async(
            lambda conn: deps.contracts.accept(conn, actor, application_id)
        )
    except ContractRefused as exc:  # unknown, decided already, a duplicate organisation
        return await _customers_page(request, status=_refusal_status(exc), error=str(exc))
    logger.info("application %s accepted by %s", application_id, actor.name)
    raise web.HTTPSeeOther(f"/customers/{customer_id}")


@allow(OPERATORS)
async def post_reject(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    application_id = int(request.match_info["application_id"])
    form = await request.post()
    reason = str(form.get("reason", "")).strip()[:500]
    try:
        await deps.transactions.run_async(
            lambda conn: deps.contracts.reject(conn, actor, application_id, reason)
        )
    except ContractRefused as exc:
        return await _customers_page(request, status=_refusal_status(exc), error=str(exc))
    logger.info("application %s rejected by %s", application_id, actor.name)
    raise web.HTTPSeeOther("/customers")


def _refusal_status(error: ContractRefused) -> int:
    return 404 if str(error).startswith("unknown") else 409


@dataclass(frozen=True, slots=True)
class _Customer:
    id: int
    name: str
    status: str
    history: list[Any]
    termination: Any


def _customer(conn: Connection, customer_id: int) -> _Customer | None:
    status = customer_statuses(conn, [customer_id]).get(customer_id)
    if status is None:
        return None
    name = customer_names(conn, [customer_id])[customer_id]
    return _Customer(
        customer_id,
        name,
        status,
        terms_history(conn, customer_id),
        termination_of(conn, customer_id),
    )


async def _customer_page(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    contacts: list[ContactView] | None = None,
    purpose: Purpose | None = None,
) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    customer_id = int(request.match_info["customer_id"])
    customer = await deps.transactions.read_async(lambda conn: _customer(conn, customer_id))
    if customer is None:
        raise web.HTTPNotFound()
    return render(
        request,
        "customer.html",
        status=status,
        **_context(
            request,
            actor,
            customer=customer,
            purposes=list(Purpose),
            contacts=contacts,
            purpose=purpose,
            error=error,
            notice=notice,
            today=deps.clock.now().date(),  # the contract's dates are UTC days
            path=f"/customers/{customer_id}",
        ),
    )


@allow(OPERATORS)
async def get_customer(request: web.Request) -> web.Response:
    return await _customer_page(request)


def _purpose(text: str) -> Purpose:
    try:
        return Purpose.parse(text)
    except PurposeRefused:
        raise _Refused(400, N_("Choose one of the six purposes.")) from None


@allow(OPERATORS)
async def post_customer_contacts(request: web.Request) -> web.Response:
    """The customer's contact persons, read for the purpose chosen (audited)."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    customer_id = int(request.match_info["customer_id"])
    form = await request.post()
    try:
        purpose = _purpose(str(form.get("purpose", "")))
        contacts = await deps.transactions.run_async(
            lambda conn: deps.privacy.contacts(conn, actor, purpose, customer_id=customer_id)
        )
    except _Refused as refused:
        return await _customer_page(
            request, status=refused.status, error=_message(request, refused)
        )
    except PurposeRefused as exc:  # no consent to news, no fields for the role, unknown
        if str(exc).startswith("unknown customer"):
            raise web.HTTPNotFound() from None
        return await _customer_page(request, status=403, error=str(exc))
    return await _customer_page(request, contacts=contacts, purpose=purpose)


@allow(OPERATORS)
async def post_terminate(request: web.Request) -> web.Response:
    """End the customer's service: a date, a reason and the box that confirms it."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    customer_id = int(request.match_info["customer_id"])
    form = await request.post()
    reason = " ".join(str(form.get("reason", "")).split())[:500]
    try:
        if form.get("confirm") != "yes":
            raise _Refused(400, N_("Tick the box to confirm the termination."))
        if not reason:
            raise _Refused(400, N_("A termination needs a reason."))
        try:
            effective_on = date.fromisoformat(str(form.get("effective_on", "")))
        except ValueError:
            raise _Refused(400, N_("Give the date the service ends (YYYY-MM-DD).")) from None
    except _Refused as refused:
        return await _customer_page(
            request, status=refused.status, error=_message(request, refused)
        )

    def terminate(conn: Connection) -> tuple[str, ...] | None:
        if not customer_statuses(conn, [customer_id]):
            return None
        return deps.contracts.terminate(conn, actor, customer_id, effective_on, reason).done

    try:
        done = await deps.transactions.run_async(terminate)
    except ContractRefused as exc:  # terminated already (409), a date ahead (400)
        status = 400 if "in the future" in str(exc) else 409
        return await _customer_page(request, status=status, error=str(exc))
    if done is None:
        raise web.HTTPNotFound()
    logger.info("customer %s terminated by %s: %s", customer_id, actor.name, "; ".join(done))
    notice = translations_of(request).gettext("The service ends on %(date)s.") % {
        "date": effective_on.isoformat()
    }
    return await _customer_page(request, notice=notice)


# --- the audit log -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _AuditQuery:
    filters: AuditFilters
    page: int
    params: dict[str, str]


def _local_midnight(text: str, zone: ZoneInfo) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _Refused(400, N_("Write dates as YYYY-MM-DD: %(value)s"), value=text[:20]) from None
    return datetime.combine(day, time(0), zone)


def _audit_query(request: web.Request) -> _AuditQuery:
    query = request.query
    zone = ZoneInfo(time_zone_of(request))
    params = {
        k: query.get(k, "").strip() for k in ("actor", "customer", "purpose", "since", "until")
    }
    params = {k: v for k, v in params.items() if v}
    customer = params.get("customer")
    if customer is not None and not (
        customer.isascii() and customer.isdigit() and len(customer) < 10
    ):
        raise _Refused(400, N_("%(value)s is not a customer number."), value=customer[:20])
    purpose = _purpose(params["purpose"]) if "purpose" in params else None
    since = _local_midnight(params["since"], zone) if "since" in params else None
    until = (
        _local_midnight(params["until"], zone) + timedelta(days=1) if "until" in params else None
    )
    if since is not None and until is not None and since >= until:
        raise _Refused(400, N_("The first day comes after the last."))
    page_text = query.get("page", "1")
    page = (
        int(page_text) if page_text.isascii() and page_text.isdigit() and len(page_text) < 7 else 1
    )
    filters = AuditFilters(
        params.get("actor", "")[:_MAX_TEXT] or None,
        int(customer) if customer is not None else None,
        purpose,
        since,
        until,
    )
    return _AuditQuery(filters, max(page, 1), params)


@allow(OPERATOR_ADMINS)
async def get_audit_log(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    try:
        asked = _audit_query(request)
    except _Refused as refused:
        return render(
            request,
            "audit_log.html",
            status=refused.status,
            **_context(
                request,
                actor,
                entries=[],
                has_next=False,
                asked=_AuditQuery(AuditFilters(), 1, {}),
                purposes=list(Purpose),
                error=_message(request, refused),
            ),
        )
    offset = (asked.page - 1) * AUDIT_PAGE_SIZE
    entries = await deps.transactions.read_async(
        lambda conn: deps.privacy.audit_page(
            conn, actor, asked.filters, offset=offset, limit=AUDIT_PAGE_SIZE + 1
        )
    )
    return render(
        request,
        "audit_log.html",
        **_context(
            request,
            actor,
            entries=entries[:AUDIT_PAGE_SIZE],
            has_next=len(entries) > AUDIT_PAGE_SIZE,
            asked=asked,
            purposes=list(Purpose),
            error=None,
        ),
    )


@allow(OPERATOR_ADMINS)
async def get_audit_log_csv(request: web.Request) -> web.Response:
    """Every entry matching the page's filters, as CSV (UTF-8 with BOM), newest first."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    try:
        asked = _audit_query(request)
    except _Refused as refused:
        return web.Response(status=refused.status, text=_message(request, refused))
    entries = await deps.transactions.read_async(
        lambda conn: deps.privacy.audit_page(conn, actor, asked.filters)
    )
    out = io.StringIO(newline="")
    spreadsheet.write_csv(
        out,
        AUDIT_COLUMNS,
        (
            [e.id, e.at, e.actor, e.actor_role, e.action, e.purpose, e.record, e.customer_id,
             ";".join(e.fields), e.recipient or ""]
            for e in entries
        ),
    )  # fmt: skip
    logger.info("audit log exported by %s: %d entries", actor.name, len(entries))
    return web.Response(
        body=out.getvalue().encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="audit-log.csv"',
        },
    )


# --- a customer's own contacts ------------------------------------------------------------


async def _own_contacts_page(
    request: web.Request, contacts: list[ContactView] | None, status: int = 200
) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    [customer_id] = sorted(actor.customer_ids or ())
    terms = await deps.transactions.read_async(lambda conn: customer_terms(conn, customer_id))
    return render(
        request,
        "own_contacts.html",
        status=status,
        **_context(
            request,
            actor,
            contacts=contacts,
            terms=terms,
            path="/contacts",
            customer_id=customer_id,
        ),
    )


@allow(CUSTOMER_ADMINS)
async def get_own_contacts(request: web.Request) -> web.Response:
    return await _own_contacts_page(request, None)


@allow(CUSTOMER_ADMINS)
async def post_own_contacts(request: web.Request) -> web.Response:
    """The organisation's contact persons, read for purpose 2 (necessary contact): the
    read is audited like an operator's."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    [customer_id] = sorted(actor.customer_ids or ())
    contacts = await deps.transactions.run_async(
        lambda conn: deps.privacy.contacts(
            conn, actor, Purpose.NECESSARY_CONTACT, customer_id=customer_id
        )
    )
    return await _own_contacts_page(request, contacts)
