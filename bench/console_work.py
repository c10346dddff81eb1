"""Console benchmark of the work pages: the fleet overview, the incidents list (first page,
a filter, a search by serial, a page far down), an incident's page, the orders list and an
order's page, and the device page with its incidents and orders, over one kept-alive
HTTPS connection, logged in as an operator.

The fleet and its year of history are seeded as ``bench/console.py`` seeds them
(``--printers`` devices of 100 customers); beside them ``--incidents`` incidents (a tenth
unresolved, of mixed severities, the rest resolved, each with its timeline: opened, and
acknowledged and resolved by hand) and ``--orders`` supply orders at every step. The
center runs as ``remotecare center serve`` in its own process; each page is asked for
``--requests`` times; p50 and p95 are printed beside the login page (a template and no
database) as the reference of the same run.

Usage::

    .venv/bin/python bench/console_work.py                    # SQLite, 10,000 devices
    .venv/bin/python bench/console_work.py --printers 2000 --requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import ssl
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp

from remotecare.center.care.incidents.tables import incident_timeline, incidents
from remotecare.center.care.supplies.tables import OPEN_STATUSES, supply_orders
from remotecare.center.config import CenterSettings
from remotecare.center.kernel.storage import make_engine
from remotecare.center.setup import initialize_center


def _console_bench() -> ModuleType:
    """``bench/console.py``: its seeding, serving and measuring, shared."""
    spec = importlib.util.spec_from_file_location(
        "bench_console", Path(__file__).resolve().parent / "console.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


console = _console_bench()

_KINDS = (  # kind, severity, responder, error condition behind it
    ("paper_jam", "critical", "customer", "jammed"),
    ("paper_out", "warning", "customer", "noPaper"),
    ("paper_low", "info", "customer", "lowPaper"),
    ("fuser_failure", "critical", "field_service", "markerFuserThermistorFailure"),
    ("cover_open", "critical", "customer", "doorOpen"),
)
_STATUSES = ("proposed", "approved", "shipped", "delivered", "installed", "cancelled")


def seed_work(settings: CenterSettings, printers: int, count: int, orders: int) -> float:
    """Incidents with their timelines and supply orders; seconds taken."""
    started = time.monotonic()
    rng = random.Random(12)
    now = datetime.now(UTC)
    engine = make_engine(settings.effective_database_url)
    rows: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    open_printers: set[int] = set()
    for n in range(count):
        printer = rng.randrange(printers) + 1
        customer = 1000 + (printer - 1) % console.CUSTOMERS
        endpoint = f"00000000-0000-4000-8000-{customer - 1000:012d}"
        kind, severity, responder, code = _KINDS[n % len(_KINDS)]
        opened = now - timedelta(minutes=(count - n) * 30)
        unresolved = n >= count * 9 // 10 and printer not in open_printers
        if unresolved:
            open_printers.add(printer)  # one open incident per printer and condition
        key = f"error:{code}"
        rows.append(
            {"id": n + 1, "customer_id": customer, "subject": f"printer:{printer}",
             "printer_id": printer, "endpoint_id": endpoint,
             "condition_key": key, "open_key": key if unresolved else None, "kind": kind,
             "severity": severity, "responder": responder,
             "state": "open" if unresolved else "resolved", "code": code,
             "detail": f"{code} reported by BENCH{printer - 1:07d}", "opened_at": opened,
             "last_seen_at": opened + timedelta(minutes=5),
             "resolved_at": None if unresolved else opened + timedelta(hours=2),
             "acknowledged_at": opened + timedelta(minutes=20),
             "acknowledged_by": "operator", "returns": 0, "flapping": False}
        )  # fmt: skip
        timeline.append(
            {"incident_id": n + 1, "at": opened, "change": "opened", "actor": None, "note": None}
        )
        timeline.append(
            {"incident_id": n + 1, "at": opened + timedelta(minutes=20), "change": "acknowledged",
             "actor": "operator", "note": "on it"}
        )  # fmt: skip
        if not unresolved:
            timeline.append(
                {"incident_id": n + 1, "at": opened + timedelta(hours=2),
                 "change": "resolved_by_hand", "actor": "operator", "note": "fixed"}
            )  # fmt: skip
    order_rows = []
    for n in range(orders):
        printer = n % printers + 1
        status = _STATUSES[n % len(_STATUSES)]
        if n >= 4 * printers and status in OPEN_STATUSES:
            status = "installed"  # a cartridge has one open order at most (a unique index)
        at = now - timedelta(hours=orders - n)
        customer = 1000 + (printer - 1) % console.CUSTOMERS
        order_rows.append(
            {"id": str(uuid.UUID(int=n + 1)), "customer_id": customer,
             "printer_id": printer, "supply_index": 1 + n // printers % 4,
             "cartridge_description": "Black Toner", "cartridge_installed_at": at,
             "supply_type": "toner", "colour": "black", "printer_serial": f"BENCH{printer - 1:07d}",
             "printer_model": "RICOH IM C3000", "ship_to": "Head office",
             "shipment_id": str(uuid.UUID(int=10**9 + n)), "due_reason": "forecast",
             "days_to_empty": 6.5, "status": status, "proposed_at": at, "needs_person": False,
             "updated_at": at}
        )  # fmt: skip
    with engine.begin() as conn:
        console._insert(conn, incidents, rows)
        console._insert(conn, incident_timeline, timeline)
        console._insert(conn, supply_orders, order_rows)
    engine.dispose()
    return time.monotonic() - started


async def run(
    base: str, tls: ssl.SSLContext, printers: int, count: int, orders: int, requests: int
) -> None:
    rng = random.Random(7)
    connector = aiohttp.TCPConnector(limit=1)  # one kept-alive connection, as a browser tab
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        await console._log_in(session, base, tls)
        scenarios = {
            "login page (reference)": ["/login"] * requests,
            "fleet overview": ["/overview"] * requests,
            "incidents, first page": ["/incidents"] * requests,
            "incidents, critical": ["/incidents?severity=critical"] * requests,
            "incidents, search a serial": [
                f"/incidents?state=all&q=BENCH{rng.randrange(printers) // 10:06d}"
                for _ in range(requests)
            ],
            "incidents, all, page 200": ["/incidents?state=all&page=200"] * requests,
            "incident page (timeline, visit)": [
                f"/incidents/{rng.randrange(count) + 1}" for _ in range(requests)
            ],
            "orders, first page": ["/orders"] * requests,
            "orders, all, page 50": ["/orders?state=all&page=50"] * requests,
            "order page": [
                f"/orders/{uuid.UUID(int=rng.randrange(orders) + 1)}" for _ in range(requests)
            ],
            "device page (with incidents, orders)": [
                f"/devices/{rng.randrange(printers) + 1}" for _ in range(requests)
            ],
        }
        await console._measure(session, base, tls, ["/overview", "/incidents"] * 5)  # warm up
        print(f"{'page':38} {'p50 ms':>8} {'p95 ms':>8} {'p95 / reference':>16}")
        reference = None
        for name, paths in scenarios.items():
            took = await console._measure(session, base, tls, paths)
            p95 = console._p95(took)
            reference = reference or p95
            print(f"{name:38} {statistics.median(took):8.1f} {p95:8.1f} {p95 / reference:16.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--printers", type=int, default=10_000)
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-work-") as tmp:
        root = Path(tmp)
        settings = CenterSettings(
            home=root / "center",
            hostname="localhost",
            listen_host="127.0.0.1",
            console_port=console._free_port(),
            device_port=console._free_port(),
        )
        initialize_center(settings, password=console.PASSWORD)
        seconds = console.seed(settings, args.printers)
        seconds += seed_work(settings, args.printers, args.incidents, args.orders)
        print(
            f"seeded {args.printers:,} devices with a year of history, {args.incidents:,}"
            f" incidents and {args.orders:,} orders in {seconds:.0f} s (SQLite);"
            f" {args.requests} requests per page, one kept-alive connection, as an operator"
        )
        tls = ssl.create_default_context(cafile=str(settings.ca_cert_file))
        with console._serving(settings, root):
            asyncio.run(
                run(
                    f"https://localhost:{settings.console_port}",
                    tls,
                    args.printers,
                    args.incidents,
                    args.orders,
                    args.requests,
                )
            )


if __name__ == "__main__":
    main()
