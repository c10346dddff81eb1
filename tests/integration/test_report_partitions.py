"""Raw reports partitioned by week on PostgreSQL: retention drops whole weeks, duplicates
are refused across partitions, and migration 0016 converts a populated table."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, func, insert, literal, select, text

import remotecare.center.kernel.migrations
from remotecare.center.contracts.tables import customers
from remotecare.center.fleet.ingest import Caller, IngestRequest, ingest_many
from remotecare.center.fleet.partitions import (
    DEFAULT_PARTITION,
    drop_expired_partitions,
    make_partitions,
    week_partitions,
)
from remotecare.center.fleet.retention import RawReportRetention, RetentionPacing
from remotecare.center.fleet.rules.report_time import (
    UNDATED,
    WeekPartition,
    minted_at,
    week_start,
)
from remotecare.center.fleet.tables import printers, reports
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.schema import upgrade_to_head
from remotecare.center.kernel.storage import make_engine
from remotecare.center.kernel.transactions import Transactions
from tests.support.postgres import PostgresCluster
from tests.support.reports import a_plain_report, a_report_id_minted_at

pytestmark = pytest.mark.postgres

# Migration 0016 makes partitions around the database's clock: tests live in this week.
NOW = week_start(datetime.now(UTC)) + timedelta(days=2, hours=12)
_SCRIPTS = Path(remotecare.center.kernel.migrations.__file__).resolve().parent
A = Caller("00000000-0000-4000-8000-00000000000a", 1)


def uuid7_at(when: datetime) -> str:
    return str(a_report_id_minted_at(when))


class _Clock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def _add_customer_and_endpoint(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(customers).values(id=1, name="Acme", status="active", created_at=NOW))
        conn.execute(
            insert(endpoints).values(
                id=A.endpoint_id,
                customer_id=1,
                certificate_serial="0a",
                certificate_not_after=NOW + timedelta(days=365),
                revoked=False,
                enrolled_at=NOW,
            )
        )


@pytest.fixture
def engine(postgres_cluster: PostgresCluster) -> Iterator[Engine]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = make_engine(postgres_cluster.create_database(name))
    try:
        yield engine
    finally:
        engine.dispose()
        postgres_cluster.drop_database(name)


@pytest.fixture
def center_db(engine: Engine) -> Engine:
    upgrade_to_head(engine)
    _add_customer_and_endpoint(engine)
    return engine


def _ingest(engine: Engine, report_id: str, at: datetime, serial: str = "P-1") -> Any:
    sent = a_plain_report(serial, agent_time=at, address="snmp://192.0.2.1:161")
    sent = sent.model_copy(update={"report_id": uuid.UUID(report_id)})
    with engine.begin() as conn:
        return ingest_many(conn, [IngestRequest(A, [sent], NOW)])[0]


def _week(when: datetime) -> str:
    return WeekPartition(week_start(when)).name


def _where(engine: Engine, report_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(text("tableoid::regclass::text"))
            .select_from(reports)
            .where(reports.c.report_id == report_id)
        ).scalar()


def test_minted_at_reads_the_time_of_a_uuid7_and_dates_nothing_else() -> None:
    at = datetime(2026, 5, 17, 8, 30, 1, 234000, tzinfo=UTC)
    assert minted_at(uuid7_at(at)) == at
    assert minted_at(str(uuid.uuid4())) == UNDATED
    assert minted_at(uuid7_at(datetime(1999, 12, 31, tzinfo=UTC))) == UNDATED


def test_a_duplicate_is_refused_in_whichever_partition_it_lives(center_db: Engine) -> None:
    with center_db.begin() as conn:
        make_partitions(conn, NOW, weeks_ahead=1)
    this_week = uuid7_at(NOW)
    far_ahead = uuid7_at(NOW + timedelta(weeks=6))  # no partition yet: the default one
    undated = str(uuid.uuid4())
    for report_id in (this_week, far_ahead, undated):
        assert _ingest(center_db, report_id, NOW).accepted == 1
    assert _where(center_db, this_week) == _week(NOW)
    assert _where(center_db, far_ahead) == DEFAULT_PARTITION
    with center_db.begin() as conn:  # its week's partition is made: the report moves there
        make_partitions(conn, NOW, weeks_ahead=6)
    assert _where(center_db, far_ahead) == _week(NOW + timedelta(weeks=6))
    for report_id in (this_week, far_ahead, undated):
        done = _ingest(center_db, report_id, NOW)
        assert (done.accepted, done.duplicates) == (0, 1)
    with center_db.connect() as conn:
        assert len(conn.execute(select(reports.c.report_id)).all()) == 3


def test_retention_drops_expired_weeks_whole_and_keeps_what_is_still_needed(
    center_db: Engine,
) -> None:
    old_week = NOW - timedelta(days=120)
    with center_db.begin() as conn:
        make_partitions(conn, NOW, weeks_ahead=2, since=old_week)
    expired = [uuid7_at(old_week + timedelta(hours=i)) for i in range(5)]
    recent_at = NOW - timedelta(days=3)
    recent = uuid7_at(recent_at)
    old_undated = str(uuid.uuid4())
    for report_id in expired:
        _ingest(center_db, report_id, old_week)
    _ingest(center_db, recent, recent_at)
    _ingest(center_db, old_undated, old_week)
    still_fed = expired[0]
    retention = RawReportRetention(
        Transactions(center_db),
        _Clock(NOW),
        days=90,
        kept=[select(literal(still_fed))],
        pacing=RetentionPacing(pause_s=0, weeks_ahead=2),
    )
    retention.run_round()
    with center_db.connect() as conn:
        weeks = week_partitions(conn)
    assert WeekPartition(week_start(old_week)) not in weeks
    assert min(weeks).end > NOW - timedelta(days=90)
    assert max(weeks).start >= week_start(NOW + timedelta(weeks=2))
    assert _where(center_db, still_fed) == DEFAULT_PARTITION  # kept, moved aside
    assert all(_where(center_db, r) is None for r in expired[1:])
    assert _where(center_db, old_undated) is None  # row by row in the default partition
    assert _where(center_db, recent) == _week(recent_at)
    with center_db.begin() as conn:  # nothing more to drop
        assert drop_expired_partitions(conn, NOW - timedelta(days=90)) == []


def test_a_round_visits_only_the_printers_with_old_reports_in_the_default_partition(
    center_db: Engine,
) -> None:
    """At 1,000,000 printers a round used to walk all of them, 200 at a time, for a
    default partition that is nearly always empty: the walk must not grow with the fleet."""
    old_at = NOW - timedelta(days=120)
    old_undated = {serial: str(uuid.uuid4()) for serial in ("P-1", "P-2", "P-3")}
    for serial, report_id in old_undated.items():
        _ingest(center_db, report_id, old_at, serial)
    with center_db.begin() as conn:  # a fleet beside them, with no reports at all
        conn.execute(
            text(
                "INSERT INTO printers (customer_id, endpoint_id, serial, serial_source, address,"
                " model, first_seen_at, last_report_at) SELECT 1, :endpoint, 'Q-' || n,"
                " 'prtGeneralSerialNumber', 'snmp://192.0.2.9:161', 'M', :now, :now"
                " FROM generate_series(1, 2000) AS n"
            ),
            {"endpoint": A.endpoint_id, "now": NOW},
        )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    retention = RawReportRetention(
        Transactions(center_db),
        _Clock(NOW),
        days=90,
        pacing=RetentionPacing(printers=2, pause_s=0, weeks_ahead=2),
    )
    event.listen(center_db, "before_cursor_execute", count)
    try:
        retention.run_round()
    finally:
        event.remove(center_db, "before_cursor_execute", count)
    assert all(_where(center_db, r) is None for r in old_undated.values())
    with center_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(printers)).scalar_one() == 2003
    # Partitions made, then the reports of no printer, two groups of two printers and
    # the empty group that ends the walk; 1,000 groups for the whole fleet before.
    assert len(statements) < 40, statements


def test_the_migration_partitions_a_populated_table(engine: Engine) -> None:
    upgrade_to_head(engine)
    _migrate(engine, "downgrade", "0012")
    _add_customer_and_endpoint(engine)
    ids = [uuid7_at(NOW - timedelta(days=d, minutes=d)) for d in range(0, 400, 9)]
    ids += [str(uuid.uuid4()), uuid7_at(datetime(1999, 1, 1, tzinfo=UTC))]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reports (report_id, endpoint_id, printer_address, agent_time,"
                " received_at, reachable, payload) VALUES (:id, :endpoint, 'snmp://p',"
                " :at, :at, true, '{}')"
            ),
            [{"id": i, "endpoint": A.endpoint_id, "at": NOW} for i in ids],
        )
    upgrade_to_head(engine)
    with engine.connect() as conn:
        kind = conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'reports'"))
        assert kind.scalar() == "p"
        stored = dict(conn.execute(select(reports.c.report_id, reports.c.minted_at)).all())
        weeks = week_partitions(conn)
    assert stored == {i: minted_at(i) for i in ids}  # the SQL agrees with the Python
    oldest = min(m for m in stored.values() if m != UNDATED)
    assert min(weeks).start <= oldest
    assert _where(engine, ids[-1]) == DEFAULT_PARTITION
    assert _where(engine, ids[-2]) == DEFAULT_PARTITION
    assert _ingest(engine, ids[3], NOW).duplicates == 1  # still refused after the move
