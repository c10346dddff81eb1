"""The agent's main loop: poll, queue durably, send what is queued, sleep, repeat."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.outbox import Outbox
from remotecare.agent.poller import poll_once
from remotecare.agent.uplink import DrainResult, Uplink, agent_tls_context, drain

__all__ = ["CycleResult", "run_agent", "run_cycle"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CycleResult:
    polled: int
    unreachable: int
    delivery: DrainResult


async def run_cycle(
    paths: AgentPaths, settings: AgentSettings, identity: AgentIdentity
) -> CycleResult:
    reports = await poll_once(settings)
    outbox = Outbox(paths.outbox)
    try:
        outbox.put(reports)
        async with Uplink(
            identity.device_api_url, agent_tls_context(paths), settings.http_timeout_seconds
        ) as uplink:
            delivery = await drain(outbox, uplink, settings.batch_size)
    finally:
        outbox.close()
    unreachable = sum(1 for r in reports if r.reading is None)
    logger.info(
        "cycle: %d printers read, %d not answering; sent %d, %d waiting",
        len(reports) - unreachable,
        unreachable,
        delivery.sent,
        delivery.remaining,
    )
    return CycleResult(len(reports), unreachable, delivery)


async def run_agent(paths: AgentPaths, settings: AgentSettings, identity: AgentIdentity) -> None:
    """Run cycles forever; the first waits a random part of the interval so that many
    agents started together do not all report in the same second."""
    await asyncio.sleep(random.uniform(0, min(settings.poll_interval_seconds, 30)))
    while True:
        try:
            await run_cycle(paths, settings, identity)
        except Exception:  # one bad cycle must not stop the agent
            logger.exception("poll cycle failed")
        await asyncio.sleep(settings.poll_interval_seconds * random.uniform(0.9, 1.1))
