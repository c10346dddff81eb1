"""`remotecare demo`: the whole system on one machine, on loopback.

A center in a temporary home, a simulated fleet served over real SNMP, an agent enrolled
with a one-time token, polling on a short interval. Everything stops on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.enrolment import enrol
from remotecare.agent.runner import run_cycle
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.care.incidents.service import IncidentRow
from remotecare.center.care.supplies.service import OrderFilter, SupplyOrder
from remotecare.center.config import CenterSettings
from remotecare.center.fleet.overview import DeviceRow
from remotecare.center.fleet.tables import reports
from remotecare.center.server import CenterServer
from remotecare.center.setup import initialize_center
from remotecare.demo.fleet import running_fleet
from remotecare.protocol.vocabulary import CounterName

__all__ = ["DemoSummary", "run_demo"]

logger = logging.getLogger(__name__)

DEMO_CUSTOMER = "Demo Customer Ltd"
# The demo customer's application (terms, article 3), accepted at the start.
DEMO_APPLICATION = {
    "organisation": DEMO_CUSTOMER,
    "sites": [{"name": "Head office", "postal_code": "100-0005", "address": "1-1 Demo Street"}],
    "contacts": [
        {"name": "Demo Contact", "email": "contact@demo.example", "phone": "+81 3 0000 0000"}
    ],
    "services": ["supplies", "meters", "fault_monitoring"],
    "billing_cutoff_day": 20,
    "consents_to_news": False,
}
_PREFERRED_PORTS = (8443, 8444)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    reports: int
    devices: list[DeviceRow]
    first_page_counts: dict[str, int]
    open_orders: list[SupplyOrder] = field(default_factory=list)
    open_incidents: list[IncidentRow] = field(default_factory=list)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _any_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _choose_ports() -> tuple[int, int]:
    if all(_port_free(p) for p in _PREFERRED_PORTS):
        return _PREFERRED_PORTS
    return _any_free_port(), _any_free_port()


def _summarize(center: Center) -> DemoSummary:
    with center.transactions.read() as conn:
        count = int(conn.execute(select(func.count()).select_from(reports)).scalar_one())
        first_payloads = conn.execute(
            select(reports.c.payload).where(reports.c.reachable).order_by(reports.c.agent_time)
        ).scalars()
        first: dict[str, int] = {}
        for payload in first_payloads:
            reading = payload["reading"]
            total = next((c for c in reading["counters"] if c["name"] == CounterName.TOTAL), None)
            if total is not None:
                first.setdefault(reading["serial"], total["value"])
        orders = center.orders.orders(conn, ADMINISTRATOR, OrderFilter(open_only=True))
        incidents = (
            [] if center.incidents is None else center.incidents.listing(conn, ADMINISTRATOR)
        )
    return DemoSummary(count, center.admin.devices(), first, orders, incidents)


def format_summary(summary: DemoSummary) -> str:
    lines = [
        f"The center received {summary.reports} reports about {len(summary.devices)} devices:",
    ]
    for d in summary.devices:
        pages = "unknown" if d.page_count is None else f"{d.page_count:,}"
        start = summary.first_page_counts.get(d.serial)
        rise = "" if start is None or d.page_count is None else f" (+{d.page_count - start})"
        supplies = ", ".join(
            f"{s.description} {s.percent:.0f}%{' full' if s.receptacle else ''}"
            if s.percent is not None
            else f"{s.description} {s.state.replace('_', ' ')}"
            for s in d.supplies
        )
        lines.append(f"  {d.serial:<18} {d.model:<34} pages {pages}{rise}")
        lines.append(f"  {'':<18} status {d.status}; supplies: {supplies or 'none'}")
    lines.append(f"Supply orders open: {len(summary.open_orders)}")
    for order in summary.open_orders:
        why = order.due_reason.replace("_", " ")
        lines.append(
            f"  {order.printer_serial:<18} {order.cartridge_description:<34} {order.status} ({why})"
        )
    lines.append(f"Incidents open: {len(summary.open_incidents)}")
    for incident in summary.open_incidents:
        lines.append(f"  {incident.severity:<8} {incident.title} ({incident.detail})")
    return "\n".join(lines)


async def run_demo(
    duration_s: float | None,
    poll_interval_s: float,
    say: Callable[[str], None] = print,
    work_dir: Path | None = None,
) -> DemoSummary:
    with contextlib.ExitStack() as stack:
        root = work_dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="remotecare-demo-"))
        )
        fleet = stack.enter_context(running_fleet(root / "fleet"))
        console_port, device_port = _choose_ports()
        password = secrets.token_urlsafe(9)
        settings = CenterSettings(
            home=root / "center",
            hostname="localhost",
            listen_host="127.0.0.1",
            console_port=console_port,
            device_port=device_port,
        )
        done = initialize_center(settings, password=password)
        center = bootstrap(settings)
        server = CenterServer(center)
        await server.start()
        try:
            center.admin.accept_new_customer(DEMO_APPLICATION)
            issued = center.admin.create_token(DEMO_CUSTOMER)
            paths = AgentPaths(root / "agent")
            console_url = f"https://localhost:{console_port}"
            await enrol(paths, console_url, issued.token, done.ca_fingerprint)
            agent_settings = AgentSettings(
                printers=tuple(fleet.urls.values()), poll_interval_seconds=poll_interval_s
            )
            agent_settings.save(paths.config)
            say(
                f"Simulated fleet: {len(fleet.printers)} printers, "
                f"real SNMP on 127.0.0.1:{fleet.port}"
            )
            say(f"Console: {console_url}/  (certificate from the demo's own CA)")
            say(f"Login:   {done.operator} / {password}")
            say(f"CA fingerprint: {done.ca_fingerprint}")
            say(
                f"The agent polls every {poll_interval_s:g} s"
                + (f" for {duration_s:g} s." if duration_s else "; press Ctrl-C to stop.")
            )
            await _poll_until(paths, agent_settings, center, duration_s, poll_interval_s)
            summary = _summarize(center)
        finally:
            await server.stop()
    return summary


async def _poll_until(
    paths: AgentPaths,
    settings: AgentSettings,
    center: Center,
    duration_s: float | None,
    interval_s: float,
) -> None:
    identity = AgentIdentity.load(paths.identity)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    deadline = None if duration_s is None else time.monotonic() + duration_s
    try:
        while not stopping.is_set():
            result = await run_cycle(paths, settings, identity)
            logger.info(
                "demo cycle: %d printers polled, %d reports sent",
                result.polled,
                result.delivery.sent,
            )
            remaining = (
                interval_s if deadline is None else min(interval_s, deadline - time.monotonic())
            )
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), remaining)
            if deadline is not None and time.monotonic() >= deadline:
                break
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
