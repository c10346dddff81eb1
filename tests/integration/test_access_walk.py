"""Every route of both apps, walked as every kind of caller, with the ids of another
customer's things, of another subcontractor's work and of a terminated customer: nothing
of theirs leaks (terms, articles 10 and 11).

The routes come from the apps as the server builds them, so a new route is walked
without anyone listing it; a route whose path takes an id this walk has no value for
fails the walk until one is added to ``OTHER_IDS`` (an id of the other customer's thing).

For each route and caller: a caller the route's rule does not admit is refused (401 or
403, or sent to the login page); one it admits gets, for an id of something that is not
its to see, 404 (not 403, so that existence does not leak); no answer is a 500, and no
answer contains anything of what the caller may not see.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.access.csrf import FORM_FIELD, form_token
from remotecare.center.access.partners import Partners
from remotecare.center.access.rules import Actor, ApiScope, Role, WorkKind
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.care.incidents.tables import incidents
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet.printers import printer_id_of
from remotecare.center.kernel.group_commit import GroupCommitter
from remotecare.center.server import CenterServer
from remotecare.center.web.actors import SESSION_COOKIE, route_access_rule
from remotecare.protocol.codec import encode
from remotecare.protocol.messages import CommandKind, Report, new_report_id
from tests.support.centers import CenterInfo, init_center, running_center
from tests.support.device_calls import call, enrol, report_body
from tests.support.reports import a_plain_reading
from tests.support.supplies import an_order

pytestmark = pytest.mark.asyncio(loop_scope="module")

OURS, THEIRS = "Acme Ltd", "Other KK"
THEIR_SERIALS = ("OTHER-SECRET-1", "OTHER-SECRET-2")
THEIR_USER = "their-secret-admin"
OTHER_WORK = "ACME-OTHER-WORK-2"  # ours, assigned to another subcontractor
GONE, GONE_SERIAL = "Gone GK", "GONE-SECRET-1"  # a customer whose contract ended
PASSWORD = "a password of the walk"
PERSONS = (
    Role.OPERATOR_ADMIN,
    Role.OPERATOR_STAFF,
    Role.AFFILIATE,
    Role.SUBCONTRACTOR,
    Role.CUSTOMER_ADMIN,
    Role.CUSTOMER_USER,
)
_PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


@dataclass
class Caller:
    role: Role
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)

    @property
    def sees_every_customer(self) -> bool:
        return self.role.sees_every_customer


@dataclass(frozen=True)
class Foreign:
    """Things a caller of some roles may not see: their ids by route parameter (missing
    ones are the other customer's) and strings that would show them in a body."""

    what: str
    ids: dict[str, str]
    markers: tuple[str, ...]
    hidden_from: frozenset[Role]


# Every caller scoped to customers: ours only, or (the affiliate) the customers assigned.
SCOPED = frozenset({*(r for r in PERSONS if not r.sees_every_customer), Role.INTEGRATION})


@dataclass
class Walk:
    info: CenterInfo
    center: Center
    ours: AgentPaths
    other_ids: dict[str, str]
    theirs_markers: tuple[str, ...]
    console_callers: list[Caller]
    more_foreign: list[Foreign] = field(default_factory=list)

    @property
    def foreign(self) -> list[Foreign]:
        """The other customer's things first, then the others."""
        theirs = Foreign("another customer's", self.other_ids, self.theirs_markers, SCOPED)
        return [theirs, *self.more_foreign]

    def routes(self, app_name: str) -> list[web.AbstractRoute]:
        committer = GroupCommitter(self.center.transactions.engine)  # never started
        apps = CenterServer(self.center).build_apps(committer)
        app = apps.console if app_name == "console" else apps.device
        routes = [
            route
            for route in app.router.routes()
            if route.method != "HEAD" and route.resource is not None
            and not route.resource.canonical.startswith("/static")
        ]  # fmt: skip
        # Logging out ends the caller's session: walked before the others, it would leave
        # every later route to an anonymous caller.
        return sorted(routes, key=lambda route: _path(route) == "/logout")

    def path_of(self, route: web.AbstractRoute, ids: dict[str, str] | None = None) -> str:
        assert route.resource is not None
        canonical = route.resource.canonical
        missing = set(_PARAMETER.findall(canonical)) - set(self.other_ids)
        assert not missing, f"{canonical}: add the other customer's id for {missing}"
        chosen = self.other_ids | (ids or {})
        return _PARAMETER.sub(lambda match: chosen[match.group(1)], canonical)


def _path(route: web.AbstractRoute) -> str:
    return route.resource.canonical if route.resource is not None else ""


async def _session_caller(info: CenterInfo, role: Role, username: str) -> Caller:
    async with aiohttp.ClientSession() as session:
        async with session.get(info.console_url + "/login", ssl=info.trusting_context()) as page:
            found = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
            assert found is not None
        form = {"username": username, "password": PASSWORD, FORM_FIELD: found.group(1)}
        async with session.post(
            info.console_url + "/login",
            data=form,
            ssl=info.trusting_context(),
            allow_redirects=False,
        ) as response:
            assert response.status == 303, f"{username} could not log in"
            session_token = response.cookies[SESSION_COOKIE].value
    return Caller(
        role,
        cookies={SESSION_COOKIE: session_token},
        form={FORM_FIELD: form_token(session_token)},
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def walk(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Walk]:
    tmp = tmp_path_factory.mktemp("walk")
    info = init_center(tmp / "center", printer_binding="confirm")
    async with running_center(info) as center:
        ours, _ = await enrol(info, center, tmp / "ours", OURS)
        theirs, their_endpoint = await enrol(info, center, tmp / "theirs", THEIRS)
        gone, gone_endpoint = await enrol(info, center, tmp / "gone", GONE)
        for agent, serial in ((ours, "ACME-1"), (ours, OTHER_WORK), (gone, GONE_SERIAL)):
            await call(info.device_url + "/api/v1/reports", agent, report_body(serial))
        for n, serial in enumerate(THEIR_SERIALS):
            body = report_body(serial, f"snmp://192.0.2.{n + 1}:161")
            await call(info.device_url + "/api/v1/reports", theirs, body)
        for pending in center.admin.pending_printers():
            if pending.serial != THEIR_SERIALS[1]:  # theirs stays pending: a printer_id
                center.admin.confirm_printer(pending.serial, pending.customer)
        [their_pending] = center.admin.pending_printers()
        with center.transactions.begin() as conn:
            their_order = an_order(conn, their_pending.printer_id, their_pending.first_seen_at)
        their_incident = await _jam(info, center, theirs, THEIRS, THEIR_SERIALS[0])
        command = center.admin.queue_command(their_endpoint, CommandKind.REDISCOVER, {})
        bundle_id = await _declare_bundle(info, theirs)
        with center.transactions.begin() as conn:
            ours_id = customer_by_name(conn, OURS)
            assert ours_id is not None
            partners = Partners(center.clock)
            affiliate = partners.create(conn, ADMINISTRATOR, "Group KK", Role.AFFILIATE)
            partners.assign_customer(conn, ADMINISTRATOR, affiliate, ours_id)
            subcontractor = partners.create(conn, ADMINISTRATOR, "Fix-It KK", Role.SUBCONTRACTOR)
            our_printer = printer_id_of(conn, ADMINISTRATOR, "ACME-1", ours_id)
            theirs_id = customer_by_name(conn, THEIRS)
            assert theirs_id is not None
            their_device = printer_id_of(conn, ADMINISTRATOR, THEIR_SERIALS[0], theirs_id)
            partners.assign_work(
                conn, ADMINISTRATOR, subcontractor, WorkKind.DEVICE, str(our_printer), ours_id
            )
            partner_of = {Role.AFFILIATE: affiliate, Role.SUBCONTRACTOR: subcontractor}
            for role in PERSONS:
                customer = ours_id if role.of_a_customer else None
                center.accounts.create_user(
                    conn, f"walker-{role.value}", PASSWORD, role, customer, partner_of.get(role)
                )
            # A person of theirs: the users pages' name in a path (disable).
            center.accounts.create_user(conn, THEIR_USER, PASSWORD, Role.CUSTOMER_ADMIN, theirs_id)
            [their_application] = [
                a.id
                for a in center.contracts.applications(conn, ADMINISTRATOR)
                if a.customer_id == theirs_id
            ]
            token = center.api_tokens.create(
                conn, ADMINISTRATOR, "walk", customer_id=ours_id, scopes=list(ApiScope)
            )
        other_work = await _other_subcontractors_work(info, center, ours, partners, ours_id)
        terminated = await _terminated_customers(info, center, gone, gone_endpoint)
        callers = [await _session_caller(info, role, f"walker-{role.value}") for role in PERSONS]
        callers.append(Caller(Role.INTEGRATION, headers={"Authorization": f"Bearer {token.token}"}))
        callers.append(Caller(Role.ANONYMOUS))
        yield Walk(
            info,
            center,
            ours,
            other_ids={
                "printer_id": str(their_pending.printer_id),
                "device_id": str(their_device),  # a device of theirs (bound)
                "command_id": str(command.command_id),
                "bundle_id": bundle_id,
                "endpoint_id": their_endpoint,
                "order_id": their_order,
                "incident_id": str(their_incident),
                "username": THEIR_USER,
                "customer_id": str(theirs_id),
                "application_id": str(their_application),
            },
            theirs_markers=(THEIRS, *THEIR_SERIALS, their_endpoint, THEIR_USER),
            console_callers=callers,
            more_foreign=[other_work, terminated],
        )


async def _other_subcontractors_work(
    info: CenterInfo, center: Center, ours: AgentPaths, partners: Partners, ours_id: int
) -> Foreign:
    """Our customer's other printer, its incident and order, all assigned to another
    subcontractor: ours to every caller of our customer but the subcontractor."""
    incident = await _jam(info, center, ours, OURS, OTHER_WORK)
    with center.transactions.begin() as conn:
        printer = printer_id_of(conn, ADMINISTRATOR, OTHER_WORK, ours_id)
        assert printer is not None
        order = an_order(conn, printer, center.clock.now())
        other = partners.create(conn, ADMINISTRATOR, "Other Fix GK", Role.SUBCONTRACTOR)
        for kind, ref in (
            (WorkKind.DEVICE, str(printer)),
            (WorkKind.INCIDENT, str(incident)),
            (WorkKind.ORDER, order),
        ):
            partners.assign_work(conn, ADMINISTRATOR, other, kind, ref, ours_id)
    ids = {"device_id": str(printer), "incident_id": str(incident), "order_id": order}
    return Foreign(
        "another subcontractor's work", ids, (OTHER_WORK,), frozenset({Role.SUBCONTRACTOR})
    )


async def _terminated_customers(
    info: CenterInfo, center: Center, gone: AgentPaths, gone_endpoint: str
) -> Foreign:
    """A customer whose contract ended, with a device, an incident, an order, a command
    and a bundle from before its end: the operator's only."""
    incident = await _jam(info, center, gone, GONE, GONE_SERIAL)
    command = center.admin.queue_command(gone_endpoint, CommandKind.REDISCOVER, {})
    bundle_id = await _declare_bundle(info, gone)
    with center.transactions.begin() as conn:
        gone_id = customer_by_name(conn, GONE)
        assert gone_id is not None
        printer = printer_id_of(conn, ADMINISTRATOR, GONE_SERIAL, gone_id)
        assert printer is not None
        order = an_order(conn, printer, center.clock.now())
        center.contracts.terminate(conn, ADMINISTRATOR, gone_id, date.today(), "moved away")
    ids = {
        "device_id": str(printer),
        "incident_id": str(incident),
        "order_id": order,
        "command_id": str(command.command_id),
        "bundle_id": bundle_id,
        "customer_id": str(gone_id),
        "endpoint_id": gone_endpoint,
    }
    return Foreign("a terminated customer's", ids, (GONE, GONE_SERIAL, gone_endpoint), SCOPED)


async def _declare_bundle(info: CenterInfo, agent: AgentPaths) -> str:
    declaration: dict[str, str | int] = {
        "bundle_id": str(uuid.uuid4()),
        "size_bytes": 10,
        "sha256": "0" * 64,
        "reason": "center_request",
    }
    status, _ = await call(
        info.device_url + "/api/v1/bundles", agent, json.dumps(declaration).encode()
    )
    assert status == 201
    return str(declaration["bundle_id"])


async def _jam(
    info: CenterInfo, center: Center, agent: AgentPaths, customer: str, serial: str
) -> int:
    """An incident on a confirmed printer: a paper jam its agent reports."""
    reading = a_plain_reading(serial)
    jammed = reading.model_copy(
        update={"status": reading.status.model_copy(update={"error_conditions": ["jammed"]})}
    )
    report = Report(
        report_id=new_report_id(),
        agent_time=datetime.now(UTC),
        printer_address="snmp://192.0.2.1:161",
        reading=jammed,
    )
    status, _ = await call(info.device_url + "/api/v1/reports", agent, encode(report))
    assert status == 201
    with center.transactions.read() as conn:
        customer_id = customer_by_name(conn, customer)
        assert customer_id is not None
        printer = printer_id_of(conn, ADMINISTRATOR, serial, customer_id)
    for _ in range(200):  # the care feed's drainer runs beside ingest
        with center.transactions.read() as conn:
            found = (
                conn.execute(select(incidents.c.id).where(incidents.c.printer_id == printer))
                .scalars()
                .first()
            )
        if found is not None:
            return int(found)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no incident of {serial} within 10 s")


def _leaks(walk: Walk, role: Role, body: str) -> list[str]:
    return [
        marker
        for foreign in walk.foreign
        if role in foreign.hidden_from
        for marker in foreign.markers
        if marker in body
    ]


async def test_every_console_and_api_route_as_every_caller(walk: Walk) -> None:
    problems: list[str] = []
    routes = walk.routes("console")
    assert any(r.resource and r.resource.canonical.startswith("/api/v1/") for r in routes)
    async with aiohttp.ClientSession() as session:
        for route in routes:
            rule = route_access_rule(route)
            assert rule is not None
            takes_ids = bool(_PARAMETER.search(route.resource.canonical if route.resource else ""))
            for foreign in walk.foreign if takes_ids else walk.foreign[:1]:
                path = walk.path_of(route, foreign.ids)
                for caller in walk.console_callers:
                    session.cookie_jar.clear()
                    session.cookie_jar.update_cookies(caller.cookies)
                    async with session.request(
                        route.method,
                        walk.info.console_url + path,
                        headers=caller.headers,
                        data=caller.form if route.method == "POST" else None,
                        ssl=walk.info.trusting_context(),
                        allow_redirects=False,
                    ) as response:
                        status = response.status
                        body = (await response.read()).decode(errors="replace")
                        location = response.headers.get("Location", "")
                    what = f"{route.method} {path} as {caller.role.value}: {status}"
                    if status >= 500:
                        problems.append(f"{what} (server error)")
                    elif not rule.allows(_as_actor(caller)):
                        if not (status in (401, 403) or (status == 303 and location == "/login")):
                            problems.append(f"{what}, but its rule ({rule.name}) refuses the role")
                    elif takes_ids and caller.role in foreign.hidden_from and status != 404:
                        problems.append(f"{what}, expected 404 for {foreign.what} id")
                    if _leaks(walk, caller.role, body):
                        problems.append(f"{what} shows {_leaks(walk, caller.role, body)}")
    assert problems == []


def _as_actor(caller: Caller) -> Actor:
    """The caller as a rule sees it: its role and, for the token, every scope."""
    if caller.role is Role.INTEGRATION:
        return Actor.integration("walk", [0], list(ApiScope))
    return Actor("walk", caller.role, frozenset({0}))


async def test_every_device_route_with_another_endpoints_ids(walk: Walk) -> None:
    """Our agent (its verified certificate) reaching for their commands and bundles."""
    problems: list[str] = []
    tls = agent_tls_context(walk.ours)
    async with aiohttp.ClientSession() as session:
        for route in walk.routes("device"):
            path = walk.path_of(route)
            body = b"{}" if route.method in ("POST", "PUT") else None
            async with session.request(
                route.method,
                walk.info.device_url + path,
                data=body,
                headers={"Content-Type": "application/json"} if body is not None else {},
                ssl=tls,
            ) as response:
                status = response.status
                text = (await response.read()).decode(errors="replace")
            what = f"{route.method} {path}: {status}"
            if status >= 500:
                problems.append(f"{what} (server error)")
            if "{" in (route.resource.canonical if route.resource else "") and status in (
                200,
                201,
                204,
            ):
                problems.append(f"{what}: another endpoint's id answered")
            if _leaks(walk, Role.INTEGRATION, text):  # an agent is scoped like a token
                problems.append(f"{what} shows {_leaks(walk, Role.INTEGRATION, text)}")
    assert problems == []


async def test_a_new_route_needs_an_id_for_the_walk(walk: Walk) -> None:
    app = web.Application()

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    resource = app.router.add_get("/things/{thing_id}", handler)
    with pytest.raises(AssertionError, match="thing_id"):
        walk.path_of(resource)
