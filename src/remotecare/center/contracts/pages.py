"""The public application form (terms, article 3): a customer applies without an account.

``GET /apply`` shows the form, ``POST /apply`` records the application as submitted for an
operator to decide. The form carries the CSRF token like every console form, and every
submission, valid or not, counts against the client's address
(``contracts/form_limit.py``): past the limit the page answers 429 with Retry-After
before the form is read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from remotecare.center.access.rules import ANONYMOUS, PUBLIC, allow
from remotecare.center.attempts.limiter import AttemptLimiter
from remotecare.center.contracts.rules import ApplicationInvalid, Channel, ContractRefused, Service
from remotecare.center.contracts.service import ContractService
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.pages import render, translations_of

__all__ = ["ApplicationFormDeps", "add_pages"]

logger = logging.getLogger(__name__)

FORM_FIELDS = (
    "organisation",
    "site_name",
    "postal_code",
    "address",
    "contact_name",
    "contact_email",
    "contact_phone",
    "billing_cutoff_day",
    "consents_to_news",
)


@dataclass(frozen=True, slots=True)
class ApplicationFormDeps:
    transactions: Transactions
    contracts: ContractService
    limiter: AttemptLimiter


_DEPS = web.AppKey("application_form_deps", ApplicationFormDeps)


def add_pages(app: web.Application, deps: ApplicationFormDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/apply", get_apply)
    app.router.add_post("/apply", post_apply)


def _page(
    request: web.Request,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    chosen: frozenset[str] = frozenset(),
    received: int | None = None,
) -> web.Response:
    return render(
        request,
        "apply.html",
        status=status,
        errors=errors or [],
        values=values or {},
        services=[s.value for s in Service],
        chosen=chosen,
        received=received,
    )


@allow(PUBLIC)
async def get_apply(request: web.Request) -> web.Response:
    return _page(request)


def _application(form: MultiDictProxy[Any]) -> tuple[dict[str, object], dict[str, str]]:
    values = {name: str(form.get(name, "")).strip() for name in FORM_FIELDS}
    cutoff: object = (
        int(values["billing_cutoff_day"]) if values["billing_cutoff_day"].isdigit() else None
    )
    consent = {"yes": True, "no": False}.get(values["consents_to_news"])
    application: dict[str, object] = {
        "organisation": values["organisation"],
        "sites": [
            {
                "name": values["site_name"],
                "postal_code": values["postal_code"],
                "address": values["address"],
            }
        ],
        "contacts": [
            {
                "name": values["contact_name"],
                "email": values["contact_email"],
                "phone": values["contact_phone"],
            }
        ],
        "services": [str(s) for s in form.getall("services", [])],
        "billing_cutoff_day": cutoff,
        "consents_to_news": consent,
    }
    return application, values


@allow(PUBLIC)
async def post_apply(request: web.Request) -> web.Response:
    """Record an application from the public form, within the limit per address."""
    deps = request.app[_DEPS]
    address = request.remote or "unknown"
    async with deps.limiter.attempt(address) as attempt:
        if attempt.wait is not None:
            logger.info("application form from %s refused: too many submissions", address)
            response = _page(
                request,
                status=429,
                errors=[
                    translations_of(request).gettext(
                        "Too many applications from here. Please wait %(seconds)d s."
                    )
                    % {"seconds": attempt.wait.seconds}
                ],
            )
            response.headers["Retry-After"] = str(attempt.wait.seconds)
            return response
        attempt.failed = True  # every submission counts against the address
        form = await request.post()
        application, values = _application(form)
        chosen = frozenset(str(s) for s in form.getall("services", []))
        try:
            application_id = await deps.transactions.run_async(
                lambda conn: deps.contracts.submit(
                    conn,
                    ANONYMOUS,
                    application,
                    channel=Channel.PUBLIC_FORM,
                    submitted_by=f"public form from {address}",
                )
            )
        except ApplicationInvalid as exc:
            return _page(request, status=422, errors=exc.problems, values=values, chosen=chosen)
        except ContractRefused as exc:
            return _page(request, status=409, errors=[str(exc)], values=values, chosen=chosen)
    logger.info("application %d received on the public form from %s", application_id, address)
    return _page(request, status=201, received=application_id)
