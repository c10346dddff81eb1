"""One poll cycle: read every configured printer (a bounded number at a time) and turn
each outcome, answered or not, into a report."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from remotecare.agent.config import AgentSettings
from remotecare.agent.probes.reader import read_printer
from remotecare.agent.probes.snmp import (
    SnmpTarget,
    check_usm_users,
    parse_printer_url,
    usm_users,
)
from remotecare.errors import ProbeError
from remotecare.protocol.messages import Report

__all__ = ["poll_once", "printer_targets", "public_address"]

logger = logging.getLogger(__name__)


def public_address(target: SnmpTarget) -> str:
    """The printer's address as it may leave the site: no community string."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    return f"snmp://{host}:{target.port}"


def printer_targets(
    settings: AgentSettings, printer_urls: Sequence[str] | None = None
) -> list[SnmpTarget]:
    """Parse the printer URLs, SNMPv3 ones with their users' keys from ``[snmpv3.USER]``."""
    users = usm_users(settings.snmpv3)
    targets = [parse_printer_url(url, users) for url in (printer_urls or settings.printers)]
    check_usm_users(targets)
    return targets


async def _poll_one(target: SnmpTarget, settings: AgentSettings, gate: asyncio.Semaphore) -> Report:
    async with gate:
        try:
            reading = await read_printer(
                target, timeout_s=settings.snmp_timeout_seconds, retries=settings.snmp_retries
            )
        except ProbeError as exc:
            logger.warning("printer %s not read: %s", public_address(target), exc)
            return Report(
                report_id=uuid.uuid4(),
                agent_time=datetime.now(UTC),
                printer_address=public_address(target),
                unreachable_reason=str(exc)[:256],
            )
    return Report(
        report_id=uuid.uuid4(),
        agent_time=datetime.now(UTC),
        printer_address=public_address(target),
        reading=reading,
    )


async def poll_once(
    settings: AgentSettings, printer_urls: Sequence[str] | None = None
) -> list[Report]:
    """Read each printer once; every printer yields exactly one report."""
    targets = printer_targets(settings, printer_urls)
    gate = asyncio.Semaphore(settings.max_concurrent_polls)
    return list(await asyncio.gather(*(_poll_one(t, settings, gate) for t in targets)))
