"""Urgent readings ahead in the care feed, on SQLite and PostgreSQL: ingest marks a
printer's first reading and readings whose conditions changed, the drainer takes them
(with their printer's older readings) before the routine backlog, two drainers lose and
repeat nothing, and each printer's readings still reach the consumers in order."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from remotecare.center.care.feed import CareConsumer, DrainPacing, FeedDrainer
from remotecare.center.care.history.service import HistoryConsumer
from remotecare.center.care.history.tables import counter_samples, supply_samples
from remotecare.center.care.tables import care_feed
from remotecare.center.kernel.transactions import Transactions
from remotecare.protocol.messages import Alert, Report
from tests.integration.test_care_feed import CALLER, T0, SteppedClock, readings, store
from tests.support.care import (
    RecordingConsumer,
    create_handled_log,
    feed_engine,
    handled_log,
    seed_endpoint,
)
from tests.support.schema import migrated_engine


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    with feed_engine(database_url or tmp_path / "center.db", CALLER.endpoint_id, T0) as engine:
        yield engine


def with_alert(report: Report) -> Report:
    assert report.reading is not None
    alert = Alert(index=1, severity="critical", group="mediaPath", code="jam", description="jam")
    return report.model_copy(
        update={"reading": report.reading.model_copy(update={"alerts": [alert]})}
    )


def feed_rows(engine: Engine) -> dict[str, bool]:
    with engine.connect() as conn:
        query = select(care_feed.c.report_id, care_feed.c.urgent)
        return {report_id: bool(urgent) for report_id, urgent in conn.execute(query)}


def handled_in_order(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        query = select(handled_log.c.report_id).order_by(handled_log.c.id)
        return list(conn.execute(query).scalars())


def test_ingest_marks_first_readings_and_changed_conditions_only(engine: Engine) -> None:
    sent = readings(4, "SER-A")
    sent[2] = with_alert(sent[2])
    store(engine, sent[:1])
    store(engine, sent[1:])
    marked = feed_rows(engine)
    ids = [str(r.report_id) for r in sent]
    # first; same conditions; an alert appears; it clears again
    assert [marked[i] for i in ids] == [True, False, True, True]


def test_urgent_rows_go_first_with_their_printers_older_rows(engine: Engine) -> None:
    backlog = readings(30, "SER-A")
    store(engine, backlog[:1])
    with Transactions(engine).begin() as conn:  # A's first reading handled already
        conn.execute(care_feed.delete())
    others = readings(3, "SER-B")
    store(engine, others)  # B's first reading is urgent too, its next two are not
    store(engine, backlog[1:20])
    alarm = with_alert(readings(1, "SER-A", T0 + timedelta(minutes=195))[0])
    store(engine, [alarm])
    later = [with_alert(r) for r in backlog[20:]]  # the alert stays: routine again
    store(engine, later)
    drainer = FeedDrainer(Transactions(engine), [RecordingConsumer()], SteppedClock(T0))
    while drainer.drain_urgent(1):
        pass
    first = handled_in_order(engine)
    older_a = [str(r.report_id) for r in backlog[1:20]]
    assert set(first) == {str(others[0].report_id), str(alarm.report_id), *older_a}
    assert first[-len(older_a) - 1 :] == [*older_a, str(alarm.report_id)]  # in order
    waiting = feed_rows(engine)
    assert set(waiting) == {str(r.report_id) for r in [*others[1:], *later]}
    assert not any(waiting.values())


def test_two_drainers_lose_and_repeat_nothing(engine: Engine) -> None:
    sent: list[Report] = []
    for printer in range(6):
        batch = readings(12, f"SER-{printer}")
        batch[5] = with_alert(batch[5])
        sent += batch
    for start in range(0, len(sent), 8):
        store(engine, sent[start : start + 8])
    drainers = [
        FeedDrainer(
            Transactions(engine),
            [RecordingConsumer()],
            SteppedClock(T0),
            pacing=DrainPacing(batch=7, urgent_batch=2),
        )
        for _ in range(2)
    ]

    def run(drainer: FeedDrainer) -> None:
        for _ in range(200):  # bounded
            if drainer.drain_urgent(2) + drainer.drain_once() == 0:
                return

    threads = [threading.Thread(target=run, args=(d,)) for d in drainers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done = handled_in_order(engine)
    assert sorted(done) == sorted(str(r.report_id) for r in sent)
    assert feed_rows(engine) == {}


def history_of(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with engine.connect() as conn:
        counters = sorted(tuple(r) for r in conn.execute(select(counter_samples)).all())
        supplies = sorted(tuple(r) for r in conn.execute(select(supply_samples)).all())
    return counters, supplies


def test_urgent_first_ends_as_in_order(engine: Engine, tmp_path: Path) -> None:
    """Each printer's readings reach the consumers in their order, urgent lane or not; so
    the history (which the supplies and meters read) ends the same as a plain drain."""
    sent: list[Report] = []
    for printer in range(3):
        batch = readings(10, f"SER-{printer}")
        batch[6] = with_alert(batch[6])
        sent += batch
    store(engine, sent)
    consumers: list[CareConsumer] = [HistoryConsumer(), RecordingConsumer()]
    drainer = FeedDrainer(Transactions(engine), consumers, SteppedClock(T0))
    while drainer.drain_urgent(1):
        pass
    while drainer.drain_once(4):
        pass
    order = handled_in_order(engine)
    for printer in range(3):
        mine = [
            str(r.report_id) for r in sent if r.reading and r.reading.serial == f"SER-{printer}"
        ]
        assert [i for i in order if i in set(mine)] == mine

    plain = migrated_engine("", tmp_path / "plain.db")
    create_handled_log(plain)
    seed_endpoint(plain, CALLER.endpoint_id, T0)
    store(plain, sent)
    plain_drainer = FeedDrainer(Transactions(plain), [HistoryConsumer()], SteppedClock(T0))
    while plain_drainer.drain_once(4):
        pass
    # Ids differ by database; the samples' printers are numbered alike (same order).
    assert history_of(plain) == history_of(engine)
    plain.dispose()
