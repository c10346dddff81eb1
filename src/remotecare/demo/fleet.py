"""A simulated fleet of office printers, served over real SNMP by snmpsim for ``remotecare demo``.

Each :class:`DemoPrinter` is written from the standards, not copied from a recording:
RFC 1213 (system group, ifPhysAddress), RFC 2790 (hrDeviceTable, hrPrinterTable) and
RFC 3805 (Printer-MIB: prtGeneralSerialNumber, prtMarkerTable, prtMarkerSuppliesTable,
prtMarkerColorantTable). The shapes imitate what different vendors really answer (a
toner at -3 "some remaining", a drum unit, a maintenance kit, a waste box, a printer
without a serial number), so the agent's profiles meet the same variety as in the field.

The fleet lives while snmpsim runs: page counters and moving supply levels are records of
snmpsim's ``numeric`` variation module, which computes ``initial + rate * t`` (``t`` =
seconds since snmpsim started), clamps it to ``[min, max]`` and hands the float to the
SNMP type, which truncates it to an integer. So counters rise by ``pages_per_s`` and
levels fall by ``rate_per_s`` without anyone rewriting the files::

    with running_fleet() as fleet:
        for printer in fleet.printers:
            print(fleet.url(printer))   # snmp://ricoh-imc3000@127.0.0.1:40123
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from remotecare.agent.rfc3805 import (
    HR_DEVICE_PRINTER,
    DetectedError,
    HrDeviceStatus,
    HrPrinterStatus,
    PrtMarkerCounterUnit,
    PrtMarkerMarkTech,
    PrtMarkerSuppliesClass,
    PrtMarkerSuppliesSupplyUnit,
    PrtMarkerSuppliesType,
    SupplyLevel,
)
from remotecare.demo.snmpsim import SnmpSimulator, running_snmpsim
from remotecare.errors import ConfigError

__all__ = [
    "DEMO_FLEET",
    "DemoMarker",
    "DemoPrinter",
    "DemoSupply",
    "RunningFleet",
    "render_snmprec",
    "running_fleet",
    "write_fleet",
]

_HOST = "127.0.0.1"
_COMMUNITY = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
_IF_TYPE_ETHERNET = 6  # ethernetCsmacd
_COLORANT_TONALITY = 256
_UPTIME_AT_START_TICKS = 8_640_000  # one day, in hundredths of a second


@dataclass(frozen=True, slots=True)
class DemoSupply:
    """One row of prtMarkerSuppliesTable; a negative ``rate_per_s`` makes the level fall.

    ``level`` is the level when snmpsim starts, or a sentinel (:attr:`SupplyLevel.SOME_REMAINING`,
    :attr:`SupplyLevel.UNKNOWN`) that never moves. For a receptacle the level is the space left,
    so it falls as the box fills. ``colorant`` names the prtMarkerColorantValue
    ("black", "cyan", ...) the supply feeds, if any.
    """

    description: str
    supply_class: PrtMarkerSuppliesClass
    supply_type: PrtMarkerSuppliesType
    unit: PrtMarkerSuppliesSupplyUnit
    max_capacity: int
    level: int
    rate_per_s: float = 0.0
    colorant: str | None = None

    def __post_init__(self) -> None:
        if self.rate_per_s > 0:
            raise ConfigError(f"{self.description}: supply levels only fall (rate_per_s <= 0)")
        if self.level < 0 and self.rate_per_s != 0:
            raise ConfigError(f"{self.description}: a sentinel level ({self.level}) cannot move")
        if self.level >= 0 and not 0 <= self.level <= self.max_capacity:
            raise ConfigError(f"{self.description}: level {self.level} outside [0, max]")

    @property
    def is_falling(self) -> bool:
        return self.rate_per_s < 0

    def level_after(self, elapsed_s: float) -> int:
        """Return the level snmpsim answers ``elapsed_s`` seconds after it started."""
        if not self.is_falling:
            return self.level
        return int(min(max(self.level + self.rate_per_s * elapsed_s, 0), self.max_capacity))


@dataclass(frozen=True, slots=True)
class DemoMarker:
    """The one marking engine (prtMarkerIndex 1); its life count rises by ``pages_per_s``."""

    mark_tech: PrtMarkerMarkTech
    life_count: int
    pages_per_s: float
    counter_unit: PrtMarkerCounterUnit = PrtMarkerCounterUnit.IMPRESSIONS

    def __post_init__(self) -> None:
        if self.life_count < 0 or self.pages_per_s <= 0:
            raise ConfigError("a demo marker needs life_count >= 0 and pages_per_s > 0")

    def life_count_after(self, elapsed_s: float) -> int:
        """Return prtMarkerLifeCount ``elapsed_s`` seconds after snmpsim started."""
        return int(self.life_count + self.pages_per_s * elapsed_s)


@dataclass(frozen=True, slots=True)
class DemoPrinter:
    """One simulated printer, served as SNMP v2c community ``community``.

    ``serial`` is None for a printer without prtGeneralSerialNumber: its identity must
    come from ``mac`` (ifPhysAddress.1, written ``"02:52:43:00:00:06"``).
    """

    community: str
    vendor: str
    model: str
    serial: str | None
    mac: str
    sys_descr: str
    sys_object_id: str
    sys_location: str
    device_status: HrDeviceStatus
    printer_status: HrPrinterStatus
    marker: DemoMarker
    supplies: tuple[DemoSupply, ...]
    detected_errors: tuple[DetectedError, ...] = ()

    def __post_init__(self) -> None:
        if not _COMMUNITY.fullmatch(self.community):
            raise ConfigError(f"demo community {self.community!r}: use 1-32 of [a-z0-9-]")
        if not _MAC.fullmatch(self.mac):
            raise ConfigError(f"{self.community}: MAC {self.mac!r} is not aa:bb:cc:dd:ee:ff")
        if not self.supplies:
            raise ConfigError(f"{self.community}: a printer needs at least one supply")

    @property
    def mac_bytes(self) -> bytes:
        return bytes.fromhex(self.mac.replace(":", ""))

    @property
    def colorants(self) -> tuple[str, ...]:
        """Return the colorant names in prtMarkerColorantIndex order (1, 2, ...)."""
        names: list[str] = []
        for supply in self.supplies:
            if supply.colorant is not None and supply.colorant not in names:
                names.append(supply.colorant)
        return tuple(names)

    @property
    def error_state(self) -> bytes:
        """Return hrPrinterDetectedErrorState: one octet, two when a bit above 7 is set."""
        octets = bytearray(1 if all(bit < 8 for bit in self.detected_errors) else 2)
        for bit in self.detected_errors:
            octets[bit // 8] |= 0x80 >> (bit % 8)
        return bytes(octets)


_PERCENT = PrtMarkerSuppliesSupplyUnit.PERCENT
_CONSUMED = PrtMarkerSuppliesClass.SUPPLY_THAT_IS_CONSUMED
_RECEPTACLE = PrtMarkerSuppliesClass.RECEPTACLE_THAT_IS_FILLED

DEMO_FLEET: tuple[DemoPrinter, ...] = (
    DemoPrinter(
        community="ricoh-imc3000",
        vendor="Ricoh",
        model="RICOH IM C3000",
        serial="3110R640087",
        mac="02:52:43:00:00:01",
        sys_descr=(
            "RICOH IM C3000 1.04 / RICOH Network Printer C model / "
            "RICOH Network Scanner C model / RICOH Network Facsimile C model"
        ),
        sys_object_id="1.3.6.1.4.1.367.1.1",
        sys_location="Floor 2, copy room",
        device_status=HrDeviceStatus.RUNNING,
        printer_status=HrPrinterStatus.PRINTING,
        marker=DemoMarker(PrtMarkerMarkTech.ELECTROPHOTOGRAPHIC_LASER, 148_213, 1.2),
        supplies=(
            DemoSupply(
                "Black Toner",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                _PERCENT,
                100,
                SupplyLevel.SOME_REMAINING,
                colorant="black",
            ),
            DemoSupply(
                "Cyan Toner",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                _PERCENT,
                100,
                46,
                -0.02,
                "cyan",
            ),
            DemoSupply(
                "Magenta Toner",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                _PERCENT,
                100,
                71,
                -0.015,
                "magenta",
            ),
            DemoSupply(
                "Yellow Toner",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                _PERCENT,
                100,
                28,
                -0.025,
                "yellow",
            ),
            DemoSupply(
                "Waste Toner",
                _RECEPTACLE,
                PrtMarkerSuppliesType.WASTE_TONER,
                _PERCENT,
                100,
                62,
                -0.01,
            ),
        ),
    ),
    DemoPrinter(
        community="brother-hll2350dw",
        vendor="Brother",
        model="Brother HL-L2350DW series",
        serial="E78123M0N210455",
        mac="02:52:43:00:00:02",
        sys_descr="Brother NC-8800w, Firmware Ver.1.30 ,MID 8CE-F05,FID 2",
        sys_object_id="1.3.6.1.4.1.2435.2.3.9.1",
        sys_location="Floor 1, reception",
        device_status=HrDeviceStatus.RUNNING,
        printer_status=HrPrinterStatus.PRINTING,
        marker=DemoMarker(PrtMarkerMarkTech.ELECTROPHOTOGRAPHIC_LASER, 21_877, 0.8),
        supplies=(
            DemoSupply(
                "Black Toner Cartridge",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                PrtMarkerSuppliesSupplyUnit.IMPRESSIONS,
                SupplyLevel.UNKNOWN,
                SupplyLevel.SOME_REMAINING,
            ),
            # The drum wears one impression per page: it falls as fast as the counter rises.
            DemoSupply(
                "Drum Unit",
                _CONSUMED,
                PrtMarkerSuppliesType.OPC,
                PrtMarkerSuppliesSupplyUnit.IMPRESSIONS,
                12_000,
                4_210,
                -0.8,
            ),
        ),
    ),
    DemoPrinter(
        community="hp-m454dn",
        vendor="HP",
        model="HP Color LaserJet Pro M454dn",
        serial="CNBRM4D1QZ",
        mac="02:52:43:00:00:03",
        sys_descr=(
            "HP ETHERNET MULTI-ENVIRONMENT,SN:CNBRM4D1QZ,FN:2Q4071T,SVCID:31044,"
            "PID:HP Color LaserJet Pro M454dn"
        ),
        sys_object_id="1.3.6.1.4.1.11.2.3.9.1",
        sys_location="Floor 3, finance",
        device_status=HrDeviceStatus.RUNNING,
        printer_status=HrPrinterStatus.PRINTING,
        marker=DemoMarker(PrtMarkerMarkTech.ELECTROPHOTOGRAPHIC_LASER, 35_502, 1.5),
        supplies=(
            DemoSupply(
                "Black Cartridge HP W2030A",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                _PERCENT,
                100,
                64,
                -0.03,
                "black",
            ),
            DemoSupply(
                "Cyan Cartridge HP W2031A",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                _PERCENT,
                100,
                38,
                -0.02,
                "cyan",
            ),
            # Near low from the start: it crosses 10 % about two minutes in.
            DemoSupply(
                "Magenta Cartridge HP W2033A",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                _PERCENT,
                100,
                12,
                -0.015,
                "magenta",
            ),
            DemoSupply(
                "Yellow Cartridge HP W2032A",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                _PERCENT,
                100,
                83,
                -0.01,
                "yellow",
            ),
        ),
    ),
    DemoPrinter(
        community="kyocera-p3145dn",
        vendor="Kyocera",
        model="ECOSYS P3145dn",
        serial="R4P9Z07361",
        mac="02:52:43:00:00:04",
        sys_descr="KYOCERA Document Solutions Printing System",
        sys_object_id="1.3.6.1.4.1.1347.41",
        sys_location="Floor 1, warehouse office",
        device_status=HrDeviceStatus.WARNING,
        printer_status=HrPrinterStatus.PRINTING,
        detected_errors=(DetectedError.OVERDUE_PREVENT_MAINT,),
        marker=DemoMarker(PrtMarkerMarkTech.ELECTROPHOTOGRAPHIC_LASER, 298_640, 1.0),
        supplies=(
            DemoSupply(
                "TK-3160",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                PrtMarkerSuppliesSupplyUnit.IMPRESSIONS,
                12_500,
                7_340,
                -1.0,
            ),
            # RFC 3805 has no maintenance-kit type: Kyocera-like devices answer other(1).
            DemoSupply(
                "Maintenance Kit",
                _CONSUMED,
                PrtMarkerSuppliesType.OTHER,
                PrtMarkerSuppliesSupplyUnit.IMPRESSIONS,
                300_000,
                1_360,
                -1.0,
            ),
        ),
    ),
    DemoPrinter(
        community="epson-wfc5890",
        vendor="Epson",
        model="EPSON WF-C5890 Series",
        serial="X9HQ004721",
        mac="02:52:43:00:00:05",
        sys_descr="EPSON Built-in",
        sys_object_id="1.3.6.1.4.1.1248.1.1.2.1",
        sys_location="Floor 2, marketing",
        device_status=HrDeviceStatus.WARNING,
        printer_status=HrPrinterStatus.PRINTING,
        detected_errors=(DetectedError.LOW_TONER,),
        marker=DemoMarker(PrtMarkerMarkTech.INKJET_AQUEOUS, 9_120, 0.7),
        supplies=(
            DemoSupply(
                "Black Ink Supply Unit",
                _CONSUMED,
                PrtMarkerSuppliesType.INK_CARTRIDGE,
                _PERCENT,
                100,
                55,
                -0.02,
                "black",
            ),
            DemoSupply(
                "Cyan Ink Supply Unit",
                _CONSUMED,
                PrtMarkerSuppliesType.INK_CARTRIDGE,
                _PERCENT,
                100,
                33,
                -0.012,
                "cyan",
            ),
            DemoSupply(
                "Magenta Ink Supply Unit",
                _CONSUMED,
                PrtMarkerSuppliesType.INK_CARTRIDGE,
                _PERCENT,
                100,
                6,
                -0.01,
                "magenta",
            ),
            DemoSupply(
                "Yellow Ink Supply Unit",
                _CONSUMED,
                PrtMarkerSuppliesType.INK_CARTRIDGE,
                _PERCENT,
                100,
                74,
                -0.015,
                "yellow",
            ),
            DemoSupply(
                "Maintenance Box",
                _RECEPTACLE,
                PrtMarkerSuppliesType.WASTE_INK,
                _PERCENT,
                100,
                40,
                -0.008,
            ),
        ),
    ),
    DemoPrinter(
        community="canon-lbp233",
        vendor="Canon",
        model="Canon LBP233",
        serial=None,
        mac="02:52:43:00:00:06",
        sys_descr="Canon LBP233 /P",
        sys_object_id="1.3.6.1.4.1.1602.4.2",
        sys_location="Floor 3, meeting room",
        device_status=HrDeviceStatus.RUNNING,
        printer_status=HrPrinterStatus.IDLE,
        marker=DemoMarker(PrtMarkerMarkTech.ELECTROPHOTOGRAPHIC_LASER, 5_634, 0.9),
        supplies=(
            DemoSupply(
                "Canon Cartridge 057",
                _CONSUMED,
                PrtMarkerSuppliesType.TONER,
                _PERCENT,
                100,
                47,
                -0.02,
            ),
        ),
    ),
)


# --- snmprec rendering -------------------------------------------------------------------------

_Record = tuple[tuple[int, ...], str, str]

_SYSTEM = (1, 3, 6, 1, 2, 1, 1)
_INTERFACES = (1, 3, 6, 1, 2, 1, 2)
_HR_DEVICE_ENTRY = (1, 3, 6, 1, 2, 1, 25, 3, 2, 1)
_HR_PRINTER_ENTRY = (1, 3, 6, 1, 2, 1, 25, 3, 5, 1)
_PRT_GENERAL_ENTRY = (1, 3, 6, 1, 2, 1, 43, 5, 1, 1)
_PRT_MARKER_ENTRY = (1, 3, 6, 1, 2, 1, 43, 10, 2, 1)
_PRT_SUPPLIES_ENTRY = (1, 3, 6, 1, 2, 1, 43, 11, 1, 1)
_PRT_COLORANT_ENTRY = (1, 3, 6, 1, 2, 1, 43, 12, 1, 1)
_SNMP_SET_SERIAL_NO = (1, 3, 6, 1, 6, 3, 1, 1, 6, 1, 0)
_DEVICE = 1  # hrDeviceIndex of the printer
_MARKER = 1  # prtMarkerIndex of the one marker

_INTEGER = "2"
_OCTETS = "4"
_OCTETS_HEX = "4x"
_OID = "6"
_COUNTER32 = "65"
_TIMETICKS = "67"
_COLORANT_ROLE_PROCESS = 3


def _octets(value: str | bytes) -> tuple[str, str]:
    """Return (tag, text) for an OCTET STRING, in hex unless it is plain printable ASCII."""
    if isinstance(value, str) and value.isascii() and value.isprintable() and "\\" not in value:
        return _OCTETS, value
    raw = value.encode() if isinstance(value, str) else value
    return _OCTETS_HEX, raw.hex()


def _numeric(
    tag: str, initial: float, rate: float, *, low: int = 0, high: int | None = None
) -> tuple[str, str]:
    """Return (tag, text) for a record snmpsim's ``numeric`` module moves with time."""
    settings = f"initial={initial},rate={rate},min={low}"
    if high is not None:
        settings += f",max={high}"
    return f"{tag}:numeric", settings


def _records(printer: DemoPrinter) -> list[_Record]:
    out: list[_Record] = []

    def add(oid: tuple[int, ...], tag_text: tuple[str, str]) -> None:
        out.append((oid, *tag_text))

    def integer(value: int) -> tuple[str, str]:
        return _INTEGER, str(value)

    # RFC 1213 system group and the interface table (ifPhysAddress carries the MAC).
    add((*_SYSTEM, 1, 0), _octets(printer.sys_descr))
    add((*_SYSTEM, 2, 0), (_OID, printer.sys_object_id))
    add((*_SYSTEM, 3, 0), _numeric(_TIMETICKS, _UPTIME_AT_START_TICKS, 100))
    add((*_SYSTEM, 4, 0), _octets("facilities@example.com"))
    add((*_SYSTEM, 5, 0), _octets(printer.community))
    add((*_SYSTEM, 6, 0), _octets(printer.sys_location))
    add((*_INTERFACES, 1, 0), integer(1))
    add((*_INTERFACES, 2, 1, 1, 1), integer(1))
    add((*_INTERFACES, 2, 1, 2, 1), _octets("Ethernet"))
    add((*_INTERFACES, 2, 1, 3, 1), integer(_IF_TYPE_ETHERNET))
    add((*_INTERFACES, 2, 1, 6, 1), (_OCTETS_HEX, printer.mac_bytes.hex()))

    # RFC 2790 hrDeviceEntry and hrPrinterEntry for the printer device.
    add((*_HR_DEVICE_ENTRY, 1, _DEVICE), integer(_DEVICE))
    add((*_HR_DEVICE_ENTRY, 2, _DEVICE), (_OID, HR_DEVICE_PRINTER))
    add((*_HR_DEVICE_ENTRY, 3, _DEVICE), _octets(printer.model))
    add((*_HR_DEVICE_ENTRY, 4, _DEVICE), (_OID, "0.0"))
    add((*_HR_DEVICE_ENTRY, 5, _DEVICE), integer(printer.device_status))
    add((*_HR_DEVICE_ENTRY, 6, _DEVICE), (_COUNTER32, "0"))
    add((*_HR_PRINTER_ENTRY, 1, _DEVICE), integer(printer.printer_status))
    add((*_HR_PRINTER_ENTRY, 2, _DEVICE), (_OCTETS_HEX, printer.error_state.hex()))

    # RFC 3805 Printer-MIB. Index columns (prtMarkerSuppliesIndex, ...) are not-accessible.
    add((*_PRT_GENERAL_ENTRY, 16, _DEVICE), _octets(printer.model))
    if printer.serial is not None:
        add((*_PRT_GENERAL_ENTRY, 17, _DEVICE), _octets(printer.serial))

    marker = printer.marker
    colorants = printer.colorants
    row = (_DEVICE, _MARKER)
    add((*_PRT_MARKER_ENTRY, 2, *row), integer(marker.mark_tech))
    add((*_PRT_MARKER_ENTRY, 3, *row), integer(marker.counter_unit))
    add((*_PRT_MARKER_ENTRY, 4, *row), _numeric(_COUNTER32, marker.life_count, marker.pages_per_s))
    add((*_PRT_MARKER_ENTRY, 5, *row), _numeric(_COUNTER32, 0, marker.pages_per_s))
    # A mono marker marks one process colorant even without a colorant table.
    add((*_PRT_MARKER_ENTRY, 6, *row), integer(len(colorants) or 1))
    add((*_PRT_MARKER_ENTRY, 7, *row), integer(0))

    for index, supply in enumerate(printer.supplies, start=1):
        row = (_DEVICE, index)
        colorant = colorants.index(supply.colorant) + 1 if supply.colorant else 0
        add((*_PRT_SUPPLIES_ENTRY, 2, *row), integer(_MARKER))
        add((*_PRT_SUPPLIES_ENTRY, 3, *row), integer(colorant))
        add((*_PRT_SUPPLIES_ENTRY, 4, *row), integer(supply.supply_class))
        add((*_PRT_SUPPLIES_ENTRY, 5, *row), integer(supply.supply_type))
        add((*_PRT_SUPPLIES_ENTRY, 6, *row), _octets(supply.description))
        add((*_PRT_SUPPLIES_ENTRY, 7, *row), integer(supply.unit))
        add((*_PRT_SUPPLIES_ENTRY, 8, *row), integer(supply.max_capacity))
        if supply.is_falling:
            level = _numeric(_INTEGER, supply.level, supply.rate_per_s, high=supply.max_capacity)
        else:
            level = integer(supply.level)
        add((*_PRT_SUPPLIES_ENTRY, 9, *row), level)

    for index, name in enumerate(colorants, start=1):
        row = (_DEVICE, index)
        add((*_PRT_COLORANT_ENTRY, 2, *row), integer(_MARKER))
        add((*_PRT_COLORANT_ENTRY, 3, *row), integer(_COLORANT_ROLE_PROCESS))
        add((*_PRT_COLORANT_ENTRY, 4, *row), _octets(name))
        add((*_PRT_COLORANT_ENTRY, 5, *row), integer(_COLORANT_TONALITY))

    # SNMPv2-MIB snmpSetSerialNo (RFC 3418), which real agents also expose: with an object
    # after the Printer-MIB, walking its last table ends on an OID instead of endOfMibView.
    add(_SNMP_SET_SERIAL_NO, integer(1))

    return sorted(out, key=lambda record: record[0])


def render_snmprec(printer: DemoPrinter) -> str:
    """Return the printer's ``.snmprec`` text: ``OID|TAG|VALUE`` lines in numeric OID order."""
    lines = (f"{'.'.join(map(str, oid))}|{tag}|{value}\n" for oid, tag, value in _records(printer))
    return "".join(lines)


def write_fleet(directory: Path, printers: Sequence[DemoPrinter] = DEMO_FLEET) -> list[DemoPrinter]:
    """Write one ``<community>.snmprec`` per printer into ``directory``; return the printers.

    snmpsim serves every ``.snmprec`` under its data directory, so give it a directory of
    its own: other files there become extra communities.
    """
    communities = [printer.community for printer in printers]
    if len(set(communities)) != len(communities):
        raise ConfigError(f"demo communities must be unique: {communities}")
    directory.mkdir(parents=True, exist_ok=True)
    for printer in printers:
        (directory / f"{printer.community}.snmprec").write_text(
            render_snmprec(printer), encoding="ascii"
        )
    return list(printers)


@dataclass(frozen=True, slots=True)
class RunningFleet:
    """The fleet while snmpsim serves it; ``url()`` tells the agent where each printer is.

    Usage::

        with running_fleet() as fleet:
            fleet.url("canon-lbp233")  # "snmp://canon-lbp233@127.0.0.1:40123"
    """

    simulator: SnmpSimulator
    printers: tuple[DemoPrinter, ...]

    @property
    def directory(self) -> Path:
        return self.simulator.data_dir

    @property
    def port(self) -> int:
        return self.simulator.port

    @property
    def urls(self) -> dict[str, str]:
        """Return ``{community: snmp://community@127.0.0.1:port}`` for every printer."""
        return {printer.community: self.url(printer) for printer in self.printers}

    def url(self, printer: DemoPrinter | str) -> str:
        community = printer if isinstance(printer, str) else printer.community
        self.printer(community)  # refuse a community the simulator would silently ignore
        return self.simulator.url(community)

    def printer(self, community: str) -> DemoPrinter:
        for printer in self.printers:
            if printer.community == community:
                return printer
        raise ConfigError(f"no demo printer with community {community!r}")


@contextmanager
def running_fleet(
    directory: Path | None = None,
    *,
    printers: Sequence[DemoPrinter] = DEMO_FLEET,
    port: int | None = None,
    log_file: Path | None = None,
) -> Iterator[RunningFleet]:
    """Write the fleet (into a temporary directory unless given one) and serve it on loopback.

    snmpsim is stopped on exit, whatever happens; a temporary directory is removed.
    """
    if not printers:
        raise ConfigError("the demo fleet needs at least one printer")
    with ExitStack() as stack:
        if directory is None:
            directory = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="remotecare-fleet-"))
            )
        written = write_fleet(directory, printers)
        simulator = stack.enter_context(
            running_snmpsim(
                directory,
                probe_community=written[0].community,
                ports=None if port is None else (port,),
                host=_HOST,
                log_file=log_file,
            )
        )
        yield RunningFleet(simulator=simulator, printers=tuple(written))
