"""Fault states and badly answering printers, over real SNMP (snmpsim on loopback).

The shared recordings have no prtAlertTable and no hrPrinterStatus, so the fault states
are hand-written recordings in ``tests/fixtures/snmp`` (from RFC 3805, IANA-PRINTER-MIB
and RFC 2790), served beside the real ones like the synthetic devices of
``test_snmp_recordings``. Every expected value below was worked out by hand from those
lines: hrPrinterDetectedErrorState bit 0 is the most significant bit of octet 1 (0x04 =
bit 5 jammed, 0x08 = bit 4 doorOpen, 0x10 = bit 3 noToner, 0x01 = bit 7 serviceRequested);
prtAlertEntry columns 2 severity, 3 training level, 4 group, 5 group index, 6 location,
7 code, 8 description, 9 time; prtCoverEntry 2 description, 3 status (3 coverOpen,
4 coverClosed).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pyasn1.codec.ber import decoder
from pysnmp.proto import api

from remotecare.agent.probes.reader import read_printer
from remotecare.agent.probes.snmp import SnmpTarget
from remotecare.demo.snmpsim import SnmpSimulator, free_udp_port
from remotecare.protocol.messages import (
    Alert,
    Cover,
    PrinterReading,
    SerialSource,
    Supply,
    SupplyClass,
    SupplyState,
    Tray,
)

pytestmark = pytest.mark.timeout(60)
on_module_loop = pytest.mark.asyncio(loop_scope="module")

TIMEOUT_S = 1.0
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "snmp"
EXTRA_RECORDINGS = {  # served beside the real recordings by the recording_simulator fixture
    path.stem: path.read_text(encoding="utf-8") for path in sorted(FIXTURES.glob("*.snmprec"))
}


async def read(simulator: SnmpSimulator, community: str) -> PrinterReading:
    target = SnmpTarget(simulator.host, simulator.port, community)
    return await read_printer(target, timeout_s=TIMEOUT_S, retries=0)


def toner(level: int, percent: float, state: SupplyState) -> Supply:
    return Supply(
        index=1, description="Black Toner", type="toner", supply_class=SupplyClass.CONSUMED,
        colour="black", unit="percent", level=level, max_capacity=100, percent=percent,
        state=state,
    )  # fmt: skip


def test_the_fault_recordings_are_there() -> None:
    assert set(EXTRA_RECORDINGS) == {
        "fault_paper-jam",
        "fault_cover-open",
        "fault_toner-empty",
        "fault_service-call",
        "fault_waste-nearly-full",
        "fault_supplies-error",
    }


@on_module_loop
async def test_a_paper_jam_is_a_critical_media_path_alert_with_the_jammed_bit(
    recording_simulator: SnmpSimulator,
) -> None:
    reading = await read(recording_simulator, "fault_paper-jam")
    assert (reading.serial, reading.serial_source) == ("FAULT-JAM-1", SerialSource.PRINTER_MIB)
    assert reading.model == "Acme LaserWriter 9000"
    assert reading.sys_object_id == "1.3.6.1.4.1.99999.1.9000"
    assert (reading.status.device_status, reading.status.printer_status) == ("down", "other")
    assert reading.status.error_conditions == ["jammed"]
    assert [(c.name, c.value, c.unit) for c in reading.counters] == [
        ("total", 50213, "impressions"),
        ("power_on", 312, "impressions"),
    ]
    assert reading.supplies == [toner(60, 60.0, SupplyState.OK)]
    assert reading.trays == [
        Tray(index=1, name="Cassette 1", media="A4", level=None, max_capacity=500,
             state=SupplyState.SOME_REMAINING)
    ]  # fmt: skip
    assert reading.covers == [Cover(index=1, description="Right Door", status="closed", open=False)]
    assert reading.display_text == ["Paper jam", "Open right door"]
    assert reading.alerts == [
        Alert(
            index=7, severity="critical", training_level="untrained", group="mediaPath",
            group_index=1, location=2, code="jam", description="Paper jam in fuser area",
            time_ticks=220000,
        )
    ]  # fmt: skip
    assert reading.partial_reason is None


@on_module_loop
async def test_an_open_cover_is_named_in_the_cover_table_the_alert_and_the_door_bit(
    recording_simulator: SnmpSimulator,
) -> None:
    reading = await read(recording_simulator, "fault_cover-open")
    assert reading.serial == "FAULT-COVER-1"
    assert (reading.status.device_status, reading.status.printer_status) == ("down", "other")
    assert reading.status.error_conditions == ["doorOpen"]
    assert reading.covers == [
        Cover(index=1, description="Front Cover", status="open", open=True),
        Cover(index=2, description="Right Door", status="closed", open=False),
    ]
    assert reading.alerts == [
        Alert(
            index=3, severity="critical", training_level="untrained", group="cover",
            group_index=1, location=None, code="coverOpen", description="Front cover open",
            time_ticks=51000,
        )
    ]  # fmt: skip
    assert reading.display_text == ["Close front cover"]
    assert reading.supplies == [toner(80, 80.0, SupplyState.OK)]
    assert "prtInputTable (trays)" in (reading.partial_reason or "")  # it has no input table


@on_module_loop
async def test_an_empty_toner_is_level_zero_the_no_toner_bit_and_a_toner_empty_alert(
    recording_simulator: SnmpSimulator,
) -> None:
    reading = await read(recording_simulator, "fault_toner-empty")
    assert reading.status.device_status == "down"
    assert reading.status.error_conditions == ["noToner"]
    assert reading.supplies == [
        Supply(
            index=1, description="Black Toner Cartridge", type="toner",
            supply_class=SupplyClass.CONSUMED, colour="black", unit="impressions", level=0,
            max_capacity=12000, percent=0.0, state=SupplyState.EMPTY,
        )
    ]  # fmt: skip
    assert reading.alerts == [
        Alert(
            index=12, severity="critical", training_level="untrained", group="markerSupplies",
            group_index=1, location=None, code="markerTonerEmpty",
            description="Replace black toner cartridge", time_ticks=998877,
        )
    ]  # fmt: skip


@on_module_loop
async def test_a_service_call_asks_for_field_service(recording_simulator: SnmpSimulator) -> None:
    reading = await read(recording_simulator, "fault_service-call")
    assert reading.status.device_status == "down"
    assert reading.status.error_conditions == ["serviceRequested"]
    assert reading.alerts == [
        Alert(
            index=40, severity="critical", training_level="fieldService", group="marker",
            group_index=1, location=542, code="markerFuserThermistorFailure",
            description="SC542 fusing thermistor error: call service", time_ticks=4410000,
        )
    ]  # fmt: skip
    [fuser] = reading.supplies
    assert (fuser.type, fuser.level, fuser.max_capacity) == ("fuser", 41000, 300000)
    assert fuser.percent == pytest.approx(13.67, abs=0.01)  # 41000 / 300000
    assert fuser.state is SupplyState.OK
    assert reading.display_text == ["SC542 Call service"]
    assert [(c.name, c.value) for c in reading.counters] == [("total", 734002)]


@on_module_loop
async def test_a_waste_box_near_full_is_a_warning_with_little_space_left(
    recording_simulator: SnmpSimulator,
) -> None:
    reading = await read(recording_simulator, "fault_waste-nearly-full")
    assert (reading.status.device_status, reading.status.printer_status) == ("warning", "idle")
    assert reading.status.error_conditions == []
    waste = reading.supplies[1]
    # Receptacle: level 4 = space left of 100, so (100 - 4) / 100 = 96 % full.
    assert (waste.description, waste.type, waste.supply_class) == (
        "Waste Toner Box",
        "wasteToner",
        SupplyClass.RECEPTACLE,
    )
    assert (waste.level, waste.max_capacity, waste.percent, waste.state) == (
        4,
        100,
        96.0,
        SupplyState.NEARLY_FULL,
    )
    assert reading.supplies[0] == toner(55, 55.0, SupplyState.OK)
    assert reading.alerts == [
        Alert(
            index=5, severity="warning", training_level="trained", group="markerSupplies",
            group_index=2, location=None, code="markerWasteTonerReceptacleAlmostFull",
            description="Waste toner box nearly full", time_ticks=600100,
        )
    ]  # fmt: skip


# --- printers that answer only part of their tables -------------------------------------------


@on_module_loop
async def test_a_broken_object_fails_only_its_table_and_invents_nothing(
    recording_simulator: SnmpSimulator,
) -> None:
    # prtMarkerSuppliesLevel.1.1 answers genErr (snmpsim's error variation): the supplies
    # walk fails, the tables around it are still read in smaller steps.
    reading = await read(recording_simulator, "fault_supplies-error")
    assert reading.serial == "HALF-1"
    assert [(c.name, c.value, c.unit) for c in reading.counters] == [("total", 4242, "impressions")]
    assert reading.supplies == []
    reason = reading.partial_reason or ""
    assert "failed: prtMarkerSuppliesTable" in reason
    assert "error status 5" in reason  # genErr


def _request_oids(datagram: bytes) -> list[tuple[int, ...]]:
    """The variables' OIDs of an SNMP v2c request."""
    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message, _ = decoder.decode(datagram, asn1Spec=v2c.Message())
    return [tuple(oid) for oid, _ in v2c.apiPDU.get_varbinds(v2c.apiMessage.get_pdu(message))]


class _DroppingProxy(asyncio.DatagramProtocol):
    """Forwards requests to snmpsim, except any that asks inside ``drop``: no answer.

    Like an agent that hangs on one table: the side-by-side GETBULK, which carries a
    cursor in every table, gets no answer either.
    """

    def __init__(self, upstream: tuple[str, int], drop: tuple[int, ...]) -> None:
        self.upstream = upstream
        self.drop = drop
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if any(oid[: len(self.drop)] == self.drop for oid in _request_oids(data)):
            return
        asyncio.get_running_loop().create_task(self._forward(data, addr))

    async def _forward(self, data: bytes, addr: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bytes] = loop.create_future()

        class _Once(asyncio.DatagramProtocol):
            def datagram_received(self, reply: bytes, _: tuple[str, int]) -> None:
                if not answer.done():
                    answer.set_result(reply)

        transport, _ = await loop.create_datagram_endpoint(_Once, remote_addr=self.upstream)
        try:
            transport.sendto(data)
            self.transport.sendto(await asyncio.wait_for(answer, 2.0), addr)
        except TimeoutError:
            pass
        finally:
            transport.close()


@asynccontextmanager
async def dropping_proxy(
    simulator: SnmpSimulator, drop: tuple[int, ...]
) -> AsyncIterator[SnmpTarget]:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _DroppingProxy((simulator.host, simulator.port), drop),
        local_addr=("127.0.0.1", 0),
    )
    try:
        yield SnmpTarget("127.0.0.1", transport.get_extra_info("sockname")[1], "fault_paper-jam")
    finally:
        transport.close()


@on_module_loop
async def test_a_table_that_times_out_is_named_and_the_rest_is_read(
    recording_simulator: SnmpSimulator,
) -> None:
    alerts = (1, 3, 6, 1, 2, 1, 43, 18)
    async with dropping_proxy(recording_simulator, alerts) as target:
        reading = await read_printer(target, timeout_s=0.3, retries=0)
    assert reading.serial == "FAULT-JAM-1"
    assert reading.alerts == []  # not read, so not reported: not "no alert" made up
    assert reading.partial_reason == "failed: prtAlertTable (timeout)"
    assert reading.status.error_conditions == ["jammed"]
    assert reading.display_text == ["Paper jam", "Open right door"]


# --- `remotecare agent probe` -----------------------------------------------------------------


def run_probe(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REMOTECARE_AGENT_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "remotecare", "agent", "probe", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=env,
    )


def test_probe_prints_everything_the_agent_reads_as_tables(
    recording_simulator: SnmpSimulator,
) -> None:
    result = run_probe(recording_simulator.url("fault_paper-jam"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"printer        snmp://127.0.0.1:{recording_simulator.port}" in out
    assert "serial         FAULT-JAM-1 (from prtGeneralSerialNumber)" in out
    assert "errors         jammed" in out
    assert "fault_paper-jam" not in out  # the community stays out
    for expected in (
        "total     50213  impressions",
        "Black Toner",
        "Cassette 1",
        "Right Door",
        "Paper jam in fuser area",
        "Open right door",
    ):
        assert expected in out, out


def test_probe_json_is_the_reading_the_report_carries(recording_simulator: SnmpSimulator) -> None:
    result = run_probe(recording_simulator.url("fault_toner-empty"), "--json")
    assert result.returncode == 0, result.stderr
    reading = PrinterReading.model_validate(json.loads(result.stdout))
    assert reading.serial == "FAULT-TONER-1"
    assert reading.supplies[0].state is SupplyState.EMPTY
    assert reading.supplies[0].percent == 0.0


def test_probe_of_a_printer_that_does_not_answer_fails_clearly() -> None:
    result = run_probe(f"snmp://secret-community@127.0.0.1:{free_udp_port()}")
    assert result.returncode != 0
    assert "did not answer SNMP at 127.0.0.1" in result.stderr
    assert "secret-community" not in result.stderr + result.stdout


def test_probe_of_a_bad_address_fails_without_showing_the_community() -> None:
    result = run_probe("snmp://secret-community@")
    assert result.returncode != 0
    assert "has no host" in result.stderr
    assert "secret-community" not in result.stderr
