"""Console benchmark: the devices list, a search, filters and a device page of a center
with 10,000 devices and a year of compact history, logged in, over one kept-alive HTTPS
connection (as a browser keeps it).

The fleet is seeded straight into the database: 100 customers with an endpoint each,
``--printers`` devices spread over them (several vendors, some late or silent, some with
a low toner), and for every device a sample per week for a year of its four toner levels
and its total, mono and colour counters (the compact history keeps only changes, and an
office printer's counters change every working day; weekly keeps the seeding short and is
what the device page draws). The center runs as ``remotecare center serve`` in its own
process. Each page is asked for ``--requests`` times, one after another; p50 and p95 are
printed, beside the login page (a template and no database) as the reference of the same
run.

Then the same pages again with the ingest benchmark's load beside them (``bench/ingest.py``'s
client, in processes of its own): ``--ingest-endpoints`` enrolled agents post realistic
reports over mutual TLS to the same center, at ``--ingest-rate`` reports/s (0: as fast as
the center answers them), about their ``--ingest-printers`` printers (added to the fleet).
Printed per page: p50/p95 idle and under load, the ingest rate reached and its latency, and
/proc/loadavg around each phase (the machine may be shared: the load says how much).

``--db postgresql`` runs the same on a throwaway PostgreSQL cluster (tests/support).

Usage::

    .venv/bin/python bench/console.py                         # SQLite, 10,000 devices
    .venv/bin/python bench/console.py --db postgresql
    .venv/bin/python bench/console.py --devices 2000 --requests 50 --ingest-rate 0
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import Connection, Engine, insert, select, text

from remotecare.center.care.history.tables import (
    counter_samples,
    counter_series,
    supply_samples,
    supply_series,
)
from remotecare.center.config import CenterSettings
from remotecare.center.contracts.tables import customers
from remotecare.center.fleet.tables import printers
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.storage import make_engine
from remotecare.center.setup import initialize_center

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest  # bench/ingest.py: its mutual-TLS load client, enrolment, PostgreSQL

PASSWORD = "bench-password-0"
CUSTOMERS = 100
WEEKS = 52
_MODELS = (
    ("RICOH IM C3000", "1.3.6.1.4.1.367.1.1"),
    ("Canon iR-ADV C5535", "1.3.6.1.4.1.1602.4.7"),
    ("bizhub C450i", "1.3.6.1.4.1.18334.1.2"),
    ("Apeos C3570", "1.3.6.1.4.1.297.1.11"),
    ("TASKalfa 2552ci", "1.3.6.1.4.1.1347.41"),
)
_TONERS = ("Black", "Cyan", "Magenta", "Yellow")
_CHUNK = 20_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reading(serial: str, model: str, oid: str, pages: int, levels: list[int]) -> dict[str, Any]:
    return {
        "serial": serial,
        "serial_source": "prtGeneralSerialNumber",
        "model": model,
        "sys_object_id": oid,
        "status": {"device_status": "running", "error_conditions": []},
        "counters": [
            {"name": "total", "value": pages, "unit": "impressions"},
            {"name": "mono", "value": pages * 2 // 3, "unit": "impressions"},
            {"name": "colour", "value": pages - pages * 2 // 3, "unit": "impressions"},
        ],
        "supplies": [
            {
                "index": i + 1,
                "description": f"{name} Toner",
                "type": "toner",
                "supply_class": "consumed",
                "colour": name.lower(),
                "level": level,
                "max_capacity": 100,
                "percent": float(level),
                "state": "low" if level < 10 else "ok",
            }
            for i, (name, level) in enumerate(zip(_TONERS, levels, strict=True))
        ],
    }


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _CHUNK):
        conn.execute(insert(table), rows[start : start + _CHUNK])


def seed(settings: CenterSettings, count: int) -> float:
    """The fleet and its year of history; seconds taken."""
    started = time.monotonic()
    rng = random.Random(16)
    now = datetime.now(UTC)
    engine = make_engine(settings.effective_database_url)
    with engine.begin() as conn:
        _insert(
            conn,
            customers,
            [
                {
                    "id": 1000 + c,
                    "name": f"Customer {c:03d} K.K.",
                    "status": "active",
                    "created_at": now,
                }
                for c in range(CUSTOMERS)
            ],
        )
        _insert(
            conn,
            endpoints,
            [
                {
                    "id": f"00000000-0000-4000-8000-{c:012d}",
                    "customer_id": 1000 + c,
                    "certificate_serial": f"bench{c}",
                    "certificate_not_after": now + timedelta(days=365),
                    "revoked": False,
                    "enrolled_at": now - timedelta(days=400),
                    "last_seen_at": now,
                }
                for c in range(CUSTOMERS)
            ],
        )
        rows = []
        for n in range(count):
            c = n % CUSTOMERS
            model, oid = _MODELS[n % len(_MODELS)]
            quiet = rng.choice(
                [timedelta(minutes=1)] * 18 + [timedelta(minutes=20), timedelta(hours=3)]
            )
            levels = [rng.randint(3, 100) for _ in _TONERS]
            rows.append(
                {
                    "id": n + 1,
                    "customer_id": 1000 + c,
                    "endpoint_id": f"00000000-0000-4000-8000-{c:012d}",
                    "serial": f"BENCH{n:07d}",
                    "serial_source": "prtGeneralSerialNumber",
                    "address": f"snmp://10.{c}.{n // 250 % 250}.{n % 250}:161",
                    "model": model,
                    "first_seen_at": now - timedelta(days=370),
                    "last_contact_at": now - quiet,
                    "last_report_at": now - quiet,
                    "latest_reading": _reading(f"BENCH{n:07d}", model, oid, 50_000 + n, levels),
                    "latest_reading_at": now - quiet,
                    # as ingest writes it beside the reading (fleet/rules/low_supplies.py)
                    "low_supplies": sum(1 for level in levels if level < 10),
                }
            )
        _insert(conn, printers, rows)
    with engine.begin() as conn:
        s_series, c_series = [], []
        for n in range(count):
            for i, name in enumerate(_TONERS):
                s_series.append(
                    {"id": n * 4 + i + 1, "printer_id": n + 1, "supply_index": i + 1,
                     "description": f"{name} Toner", "type": "toner", "colour": name.lower(),
                     "unit": "percent"}
                )  # fmt: skip
            for i, name in enumerate(("total", "mono", "colour")):
                c_series.append(
                    {"id": n * 3 + i + 1, "printer_id": n + 1, "name": name, "unit": "impressions"}
                )
        _insert(conn, supply_series, s_series)
        _insert(conn, counter_series, c_series)
    start = now - timedelta(weeks=WEEKS)
    for first in range(0, count, 500):  # a transaction per 500 devices
        s_rows: list[dict[str, Any]] = []
        c_rows: list[dict[str, Any]] = []
        for n in range(first, min(count, first + 500)):
            pages = 10_000 + n
            for week in range(WEEKS):
                at = start + timedelta(weeks=week)
                pages += rng.randint(200, 1200)
                for i in range(3):
                    value = (pages, pages * 2 // 3, pages - pages * 2 // 3)[i]
                    c_rows.append({"series_id": n * 3 + i + 1, "sampled_at": at, "value": value})
                for i in range(4):
                    level = 100 - (week * (3 + i) + n) % 100
                    s_rows.append(
                        {"series_id": n * 4 + i + 1, "sampled_at": at, "level": level,
                         "max_capacity": 100, "state": "low" if level < 10 else "ok"}
                    )  # fmt: skip
        with engine.begin() as conn:
            _insert(conn, supply_samples, s_rows)
            _insert(conn, counter_samples, c_rows)
    if engine.dialect.name == "postgresql":
        _settle_postgresql(engine)
    engine.dispose()
    return time.monotonic() - started


def _settle_postgresql(engine: Engine) -> None:
    """Rows were given their ids: move the sequences past them (the center inserts more),
    and vacuum and analyse as a database in use would have been by now."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("customers", "printers", "supply_series", "counter_series"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            )
        conn.execute(text("VACUUM ANALYZE"))


def seed_load(
    settings: CenterSettings, root: Path, agents: int, devices: int
) -> list[tuple[str, str, list[str]]]:
    """The ingest load's agents (enrolled, with certificates) and their printers, in the
    fleet beside the others: the identities ``bench/ingest.py``'s client posts with."""
    engine = make_engine(settings.effective_database_url)
    identities, endpoint_ids = ingest.enrol_endpoints(
        settings, engine, root, agents, "Load Customer K.K."
    )
    now = datetime.now(UTC)
    with engine.begin() as conn:
        customer_id = conn.execute(
            select(endpoints.c.customer_id).where(endpoints.c.id == endpoint_ids[0])
        ).scalar_one()
        rows = []
        for n in range(devices):
            serial = f"LOAD{n:06d}"
            rows.append(
                {
                    "customer_id": customer_id,
                    "endpoint_id": endpoint_ids[n % agents],
                    "serial": serial,
                    "serial_source": "prtGeneralSerialNumber",
                    "address": "snmp://192.0.2.1:161",
                    "model": "Acme TASKalfa 2552ci Colour MFP",
                    "first_seen_at": now,
                    "last_contact_at": now,
                    "last_report_at": now,
                    "latest_reading": ingest.realistic_report(serial, "snmp://192.0.2.1:161")[
                        "reading"
                    ],
                    "latest_reading_at": now,
                }
            )
            identities[n % agents][2].append(serial)
        _insert(conn, printers, rows)
    engine.dispose()
    return identities


async def _log_in(session: aiohttp.ClientSession, base: str, tls: ssl.SSLContext) -> None:
    async with session.get(base + "/login", ssl=tls) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', await response.text())
    assert token is not None
    form = {"username": "operator", "password": PASSWORD, "csrf_token": token.group(1)}
    async with session.post(base + "/login", data=form, ssl=tls, allow_redirects=False) as answer:
        assert answer.status == 303, answer.status


async def _measure(
    session: aiohttp.ClientSession, base: str, tls: ssl.SSLContext, paths: list[str]
) -> list[float]:
    took = []
    for path in paths:
        started = time.perf_counter()
        async with session.get(base + path, ssl=tls) as response:
            await response.read()
            assert response.status == 200, (path, response.status)
        took.append((time.perf_counter() - started) * 1000)
    return took


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def _scenarios(count: int, requests: int) -> dict[str, list[str]]:
    rng = random.Random(7)  # the same paths idle and under load
    return {
        "login page (reference)": ["/login"] * requests,
        "fleet overview": ["/overview"] * requests,
        "devices, first page": ["/devices"] * requests,
        "devices, page 100": ["/devices?page=100"] * requests,
        "search (part of a serial)": [
            f"/devices?q=BENCH{rng.randrange(count) // 10:06d}" for _ in range(requests)
        ],
        "search (a customer)": [
            f"/devices?q=Customer+{rng.randrange(CUSTOMERS):03d}" for _ in range(requests)
        ],
        "filter (late, low supplies)": ["/devices?state=late&low=1"] * requests,
        "filter (vendor Ricoh)": ["/devices?vendor=ricoh"] * requests,
        "device page (a year of history)": [
            f"/devices/{rng.randrange(count) + 1}" for _ in range(requests)
        ],
        "meter reads, first page": ["/meter-reads"] * requests,
        "meter reads, one customer": [
            f"/meter-reads?customer={1000 + rng.randrange(CUSTOMERS)}" for _ in range(requests)
        ],
    }


Figures = dict[str, tuple[float, float]]  # page -> (p50, p95) in ms


async def run(base: str, tls: ssl.SSLContext, count: int, requests: int) -> Figures:
    connector = aiohttp.TCPConnector(limit=1)  # one kept-alive connection, as a browser tab
    figures: Figures = {}
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        await _log_in(session, base, tls)
        await _measure(session, base, tls, ["/devices", "/devices/1", "/overview"] * 5)  # warm up
        for name, paths in _scenarios(count, requests).items():
            took = await _measure(session, base, tls, paths)
            figures[name] = (statistics.median(took), _p95(took))
    return figures


def _print_figures(figures: Figures) -> None:
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'p95 / reference':>16}")
    reference = next(iter(figures.values()))[1]
    for name, (p50, p95) in figures.items():
        print(f"{name:34} {p50:8.1f} {p95:8.1f} {p95 / reference:16.1f}")


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            raise SystemExit(f"center exited: {log.read_text()[-3000:]}")
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


@contextlib.contextmanager
def _serving(settings: CenterSettings, root: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = root / "center.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "remotecare", "center", "serve", "--home", str(settings.home)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_listening(settings.console_port, process, log)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _under_load(
    settings: CenterSettings,
    identities: list[tuple[str, str, list[str]]],
    center: subprocess.Popen[bytes],
    args: argparse.Namespace,
    idle_seconds: float,
) -> tuple[Figures, ingest.RunResult, bool]:
    """The pages again while bench/ingest.py's client posts reports beside them; whether
    every page was measured inside the load's window."""
    load_args = argparse.Namespace(
        clients=args.ingest_clients,
        concurrency=args.ingest_concurrency,
        duration=max(30.0, idle_seconds * 2),  # the pages are slower under load
    )
    outcome: list[ingest.RunResult] = []

    def post_reports() -> None:
        outcome.append(
            ingest.run_load(
                "ingest beside the console, keep-alive",
                f"https://localhost:{settings.device_port}/api/v1/reports",
                settings.ca_cert_file,
                identities,
                load_args,
                new_connection=False,
                server_pids=[center.pid],
                rate=args.ingest_rate,
            )
        )

    poster = threading.Thread(target=post_reports)
    started = time.time()
    poster.start()
    time.sleep(4.0)  # the clients started (1 s) and warmed up (1.5 s), as run_load measures
    tls = ssl.create_default_context(cafile=str(settings.ca_cert_file))
    figures = asyncio.run(
        run(f"https://localhost:{settings.console_port}", tls, args.devices, args.requests)
    )
    inside = time.time() < started + 2.5 + load_args.duration
    poster.join()
    return figures, outcome[0], inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--devices", "--printers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="per page and phase")
    parser.add_argument(
        "--ingest-rate", type=float, default=300.0, help="reports/s beside (0: as fast as it goes)"
    )
    parser.add_argument("--ingest-clients", type=int, default=1, help="client processes")
    parser.add_argument("--ingest-endpoints", type=int, default=8, help="enrolled agents")
    parser.add_argument("--ingest-concurrency", type=int, default=8, help="per agent")
    parser.add_argument("--ingest-printers", type=int, default=400, help="the agents' printers")
    parser.add_argument("--idle-only", action="store_true", help="no phase under load")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        root = Path(tmp)
        with ingest.database(args.db, root) as new_database:
            settings = CenterSettings(
                home=root / "center",
                hostname="localhost",
                listen_host="127.0.0.1",
                console_port=_free_port(),
                device_port=_free_port(),
                database_url=new_database("console"),
            )
            initialize_center(settings, password=PASSWORD)
            seconds = seed(settings, args.devices)
            identities = seed_load(settings, root, args.ingest_endpoints, args.ingest_printers)
            samples = args.devices * WEEKS * 7
            print(
                f"seeded {args.devices:,} devices of {CUSTOMERS} customers and {samples:,} history"
                f" samples in {seconds:.0f} s ({args.db}), and {args.ingest_printers} printers of"
                f" {args.ingest_endpoints} enrolled agents for the ingest load;"
                f" {args.requests} requests per page, one kept-alive connection, logged in as"
                " an operator",
                flush=True,
            )
            tls = ssl.create_default_context(cafile=str(settings.ca_cert_file))
            with _serving(settings, root) as center:
                print(f"\n== idle (loadavg before {_loadavg()}) ==", flush=True)
                began = time.monotonic()
                idle = asyncio.run(
                    run(
                        f"https://localhost:{settings.console_port}",
                        tls,
                        args.devices,
                        args.requests,
                    )
                )
                idle_seconds = time.monotonic() - began
                _print_figures(idle)
                print(f"loadavg after: {_loadavg()}", flush=True)
                if args.idle_only:
                    return
                rate = f"{args.ingest_rate:.0f} reports/s" if args.ingest_rate else "max rate"
                print(f"\n== under ingest load, {rate} (loadavg before {_loadavg()}) ==")
                loaded, load, inside = _under_load(settings, identities, center, args, idle_seconds)
                _print_figures(loaded)
                print(f"loadavg after: {_loadavg()}")
                if not inside:
                    print("NOTE: the pages took longer than the load ran: the last ones idle")
                print(f"\n== {args.db}: idle against under ingest ({load.rate:,.0f} reports/s) ==")
                print(f"{'page':34} {'idle p50/p95 ms':>18} {'under load p50/p95 ms':>24}")
                for name, (p50, p95) in idle.items():
                    l50, l95 = loaded[name]
                    print(f"{name:34} {p50:8.1f} / {p95:7.1f} {l50:12.1f} / {l95:9.1f}")
                print(
                    f"ingest reached {load.rate:,.1f} reports/s (asked {rate}), p50"
                    f" {load.p50_ms:.1f} ms p99 {load.p99_ms:.1f} ms, statuses {load.statuses},"
                    f" errors {load.errors}, center CPU {load.server_cores:.2f} cores"
                )


if __name__ == "__main__":
    main()
