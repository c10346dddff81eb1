"""printer_binding: "automatic" binds a new printer at once; "confirm" holds its reports
until an operator confirms it. Either way a printer never lands on another customer."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.center.bootstrap import Center
from remotecare.center.config import CenterSettings
from remotecare.center.contracts.tables import customers
from remotecare.center.fleet.tables import held_reports, printers, reports
from remotecare.errors import ConfigError, OperatorError
from tests.support.centers import (
    OPERATOR_PASSWORD,
    CenterInfo,
    center_command,
    init_center,
    running_center,
)
from tests.support.console_login import form_token
from tests.support.device_calls import call, count_rows, enrol, report_body


@dataclass
class Fixture:
    info: CenterInfo
    center: Center
    a: AgentPaths
    a_id: str
    a2: AgentPaths  # a second site of the same customer
    other: AgentPaths  # another customer's agent

    async def report(self, agent: AgentPaths, serial: str) -> tuple[int, object]:
        return await call(self.info.device_url + "/api/v1/reports", agent, report_body(serial))

    def printer_rows(self) -> list[tuple[str, str, str]]:
        """(customer, serial, binding) of every printer."""
        engine = self.info.read_engine()
        with engine.connect() as conn:
            rows = conn.execute(
                select(customers.c.name, printers.c.serial, printers.c.binding)
                .join(customers, customers.c.id == printers.c.customer_id)
                .order_by(customers.c.name, printers.c.serial)
            ).all()
        engine.dispose()
        return [tuple(row) for row in rows]

    def attached(self) -> list[int | None]:
        engine = self.info.read_engine()
        with engine.connect() as conn:
            rows = conn.execute(select(reports.c.printer_id).order_by(reports.c.received_at))
            found = [row[0] for row in rows]
        engine.dispose()
        return found


async def _fixture(info: CenterInfo, tmp_path: Path) -> AsyncIterator[Fixture]:
    async with running_center(info) as running:
        a, a_id = await enrol(info, running, tmp_path / "a")
        a2, _ = await enrol(info, running, tmp_path / "a2")
        other, _ = await enrol(info, running, tmp_path / "other", customer="Globex")
        yield Fixture(info, running, a, a_id, a2, other)


@pytest.fixture
async def automatic(tmp_path: Path, database_url: str) -> AsyncIterator[Fixture]:
    info = init_center(tmp_path / "center", database_url)
    async for fixture in _fixture(info, tmp_path):
        yield fixture


@pytest.fixture
async def confirm(tmp_path: Path, database_url: str) -> AsyncIterator[Fixture]:
    info = init_center(tmp_path / "center", database_url)
    settings = dataclasses.replace(info.settings, printer_binding="confirm")
    settings.save()
    async for fixture in _fixture(CenterInfo(settings, info.ca_fingerprint), tmp_path):
        yield fixture


async def test_automatic_binding_makes_a_new_printer_a_device_at_once(automatic: Fixture) -> None:
    assert (await automatic.report(automatic.a, "P-1"))[0] == 201
    assert automatic.printer_rows() == [("Acme Ltd", "P-1", "bound")]
    assert None not in automatic.attached()
    assert [d.serial for d in automatic.center.admin.devices()] == ["P-1"]
    assert automatic.center.admin.pending_printers() == []


async def test_automatic_binding_refuses_the_printer_to_another_endpoint(
    automatic: Fixture,
) -> None:
    await automatic.report(automatic.a, "P-1")
    status, answer = await automatic.report(automatic.a2, "P-1")
    assert (status, answer["error"]) == (403, "printer P-1 is bound to another endpoint")  # type: ignore[index]
    assert count_rows(automatic.info, reports) == 1


async def test_confirm_holds_an_unknown_printers_reports(confirm: Fixture) -> None:
    first = await confirm.report(confirm.a, "P-1")
    second = await confirm.report(confirm.a, "P-1")

    assert (first[0], second[0]) == (201, 201)
    assert confirm.printer_rows() == [("Acme Ltd", "P-1", "pending")]
    assert confirm.attached() == [None, None]  # stored, attached to no device
    assert count_rows(confirm.info, held_reports) == 2
    assert confirm.center.admin.devices() == []
    [pending] = confirm.center.admin.pending_printers()
    assert (pending.serial, pending.customer, pending.endpoint_id, pending.held_reports) == (
        "P-1",
        "Acme Ltd",
        confirm.a_id,
        2,
    )


async def test_a_pending_printer_is_still_refused_to_another_endpoint(confirm: Fixture) -> None:
    await confirm.report(confirm.a, "P-1")
    status, answer = await confirm.report(confirm.a2, "P-1")
    assert (status, answer["error"]) == (403, "printer P-1 is bound to another endpoint")  # type: ignore[index]
    assert count_rows(confirm.info, reports) == 1
    assert count_rows(confirm.info, held_reports) == 1


async def test_the_same_serial_at_another_customer_is_another_printer(confirm: Fixture) -> None:
    await confirm.report(confirm.a, "P-1")
    assert (await confirm.report(confirm.other, "P-1"))[0] == 201
    assert confirm.printer_rows() == [
        ("Acme Ltd", "P-1", "pending"),
        ("Globex", "P-1", "pending"),
    ]
    with pytest.raises(OperatorError, match=r"^printer P-1 is known for Acme Ltd, Globex: name"):
        confirm.center.admin.confirm_printer("P-1")
    done = confirm.center.admin.confirm_printer("P-1", customer="Globex")
    assert (done.customer, done.attached_reports) == ("Globex", 1)
    assert confirm.printer_rows() == [("Acme Ltd", "P-1", "pending"), ("Globex", "P-1", "bound")]


async def test_confirming_attaches_the_held_reports_and_later_ones(confirm: Fixture) -> None:
    await confirm.report(confirm.a, "P-1")
    await confirm.report(confirm.a, "P-1")
    home = str(confirm.info.settings.home)

    listed = center_command("printers", "pending", "--home", home)
    done = center_command("printers", "confirm", "--home", home, "P-1")
    await confirm.report(confirm.a, "P-1")

    assert listed.stdout.startswith(f"P-1  Acme Laser 9000  Acme Ltd  endpoint {confirm.a_id}  2 ")
    assert done.stdout.strip() == (
        f"printer P-1 of Acme Ltd confirmed for endpoint {confirm.a_id}; 2 held report(s) attached"
    )
    printer_id = confirm.center.admin.devices()[0]
    assert printer_id.serial == "P-1"
    attached = confirm.attached()
    assert len(attached) == 3
    assert None not in attached
    assert len(set(attached)) == 1
    assert count_rows(confirm.info, held_reports) == 0
    assert confirm.center.admin.pending_printers() == []


async def test_confirming_refuses_what_is_not_pending(confirm: Fixture) -> None:
    await confirm.report(confirm.a, "P-1")
    confirm.center.admin.confirm_printer("P-1")
    home = str(confirm.info.settings.home)

    again = center_command("printers", "confirm", "--home", home, "P-1", check=False)
    unknown = center_command("printers", "confirm", "--home", home, "NOPE", check=False)

    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == (
        "Error: printer P-1 of Acme Ltd is already confirmed"
    )
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines()[-1] == "Error: no printer NOPE has reported"


async def test_a_did_not_answer_report_is_not_attached_to_a_pending_printer(
    confirm: Fixture,
) -> None:
    await confirm.report(confirm.a, "P-1")
    silent = {
        "report_id": str(uuid.uuid4()),
        "agent_time": datetime.now(UTC).isoformat(),
        "printer_address": "snmp://192.0.2.7:161",  # the pending printer's address
        "unreachable_reason": "the printer did not answer",
    }
    url = confirm.info.device_url + "/api/v1/reports"
    assert (await call(url, confirm.a, json.dumps(silent).encode()))[0] == 201
    assert confirm.attached() == [None, None]
    assert count_rows(confirm.info, held_reports) == 1


def test_the_setting_accepts_only_the_two_policies(tmp_path: Path) -> None:
    (tmp_path / "center.toml").write_text('hostname = "x"\nprinter_binding = "manual"\n')
    with pytest.raises(ConfigError, match="printer_binding must be one of automatic, confirm"):
        CenterSettings.load(tmp_path)
    (tmp_path / "center.toml").write_text('hostname = "x"\nprinter_binding = "confirm"\n')
    assert CenterSettings.load(tmp_path).printer_binding == "confirm"


async def test_the_consoles_confirm_button_refuses_what_it_cannot_confirm(
    confirm: Fixture,
) -> None:
    await confirm.report(confirm.a, "P-1")
    [pending] = confirm.center.admin.pending_printers()
    base, tls = confirm.info.console_url, confirm.info.trusting_context()

    async def post(session: aiohttp.ClientSession, path: str, **data: str) -> tuple[int, str]:
        form = {**data, "csrf_token": await form_token(session, confirm.info)}
        async with session.post(base + path, data=form, ssl=tls, allow_redirects=False) as response:
            return response.status, response.headers.get("Location") or await response.text()

    async with aiohttp.ClientSession() as session:
        anonymous = await post(session, f"/printers/{pending.printer_id}/confirm")
        assert confirm.printer_rows() == [("Acme Ltd", "P-1", "pending")]
        await post(session, "/login", username="operator", password=OPERATOR_PASSWORD)
        unknown = await post(session, "/printers/999999/confirm")
        not_a_number = await post(session, "/printers/one/confirm")
        done = await post(session, f"/printers/{pending.printer_id}/confirm")
        again = await post(session, f"/printers/{pending.printer_id}/confirm")

    assert anonymous == (303, "/login")
    assert (unknown[0], json.loads(unknown[1])) == (404, {"error": "no printer 999999"})
    assert not_a_number[0] == 404
    assert done == (303, "/devices")
    assert (again[0], json.loads(again[1])) == (
        409,
        {"error": "printer P-1 of Acme Ltd is already confirmed"},
    )
    assert confirm.printer_rows() == [("Acme Ltd", "P-1", "bound")]
