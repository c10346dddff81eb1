"""Vendor counter profiles read over real SNMP (snmpsim on loopback) from hand-written fixtures.

The shared recordings hold no counter object of Kyocera, Canon, Brother, Epson, Fujifilm/Xerox
or Ricoh, so each of those profiles is tested against ``tests/fixtures/snmp/vendors/
vendor_<profile>.snmprec``: the standard-MIB lines of one real recording (named in that
folder's README.md) plus the documented private counter objects with values chosen by hand.
Every expected value below was written by hand from those fixture lines, never copied from
the program's output. Printer-MIB counters come first in a reading (prtMarkerLifeCount
"total", prtMarkerPowerOnCount "power_on", unit from prtMarkerCounterUnit: 7 impressions,
8 sheets), then the profile's in profile order; a profile's "total" is dropped from the
reading when prtMarkerLifeCount already gives one, so each test also GETs the profile's
objects directly (and walks its counter tables' columns) to check every mapping. Ricoh's
table counters are found in ricohEngCounterTable by their type column: the fixture's rows
have indexes 3, 7 ... 58, not 1..n, and rows of other types around the wanted ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from remotecare.agent.probes.reader import read_printer
from remotecare.agent.probes.snmp import SnmpTarget, get, walk
from remotecare.agent.vendor_profiles import (
    ProfileMatch,
    VendorProfile,
    packaged_profiles,
    select_profile,
    vendor_counters,
)
from remotecare.demo.snmpsim import SnmpSimulator, running_snmpsim
from remotecare.protocol.messages import SerialSource

pytestmark = pytest.mark.timeout(60)
on_module_loop = pytest.mark.asyncio(loop_scope="module")

TIMEOUT_S = 1.0
RETRIES = 0  # loopback does not drop packets: a timeout must fail loudly
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "snmp" / "vendors"

Expected = list[tuple[str, int, str]]

# Every counter each profile maps, as a direct GET of its objects gives them (fixture lines).
PROFILE_COUNTERS: dict[str, Expected] = {
    "kyocera": [  # 1347.42.3.1.1.1.1.{1,2} and 1347.42.3.1.2.1.1.{1,2}.{1,3}
        ("print", 300, "impressions"),
        ("copy", 120, "impressions"),
        ("print_mono", 220, "impressions"),
        ("print_colour", 80, "impressions"),
        ("copy_mono", 100, "impressions"),
        ("copy_colour", 20, "impressions"),
    ],
    "canon": [  # 1602.1.11.1.3.1.4.{101,108,501}
        ("total", 21588, "impressions"),
        ("mono", 15120, "impressions"),
        ("scan", 1234, "images"),
    ],
    "brother": [("scan", 812, "images")],  # 2435.2.3.9.4.2.1.5.5.54.2.2.1.3.3
    "epson": [  # 1248.1.2.2.27.1.1.{3,4}.1.1 and 1248.1.2.2.27.6.1.{4,5}.1.1.{1,2}
        ("mono", 2700, "impressions"),
        ("colour", 3500, "impressions"),
        ("print", 5000, "impressions"),
        ("copy", 1200, "impressions"),
        ("print_colour", 3100, "impressions"),
        ("copy_colour", 400, "impressions"),
    ],
    "fujifilm": [  # 253.8.53.13.2.1.6.1.20.{1,34,33} and .6.11.20.{3,25}
        ("total", 90000, "impressions"),
        ("mono", 52000, "impressions"),
        ("colour", 38000, "impressions"),
        ("copy_mono", 7000, "impressions"),
        ("copy_colour", 3000, "impressions"),
    ],
    "ricoh": [  # 367.3.2.1.2.19.{1,2,3,4}.0, then ricohEngCounterTable rows 31, 33, 8, 10
        ("total", 271871, "impressions"),
        ("print", 190000, "impressions"),
        ("fax", 1871, "impressions"),
        ("copy", 80000, "impressions"),
        ("print_mono", 150000, "impressions"),  # row 31: type 401, value 150000
        ("print_colour", 40000, "impressions"),  # row 33: type 403, value 40000
        ("copy_mono", 60000, "impressions"),  # row 8: type 201, value 60000
        ("copy_colour", 20000, "impressions"),  # row 10: type 203, value 20000
    ],
}

# The whole reading: Printer-MIB counters (only where the recording has prtMarkerTable rows),
# then the profile's, without the profile's "total" when prtMarkerLifeCount gave one.
READING_COUNTERS: dict[str, Expected] = {
    "kyocera": [  # utax_p-4532dn: unit 7, life 427, power-on 11
        ("total", 427, "impressions"),
        ("power_on", 11, "impressions"),
        *PROFILE_COUNTERS["kyocera"],
    ],
    "canon": [  # canon_imageprograf-tm-5300: unit 8, life 21588, power-on 54
        ("total", 21588, "sheets"),
        ("power_on", 54, "sheets"),
        ("mono", 15120, "impressions"),
        ("scan", 1234, "images"),
    ],
    "brother": PROFILE_COUNTERS["brother"],  # brother_mfc-l2710dw: no prtMarkerTable
    "epson": PROFILE_COUNTERS["epson"],  # epson_wf-c5790: no prtMarkerTable
    "fujifilm": PROFILE_COUNTERS["fujifilm"],  # fujifilm_apeospro-c810: no prtMarkerTable
    "ricoh": [  # ricoh_aficio-mp-c3002: unit 8, life 271871, power-on 138
        ("total", 271871, "sheets"),
        ("power_on", 138, "sheets"),
        ("print", 190000, "impressions"),
        ("fax", 1871, "impressions"),
        ("copy", 80000, "impressions"),
        ("print_mono", 150000, "impressions"),
        ("print_colour", 40000, "impressions"),
        ("copy_mono", 60000, "impressions"),
        ("copy_colour", 20000, "impressions"),
    ],
}

# sysObjectID.0 and identity of each fixture, copied by hand from its lines.
IDENTITY = {
    "kyocera": ("1.3.6.1.4.1.1347.41", "R9L0309954", SerialSource.VENDOR_MIB),
    "canon": ("1.3.6.1.4.1.1602.4.3", None, None),
    "brother": ("1.3.6.1.4.1.2435.2.3.9.1", "000A5J431816", SerialSource.VENDOR_MIB),
    "epson": (
        "1.3.6.1.4.1.1248.1.1.2.1.3.5.69.69.80.83.50",
        "X3B8022793",
        SerialSource.PRINTER_MIB,
    ),
    "fujifilm": (
        "1.3.6.1.4.1.297.1.11.93.2.1.3.5.5",
        "TC101630131338",
        SerialSource.PRINTER_MIB,
    ),
    "ricoh": ("1.3.6.1.4.1.367.1.1", "W492KB03439", SerialSource.PRINTER_MIB),
}


@pytest.fixture(scope="module")
def simulator() -> Iterator[SnmpSimulator]:
    """snmpsim serving the vendor fixtures (community = file name), stopped afterwards."""
    with running_snmpsim(FIXTURES, probe_community="vendor_ricoh") as running:
        yield running


def target(simulator: SnmpSimulator, profile: str) -> SnmpTarget:
    return SnmpTarget(simulator.host, simulator.port, f"vendor_{profile}")


def test_every_profile_with_counters_has_a_fixture_and_expectations() -> None:
    with_counters = {profile.name for profile in packaged_profiles() if profile.counters}
    tested_elsewhere = {"sharp", "konicaminolta", "hp"}  # real recordings: test_snmp_recordings
    assert with_counters - tested_elsewhere == set(PROFILE_COUNTERS)
    assert {path.stem for path in FIXTURES.glob("*.snmprec")} == {
        f"vendor_{name}" for name in PROFILE_COUNTERS
    }
    assert set(READING_COUNTERS) == set(IDENTITY) == set(PROFILE_COUNTERS)


@on_module_loop
@pytest.mark.parametrize("name", sorted(PROFILE_COUNTERS))
async def test_every_mapped_counter_is_read_over_snmp(simulator: SnmpSimulator, name: str) -> None:
    sys_object_id = IDENTITY[name][0]
    profile = select_profile(packaged_profiles(), sys_object_id, None)
    assert profile is not None
    assert profile.name == name
    values = await get(target(simulator, name), profile.oids, timeout_s=TIMEOUT_S, retries=RETRIES)
    values |= await walk(
        target(simulator, name), profile.table_columns, timeout_s=TIMEOUT_S, retries=RETRIES
    )
    counters = vendor_counters(profile, values)
    assert [(c.name, c.value, c.unit) for c in counters] == PROFILE_COUNTERS[name]
    assert len(counters) == len(profile.counters)  # every mapping answered, none left out


@on_module_loop
@pytest.mark.parametrize("name", sorted(READING_COUNTERS))
async def test_the_reading_carries_the_profile_counters(
    simulator: SnmpSimulator, name: str
) -> None:
    reading = await read_printer(target(simulator, name), timeout_s=TIMEOUT_S, retries=RETRIES)
    sys_object_id, serial, source = IDENTITY[name]
    assert reading.sys_object_id == sys_object_id
    if serial is not None:
        assert (reading.serial, reading.serial_source) == (serial, source)
    assert [(c.name, c.value, c.unit) for c in reading.counters] == READING_COUNTERS[name]
    assert "vendor profile" not in (reading.partial_reason or "")


TABLE_COUNTERS = {"print_mono", "print_colour", "copy_mono", "copy_colour"}


def ricoh_profile(**update: object) -> VendorProfile:
    [ricoh] = [profile for profile in packaged_profiles() if profile.name == "ricoh"]
    return ricoh.model_copy(update=update)


def test_the_ricoh_table_counters_are_the_ones_mapped_by_row() -> None:
    ricoh = ricoh_profile()
    assert {c.name for c in ricoh.counters if c.table is not None} == TABLE_COUNTERS
    assert ricoh.table_columns == (
        (1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 2, 19, 5, 1, 2),  # ricohEngCounterType
        (1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 2, 19, 5, 1, 9),  # ricohEngCounterValue
    )


@on_module_loop
async def test_a_printer_without_the_counter_table_gets_no_table_counter(
    simulator: SnmpSimulator,
) -> None:
    # The Kyocera fixture has no ricohEngCounterTable (nor any Ricoh object): read it with the
    # Ricoh profile made to match it, the table walk finds nothing and invents nothing.
    profile = ricoh_profile(match=ProfileMatch(sys_object_id_prefixes=["1.3.6.1.4.1.1347"]))
    reading = await read_printer(
        target(simulator, "kyocera"), timeout_s=TIMEOUT_S, retries=RETRIES, profiles=[profile]
    )
    assert [(c.name, c.value, c.unit) for c in reading.counters] == [
        ("total", 427, "impressions"),
        ("power_on", 11, "impressions"),
    ]
    assert "vendor profile" not in (reading.partial_reason or "")


@on_module_loop
async def test_a_table_without_the_wanted_row_gives_no_counter_and_no_note(
    simulator: SnmpSimulator,
) -> None:
    # The fixture's table has no row of type 404: print_mono is left out, and as a machine
    # that does not count something is not a faulty reading, nothing is said.
    counters = [
        c.model_copy(update={"match_value": 404}) if c.name == "print_mono" else c
        for c in ricoh_profile().counters
    ]
    profile = ricoh_profile(counters=counters)
    reading = await read_printer(
        target(simulator, "ricoh"), timeout_s=TIMEOUT_S, retries=RETRIES, profiles=[profile]
    )
    expected = [c for c in READING_COUNTERS["ricoh"] if c[0] != "print_mono"]
    assert [(c.name, c.value, c.unit) for c in reading.counters] == expected
    assert "vendor profile" not in (reading.partial_reason or "")
