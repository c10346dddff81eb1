"""A poll cycle queues each printer's report as soon as that printer is read: real SNMP
(snmpsim on loopback, plus a port where no printer answers) into a real outbox."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.runner import Agent, PollResult
from remotecare.demo.snmpsim import SnmpSimulator, free_udp_port
from remotecare.protocol.messages import Report

FAST = ("hp_laserjet-mfp-m130nw", "ricoh_aficio-mp-c3002", "brother_mfc-l2710dw")
SILENT_TIMEOUT_S = 4.0  # the silent printer keeps the cycle going for about twice this
IDENTITY = AgentIdentity(
    endpoint_id="00000000-0000-4000-8000-000000000001",
    device_api_url="https://127.0.0.1:9/",  # never reached: these tests only poll
    center_url="https://127.0.0.1:9/",
)


def queued_bodies(outbox: Path) -> list[dict[str, Any]]:
    """The outbox's reports as the center would get them, oldest first (another reader)."""
    if not outbox.exists():
        return []
    with contextlib.closing(sqlite3.connect(outbox, timeout=10)) as db:
        try:
            rows = db.execute("SELECT body FROM outbox ORDER BY seq").fetchall()
        except sqlite3.OperationalError:  # the table is being created
            return []
    return [json.loads(body) for (body,) in rows]


async def test_printers_read_are_in_the_outbox_while_a_silent_one_is_still_polled(
    tmp_path: Path, recording_simulator: SnmpSimulator
) -> None:
    silent = f"snmp://public@127.0.0.1:{free_udp_port()}"
    fast = [recording_simulator.url(name) for name in FAST]
    settings = AgentSettings(
        printers=(fast[0], silent, *fast[1:]),
        snmp_timeout_seconds=SILENT_TIMEOUT_S,
        snmp_retries=0,
        max_concurrent_polls=4,
    )
    paths = AgentPaths(tmp_path)
    agent = Agent(paths, settings, IDENTITY)
    cycle = asyncio.create_task(agent.poll())
    try:
        deadline = time.monotonic() + SILENT_TIMEOUT_S
        while len(queued := queued_bodies(paths.outbox)) < len(FAST):
            assert not cycle.done(), "the cycle ended before the fast printers were queued"
            assert time.monotonic() < deadline, f"only {len(queued)} report(s) queued"
            await asyncio.sleep(0.05)
        assert not cycle.done()  # the silent printer is still being polled
        assert all(body.get("reading") for body in queued)
        assert not any("@" in body["printer_address"] for body in queued)  # no community
        result = await asyncio.wait_for(cycle, SILENT_TIMEOUT_S * 4)
    finally:
        cycle.cancel()
    assert result == PollResult(polled=4, unreachable=1)
    everything = queued_bodies(paths.outbox)
    assert everything[: len(FAST)] == queued  # written once, never rewritten
    last = Report.model_validate(everything[-1])
    assert last.reading is None
    assert last.unreachable_reason is not None
    assert "did not answer" in last.unreachable_reason


async def test_a_cycle_queues_every_printer_once_in_the_order_they_finished(
    tmp_path: Path, recording_simulator: SnmpSimulator
) -> None:
    settings = AgentSettings(
        printers=tuple(recording_simulator.url(name) for name in FAST),
        snmp_timeout_seconds=2,
        snmp_retries=1,
    )
    paths = AgentPaths(tmp_path)
    agent = Agent(paths, settings, IDENTITY)
    first = await agent.poll()
    second = await agent.poll()
    assert first == second == PollResult(polled=len(FAST), unreachable=0)
    bodies = queued_bodies(paths.outbox)
    assert len(bodies) == 2 * len(FAST)
    assert len({body["report_id"] for body in bodies}) == len(bodies)
    times = [datetime.fromisoformat(body["agent_time"]) for body in bodies]
    assert times == sorted(times)  # one cycle after the other, each in finishing order
    assert {body["reading"]["serial"] for body in bodies[: len(FAST)]} == {
        body["reading"]["serial"] for body in bodies[len(FAST) :]
    }
