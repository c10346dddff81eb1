"""Meter reads benchmark: close a month for a large fleet, and export it, on SQLite and
PostgreSQL, printing time and peak memory.

The fleet: ``--devices`` colour MFPs (default 100,000) of 100 customers (Tokyo, default
cut-off: the month's last day at 24:00), three billed counters each (total, mono,
colour). Their compact history is written straight into the tables, as the care feed
would have left it:

- change-only samples: in the days around each cut-off (from two working days before to
  the close, three days after), the agent's reading every 5 minutes changes the counters
  in some of the office-hour slots (about 6 a working day for a busy device, 2 for a light
  one; colour in a third of them); between those, one change a working day (the
  intermediate changes of those days are left out to keep the set-up minutes, not hours:
  the close reads only the days around the cut-off);
- the first and last reading time of each device per period (``meter_sightings``): polls
  every 5 minutes around the clock for a device that is on;
- 8 % of devices fall silent 2 to 12 days before the November cut-off (half of them come
  back 1 to 3 days after it: interpolated; the others extrapolated); 1 % had their
  counter reset (a board replaced) during November.

October is closed first (the first close: the reads at the September cut-off are
computed on the way, as no period was closed before), then November (the steady state:
the previous reads are stored). Each close runs in a process of its own, so its peak
resident memory (VmHWM) is its own; as the reference of the same run, the same process
first reads every billed counter's samples in the window the close needs, and nothing
else (the floor of the work). The export of November streams CSV to a file, for 10 % of
the customers and for all of them: its peak memory should not grow with the devices.

Usage::

    .venv/bin/python bench/meters.py                           # both databases, 100,000
    .venv/bin/python bench/meters.py --db sqlite --devices 10000
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: throwaway PostgreSQL

from sqlalchemy import Engine, insert, select, text  # noqa: E402
from tests.support.postgres import throwaway_postgres  # noqa: E402

from remotecare.center.admin import ADMINISTRATOR  # noqa: E402
from remotecare.center.care.history.service import (  # noqa: E402
    counter_samples_between,
    counter_series_of,
)
from remotecare.center.care.history.tables import counter_series  # noqa: E402
from remotecare.center.care.meters.export import export_rows, write_csv  # noqa: E402
from remotecare.center.care.meters.rules.periods import BillingSettings, period_named  # noqa: E402
from remotecare.center.care.meters.service import close_period  # noqa: E402
from remotecare.center.care.meters.tables import meter_reads, meter_sightings  # noqa: E402
from remotecare.center.care.supplies.rules.calendar import WorkCalendar  # noqa: E402
from remotecare.center.contracts.tables import customers  # noqa: E402
from remotecare.center.fleet.tables import printers  # noqa: E402
from remotecare.center.identity.tables import endpoints  # noqa: E402
from remotecare.center.kernel.schema import upgrade_to_head  # noqa: E402
from remotecare.center.kernel.storage import make_engine  # noqa: E402

CUSTOMERS = 100
COUNTERS = ("total", "mono", "colour")
TOKYO = BillingSettings()
OCT = period_named("2026-10", TOKYO)  # ends 2026-10-31 15:00 UTC (Sunday 1 Nov JST)
NOV = period_named("2026-11", TOKYO)  # ends 2026-11-30 15:00 UTC (Tuesday 1 Dec JST)
CLOSE_AT = NOV.end + TOKYO.grace
HISTORY_FROM = datetime(2026, 9, 24, 15, tzinfo=UTC)  # 25 Sep JST
JST = timedelta(hours=9)
POLL = timedelta(minutes=5)
CALENDAR = WorkCalendar()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(milliseconds=1)


def _dense(day_start: datetime) -> bool:
    """Whether a JST day is in the 5-minute window around a cut-off."""
    return any(
        cut - timedelta(days=4) <= day_start < cut + timedelta(days=4)
        for cut in (period_named("2026-09", TOKYO).end, OCT.end, NOV.end)
    )


class Device:
    """One simulated MFP's counters and the samples and sightings they leave."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.busy = rng.random() < 0.7
        self.mono = rng.randrange(5_000, 1_500_000)
        self.colour = rng.randrange(1_000, 600_000)
        silent = rng.random() < 0.08
        self.silent_from = NOV.end - timedelta(days=rng.uniform(2, 12)) if silent else None
        back = silent and rng.random() < 0.5
        self.back_at = NOV.end + timedelta(days=rng.uniform(1, 3)) if back else None
        self.reset_at = (
            NOV.start + timedelta(days=rng.uniform(5, 25)) if rng.random() < 0.01 else None
        )

    def on(self, at: datetime) -> bool:
        if self.silent_from is None or at < self.silent_from:
            return True
        return self.back_at is not None and at >= self.back_at

    def samples(self) -> Iterator[tuple[int, datetime, int]]:
        """(counter index, time, value) of each change, in time order."""
        total = self.mono + self.colour
        yield from ((0, HISTORY_FROM, total), (1, HISTORY_FROM, self.mono))
        yield (2, HISTORY_FROM, self.colour)
        day = HISTORY_FROM
        while day < CLOSE_AT:
            if CALENDAR.is_working_day((day + JST).date()):
                slots = self._slots(day)
                for at in slots:
                    if not self.on(at):
                        continue
                    if self.reset_at is not None and at >= self.reset_at:
                        self.mono, self.colour, self.reset_at = 0, 0, None
                    pages = self.rng.randrange(1, 40 if self.busy else 10)
                    colour = self.rng.random() < 1 / 3
                    if colour:
                        self.colour += pages
                    else:
                        self.mono += pages
                    yield (0, at, self.mono + self.colour)
                    yield (2, at, self.colour) if colour else (1, at, self.mono)
            day += timedelta(days=1)

    def _slots(self, day: datetime) -> list[datetime]:
        office = day + timedelta(hours=9)  # 9:00 JST (day is 00:00 JST)
        if not _dense(day):
            return [office + timedelta(hours=8, minutes=55)]  # the day's pages, at once
        count = self.rng.randrange(3, 10) if self.busy else self.rng.randrange(0, 4)
        return sorted(office + POLL * s for s in self.rng.sample(range(108), count))

    def sightings(self) -> Iterator[tuple[str, datetime, datetime]]:
        """(period, first reading, last reading) the agent's 5-minute polls leave."""
        for period in (OCT, NOV, period_named("2026-12", TOKYO)):
            start = max(period.start, HISTORY_FROM) + POLL * self.rng.random()
            end = min(period.end, CLOSE_AT) - POLL * self.rng.random()
            if self.silent_from is not None and self.silent_from < end:
                if self.back_at is not None and self.back_at < end:
                    start = max(start, self.back_at)
                elif self.silent_from > start:
                    end = self.silent_from
                else:
                    continue
            yield period.name, start, end


def populate(engine: Engine, devices: int, seed: int) -> int:
    """Customers, endpoints, printers, series, samples and sightings; how many samples."""
    rng = random.Random(seed)
    made = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(customers),
            [
                {"id": c, "name": f"Customer {c:03d}", "status": "active", "created_at": made}
                for c in range(1, CUSTOMERS + 1)
            ],
        )
        conn.execute(
            insert(endpoints),
            [
                {
                    "id": f"00000000-0000-4000-8000-{c:012d}",
                    "customer_id": c,
                    "certificate_serial": f"{c:08d}",
                    "certificate_not_after": made + timedelta(days=3650),
                    "revoked": False,
                    "enrolled_at": made,
                }
                for c in range(1, CUSTOMERS + 1)
            ],
        )
        conn.execute(
            insert(printers),
            [
                {
                    "id": p,
                    "customer_id": (p - 1) % CUSTOMERS + 1,
                    "endpoint_id": f"00000000-0000-4000-8000-{(p - 1) % CUSTOMERS + 1:012d}",
                    "serial": f"SIM{p:07d}",
                    "serial_source": "prtGeneralSerialNumber",
                    "address": f"snmp://10.{p // 65536}.{p // 256 % 256}.{p % 256}:161",
                    "model": "ACME ColorMFP 4500",
                    "first_seen_at": made,
                    "last_report_at": CLOSE_AT,
                    "binding": "bound",
                }
                for p in range(1, devices + 1)
            ],
        )
        conn.execute(
            insert(counter_series),
            [
                {"id": (p - 1) * 3 + i + 1, "printer_id": p, "name": name, "unit": "impressions"}
                for p in range(1, devices + 1)
                for i, name in enumerate(COUNTERS)
            ],
        )
    samples = 0
    page = 2000
    for first in range(1, devices + 1, page):
        rows: list[tuple[int, int, int]] = []
        sightings: list[dict[str, Any]] = []
        for p in range(first, min(first + page, devices + 1)):
            device = Device(rng)
            rows += [((p - 1) * 3 + i + 1, _ms(at), v) for i, at, v in device.samples()]
            sightings += [
                {"printer_id": p, "period": name, "first_at": start, "last_at": end}
                for name, start, end in device.sightings()
            ]
        _write_samples(engine, rows)
        with engine.begin() as conn:
            conn.execute(insert(meter_sightings), sightings)
        samples += len(rows)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    return samples


def _write_samples(engine: Engine, rows: list[tuple[int, int, int]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(
                "COPY counter_samples (series_id, sampled_at, value) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        else:  # a bench's set-up: no need to survive a power cut
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.executemany("INSERT INTO counter_samples VALUES (?, ?, ?)", rows)
        raw.commit()
    finally:
        raw.close()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the measured parts, each in a process of its own ------------------------------------


def close_month(url: str, period: str, with_floor: bool, jobs: int) -> dict[str, Any]:
    engine = make_engine(url)
    settings = TOKYO
    floor = 0.0
    if with_floor:  # only read what the close needs, and nothing else
        started = time.monotonic()
        chosen = period_named(period, settings)
        with engine.connect() as conn:
            ids = list(conn.execute(select(printers.c.id).order_by(printers.c.id)).scalars())
            for start in range(0, len(ids), 1000):
                series = counter_series_of(conn, ids[start : start + 1000])
                wanted = [s for by_key in series.values() for s in by_key.values()]
                counter_samples_between(
                    conn, wanted, chosen.end - settings.window, chosen.end + timedelta(days=7)
                )
        floor = time.monotonic() - started
    started, cpu = time.monotonic(), _cpu_s()
    reads = 0
    if jobs == 1:
        reads = _close_customers(url, period, range(1, CUSTOMERS + 1))
    else:  # customers dealt out to processes, as `meters close --jobs` does
        shares = [list(range(1 + job, CUSTOMERS + 1, jobs)) for job in range(jobs)]
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            reads = sum(pool.map(_close_customers, [url] * jobs, [period] * jobs, shares))
    seconds = time.monotonic() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    engine.dispose()
    return {
        "seconds": seconds,
        "cpu_s": _cpu_s() - cpu + children.ru_utime + children.ru_stime,
        "floor_s": floor,
        "reads": reads,
        "peak_mb": max(_peak_mb(), children.ru_maxrss / 1024),
        "digest": _digest(url, period),
    }


def _close_customers(url: str, period: str, customer_ids: Iterable[int]) -> int:
    """Close the period of each customer in turn, one transaction each; how many reads."""
    engine = make_engine(url)
    reads = 0
    for customer_id in customer_ids:
        with engine.begin() as conn:
            reads += close_period(conn, ADMINISTRATOR, customer_id, period, CLOSE_AT).reads
    engine.dispose()
    return reads


def _digest(url: str, period: str) -> str:
    """A digest of every read of the period (what a faster close must not change)."""
    engine = make_engine(url)
    digest = hashlib.sha256()
    query = (
        select(
            meter_reads.c.printer_id,
            meter_reads.c.counter,
            meter_reads.c.value,
            meter_reads.c.previous_value,
            meter_reads.c.usage,
            meter_reads.c.method,
            meter_reads.c.read_at,
            meter_reads.c.sources,
            meter_reads.c.flags,
        )
        .where(meter_reads.c.period == period)
        .order_by(meter_reads.c.printer_id, meter_reads.c.counter)
    )
    with engine.connect() as conn:
        for row in conn.execute(query):
            digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest()[:16]


def export_month(url: str, period: str, customer_count: int, out: str) -> dict[str, Any]:
    engine = make_engine(url)
    baseline = _peak_mb()
    started, cpu = time.monotonic(), _cpu_s()
    with engine.connect() as conn, open(out, "w", encoding="utf-8", newline="") as sink:
        rows = export_rows(conn, ADMINISTRATOR, period, CLOSE_AT, range(1, customer_count + 1))
        count = write_csv(rows, sink)
    seconds = time.monotonic() - started
    engine.dispose()
    return {
        "seconds": seconds,
        "cpu_s": _cpu_s() - cpu,
        "rows": count,
        "peak_mb": _peak_mb(),
        "start_mb": baseline,
    }


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[:2]} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextlib.contextmanager
def database(kind: str, root: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{root / 'meters.db'}"
        return
    with throwaway_postgres() as cluster:
        yield cluster.create_database("meters")


def run(kind: str, args: argparse.Namespace) -> None:
    print(f"\n== {kind} ==", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="remotecare-meters-") as root,
        database(kind, Path(root)) as url,
    ):
        engine = make_engine(url)
        upgrade_to_head(engine)
        started = time.monotonic()
        samples = populate(engine, args.devices, args.seed)
        engine.dispose()
        print(
            f"  history: {samples:,} counter samples for {args.devices:,} devices x 3 counters"
            f" ({samples / args.devices / 3:.0f} per counter), written in"
            f" {time.monotonic() - started:.0f} s",
            flush=True,
        )
        jobs = ("--jobs", str(args.jobs))
        first = _child("--close", url, "--period", "2026-10", *jobs)
        print(
            f"  close 2026-10 (first close, previous reads computed): {first['seconds']:.1f} s"
            f" ({first['cpu_s']:.1f} s CPU),"
            f" {first['reads']:,} reads, peak {first['peak_mb']:.0f} MB,"
            f" reads digest {first['digest']}",
            flush=True,
        )
        steady = _child("--close", url, "--period", "2026-11", "--floor", *jobs)
        print(
            f"  close 2026-11 (previous reads stored): {steady['seconds']:.1f} s"
            f" ({steady['cpu_s']:.1f} s CPU),"
            f" {steady['reads']:,} reads, peak {steady['peak_mb']:.0f} MB;"
            f" reading its samples alone {steady['floor_s']:.1f} s"
            f" (close = {steady['seconds'] / max(steady['floor_s'], 1e-9):.1f} x that);"
            f" reads digest {steady['digest']}",
            flush=True,
        )
        csv_path = str(Path(root) / "export.csv")
        tenth = max(1, CUSTOMERS // 10)
        for customer_count in (tenth, CUSTOMERS):
            done = _child(
                "--export", url, "--period", "2026-11", "--customers", str(customer_count),
                "--out", csv_path,
            )  # fmt: skip
            size = Path(csv_path).stat().st_size
            print(
                f"  export 2026-11 CSV, {customer_count} customers: {done['rows']:,} rows"
                f" ({size / 1e6:.0f} MB) in {done['seconds']:.1f} s ({done['cpu_s']:.1f} s CPU),"
                f" peak {done['peak_mb']:.0f} MB"
                f" (at start {done['start_mb']:.0f} MB)",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--jobs", type=int, default=1, help="processes closing customers at once (default 1)"
    )
    parser.add_argument("--close", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--export", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--period", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--customers", type=int, default=CUSTOMERS, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.close:
        print(json.dumps(close_month(args.close, args.period, args.floor, args.jobs)))
        return
    if args.export:
        print(json.dumps(export_month(args.export, args.period, args.customers, args.out)))
        return
    if args.devices % CUSTOMERS:
        parser.error(f"--devices must be a multiple of {CUSTOMERS}")
    print(
        f"{args.devices:,} devices of {CUSTOMERS} customers, 3 billed counters, seed {args.seed};"
        " target: a month closed in <= 60 s and <= 500 MB",
        flush=True,
    )
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        run(kind, args)


if __name__ == "__main__":
    main()
