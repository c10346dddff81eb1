"""Incidents benchmark: from a reading arriving at the center to its notification leaving.

A real center (`remotecare center serve`, SQLite WAL with synchronous=FULL, its care feed,
incident consumer and notification delivery) with one webhook subscription to a receiver
on loopback. A probe posts, every ``--probe-every`` seconds, a reading with a new alert
(an unknown code, so each opens a new incident and owes one webhook) over mutual TLS; a
probe's latency is from the center's 201 (the reading is stored: it has arrived) to the
webhook reaching the receiver (the notification has left, plus one loopback hop).

Measured twice in one run: on an idle center (the reference) and while client processes
post ``--rate`` reports/s (1,000 by default, the issue's load) as batches of
``--batch`` over kept-alive mutual-TLS connections, each a fresh reading of one of
``--printers`` printers (toner low and an alert: their incidents open on the first
reading, then repeat). The rate reached, the probes' p50/p99 and their ratio are printed.

Usage::

    .venv/bin/python bench/incidents.py
    .venv/bin/python bench/incidents.py --duration 30 --rate 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: a center home on free ports
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402
import ingest  # noqa: E402  bench/ingest.py: enrolment of the load's endpoints
from aiohttp import web  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from tests.support.centers import init_center, serving_center  # noqa: E402

from remotecare.center.care.tables import care_feed  # noqa: E402
from remotecare.center.kernel.storage import make_engine  # noqa: E402
from remotecare.center.notify.rules import Audience, Channel, verify  # noqa: E402
from remotecare.center.notify.service import SubscriptionRequest, add_subscription  # noqa: E402
from remotecare.center.notify.tables import notify_outbox  # noqa: E402
from remotecare.protocol.codec import encode  # noqa: E402
from remotecare.protocol.messages import (  # noqa: E402
    Alert,
    Counter,
    DeviceStatus,
    PrinterReading,
    Report,
    ReportBatch,
    SerialSource,
    Supply,
    SupplyClass,
    SupplyState,
    new_report_id,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reading(serial: str, pages: int, alert: Alert | None = None) -> PrinterReading:
    return PrinterReading(
        serial=serial,
        serial_source=SerialSource.PRINTER_MIB,
        model="Bench MFP 1",
        status=DeviceStatus(device_status="warning", error_conditions=["lowToner"]),
        counters=[Counter(name="total", value=pages, unit="impressions")],
        supplies=[
            Supply(
                index=1,
                description="Black Toner",
                type="toner",
                supply_class=SupplyClass.CONSUMED,
                level=8,
                max_capacity=100,
                percent=8.0,
                state=SupplyState.LOW,
            )
        ],
        alerts=[alert] if alert else [],
    )


def _report(reading: PrinterReading, address: str) -> Report:
    return Report(
        report_id=new_report_id(),
        agent_time=datetime.now(UTC),
        printer_address=address,
        reading=reading,
    )


@dataclass(frozen=True)
class LoadJob:
    url: str
    ca_file: str
    cert: str
    key: str
    client: int
    printers: int
    rate: float  # reports/s of this client
    batch: int
    start_at: float
    duration_s: float


def _load_client(job: LoadJob) -> tuple[int, int]:
    """Post batches at the job's pace; (reports accepted, failed requests)."""
    return asyncio.run(_load(job))


async def _load(job: LoadJob) -> tuple[int, int]:
    tls = ssl.create_default_context(cafile=job.ca_file)
    tls.load_cert_chain(job.cert, job.key)
    interval = job.batch / job.rate
    done = failed = 0
    sequence = 0
    connector = aiohttp.TCPConnector(limit=8)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.sleep(max(0.0, job.start_at - time.time()))
        started = time.monotonic()
        in_flight: set[asyncio.Task[None]] = set()

        async def post(body: bytes, count: int) -> None:
            nonlocal done, failed
            try:
                async with session.post(
                    job.url, data=body, ssl=tls, headers={"Content-Type": "application/json"}
                ) as response:
                    await response.read()
                    if response.status in (200, 201):
                        done += count
                    else:
                        failed += 1
            except aiohttp.ClientError:
                failed += 1

        while time.monotonic() - started < job.duration_s:
            reports = []
            for _ in range(job.batch):
                sequence += 1
                printer = (job.client * 100_000 + sequence) % job.printers
                address = f"snmp://10.{job.client}.{printer // 250}.{printer % 250}:161"
                reports.append(_report(_reading(f"LOAD-{job.client}-{printer}", sequence), address))
            body = encode(ReportBatch(reports=reports))
            task = asyncio.create_task(post(body, len(reports)))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            next_at = started + sequence / job.batch * interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if in_flight:
            await asyncio.wait(in_flight, timeout=30)
    return done, failed


class Probe:
    """Posts fault readings and times them until their webhooks arrive."""

    def __init__(self, url: str, tls: ssl.SSLContext, secret: str) -> None:
        self.url = url
        self.tls = tls
        self.secret = secret
        self.sent: dict[str, float] = {}  # probe -> when the center answered 201
        self.arrived: dict[str, float] = {}
        self.refused = 0
        self.counter = 0

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        now = time.monotonic()
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not verify(self.secret, headers, body, int(time.time())):
            self.refused += 1
            return web.Response(status=401)
        document: dict[str, Any] = json.loads(body)
        detail = str(document["data"].get("detail", ""))
        if detail.startswith("probe "):
            self.arrived.setdefault(detail, now)
        return web.Response(status=204)

    async def run(self, label: str, seconds: float, every_s: float) -> list[str]:
        names: list[str] = []
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                self.counter += 1
                name = f"probe {label}-{self.counter}"
                alert = Alert(
                    index=1,
                    severity="warning",
                    group="generalPrinter",
                    code=f"unrecognized({40000 + self.counter})",
                    description=name,
                )
                report = _report(_reading("PROBE-1", self.counter, alert), "snmp://192.0.2.250:161")
                async with session.post(
                    self.url,
                    data=encode(report),
                    ssl=self.tls,
                    headers={"Content-Type": "application/json"},
                ) as response:
                    await response.read()
                    if response.status == 201:
                        self.sent[name] = time.monotonic()
                        names.append(name)
                await asyncio.sleep(every_s)
        return names


def _latencies(probe: Probe, names: list[str], wait_s: float) -> tuple[list[float], int]:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and any(n not in probe.arrived for n in names):
        time.sleep(0.1)
    got = [probe.arrived[n] - probe.sent[n] for n in names if n in probe.arrived]
    return sorted(got), len(names) - len(got)


def _summary(name: str, values: list[float], missing: int) -> float:
    def pct(q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    mean = statistics.fmean(values) if values else float("nan")
    print(
        f"  {name:<32} probes {len(values):4d}  p50 {pct(0.5):6.3f} s  p99 {pct(0.99):6.3f} s"
        f"  mean {mean:6.3f} s  missing {missing}",
        flush=True,
    )
    return pct(0.99)


def _backlog(settings: Any) -> tuple[int, int, int]:
    """Readings waiting in the care feed, how many of them urgent, and messages waiting
    in the outbox."""
    engine = make_engine(settings.effective_database_url)
    try:
        with engine.connect() as conn:
            feed = conn.execute(select(func.count()).select_from(care_feed)).scalar_one()
            urgent = conn.execute(
                select(func.count()).select_from(care_feed).where(care_feed.c.urgent.is_(True))
            ).scalar_one()
            owed = conn.execute(
                select(func.count())
                .select_from(notify_outbox)
                .where(notify_outbox.c.status == "pending")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(feed), int(urgent), int(owed)


def _identities(info_settings: Any, root: Path, count: int) -> list[tuple[str, str]]:
    """``count`` endpoints enrolled straight in the database: (certificate, key) files."""
    engine = make_engine(info_settings.effective_database_url)
    try:
        identities, _ = ingest.enrol_endpoints(info_settings, engine, root, count)
    finally:
        engine.dispose()
    return [(cert, key) for cert, key, _ in identities]


def _load_average() -> str:
    """The machine's 1-minute load average (shared machines: read figures beside it)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--rate", type=float, default=1000.0, help="load, reports/s")
    parser.add_argument("--clients", type=int, default=2, help="load client processes")
    parser.add_argument("--batch", type=int, default=25, help="reports per load request")
    parser.add_argument("--printers", type=int, default=2000, help="printers per client")
    parser.add_argument("--probe-every", type=float, default=0.2, help="seconds")
    parser.add_argument(
        "--busy-batch", type=int, default=None, help="care_feed_busy_batch (default: as shipped)"
    )
    parser.add_argument("--max-defer", type=float, default=None, help="care_feed_max_defer_seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-incidents-") as tmp:
        root = Path(tmp)
        info = init_center(root / "center")
        settings = info.settings
        pacing = ""
        if args.busy_batch is not None:
            pacing += f"care_feed_busy_batch = {args.busy_batch}\n"
        if args.max_defer is not None:
            pacing += f"care_feed_max_defer_seconds = {args.max_defer}\n"
        toml = settings.home / "center.toml"
        toml.write_text(toml.read_text() + pacing)
        identities = _identities(settings, root, args.clients + 1)
        receiver_port = _free_port()
        engine = make_engine(settings.effective_database_url)
        with engine.begin() as conn:
            request = SubscriptionRequest(
                "bench",
                Channel.WEBHOOK,
                f"http://127.0.0.1:{receiver_port}/hook",
                Audience.OPERATOR,
                severities=frozenset({"critical", "warning"}),
            )
            secret = str(add_subscription(conn, request, datetime.now(UTC))[1])
        engine.dispose()
        url = f"https://localhost:{settings.device_port}/api/v1/reports"
        probe_tls = ssl.create_default_context(cafile=str(settings.ca_cert_file))
        probe_tls.load_cert_chain(*identities[0])
        probe = Probe(url, probe_tls, secret)
        loop = asyncio.new_event_loop()

        async def start_receiver() -> None:
            app = web.Application()
            app.router.add_post("/hook", probe.receive)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", receiver_port).start()

        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(start_receiver(), loop).result(10)
        ports = (settings.console_port, settings.device_port)
        print(
            f"incidents: reading stored -> webhook received ({args.duration:g} s per phase,"
            f" {args.clients * args.printers:,} load printers; load average {_load_average()})"
            f"{'; ' + pacing.strip().replace(chr(10), ', ') if pacing else ''}"
        )
        with serving_center(settings.home, root / "center.log", ports):
            idle = asyncio.run_coroutine_threadsafe(
                probe.run("idle", args.duration, args.probe_every), loop
            ).result(args.duration + 30)
            idle_p99 = _summary("idle center", *_latencies(probe, idle, 30))
            start_at = time.time() + 2.0
            jobs = [
                LoadJob(
                    f"https://localhost:{settings.device_port}/api/v1/report-batches",
                    str(settings.ca_cert_file),
                    *identities[n + 1],
                    client=n,
                    printers=args.printers,
                    rate=args.rate / args.clients,
                    batch=args.batch,
                    start_at=start_at,
                    duration_s=args.duration,
                )
                for n in range(args.clients)
            ]
            context = multiprocessing.get_context("spawn")
            with context.Pool(args.clients) as pool:
                pending = pool.map_async(_load_client, jobs)
                time.sleep(max(0.0, start_at - time.time()))
                loaded = asyncio.run_coroutine_threadsafe(
                    probe.run("load", args.duration, args.probe_every), loop
                )
                results = pending.get(args.duration + 120)
                names = loaded.result(args.duration + 60)
            backlog = _backlog(settings)
            accepted = sum(done for done, _ in results)
            failed = sum(bad for _, bad in results)
            rate = accepted / args.duration
            load_p99 = _summary(f"under {rate:,.0f} reports/s", *_latencies(probe, names, 60))
            print(
                f"  load: {accepted} reports accepted, {failed} requests failed; at its end "
                f"{backlog[0]} readings waited in the care feed ({backlog[1]} urgent),"
                f" {backlog[2]} messages to send"
            )
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        print(
            f"  p99 under load / idle: {load_p99 / idle_p99:.1f}x; refused: {probe.refused};"
            f" load average {_load_average()}"
        )


if __name__ == "__main__":
    main()
