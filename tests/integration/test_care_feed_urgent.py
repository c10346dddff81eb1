"""Urgent readings ahead in the care feed, on SQLite and PostgreSQL: ingest marks a
printer's first reading and readings whose conditions changed, the drainer takes them
(with their printer's older readings) before the routine backlog, two drainers lose and
repeat nothing, and each printer's readings still reach the consumers in order; a known
printer's change goes before never-seen printers' first readings."""

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
    # A known printer's change first (in order), then B's first reading.
    assert first == [*older_a, str(alarm.report_id), str(others[0].report_id)]
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


def feed_kinds(engine: Engine) -> dict[str, tuple[bool, bool]]:
    with engine.connect() as conn:
        query = select(care_feed.c.report_id, care_feed.c.urgent, care_feed.c.first_reading)
        return {r: (bool(urgent), bool(first)) for r, urgent, first in conn.execute(query)}


def test_ingest_tells_a_printers_first_reading_from_a_change(engine: Engine) -> None:
    sent = readings(3, "SER-A")
    sent[2] = with_alert(sent[2])
    store(engine, sent[:2])  # first and a repeat in one group
    store(engine, sent[2:])
    kinds = feed_kinds(engine)
    # (urgent, first reading): the first; a repeat; a change of a known printer
    assert [kinds[str(r.report_id)] for r in sent] == [(True, True), (False, False), (True, False)]


def test_a_known_printers_change_goes_before_new_printers_first_readings(engine: Engine) -> None:
    known = readings(2, "SER-K")
    store(engine, known[:1])
    with Transactions(engine).begin() as conn:  # K's first reading handled already
        conn.execute(care_feed.delete())
    fleet = [readings(1, f"NEW-{n}")[0] for n in range(12)]  # a fleet appearing at once
    store(engine, fleet[:6])
    store(engine, known[1:])  # K's routine repeat, before its alarm
    store(engine, fleet[6:])
    alarm = with_alert(readings(1, "SER-K", T0 + timedelta(minutes=30))[0])
    store(engine, [alarm])
    drainer = FeedDrainer(Transactions(engine), [RecordingConsumer()], SteppedClock(T0))
    assert drainer.drain_urgent(5) == 2  # the change alone (with K's older row)
    assert handled_in_order(engine) == [str(known[1].report_id), str(alarm.report_id)]
    while drainer.drain_urgent(5):
        pass
    assert handled_in_order(engine)[2:] == [str(r.report_id) for r in fleet]  # in order
    assert feed_rows(engine) == {}


def test_a_printers_first_reading_goes_along_with_its_change(engine: Engine) -> None:
    """A never-seen printer whose second reading is already a change: taking the change
    takes the first reading along, ahead of it (each printer's readings in order)."""
    fleet = [readings(1, f"NEW-{n}")[0] for n in range(4)]
    store(engine, fleet)
    mine = readings(2, "SER-Q")
    mine[1] = with_alert(mine[1])
    store(engine, mine[:1])
    store(engine, mine[1:])
    drainer = FeedDrainer(Transactions(engine), [RecordingConsumer()], SteppedClock(T0))
    assert drainer.drain_urgent(50) == 2
    assert handled_in_order(engine) == [str(r.report_id) for r in mine]
    while drainer.drain_urgent(50):
        pass
    assert handled_in_order(engine)[2:] == [str(r.report_id) for r in fleet]


def test_a_drainer_steps_again_at_once_while_first_readings_wait(engine: Engine) -> None:
    store(engine, [readings(1, f"NEW-{n}")[0] for n in range(3)])
    pacing = DrainPacing(urgent_batch=2, min_rest_s=0.01, idle_s=0.5)
    drainer = FeedDrainer(
        Transactions(engine), [RecordingConsumer()], SteppedClock(T0), pacing=pacing
    )
    assert drainer.step() == pacing.min_rest_s  # two first readings; one waits
    assert drainer.step() == pacing.min_rest_s  # the last one
    assert len(handled_in_order(engine)) == 3
