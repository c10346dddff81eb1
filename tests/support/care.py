"""A care feed consumer for tests that logs what it handled in the center's database,
in the drainer's transaction (so a rolled-back batch leaves no trace), and a center
process that runs it beside the history.

Run as ``python -m tests.support.care center serve --home HOME [--workers N] [--slow-s S]``
(``centers.serving_center(..., module="tests.support.care")``): with
``--workers`` it supervises N worker processes exactly as ``center serve --workers``
does (``remotecare.center.workers.supervise``), each worker being this module again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, insert

from remotecare.center.bootstrap import bootstrap
from remotecare.center.care.feed import FedReading
from remotecare.center.care.history.service import HistoryConsumer
from remotecare.center.config import CenterSettings
from remotecare.center.contracts.rules import Service, services_text
from remotecare.center.contracts.tables import contract_terms, customers
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.schema import upgrade_to_head
from remotecare.center.kernel.storage import make_engine
from remotecare.center.server import CenterServer
from remotecare.center.workers import supervise
from tests.support.schema import migrated_engine

__all__ = [
    "BATCH_STARTED",
    "RecordingConsumer",
    "create_handled_log",
    "feed_engine",
    "handled_log",
    "seed_endpoint",
]

BATCH_STARTED = "batch-started"  # touched in the center's home by a slow consumer

_LOG = MetaData()
handled_log = Table(
    "test_handled_readings",
    _LOG,
    Column("id", Integer, primary_key=True),
    Column("consumer", String(64), nullable=False),
    Column("report_id", String(36), nullable=False),
    Column("pid", Integer, nullable=False),
)


def create_handled_log(engine: Engine) -> None:
    _LOG.create_all(engine)


@contextlib.contextmanager
def feed_engine(database: Path | str, endpoint_id: str, at: datetime) -> Iterator[Engine]:
    """A migrated database (a PostgreSQL URL, or an SQLite file at a path) with the
    handled-readings log and ``endpoint_id`` of customer 1: what the care feed's tests
    store readings into."""
    if isinstance(database, str):
        engine = migrated_engine(database, Path())
    else:
        engine = migrated_engine("", database)
    create_handled_log(engine)
    seed_endpoint(engine, endpoint_id, at)
    try:
        yield engine
    finally:
        engine.dispose()


def seed_endpoint(engine: Engine, endpoint_id: str, at: datetime) -> None:
    """Customer 1 and its endpoint ``endpoint_id``, enrolled at ``at``, straight into the
    database (for ingest called without the device API)."""
    with engine.begin() as conn:
        conn.execute(insert(customers).values(id=1, name="Acme", status="active", created_at=at))
        contract_services(conn, set(Service), at)  # as an accepted application gives
        conn.execute(
            insert(endpoints).values(
                id=endpoint_id,
                customer_id=1,
                certificate_serial=endpoint_id[-8:],
                certificate_not_after=at + timedelta(days=3650),
                revoked=False,
                enrolled_at=at,
            )
        )


def contract_services(
    conn: Connection, services: Collection[Service], at: datetime, cutoff_day: int = 31
) -> None:
    """Customer 1's contract terms from ``at`` on: ``services`` and the billing cut-off."""
    conn.execute(
        insert(contract_terms).values(
            customer_id=1,
            services=services_text(services),
            billing_cutoff_day=cutoff_day,
            consents_to_news=False,
            effective_at=at,
            recorded_by="test",
        )
    )


class RecordingConsumer:
    """Logs each reading it handles; raises on the report ids in ``fail_on``; with
    ``batch_started``, touches that file and sleeps ``slow_s`` in each batch (so that a
    test can kill the process in the middle of one)."""

    def __init__(
        self,
        name: str = "log",
        *,
        fail_on: Sequence[str] = (),
        batch_started: Path | None = None,
        slow_s: float = 0.0,
    ) -> None:
        self.name = name
        self.fail_on = set(fail_on)
        self._batch_started = batch_started
        self._slow_s = slow_s

    def handle(self, conn: Connection, readings: Sequence[FedReading]) -> None:
        for reading in readings:  # one by one: a failure comes after earlier writes
            if reading.report_id in self.fail_on:
                raise RuntimeError(f"cannot handle {reading.report_id}")
            conn.execute(
                insert(handled_log),
                {"consumer": self.name, "report_id": reading.report_id, "pid": os.getpid()},
            )
        if self._batch_started is not None and readings:
            self._batch_started.touch()
            time.sleep(self._slow_s)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("program", nargs=2)  # "center serve", as the real command line
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--slow-s", type=float, default=0.0)
    args = parser.parse_args(argv)
    settings = CenterSettings.load(args.home)
    if args.workers > 1 and not args.worker:
        command = [sys.executable, "-m", "tests.support.care", *argv, "--worker"]
        return supervise(settings, args.workers, command)
    marker = args.home / BATCH_STARTED if args.slow_s else None
    if not args.worker:
        engine = make_engine(settings.effective_database_url)
        upgrade_to_head(engine)
        engine.dispose()
    center = bootstrap(
        settings,
        care_consumers=[
            HistoryConsumer(),
            RecordingConsumer(batch_started=marker, slow_s=args.slow_s),
        ],
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(CenterServer(center, reuse_port=args.worker).serve_forever())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
