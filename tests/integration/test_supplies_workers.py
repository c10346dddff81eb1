"""Supply orders from a real center with two workers, on SQLite and PostgreSQL: readings of
the same printers arrive at both workers at once, and each running-low cartridge still gets
exactly one open order; then the orders are worked from the command line."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from remotecare.center.care.supplies.tables import supply_forecasts, supply_orders
from remotecare.center.cli import center
from remotecare.protocol.messages import Report
from tests.integration.test_care_feed_processes import (
    drained,
    enrolled_contexts,
    send,
    stored,
    wait_for,
)
from tests.support.centers import CenterInfo, center_process, init_center
from tests.support.supplies import a_supplies_report

PRINTERS_PER_AGENT = 3
DAYS = 31


def _history(serial: str, number: int, end: datetime) -> list[Report]:
    """A month of daily readings: black uses 3 % a day down to 10 %, cyan 2.6 % (due within
    the lead time of black, so it shares the parcel), the rest hardly move."""
    start = end - timedelta(days=DAYS - 1)
    return [
        a_supplies_report(
            serial,
            start + timedelta(days=day),
            20_000 + 250 * day,
            {1: 100 - 3 * day, 2: 100 - int(2.6 * day), 3: 90, 4: 85},
            address=f"snmp://192.0.2.{number}:161",
        )
        for day in range(DAYS)
    ]


@pytest.fixture(scope="module")
def worked_center(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> CenterInfo:
    """A center that ran with two workers and was fed two agents' printers: every printer's
    month in batches of three days, the batches of one printer sent at once on separate
    connections (so both workers handle readings of the same printer together)."""
    root = tmp_path_factory.mktemp("supplies-workers")
    info = init_center(root / "center", module_database_url)
    end = datetime.now(UTC) - timedelta(minutes=5)

    async def feed() -> None:
        contexts = await enrolled_contexts(info, root, 2)
        sends = []
        for a, context in enumerate(contexts):
            for p in range(PRINTERS_PER_AGENT):
                number = a * PRINTERS_PER_AGENT + p + 1
                history = _history(f"RACE-{number}", number, end)
                batches = [history[i : i + 3] for i in range(0, DAYS, 3)]
                sends += [send(info, context, [batch]) for batch in batches]
        await asyncio.gather(*sends)

    with center_process(info, root / "center.log", serve_args=["--workers", "2"]):
        asyncio.run(feed())
        wait_for(lambda: drained(info), 120, "the feed drained")
    return info


def test_two_workers_propose_exactly_one_open_order_per_cartridge(
    worked_center: CenterInfo,
) -> None:
    with stored(worked_center) as conn:
        rows = conn.execute(
            select(supply_orders.c.printer_id, supply_orders.c.supply_index).where(
                supply_orders.c.status.in_(["proposed", "approved", "shipped", "delivered"])
            )
        ).all()
        forecasts = conn.execute(select(func.count()).select_from(supply_forecasts)).scalar()
    per_cartridge = Counter((printer, index) for printer, index in rows)
    printers = 2 * PRINTERS_PER_AGENT
    assert forecasts == printers * 4
    assert set(per_cartridge.values()) == {1}
    assert sorted(Counter(index for _, index in per_cartridge).items()) == [
        (1, printers),
        (2, printers),
    ]


def orders(*args: str, check: bool = True) -> Result:
    """`remotecare center orders ...` in this process (a process each costs seconds)."""
    result = CliRunner().invoke(center, ["orders", *args])
    if check:
        assert result.exit_code == 0, result.output
    return result


def test_orders_are_worked_and_exported_from_the_command_line(
    worked_center: CenterInfo,
) -> None:
    home = ["--home", str(worked_center.settings.home)]
    listing = orders("list", *home, "--printer", "RACE-1").stdout
    by_supply = {
        next(w for w in line.split() if w.startswith("#")): line.split()[0]
        for line in listing.splitlines()
    }
    assert sorted(by_supply) == ["#1", "#2"]
    black, cyan = by_supply["#1"], by_supply["#2"]

    orders("approve", *home, black, cyan)
    orders("ship", *home, black, "--tracking", "JP-123")
    orders("deliver", *home, black)
    refused = orders("deliver", *home, cyan, check=False)
    assert refused.exit_code == 1
    assert "approved: cannot deliver" in refused.stderr
    missing = orders("cancel", *home, cyan, check=False)
    assert missing.exit_code == 2  # --reason is required
    orders("cancel", *home, cyan, "--reason", "customer has stock")
    unknown = orders("approve", *home, "no-such-order", check=False)
    assert "unknown order no-such-order" in unknown.stderr

    out = Path(worked_center.settings.home) / "orders.csv"
    orders("export", *home, "--printer", "RACE-1", "--output", str(out))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    by_id = {row["id"]: row for row in rows}
    assert by_id[black]["status"] == "delivered"
    assert by_id[black]["tracking"] == "JP-123"
    assert (by_id[cyan]["status"], by_id[cyan]["cancel_reason"]) == (
        "cancelled",
        "customer has stock",
    )
    flagged = orders("list", *home, "--needs-person").stdout
    assert flagged == ""
