"""Ingest benchmark: many mutual-TLS client processes against a real center, durable storage.

What it measures, in one run (see BENCHMARKS.md for results and the machine):

1. keep-alive: each client keeps its connections and posts one ~2 KB report per request;
2. new connection per report: a full mutual-TLS handshake for every report;
3. the same client against nginx answering 204 with mutual TLS (its own config in a temp
   dir): the reference, and the ratio of the center to it for both modes; new connections
   also against the same nginx without TLS session tickets, as the center runs;
4. the care feed, A/B: the same center with the feed on (recorded by ingest and drained
   into the history by the center) and off (``care_feed = false`` in center.toml, a bench
   switch), alternated ``--feed-rounds`` times in one run, keep-alive; both mean rates and
   their ratio;
5. history: keep-alive ingest as the history grows in one database, by default 10,000
   printers with 1 million readings, 100,000 with 10 million and 1,000,000 with 100
   million (``--history-sizes``; seeded with bulk SQL, readings under UUIDv7 ids over the
   last twelve weeks, so PostgreSQL's weekly partitions fill as in use; ``--seed-budget``
   bounds the seeding time and the largest size reached is measured and said so), each
   rate against an empty database measured before and after
   (``--quick``: up to 10,000 printers and 500,000 readings). On PostgreSQL each run also
   prints where a report's cost went (WAL bytes and full-page images, blocks read into
   shared buffers by table, HOT share of the printers' updates, rows written by table),
   and each size how long reading every printer's facts takes (the incident watch's
   round) against choosing the silent ones in SQL.

Storage is durable: SQLite in WAL mode with synchronous=FULL (the center's default), or a
private PostgreSQL cluster with fsync and synchronous_commit on (``--db postgresql``),
otherwise on PostgreSQL's defaults unless ``--pg-setting name=value`` (repeatable) says
otherwise, e.g. a large server's tuning (BENCHMARKS.md has what it changed at 1,000,000
printers)::

    --pg-setting shared_buffers=4GB --pg-setting max_wal_size=8GB \
    --pg-setting checkpoint_timeout=15min --pg-setting wal_compression=lz4
Reports/s, p50/p99 latency and the CPU used by clients and server (in cores) are printed.

Usage::

    .venv/bin/python bench/ingest.py --db sqlite
    .venv/bin/python bench/ingest.py --db postgresql --workers 2 --quick
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import itertools
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: throwaway PostgreSQL and nginx

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402
from sqlalchemy import text  # noqa: E402
from tests.support.contracts import sample_application as bench_application  # noqa: E402
from tests.support.nginx import running_nginx  # noqa: E402
from tests.support.postgres import throwaway_postgres  # noqa: E402

from remotecare.center.admin import ADMINISTRATOR  # noqa: E402
from remotecare.center.config import CenterSettings  # noqa: E402
from remotecare.center.contracts.service import ContractService  # noqa: E402
from remotecare.center.fleet.rules.conditions import conditions_fingerprint  # noqa: E402
from remotecare.center.identity.enrolment import EnrolmentService  # noqa: E402
from remotecare.center.kernel.clock import SystemClock  # noqa: E402
from remotecare.center.kernel.storage import make_engine  # noqa: E402
from remotecare.center.nginx import nginx_config  # noqa: E402
from remotecare.center.setup import initialize_center  # noqa: E402
from remotecare.pki.ca import CertificateAuthority  # noqa: E402
from remotecare.pki.certificates import build_csr  # noqa: E402
from remotecare.pki.keys import generate_private_key, write_private_key  # noqa: E402
from remotecare.protocol.messages import PrinterReading, Report, new_report_id  # noqa: E402

_TICKS = os.sysconf("SC_CLK_TCK")
_DATABASE_PIDS: list[int] = []  # a PostgreSQL server's processes count as the server's CPU
_WARMUP_S = 1.5


# --- realistic reports -------------------------------------------------------------------


def realistic_report(serial: str, address: str) -> dict[str, Any]:
    """A colour MFP's reading as the agent sends it (validated by the protocol models)."""
    colours = [("Black", "black", 34), ("Cyan", "cyan", 55), ("Magenta", "magenta", 19)]
    colours.append(("Yellow", "yellow", 40))
    supplies = [
        {
            "index": i + 1,
            "description": f"{name} Toner Cartridge TK-8345{name[0]}",
            "type": "toner",
            "supply_class": "consumed",
            "colour": colour,
            "unit": "percent",
            "level": level,
            "max_capacity": 100,
            "percent": float(level),
            "state": "ok",
        }
        for i, (name, colour, level) in enumerate(colours)
    ]
    supplies.append(
        {
            "index": 5,
            "description": "Waste Toner Box WT-8500",
            "type": "wasteToner",
            "supply_class": "receptacle",
            "level": -3 + 3,
            "state": "some_remaining",
        }
    )
    counters = [
        ("total", 121104),
        ("mono", 82214),
        ("colour", 38890),
        ("duplex", 40211),
        ("copy", 28583),
        ("print", 86377),
        ("scan", 31022),
        ("fax", 412),
    ]
    reading = {
        "serial": serial,
        "serial_source": "prtGeneralSerialNumber",
        "model": "Acme TASKalfa 2552ci Colour MFP",
        "status": {
            "device_status": "warning",
            "printer_status": "idle",
            "error_conditions": ["lowToner"],
        },
        "counters": [{"name": n, "value": v, "unit": "impressions"} for n, v in counters],
        "supplies": supplies,
        "trays": [
            {
                "index": t,
                "name": f"Tray {t}",
                "media": "A4 plain 80 g/m2",
                "level": 250,
                "max_capacity": 500,
                "state": "ok",
            }
            for t in (1, 2, 3)
        ],
        "alerts": [
            {
                "index": 1,
                "severity": "warning",
                "training_level": "noInterventionRequired",
                "group": "markerSupplies",
                "group_index": 2,
                "location": 0,
                "code": "markerTonerAlmostEmpty",
                "description": "Magenta toner is low. Order a new cartridge.",
                "time_ticks": 8261543,
            },
            {
                "index": 2,
                "severity": "warning",
                "group": "mediaInput",
                "group_index": 3,
                "code": "inputMediaSupplyLow",
                "description": "Paper in tray 3 is low.",
                "time_ticks": 8262011,
            },
        ],
    }
    report = {
        "report_id": str(new_report_id()),
        "agent_time": datetime.now(UTC).isoformat(),
        "printer_address": address,
        "reading": reading,
    }
    Report.model_validate(report)  # the center would refuse anything else
    return report


def body_template() -> tuple[bytes, bytes, bytes, bytes]:
    """Bytes around the report_id, agent_time and serial, so clients spend no CPU on JSON."""
    report = realistic_report("SERIAL", "snmp://192.0.2.1:161")
    report["report_id"] = "@ID@"
    report["agent_time"] = "@TIME@"
    report["reading"]["serial"] = "@SERIAL@"
    raw = json.dumps(report, separators=(",", ":")).encode()
    head, rest = raw.split(b"@ID@")
    middle, rest = rest.split(b"@TIME@")
    before_serial, tail = rest.split(b"@SERIAL@")
    return head, middle, before_serial, tail


# --- clients -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientJob:
    url: str
    ca_file: str
    identities: list[tuple[str, str, list[str]]]  # (cert, key, serials it may report)
    concurrency: int  # per identity
    new_connection: bool
    start_at: float  # wall clock
    duration_s: float
    batch: int = 1  # reports per request: 1 = POST one report; more = one gzip batch
    rate: float = 0.0  # requests/s of this client, paced over its workers; 0 = no pacing


@dataclass
class ClientResult:
    done: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Exchange(asyncio.Protocol):
    """One HTTP/1.1 connection of the load generator: send a request, read the answer's
    status line, Content-Length and body. Written by hand (like wrk's, in a few lines)
    because an HTTP client library spends several times the CPU per request, and the
    clients share the two cores with the server they measure."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._answer: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's own transport type

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0 or self._answer is None or self._answer.done():
            return
        head = bytes(self._buffer[:end]).lower()
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                self._answer.set_exception(ConnectionError("chunked answer"))
                return
        if len(self._buffer) < end + 4 + length:
            return
        del self._buffer[: end + 4 + length]
        self._answer.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc or ConnectionError("closed before the answer"))

    async def exchange(self, request: bytes) -> int:
        assert self.transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self._answer


async def _client_main(job: ClientJob) -> ClientResult:
    result = ClientResult()
    head, middle, before_serial, tail = body_template()
    measure_from = job.start_at + _WARMUP_S
    end = job.start_at + _WARMUP_S + job.duration_s
    cpu_at_start = [0.0]
    url = urllib.parse.urlsplit(job.url)
    host, port = url.hostname or "localhost", url.port or 443
    request_head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
        + ("Content-Encoding: gzip\r\n" if job.batch > 1 else "")
        + ("Connection: close\r\n" if job.new_connection else "")
    ).encode()
    loop = asyncio.get_running_loop()

    async def connect(context: ssl.SSLContext) -> _Exchange:
        _, protocol = await loop.create_connection(
            _Exchange, host, port, ssl=context, server_hostname=host
        )
        return protocol

    workers = len(job.identities) * job.concurrency
    interval = workers / job.rate if job.rate else 0.0  # one worker's seconds per request

    async def worker(context: ssl.SSLContext, serials: list[str], n: int) -> None:
        # Each run starts at another place in the printers' list (the same one for the
        # worker's whole run): with a million printers a run reaches a few thousand, and
        # starting each run at the first ones would measure printers the run before warmed.
        i = n + job.concurrency * random.Random(f"{job.start_at}").randrange(max(1, len(serials)))
        connection: _Exchange | None = None
        next_at = job.start_at + interval * n / job.concurrency
        while True:
            now = time.time()
            if now >= end:
                break
            if interval:  # paced: a stated rate, not catching up on more than one request
                next_at = max(next_at + interval, now - interval)
                if next_at > now:
                    await asyncio.sleep(next_at - now)
            reports = []
            for _ in range(job.batch):
                serial = serials[i % len(serials)]
                i += job.concurrency
                reports.append(
                    b"".join(
                        (
                            head,
                            str(new_report_id()).encode(),  # as the agent makes them
                            middle,
                            datetime.now(UTC).isoformat().encode(),
                            before_serial,
                            serial.encode(),
                            tail,
                        )
                    )
                )
            if job.batch == 1:
                body = reports[0]
            else:  # as the agent sends them: one gzip-compressed batch
                body = gzip.compress(b'{"reports":[' + b",".join(reports) + b"]}", 6)
            request = b"%sContent-Length: %d\r\n\r\n%s" % (request_head, len(body), body)
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = await connect(context)
                status = await connection.exchange(request)
            except (OSError, ssl.SSLError, ConnectionError):
                if connection is not None and connection.transport is not None:
                    connection.transport.abort()
                connection = None
                if time.time() >= measure_from:
                    result.errors += 1
                continue
            if job.new_connection:
                assert connection.transport is not None
                connection.transport.close()
                connection = None
            finished = time.time()
            if measure_from <= finished < end:
                result.done += job.batch  # reports
                result.statuses[status] = result.statuses.get(status, 0) + 1
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
        if connection is not None and connection.transport is not None:
            connection.transport.close()

    delay = job.start_at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    tasks = []
    for cert, key, serials in job.identities:
        context = ssl.create_default_context(cafile=job.ca_file)
        context.load_cert_chain(cert, key)
        tasks += [worker(context, serials, n) for n in range(job.concurrency)]

    async def mark_cpu() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.time()))
        cpu_at_start[0] = _cpu()

    await asyncio.gather(mark_cpu(), *tasks)
    result.cpu_s = _cpu() - cpu_at_start[0]
    return result


def _client_started(started: Any) -> None:
    with started.get_lock():
        started.value += 1


def run_client(job: ClientJob) -> ClientResult:
    try:
        import uvloop

        return uvloop.run(_client_main(job))
    except ImportError:
        return asyncio.run(_client_main(job))


# --- processes and their CPU ---------------------------------------------------------------


def _process_tree(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        tree += children
        frontier += children
    return tree


def _cpu_of(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def _cpu_pressure() -> str:
    """The kernel's share of the last 10 s in which runnable tasks waited for a CPU: other
    load on the machine (anything above a few percent makes the figures unreliable)."""
    try:
        some = Path("/proc/pressure/cpu").read_text().split()[1]
    except (OSError, IndexError):
        return "n/a"
    return some.replace("avg10=", "") + " %"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes] | None, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process is not None and process.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()[-3000:]}")
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


@dataclass
class RunResult:
    name: str
    rate: float
    p50_ms: float
    p99_ms: float
    client_cores: float
    server_cores: float  # the center's processes and the database's together
    errors: int
    statuses: dict[int, int]
    database_cores: float = 0.0  # of server_cores, the database's processes


def run_load(
    name: str,
    url: str,
    ca_file: Path,
    identities: list[tuple[str, str, list[str]]],
    args: argparse.Namespace,
    *,
    new_connection: bool,
    server_pids: list[int],
    batch: int = 1,
    rate: float = 0.0,
) -> RunResult:
    """``rate``: requests/s over all clients (0: each client as fast as it is answered)."""
    per_client = [identities[i :: args.clients] for i in range(args.clients)]
    roots = [*server_pids, *_DATABASE_PIDS]
    context = multiprocessing.get_context("spawn")
    started = context.Value("i", 0)
    with context.Pool(args.clients, _client_started, (started,)) as pool:
        # On a busy machine a client process can take seconds to start (imports): the
        # run begins once every client is up, or they would miss their own window.
        deadline = time.monotonic() + 120
        while started.value < args.clients and time.monotonic() < deadline:
            time.sleep(0.05)
        start_at = time.time() + 1.0
        jobs = [
            ClientJob(
                url, str(ca_file), ids, args.concurrency, new_connection, start_at,
                args.duration, batch, rate / args.clients,
            )
            for ids in per_client
        ]  # fmt: skip
        pending = pool.map_async(run_client, jobs, chunksize=1)
        time.sleep(max(0.0, start_at + _WARMUP_S - time.time()))
        # After the warm-up: the processes serving by now (database connections included).
        pids = [pid for root in roots for pid in _process_tree(root)]
        database = [pid for root in _DATABASE_PIDS for pid in _process_tree(root)]
        server_before, database_before = _cpu_of(pids), _cpu_of(database)
        time.sleep(args.duration)
        server_after, database_after = _cpu_of(pids), _cpu_of(database)
        results = pending.get(timeout=args.duration + 120)
    latencies = sorted(x for r in results for x in r.latencies_ms)
    done = sum(r.done for r in results)
    statuses: dict[int, int] = {}
    for r in results:
        for status, count in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + count

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0

    outcome = RunResult(
        name,
        done / args.duration,
        pct(0.50),
        pct(0.99),
        sum(r.cpu_s for r in results) / args.duration,
        (server_after - server_before) / args.duration,
        sum(r.errors for r in results),
        statuses,
        (database_after - database_before) / args.duration,
    )
    split = f" (database {outcome.database_cores:4.2f})" if database else ""
    print(
        f"  {name:<44} {outcome.rate:>9,.0f} reports/s  cpu pressure {_cpu_pressure()}"
        f"\n  {'':<44} {'':>9}              p50 {outcome.p50_ms:6.1f} ms  "
        f"p99 {outcome.p99_ms:6.1f} ms  client {outcome.client_cores:4.2f} cores  "
        f"server {outcome.server_cores:4.2f} cores{split}  statuses {statuses}"
        f" errors {outcome.errors}",
        flush=True,
    )
    return outcome


# --- the center and the reference --------------------------------------------------------


@dataclass
class Bench:
    root: Path
    settings: CenterSettings
    identities: list[tuple[str, str, list[str]]]
    endpoint_ids: list[str] = field(default_factory=list)


def enrol_endpoints(
    settings: CenterSettings,
    engine: Any,
    root: Path,
    count: int,
    customer: str = "Bench Customer Ltd",
) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """A customer accepted by contract and ``count`` endpoints of it enrolled as agents are
    (a key, a CSR, the token), their certificates and keys written under ``root``: the
    identities (cert, key, no serials yet) and the endpoint ids."""
    ca = CertificateAuthority.load(settings.pki_dir)
    service = EnrolmentService(ca, SystemClock())
    contracts = ContractService(SystemClock())
    with engine.begin() as conn:
        application_id = contracts.submit(conn, ADMINISTRATOR, bench_application(customer))
        contracts.accept(conn, ADMINISTRATOR, application_id)
        token = service.create_token(conn, ADMINISTRATOR, customer, max_endpoints=count).token
    identities: list[tuple[str, str, list[str]]] = []
    endpoint_ids = []
    for n in range(count):
        key = generate_private_key()
        key_file, cert_file = root / f"agent-{n}.key", root / f"agent-{n}.pem"
        write_private_key(key_file, key)
        csr = build_csr(key, f"bench-{n}").public_bytes(Encoding.PEM).decode()
        with engine.begin() as conn:
            enrolled = service.enrol(conn, token, csr)
        cert_file.write_text(enrolled.certificate.pem)
        endpoint_ids.append(enrolled.endpoint_id)
        identities.append((str(cert_file), str(key_file), []))
    return identities, endpoint_ids


def make_center(
    root: Path, database_url: str, args: argparse.Namespace, printers: int, *, proxy: bool = False
) -> Bench:
    """A center home with ``args.clients * args.endpoints`` enrolled endpoints sharing
    ``printers`` printers (bound to them by seeding, so the first report finds them)."""
    settings = CenterSettings(
        home=root / "center",
        hostname="localhost",
        listen_host="127.0.0.1",
        console_port=_free_port(),
        device_port=_free_port(),
        database_url=database_url,
        proxy_port=_free_port() if proxy else 0,
        trusted_proxies=("127.0.0.1",),
    )
    initialize_center(settings, password="bench-password-0")
    engine = make_engine(settings.effective_database_url)
    count = args.clients * args.endpoints
    identities, endpoint_ids = enrol_endpoints(settings, engine, root, count)
    serials = seed_printers(engine, endpoint_ids, printers)
    for index, serial in enumerate(serials):
        identities[index % count][2].append(serial)
    engine.dispose()
    return Bench(root, settings, identities, endpoint_ids)


def seed_printers(engine: Any, endpoint_ids: list[str], printers: int, first: int = 0) -> list[str]:
    """Register printers ``first`` .. ``printers`` - 1, round-robin over the endpoints, in
    one statement, each with its state (its newest reading), as on a center in use."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    values = ", ".join(f"('{e}', {i})" for i, e in enumerate(endpoint_ids))
    columns = (
        "customer_id, endpoint_id, serial, serial_source, address, model, first_seen_at,"
        " last_report_at, latest_reading, latest_reading_at, condition_fingerprint"
    )
    reading = json.dumps(realistic_report("BENCH", "snmp://192.0.2.1:161")["reading"])
    # As ingest writes it: a printer whose state has no fingerprint yet is having its first
    # reading, which goes ahead in the care feed (every report would, at a million).
    fingerprint = conditions_fingerprint(PrinterReading.model_validate_json(reading))
    with engine.begin() as conn:
        customer = conn.execute(text("SELECT id FROM customers")).scalar_one()
        if engine.dialect.name == "postgresql":
            numbers = f"generate_series({first}, {printers - 1}) AS s(n)"
            serial, stamp, head = "lpad(n::text, 7, '0')", f"TIMESTAMPTZ '{now}+00'", "WITH"
            state = "CAST(:reading AS jsonb)"
        else:
            numbers = "s"
            serial, stamp, state = "substr('0000000' || n, -7, 7)", f"'{now}'", ":reading"
            head = (
                f"WITH RECURSIVE s(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM s"
                f" WHERE n < {printers - 1}),"
            )
        conn.execute(
            text(
                f"{head} e(id, k) AS (VALUES {values}) "
                f"INSERT INTO printers ({columns}) "
                f"SELECT {customer}, e.id, 'BENCH' || {serial}, 'prtGeneralSerialNumber',"
                f" 'snmp://192.0.2.1:161', 'Acme TASKalfa 2552ci Colour MFP', {stamp}, {stamp},"
                f" {state}, {stamp}, {fingerprint} "
                f"FROM {numbers} JOIN e ON e.k = n % {len(endpoint_ids)}"
            ),
            {"reading": reading},
        )
    return [f"BENCH{n:07d}" for n in range(first, printers)]


SEED_SPAN_DAYS = 84  # seeded readings lie in the last twelve weeks (inside retention)


def seed_history(
    engine: Any,
    done: int,
    readings: int,
    printers: int,
    *,
    spread_over: int,
    deadline: float = float("inf"),
) -> int:
    """Store readings ``done`` .. ``readings`` - 1 spread over the printers with bulk SQL,
    a million per transaction, until ``deadline`` (monotonic); how many are stored then.

    Reading ``g`` of ``spread_over`` is taken at an even step over the last
    ``SEED_SPAN_DAYS`` days, under a UUIDv7 id minted then (as an agent's would be), so
    that on PostgreSQL the readings fill the weekly partitions as a center in use has."""
    chunk = 1_000_000
    seeded = done
    span_ms = SEED_SPAN_DAYS * 86_400_000
    origin_ms = int(time.time() * 1000) - span_ms - 3_600_000
    step = span_ms / max(1, spread_over)
    with engine.connect() as conn:
        first_printer = conn.execute(text("SELECT min(id) FROM printers")).scalar_one()
        conn.commit()
        endpoint_of = "(SELECT endpoint_id FROM printers WHERE id = q.pid)"
        for start in range(done, readings, chunk):
            if time.monotonic() >= deadline:
                break
            stop = min(readings, start + chunk) - 1
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(
                        text(
                            "INSERT INTO reports (report_id, endpoint_id, printer_id,"
                            " printer_address, agent_time, received_at, reachable, payload,"
                            " minted_at) "
                            "SELECT substr(q.h, 1, 8) || '-' || substr(q.h, 9, 4) || '-7000-8000-'"
                            " || lpad(to_hex(q.g), 12, '0'),"
                            f" {endpoint_of}, q.pid, 'snmp://192.0.2.1:161', q.t, q.t,"
                            " true, '{\"seeded\": true}'::jsonb, q.t "
                            "FROM (SELECT g, lpad(to_hex(m), 12, '0') AS h,"
                            " TIMESTAMPTZ 'epoch' + m * INTERVAL '1 millisecond' AS t,"
                            f" {first_printer} + (g % {printers}) AS pid "
                            f"FROM (SELECT g, {origin_ms} + floor(g * {step})::bigint AS m"
                            f" FROM generate_series({start}, {stop}) AS g) AS s) AS q"
                        )
                    )
                else:
                    conn.execute(
                        text(
                            "WITH RECURSIVE s(g) AS (SELECT :start UNION ALL SELECT g + 1 FROM s"
                            " WHERE g < :stop) "
                            "INSERT INTO reports (report_id, endpoint_id, printer_id,"
                            " printer_address, agent_time, received_at, reachable, payload) "
                            "SELECT printf('%08x-0000-4000-8000-000000000000', g),"
                            f" {endpoint_of}, q.pid, 'snmp://192.0.2.1:161',"
                            " strftime('%Y-%m-%d %H:%M:%S', 1735689600 + g, 'unixepoch')"
                            " || '.000000',"
                            " strftime('%Y-%m-%d %H:%M:%S', 1735689600 + g, 'unixepoch')"
                            " || '.000000', 1, '{\"seeded\": true}' "
                            f"FROM (SELECT g, {first_printer} + (g % {printers}) AS pid FROM s) q"
                        ),
                        {"start": start, "stop": stop},
                    )
            seeded = stop + 1
            print(f"    seeded {seeded:,} readings", flush=True)
    # Settle as a center that has run for years would be: no bulk load still being
    # checkpointed or waiting for its first vacuum while ingest is measured.
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))
        else:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return seeded


@contextlib.contextmanager
def serving(bench: Bench, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    log = bench.root / "center.log"
    command = [sys.executable, "-m", "remotecare", "center", "serve"]
    command += ["--home", str(bench.settings.home)]
    if workers > 1:
        command += ["--workers", str(workers)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_listening(bench.settings.device_port, process, log)
        time.sleep(0.5 if workers == 1 else 2.0)  # every worker bound
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def nginx_reference(
    root: Path, bench: Bench, tls_extra: str = "", *, leaf_only: bool = False
) -> Iterator[tuple[str, int]]:
    """nginx answering 204 with mutual TLS and the center's certificates; ``tls_extra``:
    more of its ssl_* directives; ``leaf_only``: the server certificate without the CA's
    after it (nginx then sends one certificate fewer than the center does)."""
    port = _free_port()
    settings = bench.settings
    certificate = settings.server_cert_file
    if leaf_only:
        certificate = root / "server-leaf.pem"
        leaf = x509.load_pem_x509_certificates(settings.server_cert_file.read_bytes())[0]
        certificate.write_bytes(leaf.public_bytes(Encoding.PEM))
    server = f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {certificate};
        ssl_certificate_key {settings.server_key_file};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_client_certificate {settings.ca_cert_file};
        ssl_verify_client on;
        {tls_extra}
        keepalive_requests 10000000;
        client_max_body_size 1m;
        location / {{ return 204; }}
    }}
"""
    home = root / ("nginx" + ("-variant" if tls_extra else "") + ("-leaf" if leaf_only else ""))
    with running_nginx(home, server, port, workers=os.cpu_count() or 1) as process:
        yield f"https://localhost:{port}", process.pid


@contextlib.contextmanager
def proxy_in_front(root: Path, bench: Bench) -> Iterator[tuple[str, int]]:
    """The center's own nginx configuration (proxy mode) in front of its proxy port."""
    port = _free_port()
    _wait_listening(bench.settings.proxy_port, None, root / "center.log")
    server = nginx_config(bench.settings, listen=f"127.0.0.1:{port}")
    with running_nginx(root / "nginx-proxy", server, port, workers=os.cpu_count() or 1) as process:
        yield f"https://localhost:{port}", process.pid


@contextlib.contextmanager
def framework_floor(root: Path, bench: Bench) -> Iterator[tuple[str, int]]:
    """aiohttp with uvloop and mutual TLS that validates each report and answers as the
    center does, storing nothing: what the web framework costs before our code runs."""
    port = _free_port()
    settings = bench.settings
    log = root / "floor.log"
    command = [sys.executable, str(Path(__file__).with_name("aiohttp_floor.py"))]
    command += [str(settings.server_cert_file), str(settings.server_key_file)]
    command += [str(settings.ca_cert_file), str(port)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_listening(port, process, log)
        yield f"https://localhost:{port}", process.pid
    finally:
        process.terminate()
        process.wait(30)


# --- the runs ----------------------------------------------------------------------------


@contextlib.contextmanager
def database(kind: str, root: Path, pg_settings: Sequence[str] = ()) -> Iterator[Any]:
    """Yield a function name -> fresh database URL ("" = SQLite in the center's home)."""
    if kind == "sqlite":
        yield lambda name: ""
        return
    if pg_settings:
        print(f"PostgreSQL settings: {', '.join(pg_settings)}", flush=True)
    with throwaway_postgres(durable=True, settings=pg_settings) as cluster:
        postmaster = (cluster.root / "data" / "postmaster.pid").read_text().split()[0]
        _DATABASE_PIDS.append(int(postmaster))  # its CPU is the server's too
        yield cluster.create_database


_REPORTS, _BATCHES = "/api/v1/reports", "/api/v1/report-batches"
_CENTER_KA, _CENTER_NEW = "center, keep-alive", "center, new TLS connection per report"
_PROXY_KA = "center behind nginx (proxy mode), keep-alive"
_PROXY_NEW = "center behind nginx, new TLS connection per report"
_NGINX_KA, _NGINX_NEW = "nginx 204, keep-alive", "nginx 204, new TLS connection per report"
_NGINX_NEW_NO_TICKETS = "nginx 204 without session tickets, new connection per report"
_NGINX_NEW_LEAF = "nginx 204 sending the server certificate alone, new connection"
_FLOOR_KA = "aiohttp + validation only (no storage), keep-alive"
_FLOOR_NEW = "aiohttp + validation only, new TLS connection per report"


def throughput(args: argparse.Namespace, root: Path, new_db: Any) -> list[RunResult]:
    print(f"\n== throughput ({args.db}, durable) ==", flush=True)
    bench = make_center(
        root / "throughput", new_db("throughput"), args, args.printers_small, proxy=True
    )
    direct = f"https://localhost:{bench.settings.device_port}"
    results: dict[str, RunResult] = {}

    def load(name: str, url: str, pids: list[int], new_connection: bool, batch: int = 1) -> None:
        results[name] = run_load(
            name, url, bench.settings.ca_cert_file, bench.identities, args,
            new_connection=new_connection, server_pids=pids, batch=batch,
        )  # fmt: skip

    with serving(bench, args.workers) as center:
        load(_CENTER_KA, direct + _REPORTS, [center.pid], False)
        load(_CENTER_NEW, direct + _REPORTS, [center.pid], True)
        if args.batch > 1:
            batches = f"center, keep-alive, gzip batches of {args.batch}"
            load(batches, direct + _BATCHES, [center.pid], False, args.batch)
        if not args.skip_nginx:
            with proxy_in_front(root / "throughput", bench) as (front, nginx):
                pids = [center.pid, nginx]
                load(_PROXY_KA, front + _REPORTS, pids, False)
                load(_PROXY_NEW, front + _REPORTS, pids, True)
    if args.skip_nginx:
        return list(results.values())
    with nginx_reference(root / "throughput", bench) as (url, pid):
        load(_NGINX_KA, url + _REPORTS, [pid], False)
        load(_NGINX_NEW, url + _REPORTS, [pid], True)
    # The center hands out no TLS session tickets (agents do not resume sessions), nginx
    # does by default: the same nginx without them, to compare like with like.
    with nginx_reference(root / "throughput", bench, "ssl_session_tickets off;") as (url, pid):
        load(_NGINX_NEW_NO_TICKETS, url + _REPORTS, [pid], True)
    # The center sends its certificate and the CA's (server.pem holds both, and so nginx
    # sends both above); nginx given the server certificate alone sends one fewer, which
    # saves each client the decoding of the CA certificate.
    with nginx_reference(root / "throughput", bench, leaf_only=True) as (url, pid):
        load(_NGINX_NEW_LEAF, url + _REPORTS, [pid], True)
    with framework_floor(root / "throughput", bench) as (url, pid):
        load(_FLOOR_KA, url + _REPORTS, [pid], False)
        load(_FLOOR_NEW, url + _REPORTS, [pid], True)

    def ratio(name: str, reference: str) -> str:
        return f"{results[name].rate / results[reference].rate:.1%}"

    print(
        f"  ratio center/nginx: keep-alive {ratio(_CENTER_KA, _NGINX_KA)}, new connection per"
        f" report {ratio(_CENTER_NEW, _NGINX_NEW)} (nginx without session tickets:"
        f" {ratio(_CENTER_NEW, _NGINX_NEW_NO_TICKETS)}; nginx sending the server certificate"
        f" alone: {ratio(_CENTER_NEW, _NGINX_NEW_LEAF)}); behind nginx: keep-alive"
        f" {ratio(_PROXY_KA, _NGINX_KA)}, new connection per report"
        f" {ratio(_PROXY_NEW, _NGINX_NEW)}"
        f"\n  ratio center/framework floor: keep-alive {ratio(_CENTER_KA, _FLOOR_KA)}, new"
        f" connection per report {ratio(_CENTER_NEW, _FLOOR_NEW)}",
        flush=True,
    )
    return list(results.values())


def care_feed_ab(args: argparse.Namespace, root: Path, new_db: Any) -> list[RunResult]:
    switch = args.feed_switch  # care_feed: the whole feed; care_supplies: the supplies only
    label = "care feed" if switch == "care_feed" else "supplies consumer"
    print(f"\n== {label} A/B ({args.db}, keep-alive) ==", flush=True)
    bench = make_center(root / "feed", new_db("feed"), args, args.printers_small)
    url = f"https://localhost:{bench.settings.device_port}{_REPORTS}"
    rates: dict[bool, list[float]] = {True: [], False: []}
    results = []
    for round_ in range(args.feed_rounds):
        for feed in (True, False) if round_ % 2 == 0 else (False, True):
            _switched(bench.settings, switch, feed).save()
            with serving(bench, args.workers) as center:
                name = f"round {round_ + 1}, {label} {'on' if feed else 'off'}"
                outcome = run_load(
                    name, url, bench.settings.ca_cert_file, bench.identities, args,
                    new_connection=False, server_pids=[center.pid],
                )  # fmt: skip
            rates[feed].append(outcome.rate)
            results.append(outcome)
            print(f"    care feed backlog: {_feed_backlog(bench):,} readings", flush=True)
    on, off = (sum(rates[f]) / len(rates[f]) for f in (True, False))
    pairs = sorted(a / b for a, b in zip(rates[True], rates[False], strict=True) if b > 0)
    pairs = pairs or [0.0]  # every 'off' run got nothing through: a saturated machine
    print(
        f"  {label} on {on:,.0f} reports/s, off {off:,.0f} reports/s:"
        f" ratio on/off {on / off:.1%} (median of the rounds' ratios"
        f" {statistics.median(pairs):.1%}, from {pairs[0]:.1%} to {pairs[-1]:.1%})",
        flush=True,
    )
    # Under a saturating load the drainer defers (DrainPacing): how fast the center
    # catches up once the load is gone.
    _switched(bench.settings, switch, True).save()
    backlog = _feed_backlog(bench)
    with serving(bench, args.workers):
        started = time.monotonic()
        while _feed_backlog(bench) and time.monotonic() - started < 300:
            time.sleep(0.5)
        took = time.monotonic() - started
    left = _feed_backlog(bench)
    print(
        f"  idle center drained {backlog - left:,} readings into the history in {took:.1f} s"
        f" ({(backlog - left) / took:,.0f} readings/s; {left:,} left)",
        flush=True,
    )
    return results


def _switched(settings: CenterSettings, switch: str, on: bool) -> CenterSettings:
    if switch == "care_feed":
        return replace(settings, care_feed=on)
    return replace(settings, care_supplies=on)


def _feed_backlog(bench: Bench) -> int:
    engine = make_engine(bench.settings.effective_database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM care_feed")).scalar_one())
    finally:
        engine.dispose()


def history_sizes(spec: str) -> list[tuple[int, int]]:
    """``"100:0,10000:1000000"`` -> [(100, 0), (10000, 1000000)]: printers and readings,
    each size at least as big as the one before (the history grows in one database)."""
    sizes = [tuple(int(n.replace("_", "")) for n in part.split(":")) for part in spec.split(",")]
    if any(len(size) != 2 for size in sizes):
        raise SystemExit(f"--history-sizes: PRINTERS:READINGS,... not {spec!r}")
    pairs = [(size[0], size[1]) for size in sizes]
    if pairs != sorted(pairs) or any(b[1] < a[1] for a, b in itertools.pairwise(pairs)):
        raise SystemExit("--history-sizes: each size at least as big as the one before")
    return pairs


def _measure(bench: Bench, args: argparse.Namespace, name: str) -> RunResult:
    engine = make_engine(bench.settings.effective_database_url)
    before = _pg_costs(engine)
    with serving(bench, args.workers) as process:
        result = run_load(
            name,
            f"https://localhost:{bench.settings.device_port}/api/v1/reports",
            bench.settings.ca_cert_file,
            bench.identities,
            args,
            new_connection=False,
            server_pids=[process.pid],
        )
    if before:
        time.sleep(0.5)  # the center's connections closed: their statistics are flushed
        _print_pg_costs(before, _pg_costs(engine), result)
    engine.dispose()
    return result


# Where a report's cost goes on PostgreSQL, from the statistics views (cumulative counters,
# read before and after a run): WAL written and how much of it full-page images, the
# printers table's updates and how many were HOT (no index entry touched), and the blocks
# each table and index read from outside shared buffers or dirtied.
_PG_COSTS = {
    "wal_bytes": "SELECT wal_bytes FROM pg_stat_wal",
    "wal_fpi": "SELECT wal_fpi FROM pg_stat_wal",
    "buffers_backend": "SELECT buffers_backend FROM pg_stat_bgwriter",
    "checkpoints": "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter",
}
_PG_TABLE_COSTS = "SELECT relname, n_tup_upd, n_tup_hot_upd, n_tup_ins FROM pg_stat_user_tables"
_PG_BLOCKS = (
    "SELECT relname, coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0)"
    " + coalesce(toast_blks_read, 0) + coalesce(tidx_blks_read, 0) FROM pg_statio_user_tables"
)


def _pg_costs(engine: Any) -> dict[str, float]:
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        costs = {k: float(conn.execute(text(q)).scalar_one()) for k, q in _PG_COSTS.items()}
        for table, updated, hot, inserted in conn.execute(text(_PG_TABLE_COSTS)):
            name = "reports" if table.startswith("reports_") else table
            costs[f"{name}.upd"] = costs.get(f"{name}.upd", 0) + updated
            costs[f"{name}.hot"] = costs.get(f"{name}.hot", 0) + hot
            costs[f"rows.{name}"] = costs.get(f"rows.{name}", 0) + inserted + updated
        for table, read in conn.execute(text(_PG_BLOCKS)):
            key = "read.reports" if table.startswith("reports_") else f"read.{table}"
            costs[key] = costs.get(key, 0) + read  # the weekly partitions as one
    return costs


def _print_pg_costs(before: dict[str, float], after: dict[str, float], result: RunResult) -> None:
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    reports = max(1.0, delta.get("rows.reports", 0))  # the reports stored during the run
    reads = sorted(
        ((v, k[5:]) for k, v in delta.items() if k.startswith("read.") and v > 0), reverse=True
    )
    updates = max(1.0, delta.get("printers.upd", 0))
    hot = delta.get("printers.hot", 0) / updates
    rows = sorted(
        ((v, k[5:]) for k, v in delta.items() if k.startswith("rows.") and v > 0), reverse=True
    )
    print(
        f"    per report: {delta['wal_bytes'] / reports:,.0f} WAL bytes,"
        f" {delta['wal_fpi'] / reports:.2f} full-page images,"
        f" {sum(v for v, _ in reads) / reports:.2f} blocks read into shared buffers"
        f" ({', '.join(f'{k} {v / reports:.2f}' for v, k in reads[:4])}),"
        f" {delta['buffers_backend'] / reports:.2f} buffers written by the backend;"
        f" printers' updates HOT {hot:.0%} ({updates:,.0f} updates of {reports:,.0f} reports,"
        f" {delta['checkpoints']:.0f} checkpoints during the run); rows written:"
        f" {', '.join(f'{k} {v / reports:.2f}' for v, k in rows[:8])}",
        flush=True,
    )


def _time_silence_round(engine: Any) -> None:
    """What the center's incident watch reads every 30 s, on a thread beside ingest: every
    bound printer's facts (``printer_facts``), or the silent printers' alone
    (``silent_printer_facts``), each timed here in the bench's process."""
    from remotecare.center.fleet import overview

    for name in ("printer_facts", "silent_printer_facts"):
        read = getattr(overview, name, None)
        if read is None:
            continue  # a center from before silent_printer_facts
        started, cpu = time.perf_counter(), time.process_time()
        with engine.connect() as conn:
            count = len(read(conn, datetime.now(UTC)))
        print(
            f"    {name}: {count:,} printers in {time.perf_counter() - started:.2f} s,"
            f" {time.process_time() - cpu:.2f} s of Python CPU",
            flush=True,
        )


def history(args: argparse.Namespace, root: Path, new_db: Any) -> list[RunResult]:
    """Keep-alive ingest as the history grows in one database, size by size (printers
    registered and readings stored with bulk SQL, not through the API), against an empty
    database measured before and after (their mean is the reference: the machine is
    shared, and its load drifts)."""
    print(f"\n== history ({args.db}, keep-alive) ==", flush=True)
    sizes = history_sizes(args.history_sizes)
    empty = make_center(root / "empty", new_db("empty"), args, sizes[0][0])
    results = [_measure(empty, args, f"empty: {sizes[0][0]:,} printers, 0 readings")]
    bench = make_center(root / "grown", new_db("grown"), args, sizes[0][0])
    engine = make_engine(bench.settings.effective_database_url)
    if engine.dialect.name == "postgresql":
        from remotecare.center.fleet.partitions import make_partitions

        now = datetime.now(UTC)
        with engine.begin() as conn:
            since = now - timedelta(days=SEED_SPAN_DAYS + 1)
            made = make_partitions(conn, now, 4, since=since)
        print(f"    {len(made)} weekly partitions made for the seeded weeks", flush=True)
    deadline = time.monotonic() + args.seed_budget
    printers, readings = sizes[0][0], 0
    grown: list[tuple[RunResult, int, int]] = []
    for want_printers, want_readings in sizes:
        started = time.monotonic()
        if want_printers > printers:
            added = seed_printers(engine, bench.endpoint_ids, want_printers, printers)
            for index, serial in enumerate(added, start=printers):
                bench.identities[index % len(bench.identities)][2].append(serial)
            printers = want_printers
        if want_readings > readings:
            readings = seed_history(
                engine,
                readings,
                want_readings,
                printers,
                spread_over=sizes[-1][1],
                deadline=deadline,
            )
        short = "" if readings >= want_readings else f" (aimed at {want_readings:,})"
        print(
            f"    now {printers:,} printers, {readings:,} readings{short},"
            f" seeded in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        _time_silence_round(engine)
        result = _measure(bench, args, f"{printers:,} printers, {readings:,} readings")
        grown.append((result, printers, readings))
        if short:
            print("    seeding stopped by --seed-budget: the largest size reached", flush=True)
            break
    engine.dispose()
    results.append(_measure(empty, args, f"empty again: {sizes[0][0]:,} printers, 0 readings"))
    reference = (results[0].rate + results[-1].rate) / 2
    ratios, costs = [], []
    for n in range(args.history_rounds):  # A/B on a shared machine: alternate, compare pairs
        a = _measure(empty, args, f"round {n + 1}: empty")
        b = _measure(bench, args, f"round {n + 1}: {printers:,} printers, {readings:,} readings")
        if a.rate and b.rate:  # nothing measured on a machine too busy to start the clients
            ratios.append(b.rate / a.rate)
            # The server's CPU per report (center and database), empty over largest: less
            # swayed than the rate by how much of the shared cores the center was given.
            costs.append((a.server_cores / a.rate) / (b.server_cores / b.rate))
        results += [a, b]
    if ratios:
        listed = ", ".join(f"{r:.1%}" for r in ratios)
        print(
            f"  alternated rounds, largest/empty: {listed}; mean {statistics.mean(ratios):.1%}",
            flush=True,
        )
        listed = ", ".join(f"{r:.1%}" for r in costs)
        print(
            f"  server CPU per report, empty/largest: {listed}; mean {statistics.mean(costs):.1%}",
            flush=True,
        )
    print(f"  empty-database rate (mean of before and after): {reference:,.0f} reports/s")
    for result, at_printers, at_readings in grown:
        print(
            f"  {at_printers:>10,} printers {at_readings:>12,} readings"
            f" {result.rate:>8,.0f} reports/s  {result.rate / reference:6.1%} of empty",
            flush=True,
        )
    return results + [result for result, _, _ in grown]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="smaller history, shorter runs")
    parser.add_argument("--duration", type=float, default=None, help="seconds per run")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--endpoints", type=int, default=8, help="enrolled endpoints per client")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="requests in flight per endpoint"
    )
    parser.add_argument("--workers", type=int, default=1, help="center processes")
    parser.add_argument(
        "--batch", type=int, default=10, help="reports per batch in the batch run (1: no run)"
    )
    parser.add_argument("--skip-nginx", action="store_true")
    parser.add_argument("--skip-history", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-feed", action="store_true", help="no care feed A/B")
    parser.add_argument("--feed-rounds", type=int, default=3, help="A/B rounds of the feed")
    parser.add_argument(
        "--feed-switch",
        choices=["care_feed", "care_supplies"],
        default="care_feed",
        help="what the feed A/B switches: the whole care feed, or only the supplies consumer",
    )
    parser.add_argument(
        "--history-sizes",
        default=None,
        help="PRINTERS:READINGS,... grown in one database (default: up to 1,000,000"
        " printers and 100,000,000 readings; --quick: up to 10,000 and 500,000)",
    )
    parser.add_argument(
        "--seed-budget",
        type=float,
        default=3600.0,
        help="seconds of seeding readings at most, over all sizes (then the largest size"
        " reached is measured and said so)",
    )
    parser.add_argument(
        "--history-rounds",
        type=int,
        default=0,
        help="then alternate the empty and the largest database this many times",
    )
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL server setting for the bench's cluster (repeatable)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    args.duration = args.duration or (5.0 if args.quick else 15.0)
    args.printers_small = 100
    args.history_sizes = args.history_sizes or (
        "100:0,1000:100000,10000:500000"
        if args.quick
        else "100:0,10000:1000000,100000:10000000,1000000:100000000"
    )

    size = len(json.dumps(realistic_report("X1234567", "snmp://192.0.2.1:161")))
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; report {size} bytes of JSON; {args.clients} client "
        f"processes x {args.endpoints} endpoints x {args.concurrency} in flight; "
        f"{args.duration:g} s per run after {_WARMUP_S:g} s warm-up; center workers "
        f"{args.workers}",
        flush=True,
    )
    root = Path(tempfile.mkdtemp(prefix="remotecare-bench-"))
    collected: dict[str, list[RunResult]] = {}
    try:
        with database(args.db, root, args.pg_setting) as new_db:
            if not args.skip_throughput:
                collected["throughput"] = throughput(args, root, new_db)
            if not args.skip_feed:
                collected["care_feed"] = care_feed_ab(args, root, new_db)
            if not args.skip_history:
                collected["history"] = history(args, root, new_db)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        args.json.write_text(
            json.dumps({k: [vars(r) for r in v] for k, v in collected.items()}, indent=2)
        )


if __name__ == "__main__":
    main()
