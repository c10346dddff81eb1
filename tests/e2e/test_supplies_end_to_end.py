"""A toner running low on a simulated printer becomes an order in the center's database,
and its replacement closes the order as installed: snmpsim serving a demo-fleet printer
over UDP, the real agent polling it, the real center (separate processes) on both backends.

The printer's black toner falls by half a percent a second, so within a minute the agent
reads it low; its replacement is snmpsim started again on the same port with the toner
full, as a customer would swap the cartridge.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.rfc3805 import (
    PrtMarkerSuppliesClass,
    PrtMarkerSuppliesSupplyUnit,
    PrtMarkerSuppliesType,
)
from remotecare.center.care.supplies.tables import supply_forecasts, supply_orders
from remotecare.center.cli import center as center_cli
from remotecare.demo.fleet import DEMO_FLEET, DemoPrinter, DemoSupply, running_fleet
from remotecare.demo.snmpsim import free_udp_port
from tests.support.centers import CenterInfo, center_process, enrolment_token, init_center
from tests.support.processes import started

pytestmark = pytest.mark.timeout(400)

_WITHIN_S = 120.0


def _printer(black_level: int, rate_per_s: float) -> DemoPrinter:
    """The demo fleet's colour MFP with its black toner at ``black_level`` percent."""
    model = DEMO_FLEET[0]
    black = DemoSupply(
        "Black Toner",
        PrtMarkerSuppliesClass.SUPPLY_THAT_IS_CONSUMED,
        PrtMarkerSuppliesType.TONER,
        PrtMarkerSuppliesSupplyUnit.PERCENT,
        100,
        black_level,
        rate_per_s,
        "black",
    )
    return dataclasses.replace(model, supplies=(black, *model.supplies[1:]))


def _wait_for(what: str, found: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + _WITHIN_S
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {_WITHIN_S} s")


def _black_order(info: CenterInfo) -> Any:
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(supply_orders).where(supply_orders.c.supply_index == 1)
            ).first()
    finally:
        engine.dispose()


def _black_forecast(info: CenterInfo) -> Any:
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(supply_forecasts).where(supply_forecasts.c.supply_index == 1)
            ).first()
    finally:
        engine.dispose()


def _orders(info: CenterInfo, *args: str) -> None:
    result = CliRunner().invoke(center_cli, ["orders", *args, "--home", str(info.settings.home)])
    assert result.exit_code == 0, result.output


def test_a_toner_running_low_is_ordered_and_its_replacement_installs_the_order(
    tmp_path: Path, database_url: str
) -> None:
    info = init_center(tmp_path / "center", database_url)
    port = free_udp_port()
    with center_process(info, tmp_path / "center.log"):
        paths = AgentPaths(tmp_path / "agent")
        asyncio.run(enrol(paths, info.console_url, enrolment_token(info), info.ca_fingerprint))
        with running_fleet(tmp_path / "fleet", printers=[_printer(16, -0.5)], port=port) as fleet:
            url = fleet.url(DEMO_FLEET[0].community)
            (paths.home / "agent.toml").write_text(
                f'poll_interval_seconds = 2.0\nsnmp_retries = 0\nprinters = ["{url}"]\n'
            )
            agent = [sys.executable, "-m", "remotecare", "agent", "run", "--home", str(paths.home)]
            with started(agent, tmp_path / "agent.log", what="the agent"):
                order = _wait_for("an order for the black toner", lambda: _black_order(info))
                assert (order.status, order.due_reason) == ("proposed", "printer_says_low")
                assert order.printer_serial == DEMO_FLEET[0].serial
                forecast = _black_forecast(info)
                assert forecast.state in ("low", "empty")
                assert forecast.low_confidence  # a minute of history: no number to trust

                _orders(info, "approve", order.id)
                _orders(info, "ship", order.id, "--tracking", "E2E-1")
                _orders(info, "deliver", order.id)
                fleet_dir = fleet.directory
        # The customer puts the delivered cartridge in: the printer says full again.
        with (
            running_fleet(fleet_dir, printers=[_printer(100, 0.0)], port=port),
            started(agent, tmp_path / "agent.log", what="the agent", append=True),
        ):
            done = _wait_for(
                "the order installed",
                lambda: (
                    (row := _black_order(info)) is not None and row.status == "installed" and row
                ),
            )
    assert done.installed_at is not None
    assert done.installed_at > order.cartridge_installed_at
    assert not done.needs_person
