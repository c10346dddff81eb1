"""Ingest of printers known only by a weak identity, through the device API: what is
refused, what is held, and how a weak printer is joined to its real serial."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.center.bootstrap import Center
from remotecare.center.fleet.tables import held_reports, printers, reports, weak_identities
from remotecare.protocol.codec import encode
from remotecare.protocol.identity import weak_serial
from remotecare.protocol.messages import Report, ReportBatch, SerialSource
from tests.support.centers import CenterInfo, init_center, running_center
from tests.support.device_calls import call, count_rows, enrol
from tests.support.reports import a_plain_report

ADDRESS = "snmp://192.0.2.10:161"
OID = "1.3.6.1.4.1.2385.3.1.112.1.2"
START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@dataclass
class Site:
    info: CenterInfo
    center: Center
    agent: AgentPaths
    endpoint_id: str
    other: AgentPaths  # a second agent of the same customer

    def weak_report(self, at: datetime, address: str = ADDRESS, endpoint: str = "") -> Report:
        serial = weak_serial(endpoint or self.endpoint_id, address, OID)
        return with_identity(
            a_plain_report(agent_time=at, address=address), serial, SerialSource.WEAK
        )

    def real_report(
        self, at: datetime, address: str = ADDRESS, serial: str = "6509415X00"
    ) -> Report:
        return with_identity(
            a_plain_report(agent_time=at, address=address), serial, SerialSource.PRINTER_MIB
        )

    async def send(self, *batch: Report, agent: AgentPaths | None = None) -> tuple[int, Any]:
        body = encode(ReportBatch(reports=list(batch)))
        url = self.info.device_url + "/api/v1/report-batches"
        return await call(url, agent or self.agent, body)

    def rows(self) -> list[dict[str, Any]]:
        engine = self.info.read_engine()
        try:
            with engine.connect() as conn:
                query = select(printers).order_by(printers.c.id)
                return [dict(row) for row in conn.execute(query).mappings()]
        finally:
            engine.dispose()

    def report_owners(self) -> list[int | None]:
        """Each stored report's printer (attached or held), in agent time order."""
        engine = self.info.read_engine()
        try:
            with engine.connect() as conn:
                query = (
                    select(reports.c.printer_id, held_reports.c.printer_id.label("held"))
                    .outerjoin(held_reports, held_reports.c.report_id == reports.c.report_id)
                    .order_by(reports.c.agent_time)
                )
                return [row.printer_id or row.held for row in conn.execute(query)]
        finally:
            engine.dispose()


def with_identity(report: Report, serial: str, source: SerialSource) -> Report:
    assert report.reading is not None
    reading = report.reading.model_copy(
        update={"serial": serial, "serial_source": source, "sys_object_id": OID}
    )
    return report.model_copy(update={"reading": reading})


@pytest.fixture
async def site(tmp_path: Path, database_url: str) -> AsyncIterator[Site]:
    info = init_center(tmp_path / "center", database_url)  # printer_binding "automatic"
    async with running_center(info) as center:
        agent, endpoint_id = await enrol(info, center, tmp_path / "agent")
        other, _ = await enrol(info, center, tmp_path / "other")
        yield Site(info, center, agent, endpoint_id, other)


async def test_a_weak_printer_is_pending_even_under_automatic_binding(site: Site) -> None:
    status, _ = await site.send(site.weak_report(START))

    assert status == 201
    [row] = site.rows()
    assert (row["serial_source"], row["binding"]) == (SerialSource.WEAK.value, "pending")
    [pending] = site.center.admin.pending_printers()
    assert pending.weak
    assert pending.held_reports == 1


async def test_a_weak_identity_not_made_by_the_rule_is_refused_and_nothing_stored(
    site: Site,
) -> None:
    forged = site.weak_report(START, endpoint="9c1f8a3e-0000-4000-8000-000000000001")

    status, answer = await site.send(site.weak_report(START), forged)

    assert status == 403
    assert "does not follow the rule" in answer["error"]
    assert answer["refused"][0]["report_id"] == str(forged.report_id)
    assert count_rows(site.info, reports) == 0
    assert site.rows() == []


async def test_another_agent_cannot_send_a_weak_identity_made_for_this_one(site: Site) -> None:
    status, answer = await site.send(site.weak_report(START), agent=site.other)

    assert status == 403
    assert "does not follow the rule" in answer["error"]
    assert site.rows() == []


async def test_a_weak_shaped_serial_from_another_source_is_refused(site: Site) -> None:
    disguised = site.real_report(START, serial=weak_serial(site.endpoint_id, ADDRESS, OID))

    status, answer = await site.send(disguised)

    assert status == 403
    assert "only weak:address+sysObjectID may carry one" in answer["error"]
    assert site.rows() == []


async def test_a_real_serial_at_the_weak_printers_address_joins_it(site: Site) -> None:
    await site.send(site.weak_report(START))
    [weak] = site.rows()

    status, _ = await site.send(site.real_report(START + timedelta(minutes=5)))

    assert status == 201
    [joined] = site.rows()
    assert joined["id"] == weak["id"]
    assert (joined["serial"], joined["serial_source"]) == (
        "6509415X00",
        SerialSource.PRINTER_MIB.value,
    )
    assert joined["binding"] == "pending"  # nobody confirmed what was seen so far
    assert site.report_owners() == [weak["id"], weak["id"]]
    assert count_rows(site.info, weak_identities, weak_identities.c.serial == weak["serial"]) == 1


async def test_a_late_report_under_the_weak_identity_reaches_the_joined_printer(
    site: Site,
) -> None:
    late = site.weak_report(START)  # read before the update, sent after it (outbox backlog)
    await site.send(site.weak_report(START - timedelta(minutes=5)))
    await site.send(site.real_report(START + timedelta(minutes=5)))

    status, _ = await site.send(late)

    assert status == 201
    [printer] = site.rows()
    assert printer["serial"] == "6509415X00"
    assert site.report_owners() == [printer["id"]] * 3


async def test_a_backlog_from_before_and_after_the_update_makes_one_printer(site: Site) -> None:
    status, _ = await site.send(
        site.weak_report(START), site.real_report(START + timedelta(minutes=5))
    )

    assert status == 201
    [printer] = site.rows()
    assert (printer["serial"], printer["binding"]) == ("6509415X00", "pending")
    assert site.report_owners() == [printer["id"]] * 2
    assert (
        count_rows(site.info, weak_identities, weak_identities.c.printer_id == printer["id"]) == 1
    )


async def test_a_real_serial_at_another_address_is_another_printer(site: Site) -> None:
    await site.send(site.weak_report(START))

    await site.send(site.real_report(START, address="snmp://192.0.2.11:161"))

    rows = site.rows()
    assert [row["serial_source"] for row in rows] == [
        SerialSource.WEAK.value,
        SerialSource.PRINTER_MIB.value,
    ]
    assert count_rows(site.info, weak_identities) == 0


async def test_a_confirmed_weak_printer_stays_a_device_when_joined(site: Site) -> None:
    await site.send(site.weak_report(START))
    [weak] = site.rows()
    site.center.admin.confirm_printer(weak["serial"], None)

    await site.send(site.real_report(START + timedelta(minutes=5)))

    [joined] = site.rows()
    assert (joined["id"], joined["binding"]) == (weak["id"], "bound")
    assert [device.serial for device in site.center.admin.devices()] == ["6509415X00"]
