"""The demo fleet answers real SNMP on loopback, and it lives: counters rise, supplies fall.

OIDs are spelled out here from RFC 1213, RFC 2790 and RFC 3805 rather than imported from
the fleet module, so the test checks the fleet against the standards, not against itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pyasn1.type import univ
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    bulk_walk_cmd,
    get_cmd,
)

from remotecare.demo.fleet import (
    DEMO_FLEET,
    DemoPrinter,
    RunningFleet,
    render_snmprec,
    running_fleet,
)

pytestmark = pytest.mark.timeout(90)

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_PHYS_ADDRESS = "1.3.6.1.2.1.2.2.1.6.1"
HR_DEVICE_TYPE = "1.3.6.1.2.1.25.3.2.1.2.1"
HR_DEVICE_DESCR = "1.3.6.1.2.1.25.3.2.1.3.1"
HR_DEVICE_STATUS = "1.3.6.1.2.1.25.3.2.1.5.1"
HR_PRINTER_STATUS = "1.3.6.1.2.1.25.3.5.1.1.1"
HR_PRINTER_ERROR_STATE = "1.3.6.1.2.1.25.3.5.1.2.1"
HR_DEVICE_PRINTER = "1.3.6.1.2.1.25.3.1.5"
PRT_GENERAL_SERIAL_NUMBER = "1.3.6.1.2.1.43.5.1.1.17"
PRT_MARKER_COUNTER_UNIT = "1.3.6.1.2.1.43.10.2.1.3.1.1"
PRT_MARKER_LIFE_COUNT = "1.3.6.1.2.1.43.10.2.1.4.1.1"
PRT_SUPPLIES_ENTRY = "1.3.6.1.2.1.43.11.1.1"
PRT_SUPPLIES_LEVEL = "1.3.6.1.2.1.43.11.1.1.9.1"
PRT_COLORANT_VALUE = "1.3.6.1.2.1.43.12.1.1.4.1"
IMPRESSIONS = 7
SOME_REMAINING = -3

INTERVAL_S = 1.5
SNMP_TIMEOUT_S = 2.0

Value = int | bytes | str | None


def _plain(value: object) -> Value:
    """Turn a pysnmp value into int / bytes / dotted OID; None for noSuchObject/Instance."""
    if isinstance(value, univ.Null):  # noSuchObject, noSuchInstance, endOfMibView
        return None
    if isinstance(value, univ.ObjectIdentifier):
        return str(value.prettyPrint())
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.Integer):
        return int(value)
    raise AssertionError(f"unexpected SNMP value {value!r}")


def _v2c(community: str) -> CommunityData:
    # Office printers speak SNMP v2c, and so does the simulated fleet.
    return CommunityData(community, mpModel=1)  # noqa: S508


class Snmp:
    """A small v2c client over pysnmp's asyncio API that fails loudly on any timeout."""

    def __init__(self, engine: SnmpEngine, fleet: RunningFleet) -> None:
        self._engine = engine
        self._fleet = fleet

    async def _target(self, timeout_s: float = SNMP_TIMEOUT_S) -> UdpTransportTarget:
        address = (self._fleet.simulator.host, self._fleet.port)
        return await UdpTransportTarget.create(address, timeout=timeout_s, retries=1)

    async def get(self, community: str, *oids: str) -> dict[str, Value]:
        error, status, _, var_binds = await get_cmd(
            self._engine,
            _v2c(community),
            await self._target(),
            ContextData(),
            *(ObjectType(ObjectIdentity(oid)) for oid in oids),
            lookupMib=False,
        )
        assert error is None, f"{community}: {error}"
        assert not status, f"{community}: {status.prettyPrint()}"
        return {str(name): _plain(value) for name, value in var_binds}

    async def walk(self, community: str, prefix: str) -> dict[str, Value]:
        """Return {OID under prefix: value}, walked with GETBULK."""
        found: dict[str, Value] = {}
        async for error, status, _, var_binds in bulk_walk_cmd(
            self._engine,
            _v2c(community),
            await self._target(),
            ContextData(),
            0,
            25,
            ObjectType(ObjectIdentity(prefix)),
            lookupMib=False,
            lexicographicMode=False,
        ):
            assert error is None, f"{community}: {error}"
            assert not status, f"{community}: {status.prettyPrint()}"
            for name, value in var_binds:
                found[str(name)] = _plain(value)
        return found

    async def life_counts(self) -> dict[str, Value]:
        answers = await asyncio.gather(
            *(self.get(p.community, PRT_MARKER_LIFE_COUNT) for p in DEMO_FLEET)
        )
        return {
            p.community: a[PRT_MARKER_LIFE_COUNT] for p, a in zip(DEMO_FLEET, answers, strict=True)
        }

    async def levels(self) -> dict[str, dict[int, Value]]:
        walks = await asyncio.gather(
            *(self.walk(p.community, PRT_SUPPLIES_LEVEL) for p in DEMO_FLEET)
        )
        return {
            p.community: {int(oid.rsplit(".", 1)[1]): level for oid, level in walk.items()}
            for p, walk in zip(DEMO_FLEET, walks, strict=True)
        }


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
    with running_fleet(tmp_path_factory.mktemp("fleet")) as running:
        yield running


@pytest.fixture
async def snmp(fleet: RunningFleet) -> AsyncIterator[Snmp]:
    engine = SnmpEngine()
    try:
        yield Snmp(engine, fleet)
    finally:
        engine.close_dispatcher()


def test_the_fleet_covers_six_vendors_and_one_printer_without_a_serial() -> None:
    assert len(DEMO_FLEET) >= 6
    assert len({p.vendor for p in DEMO_FLEET}) >= 6
    assert len({p.community for p in DEMO_FLEET}) == len(DEMO_FLEET)
    assert len({p.mac for p in DEMO_FLEET}) == len(DEMO_FLEET)
    assert [p.community for p in DEMO_FLEET if p.serial is None]


def test_snmprec_records_are_in_numeric_oid_order_and_levels_are_bounded() -> None:
    for printer in DEMO_FLEET:
        records = [line.split("|", 2) for line in render_snmprec(printer).splitlines()]
        oids = [tuple(int(arc) for arc in oid.split(".")) for oid, _, _ in records]
        assert oids == sorted(oids)
        assert len(set(oids)) == len(oids)
        for oid, tag, value in records:
            if oid.startswith(PRT_SUPPLIES_LEVEL + ".") and tag.endswith(":numeric"):
                supply = printer.supplies[int(oid.rsplit(".", 1)[1]) - 1]
                assert tag == "2:numeric"
                assert f"min=0,max={supply.max_capacity}" in value
            if oid == PRT_MARKER_LIFE_COUNT:
                assert tag == "65:numeric"


def test_modelled_levels_never_leave_zero_to_max() -> None:
    for printer in DEMO_FLEET:
        for supply in printer.supplies:
            for elapsed_s in (0.0, 1.0, 600.0, 86_400.0 * 365):
                level = supply.level_after(elapsed_s)
                if supply.is_falling:
                    assert 0 <= level <= supply.max_capacity
                else:
                    assert level == supply.level


@pytest.mark.parametrize("printer", DEMO_FLEET, ids=lambda p: p.community)
async def test_every_printer_answers_with_its_declared_identity(
    snmp: Snmp, printer: DemoPrinter
) -> None:
    got = await snmp.get(
        printer.community,
        SYS_DESCR,
        IF_PHYS_ADDRESS,
        HR_DEVICE_TYPE,
        HR_DEVICE_DESCR,
        HR_DEVICE_STATUS,
        HR_PRINTER_STATUS,
        HR_PRINTER_ERROR_STATE,
        PRT_GENERAL_SERIAL_NUMBER + ".1",
        PRT_MARKER_COUNTER_UNIT,
    )
    assert got[SYS_DESCR] == printer.sys_descr.encode()
    assert got[IF_PHYS_ADDRESS] == printer.mac_bytes
    assert got[HR_DEVICE_TYPE] == HR_DEVICE_PRINTER
    assert got[HR_DEVICE_DESCR] == printer.model.encode()
    assert got[HR_DEVICE_STATUS] == printer.device_status
    assert got[HR_PRINTER_STATUS] == printer.printer_status
    assert got[HR_PRINTER_ERROR_STATE] == printer.error_state
    expected_serial = None if printer.serial is None else printer.serial.encode()
    assert got[PRT_GENERAL_SERIAL_NUMBER + ".1"] == expected_serial
    assert got[PRT_MARKER_COUNTER_UNIT] == IMPRESSIONS


@pytest.mark.parametrize("printer", DEMO_FLEET, ids=lambda p: p.community)
async def test_supplies_and_colorants_walk_as_declared(snmp: Snmp, printer: DemoPrinter) -> None:
    table = await snmp.walk(printer.community, PRT_SUPPLIES_ENTRY)
    colorants = await snmp.walk(printer.community, PRT_COLORANT_VALUE)

    def column(number: int, index: int) -> Value:
        return table[f"{PRT_SUPPLIES_ENTRY}.{number}.1.{index}"]

    assert len(table) == 8 * len(printer.supplies)  # columns 2..9 (the index is not-accessible)
    for index, supply in enumerate(printer.supplies, start=1):
        assert column(4, index) == supply.supply_class
        assert column(5, index) == supply.supply_type
        assert column(6, index) == supply.description.encode()
        assert column(7, index) == supply.unit
        assert column(8, index) == supply.max_capacity
        colorant = column(3, index)
        assert isinstance(colorant, int)
        if supply.colorant is None:
            assert colorant == 0
        else:
            assert colorants[f"{PRT_COLORANT_VALUE}.{colorant}"] == supply.colorant.encode()
    assert list(colorants.values()) == [name.encode() for name in printer.colorants]


async def test_page_counters_rise_while_the_fleet_runs(snmp: Snmp) -> None:
    started = time.monotonic()
    first = await snmp.life_counts()
    first_done = time.monotonic()
    await asyncio.sleep(INTERVAL_S)
    second_started = time.monotonic()
    second = await snmp.life_counts()
    elapsed_max = time.monotonic() - started
    elapsed_min = second_started - first_done

    for printer in DEMO_FLEET:
        before, after = first[printer.community], second[printer.community]
        assert isinstance(before, int)
        assert isinstance(after, int)
        assert before >= printer.marker.life_count
        assert printer.marker.pages_per_s * elapsed_min >= 1, "rate too slow to see in the test"
        assert after > before, printer.community
        assert after - before <= printer.marker.pages_per_s * elapsed_max + 1, printer.community


async def test_falling_supplies_fall_and_never_leave_zero_to_max(snmp: Snmp) -> None:
    first = await snmp.levels()
    first_done = time.monotonic()
    await asyncio.sleep(INTERVAL_S)
    second_started = time.monotonic()
    second = await snmp.levels()
    elapsed_min = second_started - first_done

    strictly_fell = 0
    for printer in DEMO_FLEET:
        assert sorted(first[printer.community]) == list(range(1, len(printer.supplies) + 1))
        for index, supply in enumerate(printer.supplies, start=1):
            before = first[printer.community][index]
            after = second[printer.community][index]
            assert isinstance(before, int)
            assert isinstance(after, int)
            if not supply.is_falling:
                assert before == after == supply.level
                continue
            label = f"{printer.community} {supply.description}"
            assert 0 <= after <= before <= supply.level <= supply.max_capacity, label
            if -supply.rate_per_s * elapsed_min >= 1 and before > 0:
                assert after < before, label
                strictly_fell += 1
    assert strictly_fell >= 1


async def test_ricoh_style_toner_reports_some_remaining(snmp: Snmp) -> None:
    levels = await snmp.levels()
    ricoh = next(p for p in DEMO_FLEET if p.vendor == "Ricoh")
    assert SOME_REMAINING in levels[ricoh.community].values()


async def test_printer_without_serial_is_identified_by_its_mac(snmp: Snmp) -> None:
    serial_less = [p for p in DEMO_FLEET if p.serial is None]
    assert serial_less
    for printer in serial_less:
        assert await snmp.walk(printer.community, PRT_GENERAL_SERIAL_NUMBER) == {}
        got = await snmp.get(printer.community, IF_PHYS_ADDRESS, SYS_UPTIME)
        mac = got[IF_PHYS_ADDRESS]
        assert isinstance(mac, bytes)
        assert len(mac) == 6
        assert mac == printer.mac_bytes
        assert mac != bytes(6)


async def test_running_fleet_stops_snmpsim_on_exit(tmp_path: Path) -> None:
    canon = next(p for p in DEMO_FLEET if p.serial is None)
    with running_fleet(tmp_path, printers=[canon]) as small:
        assert small.url(canon) == f"snmp://{canon.community}@127.0.0.1:{small.port}"
        assert (tmp_path / f"{canon.community}.snmprec").is_file()
        port = small.port
    engine = SnmpEngine()
    try:
        error, _, _, _ = await get_cmd(
            engine,
            _v2c(canon.community),
            await UdpTransportTarget.create(("127.0.0.1", port), timeout=0.5, retries=0),
            ContextData(),
            ObjectType(ObjectIdentity(SYS_DESCR)),
            lookupMib=False,
        )
    finally:
        engine.close_dispatcher()
    assert error is not None  # nobody answers any more
