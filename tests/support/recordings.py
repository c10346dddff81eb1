"""Find the printer SNMP recordings (``*.snmprec``) that tests serve with snmpsim, and what
each of them must read as (:data:`EXPECTED`, :data:`SYS_OBJECT_IDS`), stated once here.

The folder is ``$REMOTECARE_RECORDINGS`` when set, else ``<repo>/../shared/testdata/snmp``,
else ``/work/shared/testdata/snmp`` (where a clean clone made elsewhere still finds them).
When it is missing the calling test is skipped, except in CI (``CI=true``) where a missing
folder fails the run: there, skipping would hide that nothing was tested.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from remotecare.protocol.messages import SerialSource, SupplyClass, SupplyState

__all__ = [  # the short names are the table's shorthands, for tests that add cases
    "CONSUMED",
    "EMPTY",
    "EXPECTED",
    "FULL",
    "LOW",
    "MAC",
    "MIB",
    "NEARLY_FULL",
    "OK",
    "OTHER",
    "RECEPTACLE",
    "RECORDINGS_ENV",
    "SOME",
    "SYS_OBJECT_IDS",
    "UNKNOWN",
    "UNLIMITED",
    "VENDOR",
    "Printer",
    "S",
    "T",
    "recordings_dir",
    "without_identity",
]

RECORDINGS_ENV = "REMOTECARE_RECORDINGS"
_REPO_ROOT = Path(__file__).resolve().parents[2]
_CANDIDATES = (
    _REPO_ROOT.parent / "shared" / "testdata" / "snmp",
    Path("/work/shared/testdata/snmp"),
)


def recordings_dir() -> Path:
    """Return the recordings folder; skip the test (fail it in CI) when there is none."""
    configured = os.environ.get(RECORDINGS_ENV)
    candidates = (Path(configured),) if configured else _CANDIDATES
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.snmprec")):
            return folder
    looked = ", ".join(str(folder) for folder in candidates)
    reason = f"no SNMP recordings (*.snmprec) in {looked}; set {RECORDINGS_ENV} to their folder"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


# Rows removed to hide a printer's identity: prtGeneralSerialNumber and ifPhysAddress.
IDENTITY_ROWS = ("1.3.6.1.2.1.43.5.1.1.17.", "1.3.6.1.2.1.2.2.1.6.")


def without_identity(recording: str, folder: Path, name: str) -> Path:
    """Write ``folder/name.snmprec`` (a test's temporary folder): the shared ``recording``
    without its serial number and MAC address rows. The shared folder is only read."""
    source = recordings_dir() / f"{recording}.snmprec"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(IDENTITY_ROWS)]
    assert len(kept) < len(lines), f"{recording} had no identity rows to remove"
    folder.mkdir(parents=True, exist_ok=True)
    derived = folder / f"{name}.snmprec"
    derived.write_text("".join(kept), encoding="utf-8")
    return derived


# Every expected value below was worked out by hand from the ``.snmprec`` lines with
# RFC 3805 (Printer-MIB), IANA-PRINTER-MIB and RFC 2790 (Host Resources MIB) at hand; none
# was copied from the program's output (tests/integration/test_snmp_recordings.py says how).

CONSUMED, RECEPTACLE, OTHER = SupplyClass.CONSUMED, SupplyClass.RECEPTACLE, SupplyClass.OTHER
OK, LOW, EMPTY, FULL = SupplyState.OK, SupplyState.LOW, SupplyState.EMPTY, SupplyState.FULL
NEARLY_FULL, UNKNOWN = SupplyState.NEARLY_FULL, SupplyState.UNKNOWN
SOME, UNLIMITED = SupplyState.SOME_REMAINING, SupplyState.UNLIMITED
MIB, MAC, VENDOR = SerialSource.PRINTER_MIB, SerialSource.MAC_ADDRESS, SerialSource.VENDOR_MIB


@dataclass(frozen=True)
class S:
    """Expected supply: everything the reading says about it."""

    index: int
    description: str
    type: str
    supply_class: SupplyClass
    colour: str | None
    level: int | None
    max_capacity: int | None
    percent: object  # a float, None, or pytest.approx(...) of a float
    state: SupplyState


@dataclass(frozen=True)
class T:
    """Expected tray."""

    index: int
    name: str
    media: str | None
    level: int | None
    max_capacity: int | None
    state: SupplyState


@dataclass(frozen=True)
class Printer:
    serial: str
    serial_source: SerialSource
    model: str
    device_status: str
    error_conditions: tuple[str, ...]
    total: tuple[int, str] | None  # prtMarkerLifeCount of marker 1 and its unit
    supplies: tuple[S, ...]
    not_reported: tuple[str, ...] = ()  # subtrees partial_reason must name
    trays: tuple[T, ...] | None = None  # None: not checked for this printer


EXPECTED: dict[str, Printer] = {
    # No prtGeneralSerialNumber: brInfoSerialNumber (2435.2.3.9.4.2.1.5.5.1.0) of the Brother
    # profile. No prtMarkerTable: no counter. Toner max -2 and level -3 are states; the drum
    # (type 9 opc) has 11501 of 12000 left.
    "brother_mfc-l2710dw": Printer(
        "000A5J431816",
        VENDOR,
        "Brother MFC-L2710DW series",
        "running",
        (),
        None,
        (
            S(1, "Black Toner Cartridge", "toner", CONSUMED, "black", None, None, None, SOME),
            S(
                2,
                "Drum Unit",
                "opc",
                CONSUMED,
                None,
                11501,
                12000,
                pytest.approx(95.84, abs=0.01),
                OK,
            ),
        ),
        ("prtMarkerTable",),
        (
            T(1, "AUTO", None, None, 250, SOME),
            T(2, "MANUAL TRAY", None, None, 1, SOME),
            T(3, "TRAY1", None, None, 250, SOME),
        ),
    ),
    # Ink tanks are type 6 (inkCartridge), the waste tank type 8 (wasteInk): a receptacle
    # with 6030 of 6700 free, i.e. 670/6700 = 10 % full. prtMarkerCounterUnit 8 = sheets.
    "canon_imageprograf-tm-5300": Printer(
        "mac:74:bf:c0:da:4a:3d",
        MAC,
        "Canon TM-5300",
        "running",
        (),
        (21588, "sheets"),
        (
            S(
                1,
                "CANON Matte Black Ink Tank",
                "inkCartridge",
                CONSUMED,
                "black",
                2400,
                3000,
                80.0,
                OK,
            ),
            S(2, "CANON Black Ink Tank", "inkCartridge", CONSUMED, "black", 3000, 3000, 100.0, OK),
            S(3, "CANON Yellow Ink Tank", "inkCartridge", CONSUMED, "yellow", 1800, 3000, 60.0, OK),
            S(
                4,
                "CANON Magenta Ink Tank",
                "inkCartridge",
                CONSUMED,
                "magenta",
                2400,
                3000,
                80.0,
                OK,
            ),
            S(5, "CANON Cyan Ink Tank", "inkCartridge", CONSUMED, "cyan", 2100, 3000, 70.0, OK),
            S(6, "CANON Waste Ink Tank", "wasteInk", RECEPTACLE, None, 6030, 6700, 10.0, OK),
        ),
        (),
        (
            T(1, "Multi-Purpose Tray", None, 0, 1, EMPTY),
            T(2, "Roll Unit 1", None, None, 200000000, SOME),
        ),
    ),
    # Only description, max and level: "Cartridge" alone says neither toner nor ink.
    "canon_lbp6670": Printer(
        "MKRA012345",
        MIB,
        "Canon LBP6670",
        "running",
        (),
        None,
        (S(1, "Canon Cartridge 719/719H", "unknown", CONSUMED, None, 70, 100, 70.0, OK),),
        ("hrPrinterTable", "prtInputTable", "prtMarkerTable"),
    ),
    # Types 3, 9, 1, 1 without class: all consumed.
    "dell_s5830dn": Printer(
        "7XQ1R92-132-13",
        MIB,
        "Dell S5830dn 7XQ1R92 LW62.DN4.P636",
        "running",
        (),
        None,
        (
            S(1, "Black Toner", "toner", CONSUMED, "black", 22050, 45000, 49.0, OK),
            S(2, "Imaging Unit", "opc", CONSUMED, None, 72000, 100000, 72.0, OK),
            S(3, "Maintenance Kit", "other", CONSUMED, None, 166000, 200000, 83.0, OK),
            S(4, "Roller Kit", "other", CONSUMED, None, 267000, 300000, 89.0, OK),
        ),
        ("prtMarkerTable",),
        (
            T(1, "Tray 1", None, 550, 550, OK),
            T(2, "Manual Envelope", None, None, 1, SOME),
            T(3, "Manual Paper", None, None, 1, SOME),
            T(4, "MP Tray", None, 0, 100, EMPTY),
        ),
    ),
    # hrDeviceStatus 3 = warning; hrPrinterDetectedErrorState is an empty string. Each ink
    # (type 5) has 1 of 100 left: at or below 10 %, low.
    "epson_wf-c5790": Printer(
        "X3B8022793",
        MIB,
        "EPSON WF-C5790BA",
        "warning",
        (),
        None,
        (
            S(
                1,
                "Black Ink Supply Unit T9441/T9451/T9461",
                "ink",
                CONSUMED,
                "black",
                1,
                100,
                1.0,
                LOW,
            ),
            S(2, "Cyan Ink Supply Unit T9442/T9452", "ink", CONSUMED, "cyan", 1, 100, 1.0, LOW),
            S(
                3,
                "Magenta Ink Supply Unit T9443/T9453",
                "ink",
                CONSUMED,
                "magenta",
                1,
                100,
                1.0,
                LOW,
            ),
            S(4, "Yellow Ink Supply Unit T9444/T9454", "ink", CONSUMED, "yellow", 1, 100, 1.0, LOW),
        ),
        ("prtMarkerTable",),
        (
            T(1, "Rear Auto Sheet Feeder", None, None, 80, UNKNOWN),
            T(2, "Sheet feeder bin 1", None, None, 250, UNKNOWN),
        ),
    ),
    # No Host Resources tables: model from sysDescr, device status unknown. Supplies start
    # at index 2 and jump to 30/31; the waste container (type 4) says -2/-3.
    "fujifilm_apeospro-c810": Printer(
        "TC101630131338",
        MIB,
        "FUJIFILM ApeosPro C810",
        "unknown",
        (),
        None,
        (
            S(2, "Yellow Toner", "toner", CONSUMED, "yellow", 25000, 25000, 100.0, OK),
            S(3, "Magenta Toner", "toner", CONSUMED, "magenta", 25000, 25000, 100.0, OK),
            S(4, "Cyan Toner", "toner", CONSUMED, "cyan", 25000, 25000, 100.0, OK),
            S(5, "Waste Toner Container", "wasteToner", RECEPTACLE, None, None, None, None, SOME),
            S(6, "Black Drum Cartridge", "opc", CONSUMED, "black", 161370, 163000, 99.0, OK),
            S(7, "Yellow Drum Cartridge", "opc", CONSUMED, "yellow", 161370, 163000, 99.0, OK),
            S(8, "Magenta Drum Cartridge", "opc", CONSUMED, "magenta", 161370, 163000, 99.0, OK),
            S(9, "Cyan Drum Cartridge", "opc", CONSUMED, "cyan", 161370, 163000, 99.0, OK),
            S(30, "Black Toner 1", "toner", CONSUMED, "black", 23000, 23000, 100.0, OK),
            S(31, "Black Toner 2", "toner", CONSUMED, "black", 20700, 23000, 90.0, OK),
        ),
        ("hrDeviceTable", "hrPrinterTable", "prtMarkerTable"),
    ),
    # No prtGeneralSerialNumber and no HP serial-number object: "SN:AAA0A00000" of sysDescr
    # (HP profile). No type/class columns.
    "hp_color-laserjet-m452nw": Printer(
        "AAA0A00000",
        VENDOR,
        "HP Color LaserJet M452nw",
        "running",
        (),
        None,
        (
            S(1, "Black Cartridge HP CF410A", "unknown", CONSUMED, "black", 54, 100, 54.0, OK),
            S(2, "Cyan Cartridge HP CF411A", "unknown", CONSUMED, "cyan", 44, 100, 44.0, OK),
            S(
                3,
                "Magenta Cartridge HP CF413A This description is longer than 32",
                "unknown",
                CONSUMED,
                "magenta",
                76,
                100,
                76.0,
                OK,
            ),
            S(4, "Yellow Cartridge HP CF412A", "unknown", CONSUMED, "yellow", 71, 100, 71.0, OK),
        ),
        ("hrPrinterTable", "prtInputTable", "prtMarkerTable"),
    ),
    # Full supplies columns: class 3, type 3, unit 19 (percent), colorant indexes 1..4 but
    # no prtMarkerColorantTable, so colours come from the descriptions.
    "hp_color-laserjet-pro-m252dw": Printer(
        "VNB3J99999",  # "SN:" of sysDescr (HP profile); no prtGeneralSerialNumber
        VENDOR,
        "HP Color LaserJet Pro M252dw",
        "running",
        (),
        None,
        (
            S(1, "Black Cartridge HP CF400X", "toner", CONSUMED, "black", 63, 100, 63.0, OK),
            S(2, "Cyan Cartridge HP CF401X", "toner", CONSUMED, "cyan", 63, 100, 63.0, OK),
            S(3, "Magenta Cartridge HP CF403X", "toner", CONSUMED, "magenta", 88, 100, 88.0, OK),
            S(4, "Yellow Cartridge HP CF402X", "toner", CONSUMED, "yellow", 36, 100, 36.0, OK),
        ),
        ("prtMarkerTable",),
        (T(1, "Tray 1", "Any", None, 1, UNKNOWN), T(2, "Tray 2", "Any", None, 150, SOME)),
    ),
    # prtMarkerCounterUnit 7 = impressions. Supplies 1 (toner) and 5 (opc).
    "hp_laserjet-mfp-m130nw": Printer(
        "VNCRC48198",
        MIB,
        "HP LaserJet MFP M130nw",
        "running",
        (),
        (15232, "impressions"),
        (
            S(1, "Black Cartridge HP CF217A", "toner", CONSUMED, "black", 28, 100, 28.0, OK),
            S(5, "Imaging Drum HP CF219A", "opc", CONSUMED, None, 71, 100, 71.0, OK),
        ),
        (),
        (T(1, "Tray 1", None, None, 150, SOME),),
    ),
    # Types 3, 9, 15 (fuser), 20 (transferUnit). Black toner 8 of 100: low.
    "konicaminolta_bizhub-25e": Printer(
        "mac:00:50:81:41:8b:3e",
        MAC,
        "Konica Minolta bizhub 25e",
        "running",
        (),
        None,
        (
            S(1, "Black Toner", "toner", CONSUMED, "black", 8, 100, 8.0, LOW),
            S(2, "Drum", "opc", CONSUMED, None, 99, 100, 99.0, OK),
            S(3, "Fuser", "fuser", CONSUMED, None, 58, 100, 58.0, OK),
            S(4, "Transfer Roller", "transferUnit", CONSUMED, None, 58, 100, 58.0, OK),
        ),
        ("prtMarkerTable",),
        (T(1, "1st Cassette", None, None, 500, SOME), T(2, "Bypass", None, 0, 100, EMPTY)),
    ),
    # Error state 0x01 0x00: bit 7 of octet 1 = serviceRequested, with hrDeviceStatus 3
    # (warning). The marker row has life count but no prtMarkerCounterUnit: unit unknown.
    "konicaminolta_bizhub-c250i": Printer(
        "AA2M021115700",
        MIB,
        "KONICA MINOLTA bizhub C250i",
        "warning",
        ("serviceRequested",),
        (33810, "unknown"),
        (
            S(1, "Toner (Cyan)", "toner", CONSUMED, "cyan", 76, 100, 76.0, OK),
            S(2, "Toner (Magenta)", "toner", CONSUMED, "magenta", 78, 100, 78.0, OK),
            S(3, "Toner (Yellow)", "toner", CONSUMED, "yellow", 77, 100, 77.0, OK),
            S(4, "Toner (Black)", "toner", CONSUMED, "black", 86, 100, 86.0, OK),
            S(13, "Waste Toner Box", "wasteToner", RECEPTACLE, None, None, None, None, SOME),
        ),
        (),
        (T(1, "", None, 500, 500, OK), T(2, "", None, 500, 500, OK), T(7, "", None, 0, 150, EMPTY)),
    ),
    # hrDeviceDescr of the printer device is "Generic 28C-1" (sysDescr names the bizhub).
    # No type, class or colorant index columns: types inferred from the words, colours
    # from the descriptions; the colorant table exists but nothing points into it.
    "konicaminolta_bizhub-c3110": Printer(
        "mac:00:20:6b:67:ef:7c",
        MAC,
        "Generic 28C-1",
        "warning",
        (),
        None,
        (
            S(1, "Toner (Cyan)", "toner", CONSUMED, "cyan", 29, 100, 29.0, OK),
            S(2, "Toner (Magenta)", "toner", CONSUMED, "magenta", 31, 100, 31.0, OK),
            S(3, "Toner (Yellow)", "toner", CONSUMED, "yellow", 58, 100, 58.0, OK),
            S(4, "Toner (Black)", "toner", CONSUMED, "black", 83, 100, 83.0, OK),
            S(5, "Drum Cartridge (Cyan)", "opc", CONSUMED, "cyan", 59, 100, 59.0, OK),
            S(6, "Developer Cartridge (Cyan)", "developer", CONSUMED, "cyan", 79, 100, 79.0, OK),
            S(7, "Drum Cartridge (Magenta)", "opc", CONSUMED, "magenta", 97, 100, 97.0, OK),
            S(
                8,
                "Developer Cartridge (Magenta)",
                "developer",
                CONSUMED,
                "magenta",
                78,
                100,
                78.0,
                OK,
            ),
            S(9, "Drum Cartridge (Yellow)", "opc", CONSUMED, "yellow", 59, 100, 59.0, OK),
            S(
                10,
                "Developer Cartridge (Yellow)",
                "developer",
                CONSUMED,
                "yellow",
                78,
                100,
                78.0,
                OK,
            ),
            S(11, "Drum Cartridge (Black)", "opc", CONSUMED, "black", 20, 100, 20.0, OK),
            S(12, "Developer Cartridge (Black)", "developer", CONSUMED, "black", 71, 100, 71.0, OK),
            S(13, "Waste Toner Box", "wasteToner", RECEPTACLE, None, None, None, None, SOME),
            S(14, "Fusing Unit", "fuser", CONSUMED, None, 68, 100, 68.0, OK),
            S(15, "Image Transfer Belt Unit", "transferUnit", CONSUMED, None, 41, 100, 41.0, OK),
            S(16, "Transfer Roller Unit", "transferUnit", CONSUMED, None, 45, 100, 45.0, OK),
            S(17, "Ozone Filter", "unknown", CONSUMED, None, 45, 100, 45.0, OK),
        ),
        ("hrPrinterTable", "prtInputTable", "prtMarkerTable"),
    ),
    # Waste toner (type 4, no class column) is a receptacle: 100 of 100 free = 0 % full.
    # prtMarkerCounterUnit 8 = sheets. Trays 1-3 hold 55 of 550 = 10 %: low.
    "ricoh_aficio-mp-c3002": Printer(
        "W492KB03439",
        MIB,
        "RICOH Aficio MP C3002",
        "warning",
        (),
        (271871, "sheets"),
        (
            S(1, "Black Toner", "toner", CONSUMED, "black", 40, 100, 40.0, OK),
            S(2, "Waste Toner", "wasteToner", RECEPTACLE, None, 100, 100, 0.0, OK),
            S(3, "Cyan Toner", "toner", CONSUMED, "cyan", 20, 100, 20.0, OK),
            S(4, "Magenta Toner", "toner", CONSUMED, "magenta", 50, 100, 50.0, OK),
            S(5, "Yellow Toner", "toner", CONSUMED, "yellow", 50, 100, 50.0, OK),
        ),
        (),
        (
            T(1, "Tray 1", None, 55, 550, LOW),
            T(2, "Tray 2", None, 55, 550, LOW),
            T(3, "Tray 3", None, 55, 550, LOW),
            T(4, "Tray 4", None, 0, 550, EMPTY),
            T(5, "Bypass Tray", None, 0, 100, EMPTY),
        ),
    ),
    # Error state 0x20 0x00 = bit 2 lowToner, with hrDeviceStatus 3 (warning): real, not
    # padding. Waste toner: level 100 with max -2, so no max and no percent, some space
    # left. Fusing unit: -2/-2, unknown.
    "sharp_mx-3570n": Printer(
        "6509415X00",
        MIB,
        "SHARP MX-3570N",
        "warning",
        ("lowToner",),
        (121104, "impressions"),
        (
            S(1, "Cyan Toner", "toner", CONSUMED, "cyan", 55, 100, 55.0, OK),
            S(2, "Magenta Toner", "toner", CONSUMED, "magenta", 19, 100, 19.0, OK),
            S(3, "Yellow Toner", "toner", CONSUMED, "yellow", 40, 100, 40.0, OK),
            S(4, "Black Toner", "toner", CONSUMED, "black", 34, 100, 34.0, OK),
            S(5, "Waste Toner", "wasteToner", RECEPTACLE, None, 100, None, None, SOME),
            S(6, "Cyan Photoconductive Drum", "opc", CONSUMED, "cyan", 81, 100, 81.0, OK),
            S(7, "Magenta Photoconductive Drum", "opc", CONSUMED, "magenta", 81, 100, 81.0, OK),
            S(8, "Yellow Photoconductive Drum", "opc", CONSUMED, "yellow", 81, 100, 81.0, OK),
            S(9, "Black Photoconductive Drum", "opc", CONSUMED, "black", 95, 100, 95.0, OK),
            S(10, "Cyan Developer", "developer", CONSUMED, "cyan", 91, 100, 91.0, OK),
            S(11, "Magenta Developer", "developer", CONSUMED, "magenta", 91, 100, 91.0, OK),
            S(12, "Yellow Developer", "developer", CONSUMED, "yellow", 91, 100, 91.0, OK),
            S(13, "Black Developer", "developer", CONSUMED, "black", 74, 100, 74.0, OK),
            S(14, "Fusing Unit", "fuser", CONSUMED, None, None, None, None, UNKNOWN),
        ),
        (),
        (
            T(1, "Bypass Tray", None, 0, 100, EMPTY),
            T(2, "Tray 1", None, 181, 550, OK),
            T(3, "Tray 2", None, 181, 550, OK),
            T(4, "Tray 3", None, 181, 550, OK),
            T(5, "Tray 4", None, 368, 550, OK),
            T(31, "Auto Select", None, None, None, UNKNOWN),
        ),
    ),
    # "PK-3010S" names no colour. Waste box -2/-3. prtMarkerCounterUnit 7 = impressions.
    "utax_p-4532dn": Printer(
        "R9L0309954",  # kcprtSerialNumber.1 (1347.43.5.1.1.28.1, Kyocera profile)
        VENDOR,
        "P-4532DN",
        "running",
        (),
        (427, "impressions"),
        (
            S(1, "PK-3010S", "toner", CONSUMED, None, 5340, 6000, 89.0, OK),
            S(2, "Waste Toner Box", "wasteToner", RECEPTACLE, None, None, None, None, SOME),
        ),
        ("prtInputTable",),
    ),
}


# sysObjectID.0 (1.3.6.1.2.1.1.2.0) of each recording, copied from its line.
SYS_OBJECT_IDS = {
    "brother_mfc-l2710dw": "1.3.6.1.4.1.2435.2.3.9.1",
    "canon_imageprograf-tm-5300": "1.3.6.1.4.1.1602.4.3",
    "canon_lbp6670": "1.3.6.1.4.1.1602.4.2",
    "dell_s5830dn": "1.3.6.1.4.1.674.10898.2.100.100.51.1094474004",
    "epson_wf-c5790": "1.3.6.1.4.1.1248.1.1.2.1.3.5.69.69.80.83.50",
    "fujifilm_apeospro-c810": "1.3.6.1.4.1.297.1.11.93.2.1.3.5.5",
    "hp_color-laserjet-m452nw": "1.3.6.1.4.1.11.2.3.9.1",
    "hp_color-laserjet-pro-m252dw": "1.3.6.1.4.1.11.2.3.9.1",
    "hp_laserjet-mfp-m130nw": "1.3.6.1.4.1.11.2.3.9.1",
    "konicaminolta_bizhub-25e": "1.3.6.1.4.1.18334.1.1.1.2.1.10008.1.1",
    "konicaminolta_bizhub-c250i": "1.3.6.1.4.1.18334.1.1.1.2.1.181.2.4",
    "konicaminolta_bizhub-c3110": "1.3.6.1.4.1.18334.1.1.1.2.1.117.2.2",
    "ricoh_aficio-mp-c3002": "1.3.6.1.4.1.367.1.1",
    "sharp_mx-3570n": "1.3.6.1.4.1.2385.3.1.112.1.2",
    "utax_p-4532dn": "1.3.6.1.4.1.1347.41",
}
