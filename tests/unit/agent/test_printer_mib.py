"""Mapping walked Printer-MIB / Host Resources OIDs to a reading, on hand-built walks.

Numbers come from RFC 3805 (Printer-MIB), IANA-PRINTER-MIB and RFC 2790 (Host Resources).
"""

from __future__ import annotations

import pytest

from remotecare.agent.printer_mib import (
    SUBTREES,
    Oid,
    SnmpValue,
    build_reading,
    decode_error_state,
)
from remotecare.errors import ProbeError
from remotecare.protocol.messages import Alert, SerialSource, Supply, SupplyClass, SupplyState

SERIAL = "1.3.6.1.2.1.43.5.1.1.17.1"
IF_PHYS = "1.3.6.1.2.1.2.2.1.6"
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
HR_DEVICE = "1.3.6.1.2.1.25.3.2.1"
HR_PRINTER = "1.3.6.1.2.1.25.3.5.1"
INPUT = "1.3.6.1.2.1.43.8.2.1"
MARKER = "1.3.6.1.2.1.43.10.2.1"
SUPPLIES = "1.3.6.1.2.1.43.11.1.1"
COLORANT = "1.3.6.1.2.1.43.12.1.1"
ALERT = "1.3.6.1.2.1.43.18.1.1"
PRINTER_TYPE = "1.3.6.1.2.1.25.3.1.5"  # hrDevicePrinter
PROCESSOR_TYPE = "1.3.6.1.2.1.25.3.1.3"  # hrDeviceProcessor

# Supplies columns (prtMarkerSuppliesEntry)
COLORANT_INDEX, CLASS, TYPE, DESCRIPTION, UNIT, MAX, LEVEL = 3, 4, 5, 6, 7, 8, 9
CONSUMED, RECEPTACLE = 3, 4  # PrtMarkerSuppliesClassTC
TONER, WASTE_TONER = 3, 4  # PrtMarkerSuppliesTypeTC


def walk(entries: dict[str, SnmpValue]) -> dict[Oid, SnmpValue]:
    return {tuple(int(part) for part in oid.split(".")): value for oid, value in entries.items()}


def identified(entries: dict[str, SnmpValue]) -> dict[Oid, SnmpValue]:
    """A walk with a serial number, so the reading can be identified."""
    return walk({SERIAL: b"SN-1", **entries})


def supply(columns: dict[int, SnmpValue], index: int = 1) -> Supply:
    entries = {f"{SUPPLIES}.{column}.1.{index}": value for column, value in columns.items()}
    [only] = build_reading(identified(entries)).supplies
    return only


# --- identity and model ---------------------------------------------------------------------


def test_reads_the_serial_from_prt_general_serial_number() -> None:
    reading = build_reading(walk({SERIAL: b"W492KB03439\x00\x00", f"{IF_PHYS}.1": bytes(6)}))
    assert reading.serial == "W492KB03439"
    assert reading.serial_source is SerialSource.PRINTER_MIB


def test_falls_back_to_the_first_non_zero_mac_address() -> None:
    values = walk(
        {
            f"{IF_PHYS}.1": b"",  # loopback
            f"{IF_PHYS}.2": bytes(6),  # all zero
            f"{IF_PHYS}.3": bytes.fromhex("3C2AF4BFF51B"),
            f"{IF_PHYS}.4": bytes.fromhex("C0B5D7E7384B"),
        }
    )
    reading = build_reading(values)
    assert reading.serial == "mac:3c:2a:f4:bf:f5:1b"
    assert reading.serial_source is SerialSource.MAC_ADDRESS


def test_an_empty_serial_number_falls_back_to_the_mac_address() -> None:
    reading = build_reading(
        walk({SERIAL: b"  \x00", f"{IF_PHYS}.1": bytes.fromhex("0017c8945f14")})
    )
    assert reading.serial == "mac:00:17:c8:94:5f:14"


def test_refuses_a_printer_that_cannot_be_identified() -> None:
    values = walk({SYS_DESCR: b"Acme", f"{IF_PHYS}.1": bytes(6)})
    with pytest.raises(ProbeError, match="cannot identify"):
        build_reading(values, failed={"prtGeneralSerialNumber": "timeout"})


def test_a_printer_without_any_identity_gets_the_weak_one_it_is_given() -> None:
    sys_object_id = "1.3.6.1.4.1.18334.1.1.1.2.1.117.2.2"
    values = walk(
        {
            SYS_DESCR: b"Acme",
            "1.3.6.1.2.1.1.2.0": sys_object_id,
            f"{IF_PHYS}.1": bytes(6),
            f"{MARKER}.4.1.1": 1234,
        }
    )
    asked: list[str | None] = []

    def weak_identity(oid: str | None) -> str:
        asked.append(oid)
        return "weak:0123456789abcdef0123456789abcdef"

    reading = build_reading(values, weak_identity=weak_identity)

    assert reading.serial == "weak:0123456789abcdef0123456789abcdef"
    assert reading.serial_source is SerialSource.WEAK
    assert asked == [sys_object_id]
    assert [(c.name, c.value) for c in reading.counters] == [("total", 1234)]


def test_a_printer_with_a_mac_address_never_gets_a_weak_identity() -> None:
    values = walk({f"{IF_PHYS}.1": bytes.fromhex("0017c8945f14")})

    reading = build_reading(values, weak_identity=lambda oid: "weak:never")

    assert reading.serial_source is SerialSource.MAC_ADDRESS


def test_model_is_the_description_of_the_printer_device_not_the_first_device() -> None:
    values = identified(
        {
            SYS_DESCR: b"Acme NIC firmware 1.0",
            f"{HR_DEVICE}.2.1": PROCESSOR_TYPE,
            f"{HR_DEVICE}.2.2": PRINTER_TYPE,
            f"{HR_DEVICE}.3.1": b"ARM CPU",
            f"{HR_DEVICE}.3.2": b"Acme LaserWriter 9000",
            f"{HR_DEVICE}.5.1": 2,
            f"{HR_DEVICE}.5.2": 5,
        }
    )
    reading = build_reading(values)
    assert reading.model == "Acme LaserWriter 9000"
    assert reading.status.device_status == "down"


def test_model_falls_back_to_sys_descr_without_host_resources() -> None:
    reading = build_reading(identified({SYS_DESCR: b"FUJIFILM ApeosPro C810"}))
    assert reading.model == "FUJIFILM ApeosPro C810"
    assert reading.status.device_status == "unknown"


# --- hrPrinterDetectedErrorState ---------------------------------------------------------------

RUNNING, WARNING, DOWN = 2, 3, 5  # hrDeviceStatus


@pytest.mark.parametrize(
    ("raw", "device_status", "conditions"),
    [
        (b"", WARNING, []),  # empty string: no condition
        (b"\x00", RUNNING, []),
        (b"\x00\x00", RUNNING, []),
        (b"\x80", DOWN, ["lowPaper"]),  # bit 0 is the MSB of the first octet
        (b"\x01", WARNING, ["serviceRequested"]),  # bit 7
        (b"\x01\x00", WARNING, ["serviceRequested"]),  # Konica bizhub C250i
        (b"\x20\x00", WARNING, ["lowToner"]),  # Sharp MX-3570N
        (b"\x08\x80", DOWN, ["doorOpen", "inputTrayMissing"]),  # bits 4 and 8
        (b"\x00\x02", WARNING, ["overduePreventMaint"]),  # bit 14
        (b"\x00\x01", RUNNING, []),  # bit 15 is not defined
        (b"\x40\x00\xff\xff", DOWN, ["noPaper"]),  # octets after the second are ignored
        (
            b"\xff\xfe",
            DOWN,
            [
                "lowPaper",
                "noPaper",
                "lowToner",
                "noToner",
                "doorOpen",
                "jammed",
                "offline",
                "serviceRequested",
                "inputTrayMissing",
                "outputTrayMissing",
                "markerSupplyMissing",
                "outputNearFull",
                "outputFull",
                "inputTrayEmpty",
                "overduePreventMaint",
            ],
        ),
    ],
)
def test_decodes_error_state_bit_by_bit(
    raw: bytes, device_status: int, conditions: list[str]
) -> None:
    assert decode_error_state(raw, device_status) == conditions


@pytest.mark.parametrize("device_status", [RUNNING, 1, 4, None])
def test_a_space_is_padding_when_the_device_reports_no_alert(device_status: int | None) -> None:
    assert decode_error_state(b" ", device_status) == []
    assert decode_error_state(b"  ", device_status) == []


@pytest.mark.parametrize("device_status", [WARNING, DOWN])
def test_a_space_is_low_toner_when_the_device_reports_an_alert(device_status: int) -> None:
    assert decode_error_state(b" ", device_status) == ["lowToner"]


def test_status_uses_the_printer_rows_of_both_host_resources_tables() -> None:
    values = identified(
        {
            f"{HR_DEVICE}.2.1": PRINTER_TYPE,
            f"{HR_DEVICE}.5.1": WARNING,
            f"{HR_PRINTER}.1.1": 4,  # printing
            f"{HR_PRINTER}.2.1": b"\x20",
        }
    )
    status = build_reading(values).status
    assert (status.device_status, status.printer_status) == ("warning", "printing")
    assert status.error_conditions == ["lowToner"]


# --- supplies: levels -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "state"),
    [(-1, SupplyState.UNLIMITED), (-2, SupplyState.UNKNOWN), (-3, SupplyState.SOME_REMAINING)],
)
def test_special_levels_stay_named_states(level: int, state: SupplyState) -> None:
    got = supply({TYPE: TONER, MAX: 100, LEVEL: level})
    assert (got.level, got.max_capacity, got.percent, got.state) == (None, 100, None, state)


@pytest.mark.parametrize("max_capacity", [-1, -2])
def test_special_max_capacity_gives_no_max_and_no_percent(max_capacity: int) -> None:
    got = supply({TYPE: TONER, MAX: max_capacity, LEVEL: 40})
    assert (got.level, got.max_capacity, got.percent) == (40, None, None)
    assert got.state is SupplyState.SOME_REMAINING


def test_unknown_max_with_unknown_level_is_unknown() -> None:
    got = supply({TYPE: 15, MAX: -2, LEVEL: -2})  # Sharp's fusing unit
    assert (got.level, got.max_capacity, got.percent, got.state) == (
        None,
        None,
        None,
        SupplyState.UNKNOWN,
    )


@pytest.mark.parametrize(
    ("level", "percent", "state"),
    [
        (100, 100.0, SupplyState.OK),
        (11, 11.0, SupplyState.OK),
        (10, 10.0, SupplyState.LOW),  # at the threshold
        (1, 1.0, SupplyState.LOW),
        (0, 0.0, SupplyState.EMPTY),
    ],
)
def test_a_consumed_supply_reports_what_is_left(
    level: int, percent: float, state: SupplyState
) -> None:
    got = supply({CLASS: CONSUMED, TYPE: TONER, MAX: 100, LEVEL: level})
    assert (got.level, got.max_capacity, got.percent, got.state) == (level, 100, percent, state)


def test_percent_is_relative_to_the_max_capacity() -> None:
    got = supply({CLASS: CONSUMED, TYPE: TONER, MAX: 45000, LEVEL: 22050})
    assert got.percent == pytest.approx(49.0)


@pytest.mark.parametrize(
    ("level", "percent_full", "state"),
    [
        (100, 0.0, SupplyState.OK),  # Ricoh: level is the remaining space, so 100/100 is empty
        (20, 80.0, SupplyState.OK),
        (11, 89.0, SupplyState.OK),
        (10, 90.0, SupplyState.NEARLY_FULL),
        (5, 95.0, SupplyState.NEARLY_FULL),
        (0, 100.0, SupplyState.FULL),
    ],
)
def test_a_receptacle_reports_how_full_it_is(
    level: int, percent_full: float, state: SupplyState
) -> None:
    got = supply({CLASS: RECEPTACLE, TYPE: WASTE_TONER, MAX: 100, LEVEL: level})
    assert got.supply_class is SupplyClass.RECEPTACLE
    assert (got.level, got.percent, got.state) == (level, percent_full, state)


def test_a_receptacle_with_some_space_left_is_a_state() -> None:
    got = supply({TYPE: WASTE_TONER, DESCRIPTION: b"Waste Toner Box", MAX: -2, LEVEL: -3})
    assert got.supply_class is SupplyClass.RECEPTACLE
    assert (got.level, got.max_capacity, got.percent, got.state) == (
        None,
        None,
        None,
        SupplyState.SOME_REMAINING,
    )


@pytest.mark.parametrize("supply_class", [CONSUMED, RECEPTACLE])
def test_a_level_above_max_never_gives_a_percent_above_100(supply_class: int) -> None:
    got = supply({CLASS: supply_class, TYPE: TONER, MAX: 100, LEVEL: 150})  # Brother "150 %"
    assert (got.level, got.max_capacity, got.percent, got.state) == (
        150,
        100,
        None,
        SupplyState.UNKNOWN,
    )


def test_a_missing_level_column_is_unknown() -> None:
    got = supply({TYPE: TONER, DESCRIPTION: b"Black Toner", MAX: 100})
    assert (got.level, got.percent, got.state) == (None, None, SupplyState.UNKNOWN)


# --- supplies: type, class, colour, unit ----------------------------------------------------


def test_names_type_class_and_unit_from_their_columns() -> None:
    got = supply(
        {CLASS: CONSUMED, TYPE: 21, DESCRIPTION: b"Cartridge", UNIT: 13, MAX: 10, LEVEL: 5}
    )
    assert (got.type, got.supply_class, got.unit) == (
        "tonerCartridge",
        SupplyClass.CONSUMED,
        "tenthsOfGrams",
    )


def test_the_class_column_wins_over_the_type() -> None:
    got = supply({CLASS: 1, TYPE: WASTE_TONER, MAX: 100, LEVEL: 50})
    assert got.supply_class is SupplyClass.OTHER
    assert got.percent == 50.0  # "other" is read as a container: percent left


def test_an_out_of_range_type_is_marked_unrecognized() -> None:
    assert supply({TYPE: 99, MAX: 100, LEVEL: 50}).type == "unrecognized(99)"


@pytest.mark.parametrize(
    ("supply_type", "supply_class"),
    [
        (WASTE_TONER, SupplyClass.RECEPTACLE),
        (8, SupplyClass.RECEPTACLE),  # wasteInk
        (14, SupplyClass.RECEPTACLE),  # wasteWax
        (TONER, SupplyClass.CONSUMED),
        (9, SupplyClass.CONSUMED),  # opc
        (1, SupplyClass.CONSUMED),  # other, and nothing says waste
    ],
)
def test_without_a_class_column_the_class_follows_the_type(
    supply_type: int, supply_class: SupplyClass
) -> None:
    assert supply({TYPE: supply_type, MAX: 100, LEVEL: 50}).supply_class is supply_class


@pytest.mark.parametrize(
    ("description", "supply_type", "supply_class"),
    [
        (b"Waste Toner Box", "wasteToner", SupplyClass.RECEPTACLE),
        (b"CANON Waste Ink Tank", "wasteInk", SupplyClass.RECEPTACLE),
        (b"Waste Container", "unknown", SupplyClass.RECEPTACLE),
        (b"Toner (Cyan)", "toner", SupplyClass.CONSUMED),
        (b"Drum Cartridge (Black)", "opc", SupplyClass.CONSUMED),
        (b"Developer Cartridge (Cyan)", "developer", SupplyClass.CONSUMED),
        (b"Fusing Unit", "fuser", SupplyClass.CONSUMED),
        (b"Image Transfer Belt Unit", "transferUnit", SupplyClass.CONSUMED),
        (b"Black Cartridge HP CF410A", "unknown", SupplyClass.CONSUMED),  # toner or ink?
        (b"Ozone Filter", "unknown", SupplyClass.CONSUMED),
        (b"Pink Inkjet Thing", "unknown", SupplyClass.CONSUMED),  # words, not substrings
    ],
)
def test_without_type_columns_the_type_is_inferred_conservatively(
    description: bytes, supply_type: str, supply_class: SupplyClass
) -> None:
    got = supply({DESCRIPTION: description, MAX: 100, LEVEL: 50})
    assert (got.type, got.supply_class) == (supply_type, supply_class)


def test_colour_comes_from_the_colorant_table() -> None:
    values = identified(
        {
            f"{SUPPLIES}.{COLORANT_INDEX}.1.1": 2,
            f"{SUPPLIES}.{DESCRIPTION}.1.1": b"Cartridge 1",
            f"{SUPPLIES}.{COLORANT_INDEX}.1.2": 0,  # not a colorant
            f"{SUPPLIES}.{DESCRIPTION}.1.2": b"Yellow Drum",
            f"{COLORANT}.4.1.1": b"cyan",
            f"{COLORANT}.4.1.2": b"Magenta",
        }
    )
    assert [s.colour for s in build_reading(values).supplies] == ["magenta", "yellow"]


@pytest.mark.parametrize(
    ("description", "colour"),
    [
        (b"Black Toner", "black"),
        (b"Toner (Cyan)", "cyan"),
        (b"CANON Matte Black Ink Tank", "black"),
        (b"Light Cyan Ink", "light cyan"),
        (b"Waste Toner Box", None),
        (b"Tri-colour Cyan Magenta Yellow", None),  # several colours: none
        (b"Blackish", None),
    ],
)
def test_without_colorants_the_colour_comes_from_the_description(
    description: bytes, colour: str | None
) -> None:
    assert supply({DESCRIPTION: description, MAX: 100, LEVEL: 50}).colour == colour


def test_every_supply_row_is_kept_even_with_gaps_in_the_index() -> None:
    values = identified(
        {
            f"{SUPPLIES}.{DESCRIPTION}.1.2": b"Yellow Toner",
            f"{SUPPLIES}.{DESCRIPTION}.1.31": b"Black Toner 2",
            f"{SUPPLIES}.{LEVEL}.1.31": 20700,
            f"{SUPPLIES}.{MAX}.1.31": 23000,
        }
    )
    supplies = build_reading(values).supplies
    assert [(s.index, s.description) for s in supplies] == [
        (2, "Yellow Toner"),
        (31, "Black Toner 2"),
    ]
    assert supplies[1].percent == pytest.approx(90.0)


def test_a_long_description_is_shortened_to_the_wire_limit() -> None:
    got = supply({DESCRIPTION: b"x" * 400, MAX: 100, LEVEL: 50})
    assert len(got.description) == 256


# --- counters ----------------------------------------------------------------------------------


def test_life_count_is_the_total_with_its_unit() -> None:
    values = identified({f"{MARKER}.3.1.1": 8, f"{MARKER}.4.1.1": 271871, f"{MARKER}.5.1.1": 138})
    counters = [(c.name, c.value, c.unit) for c in build_reading(values).counters]
    assert counters == [("total", 271871, "sheets"), ("power_on", 138, "sheets")]


def test_extra_markers_are_counted_apart() -> None:
    values = identified(
        {
            f"{MARKER}.3.1.1": 7,
            f"{MARKER}.3.1.2": 17,
            f"{MARKER}.4.1.1": 1000,
            f"{MARKER}.4.1.2": 52,
            f"{MARKER}.5.1.1": 10,
        }
    )
    counters = [(c.name, c.value, c.unit) for c in build_reading(values).counters]
    assert counters == [
        ("total", 1000, "impressions"),
        ("power_on", 10, "impressions"),
        ("total_marker_2", 52, "meters"),
    ]


def test_a_counter_without_its_unit_column_says_unknown() -> None:
    values = identified({f"{MARKER}.4.1.1": 33810, f"{MARKER}.5.1.1": 46})  # Konica C250i
    counters = [(c.name, c.value, c.unit) for c in build_reading(values).counters]
    assert counters == [("total", 33810, "unknown"), ("power_on", 46, "unknown")]


# --- trays -------------------------------------------------------------------------------------


def test_trays_have_names_media_and_level_states() -> None:
    values = identified(
        {
            f"{INPUT}.9.1.1": 550,
            f"{INPUT}.9.1.2": 550,
            f"{INPUT}.9.1.3": 100,
            f"{INPUT}.9.1.4": 250,
            f"{INPUT}.10.1.1": 55,
            f"{INPUT}.10.1.2": 0,
            f"{INPUT}.10.1.3": -3,
            f"{INPUT}.10.1.4": -2,
            f"{INPUT}.12.1.1": b"A4",
            f"{INPUT}.13.1.1": b"Tray 1",
            f"{INPUT}.13.1.2": b"Tray 2",
            f"{INPUT}.13.1.3": b"Bypass Tray",
        }
    )
    trays = [
        (t.index, t.name, t.media, t.level, t.max_capacity, t.state)
        for t in build_reading(values).trays
    ]
    assert trays == [
        (1, "Tray 1", "A4", 55, 550, SupplyState.LOW),
        (2, "Tray 2", None, 0, 550, SupplyState.EMPTY),
        (3, "Bypass Tray", None, None, 100, SupplyState.SOME_REMAINING),
        (4, "", None, None, 250, SupplyState.UNKNOWN),
    ]


# --- alerts ------------------------------------------------------------------------------------


def test_alert_rows_are_named_per_rfc_3805() -> None:
    values = identified(
        {
            f"{ALERT}.2.1.1": 3,
            f"{ALERT}.2.1.2": 4,
            f"{ALERT}.2.1.7": 5,
            f"{ALERT}.3.1.1": 3,
            f"{ALERT}.3.1.2": 4,
            f"{ALERT}.3.1.7": 7,
            f"{ALERT}.4.1.1": 6,
            f"{ALERT}.4.1.2": 11,
            f"{ALERT}.4.1.7": 8,
            f"{ALERT}.5.1.1": 1,
            f"{ALERT}.5.1.2": 2,
            f"{ALERT}.5.1.7": -1,
            f"{ALERT}.6.1.1": -2,
            f"{ALERT}.6.1.2": 5,
            f"{ALERT}.6.1.7": -1,
            f"{ALERT}.7.1.1": 3,
            f"{ALERT}.7.1.2": 1104,
            f"{ALERT}.7.1.7": 30203,  # a finisher code this table does not name
            f"{ALERT}.8.1.1": b"Front cover open",
            f"{ALERT}.8.1.2": b"Toner low (Cyan)",
            f"{ALERT}.9.1.1": 12345,
            f"{ALERT}.9.1.2": 2000,
        }
    )
    assert build_reading(values).alerts == [
        Alert(
            index=1,
            severity="critical",
            training_level="untrained",
            group="cover",
            group_index=1,
            location=None,
            code="coverOpen",
            description="Front cover open",
            time_ticks=12345,
        ),
        Alert(
            index=2,
            severity="warning",
            training_level="trained",
            group="markerSupplies",
            group_index=2,
            location=5,
            code="markerTonerAlmostEmpty",
            description="Toner low (Cyan)",
            time_ticks=2000,
        ),
        Alert(
            index=7,
            severity="warningBinaryChangeEvent",
            training_level="noInterventionRequired",
            group="input",
            group_index=None,
            location=None,
            code="unrecognized(30203)",
            description="",
            time_ticks=None,
        ),
    ]


def test_an_empty_alert_table_means_no_alert_and_no_gap() -> None:
    reading = build_reading(identified({}))
    assert reading.alerts == []
    assert "prtAlertTable" not in (reading.partial_reason or "")


# --- partial readings --------------------------------------------------------------------------


def test_a_complete_walk_is_not_partial() -> None:
    values = identified(
        {
            SYS_DESCR: b"Acme",
            f"{HR_DEVICE}.2.1": PRINTER_TYPE,
            f"{HR_PRINTER}.2.1": b"\x00",
            f"{INPUT}.9.1.1": 100,
            f"{MARKER}.4.1.1": 5,
            f"{SUPPLIES}.{LEVEL}.1.1": 5,
        }
    )
    assert build_reading(values).partial_reason is None


def test_names_failed_and_missing_subtrees_without_inventing_values() -> None:
    values = identified({SYS_DESCR: b"Acme", f"{SUPPLIES}.{LEVEL}.1.1": 5})
    reading = build_reading(values, failed={"prtMarkerTable": "timeout"})
    reason = reading.partial_reason or ""
    assert "failed: prtMarkerTable (timeout)" in reason
    for missing in ("hrDeviceTable", "hrPrinterTable", "prtInputTable"):
        assert missing in reason
    assert "prtMarkerSuppliesTable" not in reason
    assert reading.counters == []
    assert reading.trays == []
    assert reading.status.device_status == "unknown"
    assert reading.status.printer_status is None


def test_a_printer_without_any_model_text_says_so() -> None:
    reading = build_reading(identified({f"{HR_DEVICE}.5.1": RUNNING}))
    assert reading.model == ""
    assert "model" in (reading.partial_reason or "")


def test_every_walked_subtree_has_a_distinct_name() -> None:
    names = [subtree.name for subtree in SUBTREES]
    assert len(set(names)) == len(names)


# --- covers, console display, sysObjectID ------------------------------------------------------

COVER = "1.3.6.1.2.1.43.6.1.1"  # prtCoverEntry: 2 description, 3 status
CONSOLE_TEXT = "1.3.6.1.2.1.43.16.5.1.2"  # prtConsoleDisplayBufferText
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"


def test_covers_name_their_status_per_rfc_3805() -> None:
    values = identified(
        {
            f"{COVER}.2.1.1": b"Front Cover",
            f"{COVER}.2.1.2": b"Right Door",
            f"{COVER}.2.1.3": b"Toner Door",
            f"{COVER}.2.1.4": b"Rear Interlock",
            f"{COVER}.2.1.5": b"Top",
            f"{COVER}.3.1.1": 3,  # coverOpen
            f"{COVER}.3.1.2": 4,  # coverClosed
            f"{COVER}.3.1.3": 5,  # interlockOpen
            f"{COVER}.3.1.4": 6,  # interlockClosed
            f"{COVER}.3.1.5": 1,  # other
            f"{COVER}.3.1.6": 9,  # outside PrtCoverStatusTC, and no description
        }
    )
    covers = [(c.index, c.description, c.status, c.open) for c in build_reading(values).covers]
    assert covers == [
        (1, "Front Cover", "open", True),
        (2, "Right Door", "closed", False),
        (3, "Toner Door", "interlock_open", True),
        (4, "Rear Interlock", "interlock_closed", False),
        (5, "Top", "other", None),
        (6, "", "unrecognized(9)", None),
    ]


def test_a_cover_without_status_is_unknown_not_closed() -> None:
    [cover] = build_reading(identified({f"{COVER}.2.1.1": b"Front Cover"})).covers
    assert (cover.status, cover.open) == ("unknown", None)


def test_console_lines_are_kept_in_order_without_empty_ones() -> None:
    values = identified(
        {
            f"{CONSOLE_TEXT}.1.2": b"Close front cover",
            f"{CONSOLE_TEXT}.1.1": b"Door open\x00\x00",
            f"{CONSOLE_TEXT}.1.3": b"   ",
        }
    )
    assert build_reading(values).display_text == ["Door open", "Close front cover"]


def test_sys_object_id_is_kept_only_when_it_is_an_oid() -> None:
    assert build_reading(identified({SYS_OBJECT_ID: "1.3.6.1.4.1.367.1.1"})).sys_object_id == (
        "1.3.6.1.4.1.367.1.1"
    )
    assert build_reading(identified({SYS_OBJECT_ID: b"1.3.6"})).sys_object_id is None
    assert build_reading(identified({})).sys_object_id is None


def test_a_reading_of_an_older_agent_without_the_new_fields_still_validates() -> None:
    old = build_reading(identified({})).model_dump(
        mode="json", exclude={"covers", "display_text", "sys_object_id"}
    )
    reading = type(build_reading(identified({}))).model_validate(old)
    assert (reading.covers, reading.display_text, reading.sys_object_id) == ([], [], None)
