"""The pure IPP mapping: attributes as the codec gives them -> the reading.

Expected values are worked out by hand: a printer-supply ``level`` is
prtMarkerSuppliesLevel (RFC 3805), so a consumable's percent is level / max * 100 and a
receptacle's is (max - level) / max * 100 (its level is the space left); LOW at or below
10 % left, NEARLY_FULL at or above 90 % full. marker-levels are CUPS percentages: left
for a consumable, full for a waste marker.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from remotecare.agent.ipp_attributes import (
    build_reading,
    parse_device_id,
    parse_key_values,
    parse_reason,
)
from remotecare.agent.probes.ipp_codec import IppValue
from remotecare.errors import ProbeError
from remotecare.protocol.messages import (
    Alert,
    Counter,
    SerialSource,
    Supply,
    SupplyClass,
    SupplyState,
    Tray,
)

CONSUMED, RECEPTACLE = SupplyClass.CONSUMED, SupplyClass.RECEPTACLE
OK, LOW, EMPTY = SupplyState.OK, SupplyState.LOW, SupplyState.EMPTY
FULL, NEARLY_FULL, UNKNOWN = SupplyState.FULL, SupplyState.NEARLY_FULL, SupplyState.UNKNOWN

Attributes = dict[str, Sequence[IppValue]]


def printer(**extra: Sequence[IppValue]) -> Attributes:
    """A minimal identified printer; keyword arguments use _ for - in attribute names."""
    attributes: Attributes = {
        "printer-device-id": ("MFG:Acme;MDL:PX-9000;CMD:PWG;SN:ACM123456;",),
        "printer-make-and-model": ("Acme PX-9000",),
        "printer-state": (3,),
        "printer-state-reasons": ("none",),
    }
    attributes.update({name.replace("_", "-"): values for name, values in extra.items()})
    return attributes


def supply_line(**fields: object) -> bytes:
    return "".join(f"{key}={value};" for key, value in fields.items()).encode()


# --- identity ------------------------------------------------------------------------------


def test_takes_the_serial_number_from_the_device_id() -> None:
    reading = build_reading(printer())

    assert reading.serial == "ACM123456"
    assert reading.serial_source is SerialSource.IPP
    assert reading.model == "Acme PX-9000"


def test_accepts_sern_as_the_serial_key_of_the_device_id() -> None:
    reading = build_reading(printer(printer_device_id=("MFG:Ricoh;MDL:IM C3000;SERN:E123;",)))

    assert reading.serial == "E123"


def test_falls_back_to_the_printer_uuid_when_the_device_id_has_no_serial() -> None:
    reading = build_reading(
        printer(
            printer_device_id=("MFG:Acme;MDL:PX-9000;",),
            printer_uuid=("urn:uuid:1A5F85C7-2B27-34E6-56DC-04AD98D390DB",),
        )
    )

    assert reading.serial == "uuid:1a5f85c7-2b27-34e6-56dc-04ad98d390db"
    assert reading.serial_source is SerialSource.IPP


def test_a_printer_without_serial_or_uuid_cannot_be_identified() -> None:
    with pytest.raises(ProbeError, match="cannot identify"):
        build_reading(printer(printer_device_id=("MFG:Acme;MDL:PX-9000;",)))


def test_a_printer_without_serial_or_uuid_gets_the_weak_identity_it_is_given() -> None:
    asked: list[str | None] = []

    def weak_identity(oid: str | None) -> str:
        asked.append(oid)
        return "weak:0123456789abcdef0123456789abcdef"

    reading = build_reading(
        printer(printer_device_id=("MFG:Acme;MDL:PX-9000;",)), weak_identity=weak_identity
    )

    assert reading.serial == "weak:0123456789abcdef0123456789abcdef"
    assert reading.serial_source is SerialSource.WEAK
    assert asked == [None]  # IPP has no sysObjectID


def test_builds_the_model_from_the_device_id_without_make_and_model() -> None:
    attributes = printer()
    del attributes["printer-make-and-model"]

    assert build_reading(attributes).model == "Acme PX-9000"


# --- status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "reasons", "device_status", "printer_status", "conditions"),
    [
        (3, ("none",), "running", "idle", []),
        (4, ("toner-low-report",), "running", "printing", ["lowToner"]),
        (3, ("toner-low-warning",), "warning", "idle", ["lowToner"]),
        (3, ("media-empty-error", "media-low-report"), "warning", "idle", ["noPaper", "lowPaper"]),
        (5, ("media-jam-error",), "down", "other", ["jammed"]),
        (5, ("paused",), "down", "other", ["paused"]),  # no suffix: an error (RFC 8011)
        (5, ("moving-to-paused-warning",), "warning", "other", ["moving-to-paused"]),
        (5, ("none",), "warning", "other", []),
    ],
)
def test_maps_printer_state_and_reasons_to_device_status(
    state: int,
    reasons: tuple[str, ...],
    device_status: str,
    printer_status: str,
    conditions: list[str],
) -> None:
    status = build_reading(printer(printer_state=(state,), printer_state_reasons=reasons)).status

    assert status.device_status == device_status
    assert status.printer_status == printer_status
    assert status.error_conditions == conditions


def test_names_reasons_as_the_snmp_side_where_they_mean_the_same_condition() -> None:
    reasons = (
        "cover-open-warning",
        "door-open-report",  # the same doorOpen: named once
        "toner-empty-error",
        "output-area-almost-full-report",
        "marker-waste-almost-full-warning",
        "interlock-open-error",
        "com.acme-fuser-error",
    )

    status = build_reading(printer(printer_state=(5,), printer_state_reasons=reasons)).status

    assert status.error_conditions == [
        "doorOpen",
        "noToner",
        "outputNearFull",
        "marker-waste-almost-full",
        "interlock-open",
        "com.acme-fuser",
    ]


def test_without_printer_state_the_status_is_unknown_and_named_missing() -> None:
    attributes = printer()
    del attributes["printer-state"]

    reading = build_reading(attributes)

    assert reading.status.device_status == "unknown"
    assert reading.status.printer_status is None
    assert reading.partial_reason is not None
    assert "printer-state (device status)" in reading.partial_reason


# --- supplies from printer-supply ------------------------------------------------------------


def test_maps_printer_supply_with_the_snmp_level_rules() -> None:
    supplies = (
        supply_line(
            index=1,
            **{"class": "receptacleThatIsFilled"},
            type="wasteToner",
            unit="percent",
            maxcapacity=100,
            level=40,
            colorantname="unknown",
        ),
        supply_line(
            index=2,
            **{"class": "supplyThatIsConsumed"},
            type="toner",
            unit="percent",
            maxcapacity=100,
            level=60,
            colorantname="black",
        ),
        supply_line(index=3, type="toner", maxcapacity=2000, level=150, colorantname="light-cyan"),
        supply_line(index=4, type="toner", maxcapacity=100, level=0, colorantname="magenta"),
        supply_line(index=5, type="toner", maxcapacity=100, level=-3, colorantname="yellow"),
        supply_line(index=6, type="opc", maxcapacity=-2, level=-2),
        supply_line(index=7, type="staples", maxcapacity=-1, level=-1),
    )
    descriptions = ("Waste Toner Box", "Black Toner", "Light Cyan Toner", "Magenta", "Yellow")

    reading = build_reading(
        printer(printer_supply=supplies, printer_supply_description=descriptions)
    )

    assert reading.supplies == [
        # 40 of 100 still free: (100 - 40) / 100 = 60 % full.
        Supply(
            index=1,
            description="Waste Toner Box",
            type="wasteToner",
            supply_class=RECEPTACLE,
            colour=None,
            unit="percent",
            level=40,
            max_capacity=100,
            percent=60.0,
            state=OK,
        ),
        Supply(
            index=2,
            description="Black Toner",
            type="toner",
            supply_class=CONSUMED,
            colour="black",
            unit="percent",
            level=60,
            max_capacity=100,
            percent=60.0,
            state=OK,
        ),
        # No class key: a toner is consumed. 150 / 2000 = 7.5 % left: low.
        Supply(
            index=3,
            description="Light Cyan Toner",
            type="toner",
            supply_class=CONSUMED,
            colour="light cyan",
            unit=None,
            level=150,
            max_capacity=2000,
            percent=7.5,
            state=LOW,
        ),
        Supply(
            index=4,
            description="Magenta",
            type="toner",
            supply_class=CONSUMED,
            colour="magenta",
            unit=None,
            level=0,
            max_capacity=100,
            percent=0.0,
            state=EMPTY,
        ),
        Supply(
            index=5,
            description="Yellow",
            type="toner",
            supply_class=CONSUMED,
            colour="yellow",
            unit=None,
            level=None,
            max_capacity=100,
            percent=None,
            state=SupplyState.SOME_REMAINING,
        ),
        # No description at this position: an empty one, nothing invented.
        Supply(
            index=6,
            description="",
            type="opc",
            supply_class=CONSUMED,
            colour=None,
            unit=None,
            level=None,
            max_capacity=None,
            percent=None,
            state=UNKNOWN,
        ),
        Supply(
            index=7,
            description="",
            type="staples",
            supply_class=CONSUMED,
            colour=None,
            unit=None,
            level=None,
            max_capacity=None,
            percent=None,
            state=SupplyState.UNLIMITED,
        ),
    ]


def waste(level: int) -> bytes:
    return supply_line(
        type="wasteToner", **{"class": "receptacleThatIsFilled"}, maxcapacity=100, level=level
    )


def test_a_waste_reason_that_contradicts_the_level_wins_and_withholds_the_percent() -> None:
    # By RFC 3805 a level of 95 is 95 free, i.e. 5 % full; the printer says almost full
    # (ippeveprinter counts how full the box is). The printer's own diagnosis wins.
    reading = build_reading(
        printer(
            printer_supply=(waste(95),),
            printer_state_reasons=("marker-waste-almost-full-report",),
        )
    )

    [box] = reading.supplies
    assert (box.level, box.max_capacity, box.percent, box.state) == (95, 100, None, NEARLY_FULL)


def test_a_waste_reason_that_agrees_with_the_level_changes_nothing() -> None:
    # 5 free of 100 is 95 % full: nearly full already.
    reading = build_reading(
        printer(
            printer_supply=(waste(5),),
            printer_state_reasons=("marker-waste-almost-full-warning",),
        )
    )

    [box] = reading.supplies
    assert (box.percent, box.state) == (95.0, NEARLY_FULL)


def test_a_waste_full_reason_makes_the_only_receptacle_full() -> None:
    reading = build_reading(
        printer(printer_supply=(waste(100),), printer_state_reasons=("marker-waste-full-error",))
    )

    [box] = reading.supplies
    assert (box.percent, box.state) == (None, FULL)


def test_a_contradicting_waste_reason_with_several_receptacles_makes_them_unknown() -> None:
    reading = build_reading(
        printer(
            printer_supply=(waste(80), waste(70)),
            printer_state_reasons=("marker-waste-almost-full-report",),
        )
    )

    assert [(s.percent, s.state) for s in reading.supplies] == [(None, UNKNOWN), (None, UNKNOWN)]


# --- supplies from CUPS's marker-* ---------------------------------------------------------------


def test_without_printer_supply_reads_the_marker_attributes_as_percentages() -> None:
    reading = build_reading(
        printer(
            marker_names=("Black Toner", "Cyan Toner", "Waste Toner", "Drum", "Magenta"),
            marker_types=("toner", "toner", "waste-toner", "opc", "toner"),
            marker_colors=("#000000", "#00FFFF", "none", "#000000#FFFFFF", "#FF00FF"),
            marker_levels=(60, 15, 95, -1, -3),
            marker_low_levels=(10, 20, 0, 5, 10),
            marker_high_levels=(100, 100, 98, 100, 100),
        )
    )

    assert reading.supplies == [
        Supply(
            index=1,
            description="Black Toner",
            type="toner",
            supply_class=CONSUMED,
            colour="black",
            unit="percent",
            level=60,
            max_capacity=100,
            percent=60.0,
            state=OK,
        ),
        # 15 % is above our 10 % but at or below the printer's own low level of 20.
        Supply(
            index=2,
            description="Cyan Toner",
            type="toner",
            supply_class=CONSUMED,
            colour="cyan",
            unit="percent",
            level=15,
            max_capacity=100,
            percent=15.0,
            state=LOW,
        ),
        # A waste marker at 95 % full has 5 of 100 left: nearly full by our 90 %.
        Supply(
            index=3,
            description="Waste Toner",
            type="wasteToner",
            supply_class=RECEPTACLE,
            colour=None,
            unit="percent",
            level=5,
            max_capacity=100,
            percent=95.0,
            state=NEARLY_FULL,
        ),
        # CUPS's -1 means unavailable: unknown, not RFC 3805's unlimited.
        Supply(
            index=4,
            description="Drum",
            type="opc",
            supply_class=CONSUMED,
            colour=None,
            unit="percent",
            level=None,
            max_capacity=100,
            percent=None,
            state=UNKNOWN,
        ),
        Supply(
            index=5,
            description="Magenta",
            type="toner",
            supply_class=CONSUMED,
            colour="magenta",
            unit="percent",
            level=None,
            max_capacity=100,
            percent=None,
            state=SupplyState.SOME_REMAINING,
        ),
    ]


def test_a_printers_high_level_can_make_a_waste_marker_nearly_full_sooner() -> None:
    reading = build_reading(
        printer(
            marker_names=("Waste Ink",),
            marker_types=("waste-ink",),
            marker_levels=(85,),
            marker_high_levels=(80,),
        )
    )

    [box] = reading.supplies
    assert (box.type, box.percent, box.state) == ("wasteInk", 85.0, NEARLY_FULL)


def test_printer_supply_wins_over_marker_attributes() -> None:
    reading = build_reading(
        printer(
            printer_supply=(supply_line(type="toner", maxcapacity=100, level=60),),
            marker_names=("Other",),
            marker_levels=(5,),
        )
    )

    assert [(s.type, s.percent) for s in reading.supplies] == [("toner", 60.0)]


# --- counters, trays, alerts -----------------------------------------------------------------


def test_maps_impression_sheet_and_page_counters() -> None:
    reading = build_reading(
        printer(
            printer_impressions_completed=(12345,),
            printer_impressions_completed_col=(
                {
                    "monochrome": (10000,),
                    "full-color": (2345,),
                    "monochrome-two-sided": (4000,),
                    "blank": (-1,),
                    "vendor-thing": (7,),
                },
            ),
            printer_media_sheets_completed=(9000,),
            printer_pages_completed=(13000,),
        )
    )

    assert reading.counters == [
        Counter(name="total", value=12345, unit="impressions"),
        Counter(name="mono", value=10000, unit="impressions"),
        Counter(name="colour", value=2345, unit="impressions"),
        Counter(name="mono_two_sided", value=4000, unit="impressions"),
        Counter(name="sheets", value=9000, unit="sheets"),
        Counter(name="pages", value=13000, unit="pages"),
    ]
    # Counters are reported; only the supplies are missing from this printer.
    assert reading.partial_reason == "not reported: printer-supply and marker-levels (supplies)"


def test_names_every_missing_part_in_the_partial_reason() -> None:
    reading = build_reading({"printer-uuid": ("urn:uuid:00000000-0000-0000-0000-000000000001",)})

    assert reading.partial_reason == (
        "not reported: model (no printer-make-and-model, no MDL in device id), "
        "printer-state (device status), printer-supply and marker-levels (supplies), "
        "printer-impressions-completed (page counters)"
    )


def test_maps_input_trays() -> None:
    reading = build_reading(
        printer(
            printer_input_tray=(
                b"type=sheetFeedAutoRemovableTray;mediafeed=0;mediaxfeed=0;maxcapacity=250;"
                b"level=25;status=0;name=main",
                b"type=sheetFeedManual;maxcapacity=1;level=-2;status=0;name=manual;",
            )
        )
    )

    assert reading.trays == [
        Tray(index=1, name="main", media=None, level=25, max_capacity=250, state=LOW),
        Tray(index=2, name="manual", media=None, level=None, max_capacity=1, state=UNKNOWN),
    ]


def test_maps_printer_alerts_with_their_descriptions_by_position() -> None:
    reading = build_reading(
        printer(
            printer_alert=(
                b"code=coverOpen;index=4;severity=critical;training=untrained;group=cover;"
                b"groupindex=1;location=-1;time=8642",
                b"code=markerTonerAlmostEmpty;severity=warning;group=markerSupplies;",
            ),
            printer_alert_description=("Front cover open",),
        )
    )

    assert reading.alerts == [
        Alert(
            index=4,
            severity="critical",
            training_level="untrained",
            group="cover",
            group_index=1,
            location=None,
            code="coverOpen",
            description="Front cover open",
            time_ticks=8642,
        ),
        Alert(
            index=2,
            severity="warning",
            training_level=None,
            group="markerSupplies",
            group_index=None,
            location=None,
            code="markerTonerAlmostEmpty",
            description="",
            time_ticks=None,
        ),
    ]


# --- small parsers -----------------------------------------------------------------------------


def test_parses_key_value_strings_with_or_without_the_final_semicolon() -> None:
    assert parse_key_values("Type=toner; level = 5 ;junk;level=9") == {
        "type": "toner",
        "level": "5",
    }


def test_parses_ieee_1284_device_ids() -> None:
    assert parse_device_id("MFG:Acme;mdl:PX 9000;SN: 42 ;") == {
        "MFG": "Acme",
        "MDL": "PX 9000",
        "SN": "42",
    }


@pytest.mark.parametrize(
    ("text", "keyword", "severity"),
    [
        ("toner-low-report", "toner-low", "report"),
        ("Media-Jam-Warning", "media-jam", "warning"),
        ("cover-open-error", "cover-open", "error"),
        ("paused", "paused", "error"),
        ("-report", "-report", "error"),
    ],
)
def test_splits_a_reason_into_keyword_and_severity(text: str, keyword: str, severity: str) -> None:
    assert parse_reason(text) == (keyword, severity)
