"""`remotecare center meters ...` on a center home: settings, periods, reads, close (twice),
correct (with a reason), review and export; bad input gets a clear error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import insert

from remotecare.center.care.feed import FeedDrainer, record_stored_readings
from remotecare.center.care.history.service import HistoryConsumer
from remotecare.center.care.meters.service import MeterSightings
from remotecare.center.cli import center
from remotecare.center.cli.common import load_settings
from remotecare.center.contracts.tables import customers
from remotecare.center.fleet.ingest import Caller, IngestRequest, ingest_many
from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.center.kernel.storage import make_engine
from remotecare.center.kernel.transactions import Transactions
from remotecare.protocol.messages import Counter, Report
from tests.support.care import seed_endpoint
from tests.support.centers import init_center
from tests.support.reports import a_plain_report

CALLER = Caller("00000000-0000-4000-8000-0000000000c1", 1)
OCT_END = datetime(2026, 10, 31, 15, tzinfo=UTC)  # Tokyo's cut-offs (the defaults)
NOV_END = datetime(2026, 11, 30, 15, tzinfo=UTC)
A3_COPIER = "snmp://192.0.2.8:161"


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def with_counters(report: Report, **values: int) -> Report:
    """``report`` with more counters beside its ``total`` (a vendor profile's, say)."""
    assert report.reading is not None
    more = [Counter(name=name, value=value, unit="impressions") for name, value in values.items()]
    reading = report.reading.model_copy(update={"counters": [*report.reading.counters, *more]})
    return report.model_copy(update={"reading": reading})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    info = init_center(tmp_path / "center")
    engine = make_engine(info.settings.effective_database_url)
    seed_endpoint(engine, CALLER.endpoint_id, OCT_END - timedelta(days=60))
    # CLI-2 is an A3 copier: its large_mono counter is billed at its own rate. Its
    # a3_colour_duplex is a name from some newer agent this center does not know: kept,
    # never a reason to refuse the reading.
    batch = [
        a_plain_report("CLI-1", agent_time=OCT_END - timedelta(hours=1), pages=1000),
        a_plain_report("CLI-1", agent_time=NOV_END - timedelta(hours=1), pages=1800),
        with_counters(
            a_plain_report(
                "CLI-2", agent_time=OCT_END - timedelta(hours=2), pages=5000, address=A3_COPIER
            ),
            large_mono=300,
            a3_colour_duplex=7,
        ),
        with_counters(
            a_plain_report(
                "CLI-2", agent_time=NOV_END - timedelta(hours=2), pages=5900, address=A3_COPIER
            ),
            large_mono=420,
            a3_colour_duplex=9,
        ),
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
    assert "closed 2026-10 of Acme: 2 reads" in closed.output
    assert (
        "closed 2026-11 of Acme: 2 reads"
        in meters(home, "close", "--customer", "Acme", "--period", "2026-11").output
    )
    again = meters(home, "close", "--customer", "Acme", "--period", "2026-11")
    assert again.exit_code == 0
    assert "already closed" in again.output
    reads = meters(home, "reads", "--customer", "Acme", "--period", "2026-11")
    [cli_1] = [line for line in reads.output.splitlines() if "CLI-1" in line]
    read_id, serial, counter, previous, value = cli_1.split()[:5]
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
    [row] = [r for r in json.loads(exported.output)["reads"] if r["serial"] == "CLI-1"]
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


def test_a_period_closes_with_the_a3_counter_billed(home: Path) -> None:
    chosen = meters(home, "settings", "--customer", "Acme", "--counters", "total, large_mono")
    assert chosen.exit_code == 0, chosen.output
    for period in ("2026-10", "2026-11"):
        closed = meters(home, "close", "--customer", "Acme", "--period", period)
        assert f"closed {period} of Acme: 3 reads" in closed.output, closed.output
    reads = meters(home, "reads", "--customer", "Acme", "--period", "2026-11").output
    billed = sorted(tuple(line.split()[1:7]) for line in reads.splitlines())
    # CLI-1 has no A3 counter: it bills its total only, nothing is made up for it.
    assert billed == [
        ("CLI-1", "total", "1000", "1800", "usage", "800"),
        ("CLI-2", "large_mono", "300", "420", "usage", "120"),
        ("CLI-2", "total", "5000", "5900", "usage", "900"),
    ]
    exported = meters(home, "export", "--period", "2026-11", "--format", "json")
    rows = json.loads(exported.output)["reads"]
    assert {(r["serial"], r["counter"], r["usage"]) for r in rows} == {
        ("CLI-1", "total", 800),
        ("CLI-2", "large_mono", 120),
        ("CLI-2", "total", 900),
    }
    target = home / "a3.csv"
    meters(home, "export", "--period", "2026-11", "--customer", "Acme", "--output", str(target))
    assert ",large_mono,300,420,120," in target.read_text(encoding="utf-8-sig")


def test_an_unknown_counter_name_is_refused_with_the_known_ones(home: Path) -> None:
    typo = meters(home, "settings", "--customer", "Acme", "--counters", "total,a3,large_mono")
    assert typo.exit_code == 2
    assert "unknown counter 'a3'" in typo.output
    assert "large_mono" in typo.output
    # A name only a newer agent sends (CLI-2 sent it, its readings were kept) is no billable
    # counter for this center.
    newer = meters(home, "settings", "--customer", "Acme", "--counters", "a3_colour_duplex")
    assert "unknown counter 'a3_colour_duplex'" in newer.output


def test_customers_close_in_two_processes_as_in_turn(home: Path) -> None:
    engine = make_engine(load_settings(home).effective_database_url)
    with engine.begin() as conn:
        conn.execute(
            insert(customers).values(id=2, name="Beta", status="active", created_at=OCT_END)
        )
    engine.dispose()
    both = ("--customer", "Acme", "--customer", "Beta")
    early = meters(home, "close", *both, "--period", "2030-01", "--jobs", "2")
    assert early.exit_code == 1
    assert "not yet" in early.output
    closed = meters(home, "close", *both, "--period", "2026-10", "--jobs", "2")
    assert closed.exit_code == 0, closed.output
    assert closed.output.splitlines() == [
        "closed 2026-10 of Acme: 2 reads",
        "closed 2026-10 of Beta: 0 reads",
    ]
    again = meters(home, "close", *both, "--period", "2026-10", "--jobs", "2")
    assert [line.split(" was ")[1][:14] for line in again.output.splitlines()] == [
        "already closed"
    ] * 2
    in_turn = meters(home, "close", "--customer", "Acme", "--period", "2026-11")
    assert "closed 2026-11 of Acme: 2 reads" in in_turn.output
    reads = meters(home, "reads", "--customer", "Acme", "--period", "2026-11").output
    assert sorted(tuple(line.split()[1:7]) for line in reads.splitlines()) == [
        ("CLI-1", "total", "1000", "1800", "usage", "800"),
        ("CLI-2", "total", "5000", "5900", "usage", "900"),
    ]
