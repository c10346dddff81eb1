"""The silent printers' facts are chosen in the database (SQLite and PostgreSQL) exactly as
``assess`` judges every printer's: by its agent's poll interval, from its last reading or,
never read, from when it was first seen; pending printers are left out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, update

from remotecare.center.fleet.overview import printer_facts, silent_printer_facts
from remotecare.center.fleet.rules.connectivity import Connectivity
from remotecare.center.fleet.tables import printers
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.schema import upgrade_to_head
from remotecare.center.kernel.storage import make_engine
from tests.support.care import seed_endpoint

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HOURLY = "00000000-0000-4000-8000-0000000000a1"  # polls every 300 s: silent after 30 min
DAILY = "00000000-0000-4000-8000-0000000000a2"  # polls every 86,400 s: silent after 6 days


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url or f"sqlite:///{tmp_path / 'center.db'}")
    upgrade_to_head(engine)
    seed_endpoint(engine, HOURLY, NOW - timedelta(days=30))
    with engine.begin() as conn:
        conn.execute(
            insert(endpoints).values(
                id=DAILY,
                customer_id=1,
                certificate_serial=DAILY[-8:],
                certificate_not_after=NOW + timedelta(days=3650),
                revoked=False,
                enrolled_at=NOW - timedelta(days=30),
                poll_interval_seconds=86_400,
            )
        )
    yield engine
    engine.dispose()


def _printer(
    engine: Engine,
    serial: str,
    endpoint_id: str,
    read_ago: timedelta | None,
    *,
    seen_ago: timedelta = timedelta(days=20),
    binding: str = "bound",
) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(printers)
                .values(
                    customer_id=1,
                    endpoint_id=endpoint_id,
                    serial=serial,
                    serial_source="prtGeneralSerialNumber",
                    address=f"snmp://192.0.2.{len(serial)}:161",
                    model="Acme 1",
                    first_seen_at=NOW - seen_ago,
                    last_report_at=NOW,
                    last_contact_at=None if read_ago is None else NOW - read_ago,
                    binding=binding,
                )
                .returning(printers.c.id)
            ).scalar_one()
        )


def test_the_silent_printers_are_those_assess_finds_silent_and_those_asked_for(
    engine: Engine,
) -> None:
    silent = _printer(engine, "S-SILENT", HOURLY, timedelta(hours=2))
    _printer(engine, "S-FRESH", HOURLY, timedelta(minutes=5))
    _printer(engine, "S-LATE", HOURLY, timedelta(minutes=20))  # late, not silent yet
    never_read = _printer(engine, "S-NEVER", HOURLY, None)  # first seen 20 days ago
    _printer(engine, "S-NEW", HOURLY, None, seen_ago=timedelta(minutes=1))
    _printer(engine, "S-DAILY", DAILY, timedelta(days=2))  # its agent polls once a day
    daily_silent = _printer(engine, "S-DAILY-OLD", DAILY, timedelta(days=7))
    _printer(engine, "S-PENDING", HOURLY, timedelta(days=3), binding="pending")
    with engine.connect() as conn:
        every = printer_facts(conn, NOW)
        chosen = silent_printer_facts(conn, NOW)
    judged_silent = [f for f in every if f.printer.state is Connectivity.SILENT]
    assert chosen == judged_silent
    assert [f.printer_id for f in chosen] == [silent, never_read, daily_silent]


def test_printers_asked_for_come_with_the_silent_ones_in_id_order(engine: Engine) -> None:
    fresh = _printer(engine, "S-FRESH", HOURLY, timedelta(minutes=5))
    silent = _printer(engine, "S-SILENT", HOURLY, timedelta(hours=2))
    pending = _printer(engine, "S-PENDING", HOURLY, timedelta(minutes=5), binding="pending")
    with engine.connect() as conn:
        chosen = silent_printer_facts(conn, NOW, {silent, fresh, pending, 99_999})
    assert [(f.printer_id, f.printer.state) for f in chosen] == [
        (fresh, Connectivity.ONLINE),
        (silent, Connectivity.SILENT),
    ]  # a pending printer and an unknown id are not devices


def test_a_printer_read_again_is_no_longer_silent(engine: Engine) -> None:
    silent = _printer(engine, "S-SILENT", HOURLY, timedelta(hours=2))
    with engine.connect() as conn:
        assert [f.printer_id for f in silent_printer_facts(conn, NOW)] == [silent]
    with engine.begin() as conn:
        conn.execute(update(printers).values(last_contact_at=NOW - timedelta(minutes=1)))
    with engine.connect() as conn:
        assert silent_printer_facts(conn, NOW) == []
