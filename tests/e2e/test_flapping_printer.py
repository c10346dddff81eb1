"""A printer whose jam comes and goes, read again and again by a real agent over snmpsim
and reported to a real center, is one incident marked flapping, and its recipient hears
of it twice (opened, flapping) instead of once per jam."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from remotecare.center.care.incidents.tables import incidents
from remotecare.center.kernel.storage import make_engine
from remotecare.center.notify.rules import Audience, Channel
from remotecare.center.notify.service import SubscriptionRequest, add_subscription
from remotecare.demo.snmpsim import running_snmpsim
from tests.support.centers import center_process, enroll_process, init_center, remotecare
from tests.support.faults import FIXTURES, recovered, until
from tests.support.receivers import webhook_receiver

pytestmark = pytest.mark.timeout(240)


async def test_a_flapping_printer_yields_one_incident_marked_flapping(tmp_path: Path) -> None:
    data = tmp_path / "recordings"
    data.mkdir()
    jam = data / "fault_paper-jam.snmprec"
    jammed = (FIXTURES / "fault_paper-jam.snmprec").read_text()
    shutil.copyfile(FIXTURES / "fault_paper-jam.snmprec", jam)
    info = init_center(tmp_path / "center")
    engine = make_engine(info.settings.effective_database_url)
    async with webhook_receiver("") as receiver:
        with engine.begin() as conn:
            request = SubscriptionRequest("ops", Channel.WEBHOOK, receiver.url(), Audience.OPERATOR)
            receiver.secret = str(add_subscription(conn, request, datetime.now(UTC))[1])
        agent_home = tmp_path / "agent"
        with (
            running_snmpsim(data, probe_community="fault_paper-jam") as simulator,
            center_process(info, tmp_path / "center.log"),
        ):
            await asyncio.to_thread(enroll_process, info, agent_home)
            (agent_home / "agent.toml").write_text(
                "snmp_timeout_seconds = 1.0\nsnmp_retries = 0\nauto_diagnostics = false\n"
                f'printers = ["{simulator.url("fault_paper-jam")}"]\n'
            )
            for step in range(7):  # jam, clear, jam, clear, jam, clear, jam
                jam.write_text(jammed if step % 2 == 0 else recovered(jammed))
                await asyncio.to_thread(
                    remotecare, "agent", "run", "--home", str(agent_home), "--once"
                )

            def judged() -> bool:
                with engine.connect() as conn:
                    rows = conn.execute(select(incidents.c.flapping, incidents.c.state)).all()
                return len(rows) == 1 and rows[0].flapping and rows[0].state == "open"

            await until(judged, 60, "one open incident marked flapping")
            await until(lambda: len(receiver.received) >= 2, 30, "its two messages")
            await asyncio.sleep(1)
        assert [m["type"] for m in receiver.received] == ["incident.opened", "incident.flapping"]
        with engine.connect() as conn:
            assert conn.execute(select(incidents.c.kind)).scalars().all() == ["paper_jam"]
    engine.dispose()
