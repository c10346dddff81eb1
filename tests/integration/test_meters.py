"""Meter reads on SQLite and PostgreSQL, from readings stored by ingest and handed on by
the care feed: actual and estimated reads, periods closed once (by hand or
automatically), corrections with a reason, review of late readings, resets, swaps,
refused agent clocks, and the CSV/JSON export."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from remotecare.center.access.rules import Actor, Role
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.care.feed import FeedDrainer, record_stored_readings
from remotecare.center.care.history.service import HistoryConsumer
from remotecare.center.care.meters.closer import MeterCloser
from remotecare.center.care.meters.export import CSV_COLUMNS, export_rows, write_csv, write_json
from remotecare.center.care.meters.rules.periods import BillingSettings, period_named
from remotecare.center.care.meters.service import (
    MeterError,
    MeterRead,
    MeterSightings,
    close_period,
    compute_reads,
    correct_read,
    customer_settings,
    reads_for_review,
    reads_of_customer,
    set_customer_settings,
    stored_reads,
)
from remotecare.center.care.meters.tables import meter_corrections, meter_reads
from remotecare.center.contracts.rules import Service
from remotecare.center.fleet.billing import billed_devices
from remotecare.center.fleet.ingest import Caller, IngestRequest, ingest_many
from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.center.fleet.tables import printers
from remotecare.center.kernel.transactions import Transactions
from remotecare.protocol.messages import Report
from tests.support.care import contract_services, seed_endpoint
from tests.support.reports import a_plain_report
from tests.support.schema import migrated_engine

CALLER = Caller("00000000-0000-4000-8000-0000000000c1", 1)
# Tokyo, default settings: period 2026-11 ends 2026-11-30 15:00 UTC (1 Dec 00:00 JST)
OCT_END = datetime(2026, 10, 31, 15, tzinfo=UTC)
NOV_END = datetime(2026, 11, 30, 15, tzinfo=UTC)
AFTER_GRACE = NOV_END + timedelta(days=4)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class SteppedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    engine = migrated_engine(database_url, tmp_path / "center.db")
    seed_endpoint(engine, CALLER.endpoint_id, OCT_END - 60 * DAY)
    yield engine
    engine.dispose()


def report(serial: str, pages: int, at: datetime, site: str = "") -> Report:
    return a_plain_report(serial, agent_time=at, pages=pages, address=site or f"snmp://{serial}")


def store(engine: Engine, batch: Sequence[Report], received: datetime | None = None) -> None:
    """Ingest ``batch`` (received when the last of it was taken) and drain the feed."""
    received = received or max(r.agent_time for r in batch)
    with engine.begin() as conn:
        request = IngestRequest(
            CALLER, batch, received, BindingPolicy.AUTOMATIC, record_stored_readings
        )
        ingest_many(conn, [request])
    drainer = FeedDrainer(
        Transactions(engine), [HistoryConsumer(), MeterSightings()], SteppedClock(received)
    )
    while drainer.drain_once():
        pass


def close(engine: Engine, period: str, now: datetime = AFTER_GRACE) -> None:
    with engine.begin() as conn:
        close_period(conn, ADMINISTRATOR, 1, period, now)


def reads_of(engine: Engine, serial: str, period: str) -> dict[str, MeterRead]:
    with engine.connect() as conn:
        printer_id = conn.execute(
            select(printers.c.id).where(printers.c.serial == serial)
        ).scalar_one()
        return {r.counter: r for r in stored_reads(conn, [printer_id], period)[printer_id]}


def test_a_reading_before_cut_off_is_actual_and_usage_is_the_difference(engine: Engine) -> None:
    store(engine, [report("A", 1000, OCT_END - 2 * HOUR), report("A", 1500, NOV_END - 3 * HOUR)])
    close(engine, "2026-10", NOV_END)
    close(engine, "2026-11")
    read = reads_of(engine, "A", "2026-11")["total"]
    assert (read.value, read.previous_value, read.usage) == (1500, 1000, 500)
    assert (read.method, read.read_at) == ("actual", NOV_END - 3 * HOUR)


def test_an_unchanged_counter_read_inside_the_window_is_actual(engine: Engine) -> None:
    """The history keeps no sample for a reading that repeats the value: the reading
    times the feed saw make it actual all the same."""
    store(engine, [report("A", 1000, NOV_END - 5 * DAY), report("A", 1000, NOV_END - HOUR)])
    close(engine, "2026-11")
    read = reads_of(engine, "A", "2026-11")["total"]
    assert (read.value, read.method, read.read_at) == (1000, "actual", NOV_END - HOUR)


def test_closing_twice_is_harmless(engine: Engine) -> None:
    store(engine, [report("A", 1000, NOV_END - HOUR)])
    close(engine, "2026-11")
    store(engine, [report("A", 999_000, NOV_END - 2 * HOUR)])  # arrives late
    with engine.begin() as conn:
        again = close_period(conn, ADMINISTRATOR, 1, "2026-11", AFTER_GRACE + DAY)
    assert again.already
    assert again.reads == 1
    assert reads_of(engine, "A", "2026-11")["total"].value == 1000
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(meter_reads)).scalar_one() == 1


def test_a_period_not_yet_over_cannot_be_closed(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(MeterError, match="not yet"):
        close_period(conn, ADMINISTRATOR, 1, "2026-11", NOV_END - HOUR)


def test_a_silent_printer_is_estimated_and_a_late_reading_is_listed_for_review(
    engine: Engine,
) -> None:
    store(engine, [report("A", 1000, OCT_END - HOUR), report("A", 3000, NOV_END - 10 * DAY)])
    close(engine, "2026-10", NOV_END)
    close(engine, "2026-11")
    read = reads_of(engine, "A", "2026-11")["total"]
    assert read.method == "extrapolated"
    assert read.value is not None
    assert read.value > 3000
    assert len(read.sources) == 2
    # the agent's outbox delivers the reading it took before the cut-off
    store(engine, [report("A", 3400, NOV_END - 2 * HOUR)], received=AFTER_GRACE + DAY)
    with engine.connect() as conn:
        [review] = reads_for_review(conn, ADMINISTRATOR, 1)
    assert (review.read.read_id, review.reading_value) == (read.read_id, 3400)
    assert reads_of(engine, "A", "2026-11")["total"].value == read.value  # not changed


def test_a_gap_over_the_cut_off_is_interpolated(engine: Engine) -> None:
    store(engine, [report("A", 1000, NOV_END - 3 * DAY), report("A", 2000, NOV_END + 2 * DAY)])
    close(engine, "2026-11")
    read = reads_of(engine, "A", "2026-11")["total"]
    assert read.method == "interpolated"
    assert read.value is not None
    assert 1000 < read.value < 2000


def test_a_counter_reset_is_flagged_and_never_negative(engine: Engine) -> None:
    store(engine, [report("A", 50_000, OCT_END - HOUR)])
    close(engine, "2026-10", NOV_END)
    store(engine, [report("A", 50_400, NOV_END - 20 * DAY), report("A", 10, NOV_END - 19 * DAY)])
    store(engine, [report("A", 310, NOV_END - HOUR)])
    close(engine, "2026-11")
    read = reads_of(engine, "A", "2026-11")["total"]
    assert read.usage == 400 + 300
    assert any(flag.startswith("counter reset: 50400") for flag in read.flags)


def test_a_misread_jump_is_excluded_with_its_reason(engine: Engine) -> None:
    store(engine, [report("A", 1000, NOV_END - 3 * HOUR), report("A", 9_001_000, NOV_END - HOUR)])
    close(engine, "2026-11")
    read = reads_of(engine, "A", "2026-11")["total"]
    assert read.value == 1000
    assert any("jump" in flag for flag in read.flags)


def test_readings_from_an_agent_clock_far_in_the_past_are_excluded(engine: Engine) -> None:
    store(engine, [report("A", 1000, NOV_END - 3 * HOUR)])
    store(engine, [report("A", 5, datetime(2026, 1, 1, tzinfo=UTC))], received=NOV_END)
    store(engine, [report("A", 1200, NOV_END - 2 * HOUR)], received=NOV_END)
    close(engine, "2026-11")
    read = reads_of(engine, "A", "2026-11")["total"]
    assert read.value == 1200
    assert read.usage == 200  # counted from 1000 (the first trusted reading), not from 5


def test_a_device_swap_bills_each_device_once(engine: Engine) -> None:
    site = "snmp://192.0.2.50:161"
    store(engine, [report("OLD", 80_000, OCT_END - HOUR, site)])
    close(engine, "2026-10", NOV_END)
    store(engine, [report("OLD", 81_000, NOV_END - 12 * DAY, site)])
    store(engine, [report("NEW", 20, NOV_END - 10 * DAY, site)])
    store(engine, [report("NEW", 520, NOV_END - HOUR, site)])
    close(engine, "2026-11")
    old = reads_of(engine, "OLD", "2026-11")["total"]
    new = reads_of(engine, "NEW", "2026-11")["total"]
    assert (old.method, old.value, old.usage) == ("final", 81_000, 1000)
    assert "replaced by NEW" in old.flags
    assert (new.method, new.value, new.usage) == ("actual", 520, 500)
    assert "replaces OLD" in new.flags


def test_a_correction_needs_an_operator_and_a_reason_and_is_kept(engine: Engine) -> None:
    store(engine, [report("A", 1000, OCT_END - HOUR), report("A", 1500, NOV_END - HOUR)])
    close(engine, "2026-10", NOV_END)
    close(engine, "2026-11")
    read_id = reads_of(engine, "A", "2026-10")["total"].read_id
    assert read_id is not None
    customer = Actor.scoped("c", Role.CUSTOMER_ADMIN, [1])
    with engine.begin() as conn:
        with pytest.raises(MeterError, match="reason"):
            correct_read(conn, ADMINISTRATOR, read_id, 1100, "  ", AFTER_GRACE)
        with pytest.raises(MeterError, match="operators"):
            correct_read(conn, customer, read_id, 1100, "typo", AFTER_GRACE)
        corrected = correct_read(
            conn, Actor.operator("kato"), read_id, 1100, "meter photo", AFTER_GRACE
        )
    assert (corrected.value, corrected.method) == (1100, "corrected")
    assert reads_of(engine, "A", "2026-11")["total"].usage == 400  # the next period follows
    with engine.connect() as conn:
        row = conn.execute(select(meter_corrections)).one()
    assert (row.operator, row.reason, row.old_value, row.new_value) == (
        "kato",
        "meter photo",
        1000,
        1100,
    )


def test_the_automatic_close_waits_for_the_grace(engine: Engine) -> None:
    store(engine, [report("A", 1000, NOV_END - HOUR)])
    clock = SteppedClock(NOV_END + DAY)
    closer = MeterCloser(Transactions(engine), clock)
    assert "2026-11" not in {p for _, p in closer.close_due()}
    clock.current = AFTER_GRACE
    assert (1, "2026-11") in closer.close_due()
    assert closer.close_due() == []


def test_no_automatic_close_without_the_meters_service(engine: Engine) -> None:
    store(engine, [report("A", 1000, NOV_END - HOUR)])
    with engine.begin() as conn:  # the customer changes to supplies delivery only
        contract_services(conn, {Service.SUPPLIES}, NOV_END)
    closer = MeterCloser(Transactions(engine), SteppedClock(AFTER_GRACE))
    assert closer.close_due() == []


def test_the_contract_names_the_cut_off_until_the_operator_sets_one(engine: Engine) -> None:
    with engine.begin() as conn:
        contract_services(conn, set(Service), NOV_END, cutoff_day=20)
        assert customer_settings(conn, [1])[1].cutoff_day == 20
        set_customer_settings(conn, ADMINISTRATOR, 1, BillingSettings(cutoff_day=25), NOV_END)
        assert customer_settings(conn, [1])[1].cutoff_day == 25


def test_a_customer_cut_off_day_and_zone(engine: Engine) -> None:
    with engine.begin() as conn:
        settings = BillingSettings(cutoff_day=20, cutoff_minutes=18 * 60, zone="Europe/Berlin")
        set_customer_settings(conn, ADMINISTRATOR, 1, settings, NOV_END)
    cutoff = datetime(2026, 11, 20, 17, tzinfo=UTC)  # 18:00 CET
    store(engine, [report("A", 700, cutoff - HOUR), report("A", 900, cutoff + HOUR)])
    close(engine, "2026-11", cutoff + 4 * DAY)
    read = reads_of(engine, "A", "2026-11")["total"]
    assert (read.value, read.method) == (700, "actual")


def test_the_export_lists_every_device_in_csv_with_bom_and_json(engine: Engine) -> None:
    store(engine, [report("A", 1000, OCT_END - HOUR), report("A", 1500, NOV_END - HOUR)])
    store(engine, [report("QUIET", 10, NOV_END + 2 * DAY)])  # no reading before the cut-off
    close(engine, "2026-10", NOV_END)
    close(engine, "2026-11")
    out = io.StringIO(newline="")
    with engine.connect() as conn:
        count = write_csv(export_rows(conn, ADMINISTRATOR, "2026-11", AFTER_GRACE), out)
    text = out.getvalue()
    assert text.startswith("\ufeffserial,model,customer,site,counter,previous_read,this_read")
    lines = text.splitlines()
    assert count == len(lines) - 1 == 2
    assert lines[1].startswith("A,Acme Laser 9000,Acme,snmp://A,total,1000,1500,500,actual,actual,")
    assert lines[2].startswith("QUIET,")
    assert ",missing," in lines[2]
    assert len(CSV_COLUMNS) == len(lines[0].split(","))
    out = io.StringIO()
    with engine.connect() as conn:
        write_json(export_rows(conn, ADMINISTRATOR, "2026-11", AFTER_GRACE), out, "2026-11")
    document = json.loads(out.getvalue())
    assert [row["serial"] for row in document["reads"]] == ["A", "QUIET"]


def test_an_open_period_is_a_preview_and_others_customers_are_hidden(engine: Engine) -> None:
    store(engine, [report("A", 1000, NOV_END - HOUR)])
    with engine.connect() as conn:
        [(device, reads)] = list(reads_of_customer(conn, 1, "2026-11", NOV_END + HOUR))
        assert (device.serial, reads[0].value, reads[0].read_id) == ("A", 1000, None)
        stranger = Actor.scoped("other", Role.CUSTOMER_ADMIN, [2])
        assert list(export_rows(conn, stranger, "2026-11", NOV_END)) == []
        with pytest.raises(MeterError):
            list(export_rows(conn, stranger, "2026-11", NOV_END, [1]))


def test_a_swap_is_seen_from_a_page_without_the_old_device(engine: Engine) -> None:
    site = "snmp://192.0.2.51:161"
    store(engine, [report("OLD", 80_000, NOV_END - 12 * DAY, site)])
    store(engine, [report("NEW", 20, NOV_END - 10 * DAY, site)])
    store(engine, [report("NEW", 520, NOV_END - HOUR, site)])
    with engine.connect() as conn:
        old, new = billed_devices(conn, [1])
        reads = compute_reads(
            conn, 1, period_named("2026-11", BillingSettings()), BillingSettings(), [new],
            AFTER_GRACE, site_mates=[old, new],
        )  # fmt: skip
    [read] = reads
    assert "replaces OLD" in read.flags
