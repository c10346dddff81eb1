"""Every request resolves to an Actor, every route declares who may call it, and services
scope what they read by the actor's customers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from remotecare.center.access.rules import Actor, Role
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet import overview
from remotecare.center.kernel.group_commit import GroupCommitter
from remotecare.center.server import CenterServer
from remotecare.center.web.actors import enforce_access, route_access_rule
from remotecare.errors import OperatorError
from tests.support.centers import CenterInfo, init_center, running_center
from tests.support.device_calls import call, enrol, report_body


def _apps(center: Center) -> dict[str, web.Application]:
    """Both apps as the server builds them (its wiring, without listening)."""
    committer = GroupCommitter(center.transactions.engine)  # never started: nothing is written
    built = CenterServer(center).build_apps(committer)
    return {"console": built.console, "device": built.device}


@pytest.fixture
def info(tmp_path: Path) -> CenterInfo:
    return init_center(tmp_path / "center")


def test_every_route_of_both_apps_declares_who_may_call_it(info: CenterInfo) -> None:
    center = bootstrap(info.settings)
    try:
        apps = _apps(center)
    finally:
        center.dispose()
    undeclared = [
        f"{name}: {route.method} {route.resource.canonical if route.resource else '?'}"
        for name, app in apps.items()
        for route in app.router.routes()
        if route_access_rule(route) is None
    ]
    assert undeclared == []
    counted = {name: len(list(app.router.routes())) for name, app in apps.items()}
    assert counted["console"] >= 10
    assert counted["device"] >= 10


async def test_a_route_without_a_rule_is_refused_not_served() -> None:
    async def undeclared(request: web.Request) -> web.Response:
        return web.Response(text="secret")

    app = web.Application(middlewares=[enforce_access])
    app.router.add_get("/undeclared", undeclared)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/undeclared") as response,
        ):
            assert response.status == 500
            assert "secret" not in await response.text()
    finally:
        await runner.cleanup()


@pytest.fixture
async def two_customers(info: CenterInfo, tmp_path: Path) -> AsyncIterator[Center]:
    async with running_center(info) as center:
        acme, _ = await enrol(info, center, tmp_path / "acme", customer="Acme Ltd")
        globex, _ = await enrol(info, center, tmp_path / "globex", customer="Globex")
        assert (await call(info.device_url + "/api/v1/reports", acme, report_body("A-1")))[0] == 201
        assert (await call(info.device_url + "/api/v1/reports", globex, report_body("G-1")))[
            0
        ] == 201
        yield center


async def test_a_customers_person_sees_only_that_customers_devices(
    two_customers: Center,
) -> None:
    center = two_customers
    now = center.clock.now()
    with center.transactions.read() as conn:
        acme = customer_by_name(conn, "Acme Ltd")
        assert acme is not None
        person = Actor.scoped("alice@acme", Role.CUSTOMER_USER, [acme])
        operator = Actor.operator("olga")
        unassigned = Actor.scoped("subco", Role.SUBCONTRACTOR, [])
        assert [d.serial for d in overview.devices(conn, person, now)] == ["A-1"]
        assert [d.serial for d in overview.devices(conn, operator, now)] == ["A-1", "G-1"]
        assert overview.devices(conn, unassigned, now) == []
        assert [e.customer for e in overview.endpoints(conn, person, now)] == ["Acme Ltd"]


async def test_an_endpoint_of_another_customer_is_unknown_to_a_scoped_actor(
    two_customers: Center, info: CenterInfo
) -> None:
    center = two_customers
    listing = center.admin.endpoints()
    globex_endpoint = next(e.endpoint_id for e in listing if e.customer == "Globex")
    with center.transactions.read() as conn:
        acme = customer_by_name(conn, "Acme Ltd")
    assert acme is not None
    person = Actor.scoped("admin@acme", Role.CUSTOMER_ADMIN, [acme])
    with (
        pytest.raises(OperatorError, match="unknown endpoint"),
        center.transactions.begin() as conn,
    ):
        center.certificates.revoke(conn, person, globex_endpoint, "not mine")
    assert not next(e for e in center.admin.endpoints() if e.customer == "Globex").revoked
