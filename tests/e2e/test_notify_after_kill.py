"""A center killed with SIGKILL after an incident changed but before its notifications
left delivers them after its restart, exactly once per recipient. Real processes and
parts: `remotecare center serve`, an enrolled agent's mutual-TLS report of a paper jam,
two webhook subscriptions whose receivers verify the signatures.

The kill lands between the change and the delivery for certain: the first center runs
with delivery switched off (``notify_delivery = false``, the maintenance switch), so the
incident and its owed messages are committed and nothing has left when it is killed.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, Engine, func, select

from remotecare.agent.config import AgentPaths
from remotecare.center.care.incidents.tables import incidents
from remotecare.center.kernel.storage import make_engine
from remotecare.center.notify.rules import Audience, Channel
from remotecare.center.notify.service import SubscriptionRequest, add_subscription
from remotecare.center.notify.tables import notify_outbox
from remotecare.protocol.codec import encode
from remotecare.protocol.messages import Report, new_report_id
from tests.support.centers import center_process, enroll_process, init_center
from tests.support.device_calls import call
from tests.support.receivers import webhook_receiver
from tests.support.reports import a_plain_reading

pytestmark = pytest.mark.timeout(180)


def jam_report() -> bytes:
    reading = a_plain_reading("SER-KILL")
    status = reading.status.model_copy(update={"error_conditions": ["jammed"]})
    report = Report(
        report_id=new_report_id(),
        agent_time=datetime.now(UTC),
        printer_address="snmp://192.0.2.7:161",
        reading=reading.model_copy(update={"status": status}),
    )
    return encode(report)


def count(engine: Engine, *where: ColumnElement[bool]) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(notify_outbox)
        return int(conn.execute(query.where(*where)).scalar_one())


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.1)


async def test_notifications_owed_before_a_sigkill_leave_once_each_after_the_restart(
    tmp_path: Path,
) -> None:
    info = init_center(tmp_path / "center")
    toml = info.settings.home / "center.toml"
    base = toml.read_text()
    toml.write_text(base + "notify_delivery = false\n")
    engine = make_engine(info.settings.effective_database_url)
    async with webhook_receiver("") as first, webhook_receiver("") as second:
        secrets = {}
        with engine.begin() as conn:
            for name, receiver in (("first", first), ("second", second)):
                request = SubscriptionRequest(
                    name, Channel.WEBHOOK, receiver.url(), Audience.OPERATOR
                )
                secrets[name] = add_subscription(conn, request, datetime.now(UTC))[1]
        first.secret, second.secret = str(secrets["first"]), str(secrets["second"])
        paths = AgentPaths(tmp_path / "agent")
        with center_process(info, tmp_path / "center-1.log") as process:
            enroll_process(info, paths.home)
            status, _ = await call(f"{info.device_url}/api/v1/reports", paths, jam_report())
            assert status == 201
            await until(lambda: count(engine) == 2, 60, "the incident's two owed messages")
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        with engine.connect() as conn:
            (incident,) = conn.execute(select(incidents.c.kind, incidents.c.state)).all()
        assert tuple(incident) == ("paper_jam", "open")
        assert count(engine, notify_outbox.c.status == "pending") == 2
        assert (first.received, second.received) == ([], [])

        toml.write_text(base)  # delivery on again
        with center_process(info, tmp_path / "center-2.log"):
            await until(
                lambda: len(first.received) + len(second.received) == 2, 60, "the deliveries"
            )
            await asyncio.sleep(2)  # time for a duplicate to show, were there one
        assert [r["type"] for r in first.received] == ["incident.opened"]
        assert [r["type"] for r in second.received] == ["incident.opened"]
        assert first.received[0]["id"] != second.received[0]["id"]  # one message per recipient
        assert (first.refused, second.refused) == (0, 0)
        assert count(engine, notify_outbox.c.status == "sent") == 2
    engine.dispose()
