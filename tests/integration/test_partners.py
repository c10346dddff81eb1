"""Affiliates see the customers assigned to them; subcontractors only the work assigned to
them, and nothing once it is released; only operators assign (terms, article 10)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from remotecare.center.access.partners import PartnerRefused, Partners
from remotecare.center.access.rules import Actor, Role, WorkKind
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet import overview
from tests.support.centers import CenterInfo, center_command, init_center, running_center
from tests.support.device_calls import call, enrol, report_body

pytestmark = pytest.mark.asyncio(loop_scope="module")

PASSWORD = "a partner's password"


@dataclass
class Fleet:
    info: CenterInfo
    center: Center
    home: str

    def cli(self, *args: str, check: bool = True) -> str:
        result = center_command(*args[:1], *args[1:2], "--home", self.home, *args[2:],
                            check=check)  # fmt: skip
        return result.stdout if check else str(result.returncode)

    def session_actor(self, username: str) -> Actor:
        with self.center.transactions.begin() as conn:
            token = self.center.accounts.log_in(conn, username, PASSWORD)
            assert token is not None
            actor = self.center.accounts.actor_for_session(conn, token)
        assert actor is not None
        return actor

    def serials_seen_by(self, actor: Actor) -> set[str]:
        with self.center.transactions.read() as conn:
            return {d.serial for d in overview.devices(conn, actor, self.center.clock.now())}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleet(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Fleet]:
    tmp = tmp_path_factory.mktemp("partners")
    info = init_center(tmp / "center", module_database_url)
    async with running_center(info) as center:
        for customer, serials in (("Acme Ltd", ["A-1", "A-2"]), ("Other KK", ["O-1"])):
            agent, _ = await enrol(info, center, Path(tmp / customer.replace(" ", "_")), customer)
            for n, serial in enumerate(serials):
                body = report_body(serial, f"snmp://192.0.2.{n + 1}:161")
                assert (await call(info.device_url + "/api/v1/reports", agent, body))[0] == 201
        password = tmp / "password"
        password.write_text(PASSWORD + "\n")
        fleet = Fleet(info, center, str(info.settings.home))
        fleet.cli("partners", "add", "Group Leasing KK", "--kind", "affiliate")
        fleet.cli("partners", "add", "Fix-It KK", "--kind", "subcontractor")
        add = ("users", "add", "--password-file", str(password))
        fleet.cli(*add, "sato", "--role", "affiliate", "--partner", "Group Leasing KK")
        fleet.cli(*add, "tanaka", "--role", "subcontractor", "--partner", "Fix-It KK")
        yield fleet


async def test_an_affiliate_sees_its_assigned_customers(fleet: Fleet) -> None:
    assert fleet.serials_seen_by(fleet.session_actor("sato")) == set()
    fleet.cli("partners", "customer", "Group Leasing KK", "Acme Ltd")
    assert fleet.serials_seen_by(fleet.session_actor("sato")) == {"A-1", "A-2"}
    again = fleet.cli("partners", "customer", "Group Leasing KK", "Acme Ltd")
    assert "(already)" in again


async def test_a_subcontractor_sees_only_its_assigned_devices_until_released(
    fleet: Fleet,
) -> None:
    assert fleet.serials_seen_by(fleet.session_actor("tanaka")) == set()
    fleet.cli("partners", "assign", "Fix-It KK", "--customer", "Acme Ltd", "--device", "A-2")
    tanaka = fleet.session_actor("tanaka")
    assert fleet.serials_seen_by(tanaka) == {"A-2"}  # not A-1, though of the same customer
    with fleet.center.transactions.read() as conn:
        acme = customer_by_name(conn, "Acme Ltd")
    assert tanaka.customer_ids == frozenset({acme})
    assert "1 open assignments" in fleet.cli("partners", "list")
    fleet.cli(
        "partners", "assign", "Fix-It KK", "--customer", "Acme Ltd", "--device", "A-2",
        "--release",
    )  # fmt: skip
    assert fleet.serials_seen_by(fleet.session_actor("tanaka")) == set()


async def test_wrong_assignments_are_refused_and_change_nothing(fleet: Fleet) -> None:
    service = Partners(fleet.center.clock)

    def state() -> object:
        with fleet.center.transactions.read() as conn:
            return service.listing(conn, ADMINISTRATOR)

    before = state()
    with fleet.center.transactions.begin() as conn:
        acme = customer_by_name(conn, "Acme Ltd")
        assert acme is not None
        fixit, _ = service.by_name(conn, "Fix-It KK")
        leasing, _ = service.by_name(conn, "Group Leasing KK")
        refused: list[Callable[[], object]] = [
            lambda: service.create(conn, ADMINISTRATOR, "Fix-It KK", Role.SUBCONTRACTOR),
            lambda: service.create(conn, ADMINISTRATOR, "Someone", Role.CUSTOMER_ADMIN),
            lambda: service.create(conn, ADMINISTRATOR, " ", Role.AFFILIATE),
            lambda: service.assign_customer(conn, ADMINISTRATOR, fixit, acme),  # no affiliate
            lambda: service.assign_customer(conn, ADMINISTRATOR, 999_999, acme),
            lambda: service.assign_work(conn, ADMINISTRATOR, leasing, WorkKind.ORDER, "1", acme),
            lambda: service.by_name(conn, "No Such KK"),
        ]
        for attempt in refused:
            with pytest.raises(PartnerRefused):
                attempt()
    assert state() == before
    for args in (
        ("partners", "assign", "Fix-It KK", "--customer", "Other KK", "--device", "A-1"),
        ("partners", "assign", "Fix-It KK", "--customer", "Acme Ltd"),  # no work named
        ("users", "add", "--password-file", "/dev/null", "x", "--role", "subcontractor"),
    ):
        assert fleet.cli(*args, check=False) != "0", args
    assert state() == before


async def test_only_operators_assign(fleet: Fleet) -> None:
    service = Partners(fleet.center.clock)
    with fleet.center.transactions.begin() as conn:
        acme = customer_by_name(conn, "Acme Ltd")
        assert acme is not None
        fixit, _ = service.by_name(conn, "Fix-It KK")
        for actor in (
            fleet.session_actor("tanaka"),
            fleet.session_actor("sato"),
            Actor.scoped("hanako", Role.CUSTOMER_ADMIN, [acme]),
            Actor.integration("token 1", None, []),
        ):
            with pytest.raises(PartnerRefused):
                service.assign_work(conn, actor, fixit, WorkKind.DEVICE, "1", acme)
        assert service.assign_work(conn, ADMINISTRATOR, fixit, WorkKind.ORDER, "77", acme)
        conn.rollback()
