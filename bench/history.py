"""Compact history benchmark: stored bytes per reading once the raw payloads are gone.

A simulated fleet of colour MFPs is polled every 15 minutes for some weeks: jobs arrive
in office hours on weekdays (a printer's volume drawn per printer), each moving the total,
mono or colour, print or copy and sometimes duplex counters, with scans and the odd fax;
toner levels fall with the pages (and a cartridge is replaced, with its own serial in its
description, when it runs out); the waste box fills slowly. Nights and weekends change
nothing. The readings go through ingest (``ingest_many``, feed recorded), the care feed is
drained into the history, then raw report retention runs as ``raw_report_days`` later and
the database is compacted (SQLite ``VACUUM``, PostgreSQL ``VACUUM FULL``: the size a
steady-state database reuses). Bytes per reading = size growth / readings.

Usage::

    .venv/bin/python bench/history.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/history.py --db sqlite --printers 20 --days 7
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: throwaway PostgreSQL

from sqlalchemy import Engine, func, select, text  # noqa: E402
from tests.support.care import seed_endpoint  # noqa: E402
from tests.support.postgres import throwaway_postgres  # noqa: E402

from remotecare.center.care.feed import DrainPacing, FeedDrainer, report_ids_in_feed  # noqa: E402
from remotecare.center.care.history.service import HistoryConsumer  # noqa: E402
from remotecare.center.care.history.tables import counter_samples, supply_samples  # noqa: E402
from remotecare.center.fleet.ingest import Caller, IngestRequest, ingest_many  # noqa: E402
from remotecare.center.fleet.retention import RawReportRetention, RetentionPacing  # noqa: E402
from remotecare.center.fleet.tables import reports  # noqa: E402
from remotecare.center.kernel.schema import upgrade_to_head  # noqa: E402
from remotecare.center.kernel.storage import make_engine  # noqa: E402
from remotecare.center.kernel.transactions import Transactions  # noqa: E402
from remotecare.protocol.messages import Report, new_report_id  # noqa: E402

_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
_POLL = timedelta(minutes=15)
_RAW_REPORT_DAYS = 90  # the default of raw_report_days
_CALLER = Caller("00000000-0000-4000-8000-00000000be01", 1)
_TONERS: tuple[tuple[str, str, int], ...] = (("Black", "black", 12_000), ("Cyan", "cyan", 6_000))
_TONERS += (("Magenta", "magenta", 6_000), ("Yellow", "yellow", 6_000))


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@dataclass
class SimulatedPrinter:
    """One colour MFP: its counters and toner, moved by the jobs it prints."""

    serial: str
    jobs_per_day: float
    rng: random.Random
    counters: dict[str, int] = field(default_factory=dict)
    toner_pages_left: list[float] = field(default_factory=list)
    cartridges: list[int] = field(default_factory=list)
    waste_percent: float = 10.0

    def __post_init__(self) -> None:
        base = self.rng.randrange(10_000, 200_000)
        self.counters = {"total": base, "mono": base * 2 // 3, "colour": base - base * 2 // 3}
        self.counters |= {"duplex": base // 3, "copy": base // 4, "print": base - base // 4}
        self.counters |= {"scan": base // 5, "fax": base // 100}
        self.toner_pages_left = [self.rng.uniform(0.1, 1.0) * cap for *_, cap in _TONERS]
        self.cartridges = [self.rng.randrange(100_000, 999_999) for _ in _TONERS]

    def poll(self, at: datetime) -> dict[str, Any]:
        office_hours = at.weekday() < 5 and 8 <= at.hour < 18
        if office_hours:
            rate = self.jobs_per_day / 40  # 40 polls in a 10-hour office day
            for _ in range(_poisson(self.rng, rate)):
                self._job()
        return self._reading()

    def _job(self) -> None:
        rng = self.rng
        if rng.random() < 0.15:  # a scan
            self.counters["scan"] += rng.randint(1, 12)
            return
        if rng.random() < 0.01:
            self.counters["fax"] += rng.randint(1, 3)
        pages = max(1, int(rng.expovariate(1 / 6)))
        colour = rng.random() < 0.3
        self.counters["total"] += pages
        self.counters["colour" if colour else "mono"] += pages
        self.counters["copy" if rng.random() < 0.25 else "print"] += pages
        if rng.random() < 0.4:
            self.counters["duplex"] += pages // 2 + 1
        for i in range(len(_TONERS)) if colour else (0,):
            self.toner_pages_left[i] -= pages
            if self.toner_pages_left[i] <= 0:  # replaced by a new cartridge
                self.toner_pages_left[i] = float(_TONERS[i][2])
                self.cartridges[i] = rng.randrange(100_000, 999_999)
        self.waste_percent = min(100.0, self.waste_percent + pages * 0.0005)

    def _reading(self) -> dict[str, Any]:
        supplies: list[dict[str, Any]] = []
        for i, (name, colour, capacity) in enumerate(_TONERS):
            level = max(0, math.ceil(100 * self.toner_pages_left[i] / capacity))
            supplies.append(
                {
                    "index": i + 1,
                    "description": f"{name} Toner TK-8345 S/N {self.cartridges[i]}",
                    "type": "toner",
                    "supply_class": "consumed",
                    "colour": colour,
                    "unit": "percent",
                    "level": level,
                    "max_capacity": 100,
                    "percent": float(level),
                    "state": "low" if level < 10 else "ok",
                }
            )
        supplies.append(
            {
                "index": 5,
                "description": "Waste Toner Box WT-8500",
                "type": "wasteToner",
                "supply_class": "receptacle",
                "unit": "percent",
                "level": int(self.waste_percent),
                "max_capacity": 100,
                "state": "nearly_full" if self.waste_percent > 90 else "ok",
            }
        )
        return {
            "serial": self.serial,
            "serial_source": "prtGeneralSerialNumber",
            "model": "Acme TASKalfa 2552ci Colour MFP",
            "status": {"device_status": "running", "printer_status": "idle"},
            "counters": [
                {"name": n, "value": v, "unit": "impressions"} for n, v in self.counters.items()
            ],
            "supplies": supplies,
            "trays": [
                {"index": t, "name": f"Tray {t}", "level": 250, "max_capacity": 500, "state": "ok"}
                for t in (1, 2, 3)
            ],
        }


def _poisson(rng: random.Random, rate: float) -> int:
    """Knuth's method: fine for the small rates of one poll."""
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass
class Outcome:
    readings: int
    counter_samples: int
    supply_samples: int
    bytes_with_payloads: int
    bytes_after: int
    seconds: float


def database_size(engine: Engine) -> int:
    """The compacted size of the whole database, in bytes."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            auto.execute(text("VACUUM FULL"))
            size = auto.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            return int(size)
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        conn.execute(text("VACUUM"))
        pages = conn.execute(text("PRAGMA page_count")).scalar_one()
        page_size = conn.execute(text("PRAGMA page_size")).scalar_one()
        return int(pages) * int(page_size)


def measure(url: str, args: argparse.Namespace) -> Outcome:
    started = time.monotonic()
    engine = make_engine(url)
    upgrade_to_head(engine)
    seed_endpoint(engine, _CALLER.endpoint_id, _START)
    before = database_size(engine)
    rng = random.Random(args.seed)
    fleet = [
        SimulatedPrinter(f"SIM{n:05d}", rng.lognormvariate(math.log(25), 0.8), rng)
        for n in range(args.printers)
    ]
    clock = FixedClock(_START)
    drainer = FeedDrainer(
        Transactions(engine), [HistoryConsumer()], clock, pacing=DrainPacing(batch=500)
    )
    polls = int(timedelta(days=args.days) / _POLL)
    readings = 0
    pending: list[Report] = []
    for step in range(polls):
        at = _START + step * _POLL
        for printer in fleet:
            body = {
                "report_id": str(new_report_id()),
                "agent_time": at,
                "printer_address": f"snmp://{printer.serial}.example:161",
                "reading": printer.poll(at),
            }
            pending.append(Report.model_validate(body))
        if len(pending) >= 400 or step == polls - 1:
            with engine.begin() as conn:
                ingest_many(conn, [IngestRequest(_CALLER, pending, at)])
            readings += len(pending)
            pending = []
            while drainer.drain_once():
                pass
        if step and step % (polls // 5) == 0:
            print(f"    {step * 100 // polls}%: {readings:,} readings", flush=True)
    with_payloads = database_size(engine) - before
    clock.current = _START + timedelta(days=args.days + _RAW_REPORT_DAYS + 1)
    retention = RawReportRetention(
        Transactions(engine),
        clock,
        _RAW_REPORT_DAYS,
        kept=report_ids_in_feed(),
        pacing=RetentionPacing(pause_s=0),
    )
    retention.run_round()
    after = database_size(engine) - before
    with engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(reports)).scalar_one()
        counted = [
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (counter_samples, supply_samples)
        ]
    assert left == 0, f"{left} raw reports left after retention"
    engine.dispose()
    return Outcome(
        readings, counted[0], counted[1], with_payloads, after, time.monotonic() - started
    )


@contextlib.contextmanager
def database(kind: str, root: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{root / 'history.db'}"
        return
    with throwaway_postgres() as cluster:
        yield cluster.create_database("history")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--printers", type=int, default=50)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(
        f"{args.printers} printers polled every {_POLL.seconds // 60} min for {args.days} days"
        f" ({args.printers * args.days * 96:,} readings), seed {args.seed}",
        flush=True,
    )
    for kind in kinds:
        print(f"\n== {kind} ==", flush=True)
        with (
            tempfile.TemporaryDirectory(prefix="remotecare-history-") as root,
            database(kind, Path(root)) as url,
        ):
            outcome = measure(url, args)
        n = outcome.readings
        print(
            f"  {n:,} readings in {outcome.seconds:.0f} s;"
            f" {outcome.counter_samples / n:.3f} counter and"
            f" {outcome.supply_samples / n:.3f} supply samples per reading\n"
            f"  with raw payloads: {outcome.bytes_with_payloads / n:,.0f} bytes per reading\n"
            f"  after raw_report_days (payloads deleted, compacted):"
            f" {outcome.bytes_after / n:,.1f} bytes per reading",
            flush=True,
        )


if __name__ == "__main__":
    main()
