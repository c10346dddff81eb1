"""Start and serve a wired center: the console/enrolment port, the mutual-TLS device API
(and its plain-HTTP twin for a TLS proxy), the metrics port, and the group committer."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from functools import partial

from aiohttp import web

from remotecare.center.access import settings_pages, user_pages
from remotecare.center.access.pages import AccessDeps
from remotecare.center.bootstrap import Center
from remotecare.center.care import pages as care_pages
from remotecare.center.care.history.console import device_history
from remotecare.center.care.incidents import api_routes as incident_api
from remotecare.center.care.incidents import pages as incident_pages
from remotecare.center.care.incidents.api_routes import IncidentApiDeps
from remotecare.center.care.meters import api_routes as meters_api
from remotecare.center.care.meters import pages as meter_pages
from remotecare.center.care.supplies import api_routes as orders_api
from remotecare.center.care.supplies import pages as order_pages
from remotecare.center.care.supplies.api_routes import OrdersApiDeps
from remotecare.center.contracts import contract_pages
from remotecare.center.contracts.pages import ApplicationFormDeps
from remotecare.center.fleet import api_routes as fleet_api
from remotecare.center.fleet.api_routes import FleetApiDeps
from remotecare.center.fleet.device_routes import DeviceRouteDeps
from remotecare.center.fleet.pages import DeviceSection, FleetPageDeps
from remotecare.center.fleet.sent_pages import SentPageDeps
from remotecare.center.fleet.sent_pages import add_pages as add_sent_pages
from remotecare.center.identity import console_pages as revocation_pages
from remotecare.center.identity.routes import IdentityDeps
from remotecare.center.kernel.background import BackgroundLoop
from remotecare.center.kernel.group_commit import GroupCommitter
from remotecare.center.kernel.storage import sqlite_writer_lock
from remotecare.center.privacy import console_pages as privacy_pages
from remotecare.center.web.console_app import create_console_app
from remotecare.center.web.device_app import create_device_app
from remotecare.center.web.metrics import create_metrics_app
from remotecare.center.web.peer import ForwardedCertificates, identify_caller
from remotecare.pki.tls import server_context

__all__ = ["Apps", "CenterServer"]

logger = logging.getLogger(__name__)

# Connections waiting to be accepted, per listening socket (per worker). aiohttp's 128 drops
# new connections when hundreds of agents connect at once (after an outage, or a benchmark's
# new connection per report): their SYN is retried a second later.
_LISTEN_BACKLOG = 1024


@dataclass(frozen=True, slots=True)
class Apps:
    console: web.Application  # enrolment, CRL, console pages
    device: web.Application  # the mutual-TLS device API


def _work_pages(center: Center) -> list[partial[None]]:
    """The console pages of the service's work: the overview, the incidents, the orders."""
    pages = [
        partial(
            care_pages.add_pages,
            deps=care_pages.OverviewDeps(
                center.transactions, center.clock, center.incidents, center.orders
            ),
        ),
        partial(
            order_pages.add_pages,
            deps=order_pages.OrderPageDeps(center.transactions, center.orders, center.clock),
        ),
    ]
    if center.incidents is not None:
        deps = incident_pages.IncidentPageDeps(
            center.transactions, center.incidents, center.clock, center.bundles, center.privacy
        )
        pages.append(partial(incident_pages.add_pages, deps=deps))
    return pages


def _device_sections(center: Center) -> tuple[DeviceSection, ...]:
    """The care services' sections of the device page."""
    supplies = (
        order_pages.device_forecasts(center.orders),
        order_pages.device_orders(center.orders),
    )
    if center.incidents is None:
        return supplies
    return (
        incident_pages.device_connectivity(center.incidents, center.clock),
        incident_pages.device_incidents(center.incidents),
        *supplies,
    )


def _incident_api(center: Center) -> list[partial[None]]:
    if center.incidents is None:
        return []
    deps = IncidentApiDeps(center.transactions, center.incidents)
    return [partial(incident_api.add_api_routes, deps=deps)]


class CenterServer:
    """Usage::

    server = CenterServer(bootstrap(settings))
    await server.serve_forever()            # or: await server.start(); ...; await server.stop()
    """

    def __init__(self, center: Center, *, reuse_port: bool = False) -> None:
        self.center = center
        self.reuse_port = reuse_port  # several worker processes share the ports (SO_REUSEPORT)
        self._runners: list[web.AppRunner] = []
        self._committer: GroupCommitter | None = None

    def build_apps(self, committer: GroupCommitter) -> Apps:
        """The console and device apps, wired to this center's services."""
        center, settings = self.center, self.center.settings
        identity = IdentityDeps(
            transactions=center.transactions,
            enrolment=center.enrolment,
            certificates=center.certificates,
            directory=center.directory,
            enrolment_limiter=center.enrolment_limiter,
            ca_pem=center.ca.pem,
            device_api_url=settings.device_api_url,
        )
        device = create_device_app(
            identity,
            DeviceRouteDeps(
                committer=committer,
                transactions=center.transactions,
                clock=center.clock,
                binding=settings.binding_policy,
                metrics=center.metrics,
                feed=center.feed,
            ),
            max_body_bytes=settings.max_body_bytes,
            max_inflated_bytes=settings.max_inflated_bytes,
            identify=identify_caller(
                ForwardedCertificates(settings.trusted_proxies, center.ca.certificate)
                if settings.proxy_port
                else None
            ),
            bundles=center.bundles,
        )
        console = create_console_app(
            identity,
            AccessDeps(center.transactions, center.accounts, center.login_limiter),
            FleetPageDeps(
                center.transactions,
                center.printers,
                center.clock,
                history=device_history,
                bundles=center.bundles,
                device_sections=(
                    *_device_sections(center),
                    meter_pages.device_meter_reads(center.clock),
                ),
            ),
            api_tokens=center.api_tokens,
            api_routes=[
                partial(fleet_api.add_api_routes, deps=FleetApiDeps(center.transactions)),
                partial(
                    orders_api.add_api_routes,
                    deps=OrdersApiDeps(center.transactions, center.orders),
                ),
                *_incident_api(center),
                *_work_pages(center),
                partial(
                    meters_api.add_api_routes,
                    deps=meters_api.MetersApiDeps(center.transactions, center.clock),
                ),
            ],
            page_routes=[
                partial(
                    meter_pages.add_pages,
                    deps=meter_pages.MeterPageDeps(center.transactions, center.clock),
                ),
                partial(add_sent_pages, deps=SentPageDeps(center.transactions)),
                partial(
                    settings_pages.add_pages,
                    deps=settings_pages.SettingsDeps(center.transactions, center.accounts),
                ),
                partial(
                    privacy_pages.add_pages,
                    deps=privacy_pages.PrivacyPageDeps(
                        center.transactions, center.contracts, center.privacy, center.clock
                    ),
                ),
                partial(
                    revocation_pages.add_pages,
                    deps=revocation_pages.RevocationPageDeps(
                        center.transactions, center.certificates
                    ),
                ),
                partial(
                    contract_pages.add_pages,
                    deps=contract_pages.ContractPageDeps(center.transactions, center.contracts),
                ),
                partial(
                    user_pages.add_pages,
                    deps=user_pages.UserPageDeps(
                        center.transactions, center.accounts, center.clock
                    ),
                ),
            ],
            contracts=ApplicationFormDeps(
                center.transactions, center.contracts, center.application_form_limiter
            ),
        )
        return Apps(console, device)

    async def start(self) -> None:
        """Listen on the console/enrolment port and the mutual-TLS device port."""
        settings = self.center.settings
        engine = self.center.transactions.engine
        self._committer = GroupCommitter(engine, writer_lock=sqlite_writer_lock(engine))
        self._committer.start()
        apps = self.build_apps(self._committer)
        for worker in self._background:
            worker.start()
        # The device API checks certificate dates itself, to refuse an expired one with a
        # reason the agent can show (identity/rules.refusal_for, on every request).
        device_tls = server_context(
            settings.server_cert_file,
            settings.server_key_file,
            settings.ca_cert_file,
            client_validity_checked_by_application=True,
        )
        console_tls = server_context(settings.server_cert_file, settings.server_key_file, None)
        for app, port, tls in (
            (apps.console, settings.console_port, console_tls),
            (apps.device, settings.device_port, device_tls),
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
        if settings.metrics_port:
            runner = web.AppRunner(create_metrics_app(self.center.metrics), access_log=None)
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
    def _background(self) -> list[BackgroundLoop]:
        """The care feed's drainer, the raw reports' retention, the incident watch and the
        notification delivery, beside ingest."""
        center = self.center
        loops = (
            center.drainer,
            center.retention,
            center.incident_watch,
            center.delivery,
            center.meter_closer,
            center.personal_data_retention,
        )
        return [w for w in loops if w is not None]

    @property
    def _reuse(self) -> bool | None:
        return True if self.reuse_port else None

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        if self._committer is not None:
            await self._committer.stop()
        for worker in self._background:
            await asyncio.to_thread(worker.stop)
        self.center.dispose()

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
