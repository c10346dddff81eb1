"""`remotecare center meters ...` on a center home: settings, periods, reads, close (twice),
correct (with a reason), review and export; bad input gets a clear error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from remotecare.center.care.feed import FeedDrainer, record_stored_readings
from remotecare.center.care.history.service import HistoryConsumer
from remotecare.center.care.meters.service import MeterSightings
from remotecare.center.cli import center
from remotecare.center.fleet.ingest import Caller, IngestRequest, ingest_many
from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.center.kernel.storage import make_engine
from remotecare.center.kernel.transactions import Transactions
from tests.support.care import seed_endpoint
from tests.support.centers import init_center
from tests.support.reports import a_plain_report

CALLER = Caller("00000000-0000-4000-8000-0000000000c1", 1)
OCT_END = datetime(2026, 10, 31, 15, tzinfo=UTC)  # Tokyo's cut-offs (the defaults)
NOV_END = datetime(2026, 11, 30, 15, tzinfo=UTC)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def home(tmp_path: Path) -> Path:
    info = init_center(tmp_path / "center")
    engine = make_engine(info.settings.effective_database_url)
    seed_endpoint(engine, CALLER.endpoint_id, OCT_END - timedelta(days=60))
    batch = [
        a_plain_report("CLI-1", agent_time=OCT_END - timedelta(hours=1), pages=1000),
        a_plain_report("CLI-1", agent_time=NOV_END - timedelta(hours=1), pages=1800),
    ]
    with engine.begin() as conn:
        received = NOV_END
        request = IngestRequest(
            CALLER, batch, received, BindingPolicy.AUTOMATIC, record_stored_readings
        )
        ingest_many(conn, [request])
    drainer = FeedDrainer(
        Transactions(engine), [HistoryConsumer(), MeterSightings()], FixedClock(NOV_END)
    )
    while drainer.drain_once():
        pass
    engine.dispose()
    return info.settings.home


def meters(home: Path, *args: str) -> Result:
    return CliRunner().invoke(center, ["meters", args[0], "--home", str(home), *args[1:]])


def test_close_correct_review_and_export(home: Path) -> None:
    listed = meters(home, "periods", "--customer", "Acme", "--count", "40")
    assert listed.exit_code == 0, listed.output
    assert "2026-11  2026-10-31 15:00 .. 2026-11-30 15:00 UTC  due" in listed.output
    closed = meters(home, "close", "--customer", "Acme", "--period", "2026-10")
    assert "closed 2026-10 of Acme: 1 reads" in closed.output
    assert (
        "closed 2026-11 of Acme: 1 reads"
        in meters(home, "close", "--customer", "Acme", "--period", "2026-11").output
    )
    again = meters(home, "close", "--customer", "Acme", "--period", "2026-11")
    assert again.exit_code == 0
    assert "already closed" in again.output
    reads = meters(home, "reads", "--customer", "Acme", "--period", "2026-11")
    read_id, serial, counter, previous, value = reads.output.split()[:5]
    assert (serial, counter, previous, value) == ("CLI-1", "total", "1000", "1800")
    no_reason = meters(home, "correct", read_id, "1700", "--operator", "kato")
    assert no_reason.exit_code != 0
    assert "--reason" in no_reason.output
    blank = meters(home, "correct", read_id, "1700", "--operator", "kato", "--reason", " ")
    assert blank.exit_code == 1
    assert "a correction needs a reason" in blank.output
    corrected = meters(
        home, "correct", read_id, "1700", "--operator", "kato", "--reason", "meter photo"
    )
    assert "is now 1700 (usage 700)" in corrected.output
    assert "nothing to review" in meters(home, "review", "--customer", "Acme").output
    exported = meters(home, "export", "--period", "2026-11", "--format", "json")
    [row] = json.loads(exported.output)["reads"]
    assert (row["serial"], row["this_read"], row["usage"], row["read_type"]) == (
        "CLI-1",
        1700,
        700,
        "corrected",
    )
    target = home / "november.csv"
    meters(home, "export", "--period", "2026-11", "--customer", "Acme", "--output", str(target))
    assert target.read_bytes().startswith(b"\xef\xbb\xbfserial,")


def test_bad_input_is_refused_clearly(home: Path) -> None:
    unknown = meters(home, "close", "--customer", "Nobody", "--period", "2026-11")
    assert unknown.exit_code == 1
    assert "no customer 'Nobody'" in unknown.output
    bad_period = meters(home, "close", "--customer", "Acme", "--period", "2026-13")
    assert "write YYYY-MM" in bad_period.output
    early = meters(home, "close", "--customer", "Acme", "--period", "2030-01")
    assert "not yet" in early.output
    zone = meters(home, "settings", "--customer", "Acme", "--zone", "Mars/Olympus")
    assert zone.exit_code == 2
    assert "unknown time zone" in zone.output
    day = meters(home, "settings", "--customer", "Acme", "--cutoff-day", "32")
    assert "1 to 31" in day.output
    assert meters(home, "correct", "999", "5", "--operator", "k", "--reason", "r").exit_code == 1
