"""The center's composition root: settings in, wired services and servers out."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web
from sqlalchemy import Engine

from remotecare.center.adapters.attempts import SqlFailureLog
from remotecare.center.adapters.db import make_engine, sqlite_writer_lock
from remotecare.center.adapters.group_commit import GroupCommitter
from remotecare.center.adapters.migrate import upgrade_to_head
from remotecare.center.care.feed import CareConsumer, FeedDrainer
from remotecare.center.care.history.service import HistoryConsumer
from remotecare.center.clock import Clock, SystemClock
from remotecare.center.config import CenterSettings
from remotecare.center.fleet.retention import RawReportRetention
from remotecare.center.services.bundles import BundleService
from remotecare.center.services.certificates import CertificateService
from remotecare.center.services.commands import CommandService
from remotecare.center.services.console import ConsoleService
from remotecare.center.services.endpoints import EndpointDirectory
from remotecare.center.services.enrollment import EnrollmentService
from remotecare.center.services.enrolment_limit import EnrolmentLimiter
from remotecare.center.services.login_limit import LoginLimiter
from remotecare.center.services.printers import PrinterService
from remotecare.center.web.device_api import create_device_app
from remotecare.center.web.identity import ForwardedCertificates, identify_caller
from remotecare.center.web.metrics import Metrics, create_metrics_app
from remotecare.center.web.public_app import create_public_app
from remotecare.pki.ca import CertificateAuthority
from remotecare.pki.tls import server_context

__all__ = ["Center", "bootstrap"]

logger = logging.getLogger(__name__)

# Connections waiting to be accepted, per listening socket (per worker). aiohttp's 128 drops
# new connections when hundreds of agents connect at once (after an outage, or a benchmark's
# new connection per report): their SYN is retried a second later.
_LISTEN_BACKLOG = 1024


@dataclass
class Center:
    settings: CenterSettings
    engine: Engine
    ca: CertificateAuthority
    clock: Clock
    enrollment: EnrollmentService
    console: ConsoleService
    directory: EndpointDirectory
    certificates: CertificateService
    commands: CommandService
    printers: PrinterService
    enrolment_limiter: EnrolmentLimiter  # failed enrolments, counted in the shared database
    login_limiter: LoginLimiter  # failed console logins, likewise
    _runners: list[web.AppRunner] = field(default_factory=list)
    _committer: GroupCommitter | None = None
    metrics: Metrics | None = None
    reuse_port: bool = False  # several worker processes share the ports (SO_REUSEPORT)
    bundles: BundleService | None = None  # diagnostic bundles from agents
    care_consumers: Sequence[CareConsumer] = ()  # fed with every stored reading
    _drainer: FeedDrainer | None = None
    _retention: RawReportRetention | None = None

    async def start(self) -> None:
        """Listen on the console/enrolment port and the mutual-TLS device port."""
        settings = self.settings
        self._committer = GroupCommitter(self.engine, writer_lock=sqlite_writer_lock(self.engine))
        self._committer.start()
        writer_lock = sqlite_writer_lock(self.engine)
        if settings.care_feed:
            self._drainer = FeedDrainer(
                self.engine, self.care_consumers, self.clock, writer_lock=writer_lock
            )
            self._drainer.start()
        self._retention = RawReportRetention(
            self.engine, self.clock, settings.raw_report_days, writer_lock=writer_lock
        )
        self._retention.start()
        device_app = create_device_app(
            self.directory,
            self._committer,
            self.clock,
            max_body_bytes=settings.max_body_bytes,
            max_inflated_bytes=settings.max_inflated_bytes,
            identify=identify_caller(
                ForwardedCertificates(settings.trusted_proxies, self.ca.certificate)
                if settings.proxy_port
                else None
            ),
            metrics=self.metrics,
            certificates=self.certificates,
            commands=self.commands,
            binding=settings.binding_policy,
            bundles=self.bundles,
            care_feed=settings.care_feed,
        )
        public_app = create_public_app(
            self.enrollment,
            self.console,
            ca_pem=self.ca.pem,
            device_api_url=settings.device_api_url,
            certificates=self.certificates,
            printers=self.printers,
            enrolment_limiter=self.enrolment_limiter,
            login_limiter=self.login_limiter,
        )
        # The device API checks certificate dates itself, to refuse an expired one with a
        # reason the agent can show (services/endpoints.refusal_for, on every request).
        device_tls = server_context(
            settings.server_cert_file,
            settings.server_key_file,
            settings.ca_cert_file,
            client_validity_checked_by_application=True,
        )
        public_tls = server_context(settings.server_cert_file, settings.server_key_file, None)
        for app, port, tls in (
            (public_app, settings.console_port, public_tls),
            (device_app, settings.device_port, device_tls),
        ):
            # Request bodies are inflated by the device API itself, under its own limit.
            runner = web.AppRunner(app, auto_decompress=False, access_log=None)
            await runner.setup()
            await web.TCPSite(
                runner,
                settings.listen_host,
                port,
                ssl_context=tls,
                reuse_port=self._reuse,
                backlog=_LISTEN_BACKLOG,
            ).start()
            self._runners.append(runner)
        if settings.proxy_port:  # the device API again, in plain HTTP for the TLS proxy
            await web.TCPSite(
                self._runners[-1],
                settings.proxy_host,
                settings.proxy_port,
                reuse_port=self._reuse,
                backlog=_LISTEN_BACKLOG,
            ).start()
            logger.info(
                "device API for the TLS proxy: http://%s:%d (trusting %s)",
                settings.proxy_host,
                settings.proxy_port,
                ", ".join(settings.trusted_proxies),
            )
        if settings.metrics_port and self.metrics is not None:
            runner = web.AppRunner(create_metrics_app(self.metrics), access_log=None)
            await runner.setup()
            await web.TCPSite(
                runner, settings.metrics_host, settings.metrics_port, reuse_port=self._reuse
            ).start()
            self._runners.append(runner)
        logger.info(
            "center listening: console https://%s:%d, device API https://%s:%d (mutual TLS)",
            settings.listen_host,
            settings.console_port,
            settings.listen_host,
            settings.device_port,
        )

    @property
    def _reuse(self) -> bool | None:
        return True if self.reuse_port else None

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        if self._committer is not None:
            await self._committer.stop()
        for worker in (self._drainer, self._retention):
            if worker is not None:
                await asyncio.to_thread(worker.stop)
        self.engine.dispose()

    async def serve_forever(self) -> None:
        """Serve until SIGTERM or SIGINT, then close connections and the database cleanly."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await self.start()
        try:
            await stopping.wait()
            logger.info("stopping")
        finally:
            await self.stop()


def bootstrap(
    settings: CenterSettings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    reuse_port: bool = False,
    care_consumers: Sequence[CareConsumer] | None = None,
) -> Center:
    """Wire a center; ``migrate=False`` when a supervisor already upgraded the schema;
    ``care_consumers`` replace the care feed's consumers (by default the history)."""
    chosen_clock = clock or SystemClock()
    engine = make_engine(settings.effective_database_url)
    if migrate:
        upgrade_to_head(engine)
    ca = CertificateAuthority.load(settings.pki_dir)
    return Center(
        settings=settings,
        engine=engine,
        ca=ca,
        clock=chosen_clock,
        enrollment=EnrollmentService(engine, ca, chosen_clock),
        console=ConsoleService(engine, chosen_clock, timedelta(hours=settings.session_hours)),
        directory=EndpointDirectory(engine),
        metrics=Metrics(engine),
        reuse_port=reuse_port,
        certificates=CertificateService(engine, ca, chosen_clock),
        commands=CommandService(engine, chosen_clock),
        printers=PrinterService(engine, chosen_clock),
        enrolment_limiter=EnrolmentLimiter(SqlFailureLog(engine, "enrolment"), chosen_clock),
        login_limiter=LoginLimiter(
            SqlFailureLog(engine, "login-address"),
            SqlFailureLog(engine, "login-name"),
            chosen_clock,
        ),
        bundles=BundleService(
            engine, settings.bundles_dir, max_bytes=settings.max_bundle_bytes, clock=chosen_clock
        ),
        care_consumers=[HistoryConsumer()] if care_consumers is None else care_consumers,
    )
