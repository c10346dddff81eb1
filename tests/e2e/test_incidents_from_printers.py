"""Faults read from printers become incidents routed to whoever acts, end to end with
real parts: the fault recordings of ``tests/fixtures/snmp`` served by snmpsim over UDP,
`remotecare agent run` as a process, `remotecare center serve` as a process, webhooks to
receivers that verify the signatures, e-mail through aiosmtpd over STARTTLS with a login.
A printer that recovers has its incident resolved after the settle time.

Expected, from the recordings (RFC 3805, RFC 2790) and the catalogue:
paper jam (prtAlertCode jam + jammed bit) -> paper_jam for the customer; cover open
(cover table, coverOpen alert on cover 1, doorOpen bit) -> cover_open:1 for the customer;
toner empty (markerTonerEmpty + noToner + the empty supply 1) -> supply_empty:1 for the
customer; service call (markerFuserThermistorFailure at training level fieldService, the
serviceRequested bit) -> fuser_failure and service_requested for field service, with a
diagnostic bundle asked for; waste nearly full (markerWasteTonerReceptacleAlmostFull) ->
receptacle_nearly_full for the customer; supplies error (the supplies table answers genErr:
a partial reading) -> no incident.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from remotecare.center.care.incidents.tables import incidents
from remotecare.center.fleet.tables import commands, printers
from remotecare.center.kernel.storage import make_engine
from remotecare.center.notify.rules import Audience, Channel
from remotecare.center.notify.service import SubscriptionRequest, add_subscription
from remotecare.demo.snmpsim import running_snmpsim
from tests.support.centers import center_process, enroll_process, init_center, remotecare
from tests.support.faults import FIXTURES, recovered, until
from tests.support.receivers import (
    SMTP_PASSWORD,
    SMTP_USER,
    issue_loopback_ca,
    smtp_server,
    webhook_receiver,
)

pytestmark = pytest.mark.timeout(240)

FAULTS = sorted(path.stem for path in FIXTURES.glob("fault_*.snmprec"))
EXPECTED = {
    ("FAULT-JAM-1", "paper_jam", "customer"),
    ("FAULT-COVER-1", "cover_open", "customer"),
    ("FAULT-TONER-1", "supply_empty", "customer"),
    ("FAULT-SC-1", "fuser_failure", "field_service"),
    ("FAULT-SC-1", "service_requested", "field_service"),
    ("FAULT-WASTE-1", "receptacle_nearly_full", "customer"),
}
SETTLE_MINUTES = 0.05  # 3 s


def incident_rows(engine: Engine) -> list[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        query = select(
            printers.c.serial, incidents.c.kind, incidents.c.responder, incidents.c.state
        ).join(printers, printers.c.id == incidents.c.printer_id)
        return [(r.serial, r.kind, r.responder, r.state) for r in conn.execute(query)]


async def test_fault_recordings_become_routed_incidents_and_a_recovery_resolves(
    tmp_path: Path,
) -> None:
    serials = {
        line.split("|")[2]
        for f in FAULTS
        for line in (FIXTURES / f"{f}.snmprec").read_text().splitlines()
        if line.startswith("1.3.6.1.2.1.43.5.1.1.17.1|")
    }
    assert {serial for serial, _, _ in EXPECTED} <= serials
    data = tmp_path / "recordings"  # our own fixtures, copied so one can recover
    data.mkdir()
    for name in FAULTS:
        shutil.copyfile(FIXTURES / f"{name}.snmprec", data / f"{name}.snmprec")
    ca = issue_loopback_ca(tmp_path / "mail-ca")
    info = init_center(tmp_path / "center")
    engine = make_engine(info.settings.effective_database_url)
    with smtp_server(ca) as inbox:
        (info.settings.home / "center.toml").write_text(
            (info.settings.home / "center.toml").read_text()
            + f"incident_settle_minutes = {SETTLE_MINUTES}\nincident_watch_seconds = 0.5\n"
            + f'smtp_host = "127.0.0.1"\nsmtp_port = {inbox.port}\n'
            + 'smtp_sender = "care@example.test"\n'
            + f'smtp_username = "{SMTP_USER}"\nsmtp_password = "{SMTP_PASSWORD}"\n'
            + f'smtp_ca_file = "{ca.ca_file}"\n'
        )
        async with webhook_receiver("") as operator, webhook_receiver("") as subcontractor:
            now = datetime.now(UTC)
            with engine.begin() as conn:
                for name, receiver, audience in (
                    ("operator", operator, Audience.OPERATOR),
                    ("fixers", subcontractor, Audience.SUBCONTRACTOR),
                ):
                    request = SubscriptionRequest(
                        name,
                        Channel.WEBHOOK,
                        receiver.url(),
                        audience,
                        severities=frozenset({"critical", "warning", "info"}),
                    )
                    receiver.secret = str(add_subscription(conn, request, now)[1])
                add_subscription(
                    conn,
                    SubscriptionRequest(
                        "desk",
                        Channel.EMAIL,
                        "desk@example.test",
                        Audience.CUSTOMER,
                        language="ja",
                        responders=frozenset({"customer"}),
                    ),
                    now,
                )
            agent_home = tmp_path / "agent"
            with (
                running_snmpsim(data, probe_community=FAULTS[0]) as simulator,
                center_process(info, tmp_path / "center.log"),
            ):
                await asyncio.to_thread(enroll_process, info, agent_home)
                (agent_home / "agent.toml").write_text(
                    "snmp_timeout_seconds = 1.0\nsnmp_retries = 0\nauto_diagnostics = false\n"
                    + "printers = [\n"
                    + "".join(f'  "{simulator.url(name)}",\n' for name in FAULTS)
                    + "]\n"
                )
                await asyncio.to_thread(
                    remotecare, "agent", "run", "--home", str(agent_home), "--once"
                )
                await until(
                    lambda: len(incident_rows(engine)) >= len(EXPECTED), 60, "the incidents"
                )
                await asyncio.sleep(1)  # nothing more is coming
                rows = incident_rows(engine)
                assert {(s, k, r) for s, k, r, _ in rows} == EXPECTED
                assert {state for *_, state in rows} == {"open"}
                with engine.connect() as conn:
                    asked = conn.execute(select(commands.c.kind, commands.c.arguments)).all()
                assert [(c.kind, c.arguments) for c in asked] == [
                    ("collect_diagnostics", {"printer": "FAULT-SC-1"})
                ]  # one request however many field-service incidents the printer has
                await until(
                    lambda: len(operator.received) >= len(EXPECTED), 60, "the operator's webhooks"
                )
                await until(lambda: len(subcontractor.received) >= 2, 30, "the subcontractor's")
                await until(lambda: len(inbox.messages) >= 4, 30, "the customer's e-mail")
                assert sorted(m["data"]["kind"] for m in subcontractor.received) == [
                    "fuser_failure",
                    "service_requested",
                ]  # field service hears of its work only
                assert all("cause" in m["data"] for m in subcontractor.received)
                assert all(m["data"]["site"] == "Acme Ltd" for m in subcontractor.received)
                assert (operator.refused, subcontractor.refused) == (0, 0)
                subjects = sorted(str(m["Subject"]) for m in inbox.messages)
                assert any("紙詰まり" in s for s in subjects)
                assert not any("Probable" in m.get_content() for m in inbox.messages)

                jam = data / "fault_paper-jam.snmprec"
                jam.write_text(recovered(jam.read_text()))
                await asyncio.to_thread(
                    remotecare, "agent", "run", "--home", str(agent_home), "--once"
                )
                await until(
                    lambda: (
                        ("FAULT-JAM-1", "paper_jam", "customer", "resolved")
                        in incident_rows(engine)
                    ),
                    60,
                    "the recovered printer's incident to resolve",
                )
                await until(
                    lambda: any(m["type"] == "incident.resolved" for m in operator.received),
                    30,
                    "the resolution to be told",
                )
            others = [r for r in incident_rows(engine) if r[0] != "FAULT-JAM-1"]
            assert {state for *_, state in others} == {"open"}
    engine.dispose()
