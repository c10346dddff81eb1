"""Backfill after an outage: 100,000 queued readings drain from an agent to a real center.

Starts a center (`remotecare center serve`, its own process, SQLite, mutual TLS on
loopback), enrols an agent, queues realistic reports (built with the protocol models:
a colour MFP with four toners, a waste box, counters and an alert) as if the center had
been away, then drains the outbox in a separate agent process and prints:

- readings/s for the whole drain (target >= 2,000),
- bytes sent on the wire per reading (gzip-compressed request bodies),
- the size of one printer's periodic report, compressed as sent (target <= 4 KB),
- the draining agent's peak RSS (target <= 80 MB).

Usage::

    .venv/bin/python bench/backfill.py [--readings 100000] [--printers 50] [--batch 200]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.enrolment import enrol
from remotecare.agent.outbox import Outbox
from remotecare.agent.uplink import drain, open_uplink
from remotecare.protocol.messages import (
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
    Tray,
    new_report_id,
)

_COLOURS = ("black", "cyan", "magenta", "yellow")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def reading(serial: str, step: int) -> PrinterReading:
    """One colour MFP as the Printer-MIB describes it, changing a little at each step."""
    pages = 120_000 + step * 7
    supplies = [
        Supply(
            index=i + 1,
            description=f"{colour.title()} Toner Cartridge TK-8345{colour[0].upper()}",
            type="toner",
            supply_class=SupplyClass.CONSUMED,
            colour=colour,
            unit="percent",
            level=max(1, 95 - (step // 40 + i * 11) % 94),
            max_capacity=100,
            percent=float(max(1, 95 - (step // 40 + i * 11) % 94)),
            state=SupplyState.OK,
        )
        for i, colour in enumerate(_COLOURS)
    ]
    supplies.append(
        Supply(
            index=5,
            description="Waste Toner Box WT-8500",
            type="wasteToner",
            supply_class=SupplyClass.RECEPTACLE,
            state=SupplyState.SOME_REMAINING,
        )
    )
    return PrinterReading(
        serial=serial,
        serial_source=SerialSource.PRINTER_MIB,
        model="TASKalfa 2554ci",
        status=DeviceStatus(device_status="running", printer_status="idle"),
        counters=[
            Counter(name="total", value=pages, unit="impressions"),
            Counter(name="mono", value=pages * 2 // 3, unit="impressions"),
            Counter(name="colour", value=pages // 3, unit="impressions"),
            Counter(name="copy", value=pages // 4, unit="impressions"),
            Counter(name="print", value=pages // 2, unit="impressions"),
            Counter(name="scan", value=pages // 5, unit="impressions"),
        ],
        supplies=supplies,
        trays=[
            Tray(
                index=t,
                name=f"Cassette {t}",
                media="A4",
                level=250 - t * 20,
                max_capacity=500,
                state=SupplyState.OK,
            )
            for t in (1, 2)
        ],
        alerts=[
            Alert(
                index=1,
                severity="warning",
                training_level="noInterventionRequired",
                group="markerSupplies",
                group_index=3,
                code="markerTonerAlmostEmpty",
                description="Magenta toner is low",
                time_ticks=8_640_000 + step,
            )
        ],
    )


def reports(printers: int, total: int, start: datetime) -> list[Report]:
    """``total`` readings from ``printers`` printers, one poll every 5 minutes."""
    per_printer = total // printers
    out = []
    for step in range(per_printer):
        when = start + timedelta(minutes=5 * step)
        for p in range(printers):
            out.append(
                Report(
                    report_id=new_report_id(),
                    agent_time=when + timedelta(milliseconds=p),
                    printer_address=f"snmp://10.20.{p // 250}.{p % 250 + 1}:161",
                    reading=reading(f"W5{p:08d}", step),
                )
            )
    return out


def periodic_report_size() -> tuple[int, int]:
    """One printer's periodic report as sent (a batch of one): (JSON bytes, gzip bytes)."""
    one = ReportBatch(
        reports=[
            Report(
                report_id=new_report_id(),
                agent_time=datetime.now(UTC),
                printer_address="snmp://10.20.0.1:161",
                reading=reading("W500000001", 0),
            )
        ]
    )
    body = one.model_dump_json(exclude_none=True).encode()
    return len(body), len(gzip.compress(body, 6))


async def _drain_here(home: Path, batch: int) -> dict[str, Any]:
    paths = AgentPaths(home)
    identity = AgentIdentity.load(paths.identity)
    settings = AgentSettings(batch_size=batch, http_timeout_seconds=120)
    outbox = Outbox(paths.outbox)
    queued = outbox.count()
    started = time.perf_counter()
    async with open_uplink(paths, settings, identity.device_api_url) as uplink:
        result = await drain(outbox, uplink, batch)
        wire = uplink.bytes_sent
    elapsed = time.perf_counter() - started
    outbox.close()
    return {
        "queued": queued,
        "sent": result.sent,
        "accepted": result.accepted,
        "remaining": result.remaining,
        "errors": result.errors,
        "seconds": elapsed,
        "wire_bytes": wire,
        "peak_rss_mb": _peak_rss_mb(),
        "cpu_seconds": _cpu_seconds(resource.RUSAGE_SELF),
    }


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM; ru_maxrss would count the parent before
    exec, which Linux carries over)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def drain_in_own_process(home: Path, batch: int) -> dict[str, Any]:
    """Run the draining agent as its own process, so its peak RSS is its own."""
    result = subprocess.run(
        [sys.executable, __file__, "--drain", str(home), "--batch", str(batch)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--printers", type=int, default=50)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--drain", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drain:
        print(json.dumps(asyncio.run(_drain_here(args.drain, args.batch))))
        return

    # The center's modules only here: the draining agent process imports agent code alone.
    from remotecare.center.bootstrap import bootstrap
    from remotecare.center.config import CenterSettings
    from remotecare.center.setup import initialize_center

    with tempfile.TemporaryDirectory(prefix="remotecare-backfill-") as temporary:
        root = Path(temporary)
        settings = CenterSettings(
            home=root / "center",
            hostname="localhost",
            listen_host="127.0.0.1",
            console_port=_free_port(),
            device_port=_free_port(),
        )
        done = initialize_center(settings, password="bench-password-not-secret")
        center = subprocess.Popen(
            [sys.executable, "-m", "remotecare", "center", "serve", "--home", str(settings.home)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_listening(settings.device_port)
            admin = bootstrap(settings)
            admin.admin.accept_new_customer(
                {
                    "organisation": "Bench Ltd",
                    "sites": [{"name": "Office", "postal_code": "100-0005", "address": "1-1"}],
                    "contacts": [
                        {
                            "name": "Bench",
                            "email": "bench@bench.example",
                            "phone": "+81 3 0000 0000",
                        }
                    ],
                    "services": ["supplies", "meters", "fault_monitoring"],
                    "billing_cutoff_day": 20,
                    "consents_to_news": False,
                }
            )
            token = admin.admin.create_token("Bench Ltd").token
            admin.dispose()
            home = root / "agent"
            asyncio.run(
                enrol(
                    AgentPaths(home),
                    f"https://localhost:{settings.console_port}",
                    token,
                    done.ca_fingerprint,
                )
            )
            print(f"building {args.readings:,} readings of {args.printers} printers ...")
            start = datetime.now(UTC) - timedelta(days=30)
            backlog = reports(args.printers, args.readings, start)
            outbox = Outbox(AgentPaths(home).outbox, max_reports=len(backlog) + 1)
            for i in range(0, len(backlog), 10_000):
                outbox.put(backlog[i : i + 10_000])
            queued = outbox.count()
            outbox.close()
            del backlog
            print(f"queued {queued:,}; the center is back: draining in batches of {args.batch}")
            figures = drain_in_own_process(home, args.batch)
        finally:
            center.send_signal(signal.SIGTERM)
            center.wait(30)
        center_cpu = _cpu_seconds(resource.RUSAGE_CHILDREN) - figures.get("cpu_seconds", 0.0)
    json_bytes, gzip_bytes = periodic_report_size()
    rate = figures["sent"] / figures["seconds"]
    per_reading = figures["wire_bytes"] / max(1, figures["sent"])
    print(f"readings sent:            {figures['sent']:,} of {figures['queued']:,}"
          f" ({figures['remaining']} left, errors: {figures['errors'] or 'none'})")  # fmt: skip
    print(f"backfill rate:            {rate:,.0f} readings/s  (target >= 2,000)")
    print(f"drain time:               {figures['seconds']:.1f} s")
    print(f"on the wire per reading:  {per_reading:,.0f} bytes (gzip, request bodies)")
    print(f"one periodic report:      {gzip_bytes:,} bytes gzip ({json_bytes:,} JSON)"
          "  (target <= 4,096)")  # fmt: skip
    print(f"agent peak RSS:           {figures['peak_rss_mb']:.1f} MB  (target <= 80)")
    print(f"agent CPU while draining: {figures['cpu_seconds']:.1f} s (process total)")
    print(f"center CPU, whole run:    {center_cpu:.1f} s")
    print(f"cpu count:                {os.cpu_count()}")


def _wait_listening(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"center not listening on {port} after {timeout_s} s")


if __name__ == "__main__":
    main()
