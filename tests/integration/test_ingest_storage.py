"""Grouped ingest on SQLite and PostgreSQL: the same outcome as storing requests one by one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, insert, select

import remotecare.center.kernel.migrations
from remotecare.center.contracts.tables import customers
from remotecare.center.fleet.ingest import (
    BindingRaceLost,
    Caller,
    IngestRequest,
    ingest_many,
)
from remotecare.center.fleet.tables import printers, reports
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.group_commit import GroupCommitter
from remotecare.center.kernel.schema import upgrade_to_head
from remotecare.protocol.messages import Report, SupplyState, new_report_id
from tests.support.reports import a_plain_report, a_reading, an_unreachable_report
from tests.support.schema import migrated_engine

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
A = Caller("00000000-0000-4000-8000-00000000000a", 1)
B = Caller("00000000-0000-4000-8000-00000000000b", 1)


@pytest.fixture
def engine(tmp_path: Path, database_url: str) -> Iterator[Engine]:
    engine = migrated_engine(database_url, tmp_path / "center.db")
    with engine.begin() as conn:
        conn.execute(insert(customers).values(id=1, name="Acme", status="active", created_at=T0))
        for caller in (A, B):
            conn.execute(
                insert(endpoints).values(
                    id=caller.endpoint_id,
                    customer_id=1,
                    certificate_serial=caller.endpoint_id[-2:],
                    certificate_not_after=T0 + timedelta(days=365),
                    revoked=False,
                    enrolled_at=T0,
                )
            )
    yield engine
    engine.dispose()


def report(
    serial: str | None, at: datetime, *, pages: int = 100, model: str = "Acme 9000"
) -> Report:
    address = f"snmp://192.0.2.{len(serial or '') + 1}:161"
    if serial is None:
        return an_unreachable_report(
            agent_time=at, address=address, reason="the printer did not answer"
        )
    return a_plain_report(serial, agent_time=at, address=address, pages=pages, model=model)


def run(engine: Engine, *requests: IngestRequest) -> list[Any]:
    with engine.begin() as conn:
        return ingest_many(conn, list(requests))


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def printer_row(engine: Engine, serial: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(printers).where(printers.c.serial == serial)).one()


def test_a_new_printer_in_a_group_belongs_to_the_first_request_naming_it(engine: Engine) -> None:
    first = IngestRequest(A, [report("NEW-1", T0)], T0)
    second = IngestRequest(B, [report("OTHER", T0), report("NEW-1", T0)], T0)
    done_a, done_b = run(engine, first, second)
    assert (done_a.accepted, done_a.refused) == (1, [])
    assert done_b.accepted == 0
    assert [r.reason for r in done_b.refused] == ["printer NEW-1 is bound to another endpoint"]
    assert count(engine, reports) == 1
    assert count(engine, printers) == 1  # the refused request bound nothing either
    assert printer_row(engine, "NEW-1").endpoint_id == A.endpoint_id


def test_a_report_sent_twice_in_one_group_is_stored_once(engine: Engine) -> None:
    once = report("P-1", T0)
    done = run(engine, IngestRequest(A, [once], T0), IngestRequest(A, [once, once], T0))
    assert [(d.accepted, d.duplicates) for d in done] == [(1, 0), (0, 2)]
    assert run(engine, IngestRequest(A, [once], T0))[0].duplicates == 1
    assert count(engine, reports) == 1


def test_the_newest_reading_wins_in_any_order(engine: Engine) -> None:
    newer, older = report("P-2", T0, pages=200), report("P-2", T0 - timedelta(hours=1), pages=100)
    run(engine, IngestRequest(A, [newer], T0))
    run(engine, IngestRequest(A, [older], T0 + timedelta(minutes=1)))
    row = printer_row(engine, "P-2")
    assert row.latest_reading["counters"][0]["value"] == 200
    assert row.latest_reading_at == T0
    assert row.last_report_at == T0 + timedelta(minutes=1)
    assert count(engine, reports) == 2  # the older one is history all the same


def test_silence_after_a_reading_is_shown_and_a_newer_reading_clears_it(engine: Engine) -> None:
    reading = report("P-3", T0)
    address = reading.printer_address
    silent = report(None, T0 + timedelta(minutes=5)).model_copy(update={"printer_address": address})
    stale_silence = report(None, T0 - timedelta(minutes=5)).model_copy(
        update={"printer_address": address}
    )
    run(engine, IngestRequest(A, [reading, stale_silence], T0))
    assert printer_row(engine, "P-3").unreachable_reason is None
    run(engine, IngestRequest(A, [silent], T0 + timedelta(minutes=5)))
    assert printer_row(engine, "P-3").unreachable_reason == "the printer did not answer"
    run(engine, IngestRequest(A, [report("P-3", T0 + timedelta(minutes=10))], T0))
    assert printer_row(engine, "P-3").unreachable_reason is None


def test_datetimes_come_back_aware_in_utc_to_the_microsecond(engine: Engine) -> None:
    local = T0.astimezone(timezone(timedelta(hours=2)))
    sent = report("P-4", local)
    run(engine, IngestRequest(A, [sent], T0))
    with engine.connect() as conn:
        stored = conn.execute(select(reports.c.agent_time, reports.c.received_at)).one()
    assert stored.agent_time == T0
    assert stored.agent_time.utcoffset() == timedelta(0)
    assert stored.received_at == T0


def test_payloads_keep_unicode_and_drop_nothing_declared(engine: Engine) -> None:
    sent = report("P-5", T0, model="Büro-Drucker 東京 ✓")
    run(engine, IngestRequest(A, [sent], T0))
    with engine.connect() as conn:
        payload = conn.execute(select(reports.c.payload)).scalar_one()
    assert payload["reading"]["model"] == "Büro-Drucker 東京 ✓"
    assert Report.model_validate(payload) == sent


async def test_a_failed_group_is_retried_request_by_request(engine: Engine) -> None:
    calls: list[int] = []

    def flaky(conn: Any, items: Any) -> list[Any]:
        calls.append(len(items))
        if len(items) > 1:
            raise BindingRaceLost("lost")
        return ingest_many(conn, items)

    committer = GroupCommitter(engine)
    committer.start()
    try:
        outcomes = await asyncio.gather(
            committer.submit_batched(flaky, IngestRequest(A, [report("R-1", T0)], T0)),
            committer.submit_batched(flaky, IngestRequest(B, [report("R-1", T0)], T0)),
        )
    finally:
        await committer.stop()
    assert calls == [2, 1, 1]
    assert [o.accepted for o in outcomes] == [1, 0]
    assert len(outcomes[1].refused) == 1
    assert count(engine, reports) == 1


def _with_states(serial: str, at: datetime, *states: SupplyState) -> Report:
    """A colour MFP's report whose first supplies are in ``states``."""
    reading = a_reading(serial, 1000)
    supplies = [
        supply.model_copy(update={"state": state})
        for supply, state in zip(reading.supplies, states, strict=False)
    ] + reading.supplies[len(states) :]
    return Report(
        report_id=new_report_id(),
        agent_time=at,
        printer_address="snmp://192.0.2.9:161",
        reading=reading.model_copy(update={"supplies": supplies}),
    )


def test_the_low_supplies_count_follows_the_latest_reading(engine: Engine) -> None:
    """Written with the reading it counts: low and (waste) full count, a replaced supply
    or an unknown state does not, and an older reading arriving late changes nothing."""
    low, empty, full = SupplyState.LOW, SupplyState.EMPTY, SupplyState.FULL
    steps = [
        (T0, (low, empty, SupplyState.OK, SupplyState.OK, full), 3),
        (T0 + timedelta(hours=1), (SupplyState.OK, empty), 1),  # the low toner replaced
        (T0 + timedelta(hours=2), (SupplyState.UNKNOWN, SupplyState.UNKNOWN), 0),
        (T0 - timedelta(hours=1), (low, low, low), 0),  # late and older: not the latest
    ]
    for at, states, expected in steps:
        run(engine, IngestRequest(A, [_with_states("P-LOW", at, *states)], T0))
        assert printer_row(engine, "P-LOW").low_supplies == expected, states
    run(engine, IngestRequest(A, [report("P-PLAIN", T0)], T0))  # no supplies at all
    assert printer_row(engine, "P-PLAIN").low_supplies == 0


def test_the_migration_backfills_the_low_supplies_count_from_the_stored_readings(
    engine: Engine,
) -> None:
    low, full, ok = SupplyState.LOW, SupplyState.FULL, SupplyState.OK
    run(engine, IngestRequest(A, [_with_states("P-TWO", T0, low, ok, ok, ok, full)], T0))
    run(engine, IngestRequest(A, [_with_states("P-NONE", T0, ok, SupplyState.UNKNOWN)], T0))
    run(engine, IngestRequest(A, [report("P-PLAIN", T0)], T0))
    config = Config()
    config.set_main_option(
        "script_location", str(Path(remotecare.center.kernel.migrations.__file__).parent)
    )
    with engine.begin() as connection:  # back to before the count was kept
        config.attributes["connection"] = connection
        command.downgrade(config, "0017")
    upgrade_to_head(engine)
    counts = {name: printer_row(engine, name).low_supplies for name in ("P-TWO", "P-NONE")}
    assert counts | {"P-PLAIN": printer_row(engine, "P-PLAIN").low_supplies} == {
        "P-TWO": 2,
        "P-NONE": 0,
        "P-PLAIN": 0,
    }
