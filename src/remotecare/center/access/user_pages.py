"""Users and roles in the console (terms, article 10): the operator's administrators see
every login, add one with any role (a customer's person with its customer, a partner's
with its company) and disable one; a customer's administrator does the same for its own
organisation's people only, with the customer roles only.

A new login gets a password made here, shown once on the answer to the form; the person
changes it in their settings. Escalations are refused and logged: a customer's
administrator asking for another role gets 403, for another customer's people (to add
or to disable) 404, as for one that does not exist.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from remotecare.center.access.partners import PartnerRefused, Partners
from remotecare.center.access.rules import AccessRule, Actor, Role, allow
from remotecare.center.access.service import Accounts, NoSuchUser, UserInfo
from remotecare.center.contracts.service import customer_by_name, customer_names
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.pages import render, translations_of

__all__ = ["USERNAME", "USER_ADMINS", "UserPageDeps", "add_pages"]

logger = logging.getLogger(__name__)

USER_ADMINS = AccessRule(
    "operator and customer administrators", frozenset({Role.OPERATOR_ADMIN, Role.CUSTOMER_ADMIN})
)
USERNAME = r"[A-Za-z0-9._@-]{1,100}"
_USERNAME = re.compile(USERNAME)
PERSON_ROLES = (
    Role.OPERATOR_ADMIN,
    Role.OPERATOR_STAFF,
    Role.AFFILIATE,
    Role.SUBCONTRACTOR,
    Role.CUSTOMER_ADMIN,
    Role.CUSTOMER_USER,
)
CUSTOMER_ROLES = (Role.CUSTOMER_ADMIN, Role.CUSTOMER_USER)


@dataclass(frozen=True, slots=True)
class UserPageDeps:
    transactions: Transactions
    accounts: Accounts
    clock: Clock


_DEPS = web.AppKey("user_page_deps", UserPageDeps)


class _Refused(Exception):
    """A form the person may not submit or that cannot be carried out."""

    def __init__(self, status: int, message: str, **values: object) -> None:
        super().__init__(message)
        self.status, self.message, self.values = status, message, values


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated when shown."""
    return message


def add_pages(app: web.Application, deps: UserPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/users", get_users)
    app.router.add_post("/users", post_user)
    app.router.add_post(f"/users/{{username:{USERNAME}}}/disable", post_disable)


def _own_customer(actor: Actor) -> int | None:
    """The customer a customer's administrator manages; None for the operator's."""
    if actor.role is not Role.CUSTOMER_ADMIN:
        return None
    [customer_id] = sorted(actor.customer_ids or ())  # one customer's person: exactly one
    return customer_id


@dataclass(frozen=True, slots=True)
class _Listing:
    users: list[UserInfo]
    customers: dict[int, str]
    partners: dict[int, str]


def _listing(conn: Connection, deps: UserPageDeps, actor: Actor) -> _Listing:
    own = _own_customer(actor)
    people = deps.accounts.users(conn, own)
    if own is not None:  # a customer's people only (never a partner's or operator's)
        people = [p for p in people if p.role.of_a_customer]
    customers = customer_names(conn, {p.customer_id for p in people if p.customer_id})
    partners = (
        {p.id: p.name for p in Partners(deps.clock).listing(conn, actor)}
        if actor.sees_every_customer
        else {}
    )
    return _Listing(people, customers, partners)


async def _page(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    created: tuple[str, str] | None = None,
) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    listing = await deps.transactions.read_async(lambda conn: _listing(conn, deps, actor))
    return render(
        request,
        "users.html",
        status=status,
        listing=listing,
        roles=[r.value for r in (PERSON_ROLES if actor.sees_every_customer else CUSTOMER_ROLES)],
        operators_need_totp=deps.accounts.operators_need_totp,
        error=error,
        created=created,
        path="/users",
        person=actor.name,
        show_endpoints=actor.sees_every_customer,
    )


def _refused(request: web.Request, refused: _Refused) -> str:
    return translations_of(request).gettext(refused.message) % refused.values


@allow(USER_ADMINS)
async def get_users(request: web.Request) -> web.Response:
    return await _page(request)


def _add(conn: Connection, deps: UserPageDeps, actor: Actor, form: dict[str, str]) -> None:
    username = form.get("username", "").strip()
    if not _USERNAME.fullmatch(username):
        raise _Refused(
            400, N_("A user name has 1 to 100 letters, digits and the signs . _ @ - only.")
        )
    try:
        role = Role(form.get("role", ""))
    except ValueError:
        raise _Refused(400, N_("Choose a role.")) from None
    own = _own_customer(actor)
    customer_id: int | None = None
    partner_id: int | None = None
    customer_text = form.get("customer", "").strip()
    partner_text = form.get("partner", "").strip()
    if own is not None:
        if role not in CUSTOMER_ROLES:
            logger.warning("%s (customer admin) refused: may not make a %s", actor.name, role)
            raise _Refused(403, N_("You may add people of your organisation only."))
        if customer_text and customer_by_name(conn, customer_text) != own:
            logger.warning("%s (customer admin) refused: another customer's user", actor.name)
            raise _Refused(404, N_("No such customer."))
        if partner_text:
            raise _Refused(403, N_("You may add people of your organisation only."))
        customer_id, partner_id = own, None  # never another's, whatever was posted
    else:
        if role not in PERSON_ROLES:
            raise _Refused(400, N_("Choose a role."))
        if role.of_a_customer:
            customer_id = customer_by_name(conn, customer_text) if customer_text else None
            if customer_id is None:
                raise _Refused(400, N_("No customer named %(name)s."), name=customer_text[:200])
        if role.of_a_partner:
            try:
                partner_id, kind = Partners(deps.clock).by_name(conn, partner_text)
            except PartnerRefused:
                raise _Refused(
                    400, N_("No partner named %(name)s."), name=partner_text[:200]
                ) from None
            if kind is not role:
                raise _Refused(
                    400, N_("%(name)s is not a partner of that kind."), name=partner_text
                )
    password = form["password"]
    try:
        with conn.begin_nested():
            deps.accounts.create_user(conn, username, password, role, customer_id, partner_id)
    except IntegrityError:
        raise _Refused(409, N_("A user named %(name)s exists already."), name=username) from None
    except ValueError:
        raise _Refused(400, N_("That role does not go with that customer or partner.")) from None
    logger.info("console user %s added as %s by %s", username, role.value, actor.name)


@allow(USER_ADMINS)
async def post_user(request: web.Request) -> web.Response:
    """Add a login; its password is made here and shown on this answer only."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    posted = await request.post()
    form = {key: str(value) for key, value in posted.items() if isinstance(value, str)}
    form["password"] = secrets.token_urlsafe(12)
    try:
        await deps.transactions.run_async(lambda conn: _add(conn, deps, actor, form))
    except _Refused as refused:
        return await _page(request, status=refused.status, error=_refused(request, refused))
    return await _page(request, created=(form["username"].strip(), form["password"]))


def _disable(conn: Connection, deps: UserPageDeps, actor: Actor, username: str) -> None:
    found = deps.accounts.user(conn, username)
    own = _own_customer(actor)
    if found is None or (own is not None and found.customer_id != own):
        if found is not None:
            logger.warning("%s (customer admin) refused: another's user %s", actor.name, username)
        raise _Refused(404, N_("No such user."))
    if found.username == actor.name:
        raise _Refused(409, N_("You cannot disable your own login."))
    try:
        deps.accounts.disable(conn, username)
    except NoSuchUser:
        raise _Refused(404, N_("No such user.")) from None
    logger.info("console user %s disabled by %s", username, actor.name)


@allow(USER_ADMINS)
async def post_disable(request: web.Request) -> web.Response:
    """Disable a login: it cannot log in any more and its sessions end now."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    username = request.match_info["username"]
    try:
        await deps.transactions.run_async(lambda conn: _disable(conn, deps, actor, username))
    except _Refused as refused:
        return await _page(request, status=refused.status, error=_refused(request, refused))
    raise web.HTTPSeeOther("/users")
