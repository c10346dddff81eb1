"""The care feed and the compact history on SQLite and PostgreSQL, in process: what ingest
stores is handed to every consumer once, a failing consumer loses nothing and stops no
one, the history keeps changes only, and old raw reports go in small batches."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.care.feed import (
    DrainPacing,
    FeedDrainer,
    record_stored_readings,
    report_ids_in_feed,
    retry_delay,
)
from remotecare.center.care.history.rules import CounterKey, Sample, SupplyKey, SupplyLevel
from remotecare.center.care.history.service import HistoryConsumer, printer_history
from remotecare.center.care.history.tables import counter_samples, supply_samples
from remotecare.center.care.tables import care_feed, care_feed_retries
from remotecare.center.fleet.ingest import Caller, IngestRequest, ingest_many
from remotecare.center.fleet.printers import PrinterService
from remotecare.center.fleet.retention import RawReportRetention, RetentionPacing
from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.center.fleet.tables import held_reports, printers, reports
from remotecare.center.kernel.transactions import Transactions
from remotecare.protocol.messages import Report
from tests.support.care import (
    RecordingConsumer,
    feed_engine,
    handled_log,
)
from tests.support.reports import a_report, minted_when_taken

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CALLER = Caller("00000000-0000-4000-8000-0000000000c1", 1)


class SteppedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    with feed_engine(database_url or tmp_path / "center.db", CALLER.endpoint_id, T0) as engine:
        yield engine


def store(
    engine: Engine,
    batch: Sequence[Report],
    *,
    care_feed_on: bool = True,
    binding: BindingPolicy = BindingPolicy.AUTOMATIC,
) -> None:
    with engine.begin() as conn:
        feed = record_stored_readings if care_feed_on else None
        request = IngestRequest(CALLER, batch, T0, binding, feed)
        ingest_many(conn, [request])


def readings(count: int, serial: str = "SER-1", start: datetime = T0) -> list[Report]:
    """``count`` readings ten minutes apart, each with new page counts."""
    return [
        minted_when_taken(a_report(serial, 1000 + 7 * i, start + timedelta(minutes=10 * i)))
        for i in range(count)
    ]


def drain_all(drainer: FeedDrainer, limit: int = 100) -> None:
    for _ in range(limit):
        if drainer.drain_once() == 0:
            return
    raise AssertionError("the feed did not run dry")


def handled(engine: Engine, consumer: str = "log") -> list[str]:
    with engine.connect() as conn:
        query = select(handled_log.c.report_id).where(handled_log.c.consumer == consumer)
        return list(conn.execute(query).scalars())


def rows(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_each_stored_reading_is_handed_to_every_consumer_once(engine: Engine) -> None:
    sent = readings(25)
    store(engine, sent)
    store(engine, sent[:5])  # a retry: duplicates are not stored, so not fed again
    drainer = FeedDrainer(
        Transactions(engine),
        [RecordingConsumer("one"), RecordingConsumer("two")],
        SteppedClock(T0),
        pacing=DrainPacing(batch=10),
    )
    drain_all(drainer)
    ids = sorted(str(r.report_id) for r in sent)
    assert sorted(handled(engine, "one")) == sorted(handled(engine, "two")) == ids
    assert rows(engine, care_feed) == 0


def test_unreachable_reports_and_the_bench_switch_put_nothing_in_the_feed(engine: Engine) -> None:
    silent = Report.model_validate(
        {
            "report_id": str(uuid.uuid4()),
            "agent_time": T0.isoformat(),
            "printer_address": "snmp://192.0.2.9:161",
            "unreachable_reason": "timeout",
        }
    )
    store(engine, [silent])
    store(engine, readings(3), care_feed_on=False)
    assert rows(engine, care_feed) == 0


def test_readings_held_for_a_pending_printer_are_fed_once_it_is_confirmed(
    engine: Engine,
) -> None:
    held = readings(4)
    store(engine, held, binding=BindingPolicy.CONFIRM)
    assert rows(engine, care_feed) == 0  # not a device's readings yet
    printers = PrinterService(SteppedClock(T0), record_stored_readings)
    with engine.begin() as conn:
        (pending,) = printers.pending(conn, ADMINISTRATOR)
        printers.confirm_id(conn, ADMINISTRATOR, pending.printer_id)
    drain_all(FeedDrainer(Transactions(engine), [RecordingConsumer()], SteppedClock(T0)))
    assert sorted(handled(engine)) == sorted(str(r.report_id) for r in held)


def test_a_consumer_failing_on_one_reading_stops_no_one_and_loses_nothing(
    engine: Engine,
) -> None:
    sent = readings(12)
    bad = str(sent[4].report_id)
    store(engine, sent)
    clock = SteppedClock(T0)
    failing = RecordingConsumer("failing", fail_on=[bad])
    drainer = FeedDrainer(Transactions(engine), [failing, RecordingConsumer("steady")], clock)
    drain_all(drainer)
    ids = sorted(str(r.report_id) for r in sent)
    assert sorted(handled(engine, "steady")) == ids
    assert sorted(handled(engine, "failing")) == sorted(set(ids) - {bad})
    with engine.connect() as conn:
        retry = conn.execute(select(care_feed_retries)).one()
    assert (retry.consumer, retry.report_id, retry.attempts) == ("failing", bad, 1)
    assert "cannot handle" in retry.last_error
    assert retry.next_attempt_at == T0 + retry_delay(1)

    clock.current = T0 + retry_delay(1)  # due again, and failing again: kept, later
    drain_all(drainer)
    with engine.connect() as conn:
        retry = conn.execute(select(care_feed_retries)).one()
    assert retry.attempts == 2
    assert retry.next_attempt_at == clock.current + retry_delay(2)

    failing.fail_on.clear()  # the consumer is fixed
    clock.current += retry_delay(2)
    drain_all(drainer)
    assert sorted(handled(engine, "failing")) == ids
    assert sorted(handled(engine, "steady")) == ids  # not handed to the others again
    assert rows(engine, care_feed_retries) == 0


def test_history_keeps_changes_only_whatever_order_readings_arrive_in(engine: Engine) -> None:
    clock = SteppedClock(T0)
    drainer = FeedDrainer(Transactions(engine), [HistoryConsumer()], clock)
    first = a_report("SER-1", 1000, T0)
    same = a_report("SER-1", 1000, T0 + timedelta(minutes=10))
    later = a_report("SER-1", 1400, T0 + timedelta(minutes=40))
    store(engine, [first, same, later])
    drain_all(drainer)
    # A backfill after an outage: older than what is stored, with the change in between.
    backfill = a_report("SER-1", 1400, T0 + timedelta(minutes=20))
    store(engine, [backfill])
    drain_all(drainer)
    with engine.connect() as conn:
        printer_id = conn.execute(select(printers.c.id)).scalar_one()
        history = printer_history(conn, printer_id, T0, T0 + timedelta(hours=1))
    total = next(s for s in history.counters if s.key == CounterKey("total", "impressions"))
    assert total.samples == [Sample(T0, 1000), Sample(T0 + timedelta(minutes=20), 1400)]
    black = next(s for s in history.supplies if s.key == SupplyKey(1, "Black Toner"))
    assert black.samples == [
        Sample(T0, SupplyLevel(80, 100, "ok")),
        Sample(T0 + timedelta(minutes=20), SupplyLevel(76, 100, "ok")),
    ]
    assert black.kind.colour == "black"
    before = rows(engine, counter_samples), rows(engine, supply_samples)

    with engine.begin() as conn:  # the same readings handed over again: nothing doubles
        record_stored_readings(conn, [str(r.report_id) for r in (first, same, later, backfill)])
    drain_all(drainer)
    assert (rows(engine, counter_samples), rows(engine, supply_samples)) == before


def test_history_reads_one_printers_series_between_two_times(engine: Engine) -> None:
    store(engine, readings(6))
    store(engine, readings(6, serial="SER-2"))
    drain_all(FeedDrainer(Transactions(engine), [HistoryConsumer()], SteppedClock(T0)))
    with engine.connect() as conn:
        first = conn.execute(select(printers.c.id).where(printers.c.serial == "SER-1")).scalar()
        assert first is not None
        window = printer_history(
            conn, first, T0 + timedelta(minutes=15), T0 + timedelta(minutes=35)
        )
    total = next(s for s in window.counters if s.key.name == "total")
    # the sample in effect at the start (10 min), then the changes up to the end
    assert [s.at for s in total.samples] == [T0 + timedelta(minutes=m) for m in (10, 20, 30)]
    assert [s.value for s in total.samples] == [1007, 1014, 1021]


def test_old_raw_reports_go_in_small_batches_but_not_unfed_or_held_ones(engine: Engine) -> None:
    old = readings(30, start=T0 - timedelta(days=100))
    store(engine, old)
    store(engine, readings(3))
    clock = SteppedClock(T0)
    drainer = FeedDrainer(
        Transactions(engine), [HistoryConsumer()], clock, pacing=DrainPacing(batch=20)
    )
    assert drainer.drain_once() == 20  # ten old readings are still in the feed
    with engine.begin() as conn:  # and one old report waits for its printer's confirmation
        conn.execute(insert(held_reports).values(report_id=str(old[-1].report_id), printer_id=1))
    retention = RawReportRetention(
        Transactions(engine),
        clock,
        days=90,
        kept=report_ids_in_feed(),
        pacing=RetentionPacing(batch=7, pause_s=0),
    )
    assert retention.run_round() == 20
    with engine.connect() as conn:
        left = set(conn.execute(select(reports.c.report_id)).scalars())
    assert left & {str(r.report_id) for r in old} == {str(r.report_id) for r in old[20:]}
    assert len(left) == 13
    drain_all(drainer)
    assert retention.run_round() == 9  # the held one stays
    assert rows(engine, reports) == 4
