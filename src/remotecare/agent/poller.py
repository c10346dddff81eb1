"""One poll cycle: read every configured printer (a bounded number at a time) and turn
each outcome, answered or not, into a report, handed on as soon as that printer is done
(:func:`poll_each`), so a cycle never holds all its reports at once.

A printer's URL scheme picks the protocol: ``snmp://``, ``snmp+v1://`` and ``snmpv3://``
read the Printer-MIB over SNMP, ``ipp://`` and ``ipps://`` ask Get-Printer-Attributes over
IPP; both give the same :class:`PrinterReading`.

A printer that gives no serial number, vendor serial or MAC address (nor, over IPP, a
printer-uuid) is still read: it is named by its weak identity
(:func:`remotecare.protocol.identity.weak_serial`) from the :class:`Site` that reads it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from remotecare.agent.config import AgentSettings
from remotecare.agent.ipp_attributes import build_reading as build_ipp_reading
from remotecare.agent.probes.ipp import (
    IPP_SCHEMES,
    IppTarget,
    get_printer_attributes,
    parse_ipp_url,
)
from remotecare.agent.probes.reader import read_printer
from remotecare.agent.probes.snmp import (
    SnmpTarget,
    check_usm_users,
    parse_printer_url,
    usm_users,
)
from remotecare.errors import ProbeError
from remotecare.protocol.identity import WeakNamer, weak_serial
from remotecare.protocol.messages import PrinterReading, Report, new_report_id

__all__ = [
    "UNENROLLED",
    "PrinterTarget",
    "ReportHandler",
    "Site",
    "poll_each",
    "poll_once",
    "printer_targets",
    "public_address",
    "read_any",
]

logger = logging.getLogger(__name__)


PrinterTarget = SnmpTarget | IppTarget
ReportHandler = Callable[[int, Report], None]
"""Takes a printer's report as soon as it is made, with the printer's position in the list."""


def _as_is(address: str) -> str:
    return address


@dataclass(frozen=True, slots=True)
class Site:
    """Who reads the printers, as far as a printer's weak identity needs it.

    ``endpoint_id`` is the agent's endpoint (from its enrolment); ``sent_address`` turns a
    printer's public address into the one its reports carry (the pseudonymizer's
    ``address``), because the center checks the weak identity against what it receives.

    Usage::

        Site(identity.endpoint_id, privacy.address)
    """

    endpoint_id: str
    sent_address: Callable[[str], str] = field(default=_as_is)

    def weak_identity(self, target: PrinterTarget) -> WeakNamer:
        """How the printer at ``target`` is named if it gives no identity of its own."""
        address = self.sent_address(public_address(target))
        return lambda sys_object_id: weak_serial(self.endpoint_id, address, sys_object_id)


UNENROLLED = Site("unenrolled")
"""For `agent probe` without an enrolled home: a weak identity then differs from the one
the enrolled agent would send."""


def public_address(target: PrinterTarget) -> str:
    """The printer's address as it may leave the site: no community, user or key.

    IPP URLs cannot carry credentials (:func:`parse_ipp_url` refuses them), so an IPP
    printer's address is its printer-uri.
    """
    if isinstance(target, IppTarget):
        return target.printer_uri
    host = f"[{target.host}]" if ":" in target.host else target.host
    return f"snmp://{host}:{target.port}"


def printer_targets(
    settings: AgentSettings, printer_urls: Sequence[str] | None = None
) -> list[PrinterTarget]:
    """Parse the printer URLs by scheme; SNMPv3 ones get their users' keys (``[snmpv3.USER]``)."""
    users = usm_users(settings.snmpv3)
    targets: list[PrinterTarget] = [
        parse_ipp_url(url) if _scheme(url) in IPP_SCHEMES else parse_printer_url(url, users)
        for url in (printer_urls or settings.printers)
    ]
    check_usm_users([target for target in targets if isinstance(target, SnmpTarget)])
    return targets


def _scheme(url: str) -> str:
    return url.strip().partition("://")[0].lower()


async def read_any(
    target: PrinterTarget | str, settings: AgentSettings, site: Site = UNENROLLED
) -> PrinterReading:
    """Read one printer by the protocol its URL names, with the timeouts from ``settings``;
    one without an identity of its own gets its weak identity at ``site``."""
    if isinstance(target, str):
        [target] = printer_targets(settings, [target])
    weak_identity = site.weak_identity(target)
    if isinstance(target, IppTarget):
        attributes = await get_printer_attributes(target, timeout_s=settings.ipp_timeout_seconds)
        return build_ipp_reading(attributes, weak_identity=weak_identity)
    return await read_printer(
        target,
        timeout_s=settings.snmp_timeout_seconds,
        retries=settings.snmp_retries,
        weak_identity=weak_identity,
    )


async def _poll_one(target: PrinterTarget, settings: AgentSettings, site: Site) -> Report:
    try:
        reading = await read_any(target, settings, site)
    except ProbeError as exc:
        logger.warning("printer %s not read: %s", public_address(target), exc)
        return Report(
            report_id=new_report_id(),
            agent_time=datetime.now(UTC),
            printer_address=public_address(target),
            unreachable_reason=str(exc)[:256],
        )
    return Report(
        report_id=new_report_id(),
        agent_time=datetime.now(UTC),
        printer_address=public_address(target),
        reading=reading,
    )


async def poll_each(
    settings: AgentSettings,
    handle: ReportHandler,
    printer_urls: Sequence[str] | None = None,
    site: Site = UNENROLLED,
) -> int:
    """Read each printer once and hand its report to ``handle`` the moment it is made.

    At most ``max_concurrent_polls`` printers are read at a time, by as many workers,
    each taking the next printer when it is done with one; so only the reports being
    made are in memory, whatever the number of printers. ``handle`` is called once per
    printer (answered or not), in the order the printers finish. Returns the number of
    printers.
    """
    targets = printer_targets(settings, printer_urls)
    queue = iter(enumerate(targets))

    async def worker() -> None:
        for position, target in queue:
            handle(position, await _poll_one(target, settings, site))

    workers = [
        asyncio.create_task(worker())
        for _ in range(min(settings.max_concurrent_polls, len(targets)))
    ]
    try:
        await asyncio.gather(*workers)
    finally:  # one worker failing (a bug in ``handle``) stops the others too
        for task in workers:
            task.cancel()
    return len(targets)


async def poll_once(
    settings: AgentSettings, printer_urls: Sequence[str] | None = None, site: Site = UNENROLLED
) -> list[Report]:
    """Read each printer once; every printer yields exactly one report, in the list's order."""
    reports: dict[int, Report] = {}
    count = await poll_each(settings, reports.__setitem__, printer_urls, site)
    return [reports[position] for position in range(count)]
