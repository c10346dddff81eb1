"""The agent's main loop: poll, pseudonymize, queue durably, collect the diagnostic bundles
printers asked for, send what is queued, carry out what the center asked, upload bundles;
sleep until the agent's own moment in the next interval, or retry sooner with backoff when
sending failed.

Each printer's report is pseudonymized and queued as soon as that printer is read (in
small groups, see :class:`~remotecare.agent.outbox.OutboxWriter`), not when the whole
cycle is done: a cycle holds only the reports still being made, and an agent stopped in
the middle of one keeps what it has read.

A printer's request for service counts as handled (in ``state.json``, so it is not asked
again for a day) only once its bundle is written into ``bundles/``, and that happens right
after the poll, whether or not the center answers: the upload follows in whichever later
cycle reaches the center."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from remotecare.agent.certificate_dates import certificate_facts
from remotecare.agent.commands import CommandHandlers, carry_out_all
from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.diagnostics import (
    BundleQueue,
    MonthlyBudget,
    RecentLogs,
    UploadResult,
    build_bundle,
    collect_walk,
    upload_bundles,
)
from remotecare.agent.discovery import merge_printers, scan_network
from remotecare.agent.outbox import Outbox, OutboxWriter
from remotecare.agent.poller import Site, poll_each, printer_targets
from remotecare.agent.privacy import Pseudonymizer, load_or_create_key
from remotecare.agent.probes.snmp import SnmpTarget
from remotecare.agent.renewal import finish_interrupted_renewal, renew_certificate
from remotecare.agent.schedule import Backoff, next_cycle_at, phase_of
from remotecare.agent.state import AgentState
from remotecare.agent.uplink import DrainResult, Uplink, drain, open_uplink
from remotecare.errors import OutboxError, RemoteCareError, UplinkError
from remotecare.protocol.messages import BundleReason, Command, Report

__all__ = [
    "AUTO_BUNDLE_EVERY",
    "Agent",
    "CycleResult",
    "PollResult",
    "auto_bundle_due",
    "run_agent",
    "run_cycle",
]

logger = logging.getLogger(__name__)

SERVICE_REQUESTED: Final = "serviceRequested"
AUTO_BUNDLE_EVERY: Final = timedelta(hours=24)  # per printer, for the same fault
_FIRST_CYCLE_SPREAD_S: Final = 30.0


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll cycle did: printers polled, how many did not answer, storage trouble."""

    polled: int
    unreachable: int
    storage_error: str | None = None


@dataclass(slots=True)
class CycleResult:
    polled: int
    unreachable: int
    delivery: DrainResult
    storage_error: str | None = None
    commands_done: int = 0
    bundles: UploadResult = field(default_factory=UploadResult)


@dataclass(frozen=True, slots=True)
class _Wanted:
    """A diagnostic bundle to collect: for a printer (by serial) or the agent alone;
    ``noticed_at`` is when a printer's own request was seen (marked handled once written)."""

    serial: str | None
    reason: BundleReason
    command_id: uuid.UUID | None = None
    noticed_at: datetime | None = None


def auto_bundle_due(last: datetime | None, now: datetime) -> bool:
    """Whether a printer asking for service gets a bundle now: one a day at most, so a
    fault that stays does not spend the month's budget (``last``: the last one written)."""
    return last is None or now - last >= AUTO_BUNDLE_EVERY


class Agent:
    """One agent home at work. Usage::

    agent = Agent(paths, settings, identity)
    result = await agent.cycle()
    """

    def __init__(
        self,
        paths: AgentPaths,
        settings: AgentSettings,
        identity: AgentIdentity,
        *,
        logs: RecentLogs | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.paths = paths
        self.settings = settings
        self.identity = identity
        finish_interrupted_renewal(paths)  # a renewal cut short completes before anything
        self.privacy = Pseudonymizer(load_or_create_key(paths.privacy_key))
        self.site = Site(identity.endpoint_id, self.privacy.address)
        self.state = AgentState.load(paths.state)
        self.logs = logs or RecentLogs()
        self.rng = rng or random.Random()
        self.bundles = BundleQueue(paths.bundles)
        self.budget = MonthlyBudget(paths.bundles / "budget.json", settings.bundle_budget_bytes)
        self._printer_urls: dict[str, str] = {}  # serial -> configured URL (memory only)
        self._wanted: list[_Wanted] = []

    @property
    def poll_interval_seconds(self) -> float:
        return self.state.poll_interval_seconds or self.settings.poll_interval_seconds

    async def poll(self) -> PollResult:
        """Read every printer; queue each pseudonymized report as soon as it is made.

        Without an outbox (it cannot be opened, the disk is full) the printers are still
        read, for the cycle's summary and the diagnostics, and the error is returned.
        """
        settings = self.settings
        try:
            outbox: Outbox | None = Outbox(
                self.paths.outbox, max_reports=settings.outbox_max_reports
            )
        except OutboxError as exc:
            logger.error("%s", exc)
            outbox, open_error = None, str(exc)
        writer = None if outbox is None else OutboxWriter(outbox)
        unreachable = 0

        def queue(position: int, report: Report) -> None:
            nonlocal unreachable
            if report.reading is None:
                unreachable += 1
            else:
                self._printer_urls[report.reading.serial] = settings.printers[position]
                if SERVICE_REQUESTED in report.reading.status.error_conditions:
                    self._want_auto_bundle(report.reading.serial, datetime.now(UTC))
            if writer is not None:
                writer.add(self.privacy.report(report))

        timer = None if writer is None else asyncio.create_task(_write_when_due(writer))
        try:
            polled = await poll_each(settings, queue, site=self.site)
        finally:  # what was read is kept, even if the cycle stops short
            if timer is not None:
                timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await timer
            if writer is not None:
                writer.write()
            if outbox is not None:
                outbox.close()
        if writer is None:
            return PollResult(polled, unreachable, open_error)
        return PollResult(polled, unreachable, writer.error)

    async def collect_bundles(self) -> int:
        """Write the bundles printers asked for into ``bundles/``; return how many.

        Runs after every poll and needs no center, so a request seen while the center is
        down is not lost. One that cannot be collected stays unmarked and is asked again
        by the next poll that sees it.
        """
        written = 0
        while self._wanted:
            wanted = self._wanted.pop(0)
            try:
                await self._collect(wanted)
            except (RemoteCareError, OSError) as exc:
                logger.error("diagnostic bundle not collected: %s", exc)
                continue
            written += 1
            if wanted.serial is not None and wanted.noticed_at is not None:
                self.state.auto_bundles[wanted.serial] = wanted.noticed_at
                self.state.save(self.paths.state)
        return written

    async def deliver(self) -> tuple[DrainResult, int, UploadResult]:
        """Send queued reports, do the center's commands, upload bundles."""
        outbox = Outbox(self.paths.outbox, max_reports=self.settings.outbox_max_reports)
        try:
            async with self._uplink() as uplink:
                delivery = await drain(outbox, uplink, self.settings.batch_size)
                done = 0
                uploaded = UploadResult()
                if not delivery.failed:
                    done = await self._commands(uplink, delivery.commands)
                    uploaded = await self._bundles(uplink)
        finally:
            outbox.close()
        if not delivery.failed:
            await self._renew_if_expiring()
        return delivery, done, uploaded

    async def _renew_if_expiring(self) -> None:
        """Renew the certificate on our own when it has less than renew_before_days left."""
        try:
            certificate = certificate_facts(self.paths.certificate.read_bytes())
        except (OSError, RemoteCareError) as exc:
            logger.error("cannot read this agent's certificate: %s", exc)
            return
        left = certificate.not_valid_after - datetime.now(UTC)
        if left > timedelta(days=self.settings.renew_before_days):
            return
        logger.info("certificate expires in %d days: renewing it", left.days)
        try:
            await renew_certificate(self.paths, self.identity, self.settings)
        except RemoteCareError as exc:
            logger.warning("certificate renewal failed, trying again next cycle: %s", exc)

    async def cycle(self) -> CycleResult:
        """Poll, collect the bundles asked for, deliver; all awaited before it returns."""
        polled = await self.poll()
        await self.collect_bundles()
        delivery, done, uploaded = await self.deliver()
        logger.info(
            "cycle: %d printers read, %d not answering; sent %d, %d waiting",
            polled.polled - polled.unreachable,
            polled.unreachable,
            delivery.sent,
            delivery.remaining,
        )
        return CycleResult(
            polled.polled, polled.unreachable, delivery, polled.storage_error, done, uploaded
        )

    def _uplink(self) -> Uplink:
        return open_uplink(self.paths, self.settings, self.identity.device_api_url)

    async def _commands(self, uplink: Uplink, from_ingest: Sequence[Command]) -> int:
        try:
            pulled = await uplink.fetch_commands()
        except UplinkError as exc:
            logger.warning("could not fetch commands: %s", exc)
            pulled = []
        commands = [*from_ingest, *pulled]
        if not commands:
            return 0
        handlers = CommandHandlers(
            set_poll_interval=self._set_poll_interval,
            collect_diagnostics=self._collect_diagnostics,
            renew_certificate=self._renew_certificate,
            rediscover=self._rediscover,
        )
        answered = await carry_out_all(commands, handlers, self.state, self.paths.state, uplink)
        return len(answered)

    async def _bundles(self, uplink: Uplink) -> UploadResult:
        if not self.bundles.pending():
            return UploadResult()
        self.budget.limit_bytes = self.settings.bundle_budget_bytes
        return await upload_bundles(
            self.bundles,
            uplink,
            self.budget,
            chunk_bytes=self.settings.bundle_chunk_bytes,
            now=datetime.now(UTC),
        )

    def _want_auto_bundle(self, serial: str, now: datetime) -> None:
        if not self.settings.auto_diagnostics:
            return
        if not auto_bundle_due(self.state.auto_bundles.get(serial), now):
            return
        if any(wanted.serial == serial for wanted in self._wanted):
            return
        logger.info("printer %s requests service: collecting a diagnostic bundle", serial)
        self._wanted.append(_Wanted(serial, BundleReason.SERVICE_REQUESTED, noticed_at=now))

    async def _collect(self, wanted: _Wanted) -> str:
        walked = None
        url = None if wanted.serial is None else self._printer_urls.get(wanted.serial)
        if wanted.serial is not None and url is None:
            raise RemoteCareError(f"printer {wanted.serial} is not read by this agent")
        target = None if url is None else printer_targets(self.settings, [url])[0]
        if isinstance(target, SnmpTarget):  # an IPP printer has no MIB to walk: logs only
            settings = self.settings
            walked = await collect_walk(
                target,
                max_rows=settings.diagnostics_max_rows,
                time_budget_s=settings.diagnostics_walk_seconds,
                timeout_s=settings.snmp_timeout_seconds,
                retries=settings.snmp_retries,
            )
        meta: dict[str, Any] = {
            "endpoint_id": self.identity.endpoint_id,
            "collected_at": datetime.now(UTC).isoformat(),
            "reason": wanted.reason.value,
            "printer_serial": wanted.serial,
            "walked_variables": 0 if walked is None else len(walked.values),
        }
        data = build_bundle(walked, self.logs.lines(), meta, self.privacy)
        queued = self.bundles.add(
            data, wanted.reason, printer_serial=wanted.serial, command_id=wanted.command_id
        )
        logger.info(
            "diagnostic bundle %s queued (%d bytes)", queued.declaration.bundle_id, len(data)
        )
        return f"bundle {queued.declaration.bundle_id} queued ({len(data)} bytes)"

    async def _set_poll_interval(self, seconds: float) -> str:
        self.state.poll_interval_seconds = seconds
        self.state.save(self.paths.state)
        return f"poll interval is now {seconds:g} s"

    async def _collect_diagnostics(self, printer: str | None, command_id: uuid.UUID) -> str:
        if printer is not None and printer not in self._printer_urls:
            await self.poll_serials()
        return await self._collect(_Wanted(printer, BundleReason.CENTER_REQUEST, command_id))

    async def poll_serials(self) -> None:
        """Learn which configured URL serves which serial (before the first cycle)."""
        urls = self.settings.printers

        def learn(position: int, report: Report) -> None:
            if report.reading is not None:
                self._printer_urls[report.reading.serial] = urls[position]

        await poll_each(self.settings, learn, site=self.site)

    async def _renew_certificate(self) -> str:
        await renew_certificate(self.paths, self.identity, self.settings)
        serial = certificate_facts(self.paths.certificate.read_bytes()).serial_number
        return f"certificate renewed: serial {serial:x}"

    async def _rediscover(self) -> str:
        """Scan ``discovery_networks`` as `agent discover` does; add new printers to
        agent.toml and poll them from the next cycle on."""
        settings = self.settings
        if not settings.discovery_networks or not settings.discovery_community:
            raise RemoteCareError(
                "no discovery_networks and discovery_community in agent.toml: nothing to "
                "scan; list the printers there instead"
            )
        found: list[str] = []
        for network in settings.discovery_networks:
            result = await scan_network(
                network,
                community=settings.discovery_community,
                port=settings.discovery_port,
                rate_pps=settings.discovery_rate_pps,
                timeout_s=settings.snmp_timeout_seconds,
                retries=settings.snmp_retries,
            )
            found += [printer.url for printer in result.printers]
        printers, added = merge_printers(settings.printers, found)
        if added:
            self.settings = dataclasses.replace(settings, printers=printers)
            self.settings.save(self.paths.config)
        return f"{len(found)} printer(s) answered, {len(added)} new added to agent.toml"


async def _write_when_due(writer: OutboxWriter) -> None:
    """Write a waiting group once it has waited long enough (until cancelled)."""
    while True:
        await asyncio.sleep(writer.seconds_until_due())
        writer.write_if_due()


async def run_cycle(
    paths: AgentPaths, settings: AgentSettings, identity: AgentIdentity
) -> CycleResult:
    """One cycle: poll, queue, send, commands, bundles."""
    return await Agent(paths, settings, identity).cycle()


async def run_agent(
    paths: AgentPaths,
    settings: AgentSettings,
    identity: AgentIdentity,
    *,
    logs: RecentLogs | None = None,
    stop: asyncio.Event | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> None:
    """Run cycles until ``stop`` is set.

    Each agent polls at its own phase of the interval (from its endpoint id), so agents
    spread over the interval. When sending fails it retries with backoff and jitter, never
    sooner than the center's Retry-After, and polling goes on meanwhile.
    """
    agent = Agent(paths, settings, identity, logs=logs)
    stopping = stop or asyncio.Event()
    backoff = Backoff(settings.retry_min_seconds, settings.retry_max_seconds)

    async def pause(seconds: float) -> None:
        if sleep is not None:
            await sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), max(0.0, seconds))

    await pause(agent.rng.uniform(0, min(agent.poll_interval_seconds, _FIRST_CYCLE_SPREAD_S)))
    next_poll = clock()
    next_send = float("inf")
    not_before = 0.0
    while not stopping.is_set():
        now = clock()
        if now >= next_poll:
            try:
                await agent.poll()
                await agent.collect_bundles()
            except Exception:  # one bad poll must not stop the agent
                logger.exception("poll failed")
            interval = agent.poll_interval_seconds
            next_poll = next_cycle_at(clock(), interval, phase_of(identity.endpoint_id, interval))
            next_send = max(clock(), not_before)
        if clock() >= next_send:
            try:
                delivery, _, _ = await agent.deliver()
                failed, retry_after = delivery.failed, delivery.retry_after_s
            except Exception:
                logger.exception("sending failed")
                failed, retry_after = True, None
            if failed:
                delay = backoff.next_delay(agent.rng, retry_after)
                not_before = clock() + delay
                next_send = not_before
                logger.info("next try in %.1f s", delay)
            else:
                backoff.reset()
                not_before = 0.0
                next_send = float("inf")
            # a changed poll interval takes effect now, not after the old one ran out
            interval = agent.poll_interval_seconds
            next_poll = min(
                next_poll,
                next_cycle_at(clock(), interval, phase_of(identity.endpoint_id, interval)),
            )
        await pause(min(next_poll, next_send) - clock())
