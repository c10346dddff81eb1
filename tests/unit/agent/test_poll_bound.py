"""The poller reads at most ``max_concurrent_polls`` printers at a time."""

from __future__ import annotations

import asyncio

import pytest

from remotecare.agent import poller
from remotecare.agent.config import AgentSettings
from remotecare.agent.probes.snmp import SnmpTarget
from remotecare.errors import ProbeTimeout
from remotecare.protocol.messages import PrinterReading

PRINTERS = 25
BOUND = 4


async def test_no_more_than_max_concurrent_polls_printers_are_read_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = 0
    peak = 0

    async def fake_read(target: SnmpTarget, **_: object) -> PrinterReading:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        raise ProbeTimeout(f"no answer from {target.address}")

    monkeypatch.setattr(poller, "read_printer", fake_read)
    urls = tuple(f"snmp://public@192.0.2.{n}" for n in range(1, PRINTERS + 1))
    settings = AgentSettings(printers=urls, max_concurrent_polls=BOUND)
    reports = await poller.poll_once(settings)
    assert peak == BOUND
    assert len(reports) == PRINTERS
    assert all(r.unreachable_reason and "no answer" in r.unreachable_reason for r in reports)
