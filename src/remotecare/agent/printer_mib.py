"""Build a :class:`PrinterReading` from walked Printer-MIB and Host Resources MIB OIDs.

Pure functions, no I/O: the probe walks :data:`SUBTREES` and hands the values (``int``,
``bytes``, dotted ``str`` for OIDs) to :func:`build_reading`. Wire names and numbers come
from RFC 3805 (Printer-MIB), the IANA-PRINTER-MIB textual conventions and RFC 2790 (Host
Resources MIB); every table row the printer reported becomes a value, and nothing that it
did not report is invented: a missing column gives ``None`` (or a named ``unknown``), a
missing table is named in ``partial_reason``.

Usage::

    reading = build_reading(values, failed={"prtAlertTable": "timeout"})
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError

from remotecare.agent.octets import decode_text
from remotecare.agent.rfc3805 import (
    HR_DEVICE_PRINTER,
    RECEPTACLE_TYPES,
    DetectedError,
    HrDeviceStatus,
    HrPrinterStatus,
    PrtAlertCode,
    PrtAlertGroup,
    PrtAlertSeverityLevel,
    PrtAlertTrainingLevel,
    PrtCoverStatus,
    PrtMarkerCounterUnit,
    PrtMarkerSuppliesClass,
    PrtMarkerSuppliesSupplyUnit,
    PrtMarkerSuppliesType,
    SupplyLevel,
    mib_names,
)
from remotecare.agent.vendor_profiles import VendorProfile, vendor_counters, vendor_serial
from remotecare.errors import ProbeError
from remotecare.protocol.identity import WeakNamer
from remotecare.protocol.messages import (
    Alert,
    Counter,
    Cover,
    DeviceStatus,
    PrinterReading,
    SerialSource,
    Supply,
    SupplyClass,
    SupplyState,
    Tray,
)
from remotecare.protocol.vocabulary import (
    SERIAL_MAX_CHARS,
    SHORT_TEXT_MAX_CHARS,
    TEXT_MAX_CHARS,
    CounterName,
    ItemList,
    capped,
    clipped,
)

__all__ = [
    "FULL_PERCENT",
    "HR_DEVICE_TABLE",
    "HR_PRINTER_TABLE",
    "IF_PHYS_ADDRESS",
    "LOW_PERCENT",
    "NEARLY_FULL_PERCENT",
    "PRT_ALERT_TABLE",
    "PRT_COLORANT_TABLE",
    "PRT_CONSOLE_DISPLAY",
    "PRT_COVER_TABLE",
    "PRT_GENERAL_SERIAL",
    "PRT_INPUT_TABLE",
    "PRT_MARKER_TABLE",
    "PRT_SUPPLIES_TABLE",
    "SUBTREES",
    "SYS_DESCR",
    "SYS_OBJECT_ID",
    "LevelAssessment",
    "Oid",
    "SnmpValue",
    "Subtree",
    "assess_level",
    "build_reading",
    "decode_error_state",
]

Oid = tuple[int, ...]
SnmpValue = int | bytes | str

LOW_PERCENT: Final = 10.0  # a consumed supply at or below this share left is "low"
NEARLY_FULL_PERCENT: Final = 90.0  # a receptacle at or above this share full is "nearly full"
FULL_PERCENT: Final = 100.0

_MIB2: Final = (1, 3, 6, 1, 2, 1)
_PRINTMIB: Final = (*_MIB2, 43)
_MAC_OCTETS: Final = 6
_ERROR_STATE_OCTETS: Final = 2  # RFC 2790 defines bits 0..14; later octets are ignored
_BITS_PER_OCTET: Final = 8
_SPACE: Final = 0x20
_TOP_BIT: Final = 0x80  # bit 0 of an octet in RFC 2790 BITS numbering


@dataclass(frozen=True, slots=True)
class Subtree:
    """One subtree the probe walks; ``gap`` says what the reading lacks when it is empty.

    ``gap`` is None for subtrees whose emptiness is normal: an empty prtAlertTable means
    no active alert, the colorant table is optional, and the serial number and MAC
    address have fallbacks (``serial_source`` tells which one was used).
    """

    name: str
    oid: Oid
    gap: str | None


# Only sysDescr, sysObjectID and prtGeneralSerialNumber are walked from the system and
# prtGeneral groups: their other columns (sysContact, sysName, sysLocation,
# prtGeneralCurrentOperator, prtGeneralServicePerson) are what the customer registered and
# nothing here needs them.
SYS_DESCR: Final = Subtree("sysDescr", (*_MIB2, 1, 1), None)
SYS_OBJECT_ID: Final = Subtree("sysObjectID", (*_MIB2, 1, 2), None)
HR_DEVICE_TABLE: Final = Subtree("hrDeviceTable", (*_MIB2, 25, 3, 2), "device status")
HR_PRINTER_TABLE: Final = Subtree(
    "hrPrinterTable", (*_MIB2, 25, 3, 5), "printer status, error state"
)
IF_PHYS_ADDRESS: Final = Subtree("ifPhysAddress", (*_MIB2, 2, 2, 1, 6), None)
PRT_GENERAL_SERIAL: Final = Subtree("prtGeneralSerialNumber", (*_PRINTMIB, 5, 1, 1, 17), None)
PRT_INPUT_TABLE: Final = Subtree("prtInputTable", (*_PRINTMIB, 8), "trays")
PRT_MARKER_TABLE: Final = Subtree("prtMarkerTable", (*_PRINTMIB, 10), "page counters")
PRT_SUPPLIES_TABLE: Final = Subtree("prtMarkerSuppliesTable", (*_PRINTMIB, 11), "supplies")
PRT_COLORANT_TABLE: Final = Subtree("prtMarkerColorantTable", (*_PRINTMIB, 12), None)
PRT_ALERT_TABLE: Final = Subtree("prtAlertTable", (*_PRINTMIB, 18), None)
# Many printers have no cover table or console: an empty one is normal.
PRT_COVER_TABLE: Final = Subtree("prtCoverTable", (*_PRINTMIB, 6), None)
PRT_CONSOLE_DISPLAY: Final = Subtree("prtConsoleDisplayBufferText", (*_PRINTMIB, 16, 5, 1, 2), None)
SUBTREES: Final = (
    SYS_DESCR,
    SYS_OBJECT_ID,
    HR_DEVICE_TABLE,
    HR_PRINTER_TABLE,
    IF_PHYS_ADDRESS,
    PRT_GENERAL_SERIAL,
    PRT_INPUT_TABLE,
    PRT_MARKER_TABLE,
    PRT_SUPPLIES_TABLE,
    PRT_COLORANT_TABLE,
    PRT_ALERT_TABLE,
    PRT_COVER_TABLE,
    PRT_CONSOLE_DISPLAY,
)


def _column(table_entry: Oid, number: int) -> Oid:
    return (*table_entry, number)


# Columns (entry OID + column number).
_SYS_DESCR_0: Final = (*_MIB2, 1, 1, 0)
_SYS_OBJECT_ID_0: Final = (*_MIB2, 1, 2, 0)
_PRT_COVER_ENTRY: Final = (*_PRINTMIB, 6, 1, 1)
_PRT_COVER_DESCRIPTION: Final = _column(_PRT_COVER_ENTRY, 2)
_PRT_COVER_STATUS: Final = _column(_PRT_COVER_ENTRY, 3)
_HR_DEVICE_ENTRY: Final = (*_MIB2, 25, 3, 2, 1)
_HR_DEVICE_TYPE: Final = _column(_HR_DEVICE_ENTRY, 2)
_HR_DEVICE_DESCR: Final = _column(_HR_DEVICE_ENTRY, 3)
_HR_DEVICE_STATUS: Final = _column(_HR_DEVICE_ENTRY, 5)
_HR_PRINTER_ENTRY: Final = (*_MIB2, 25, 3, 5, 1)
_HR_PRINTER_STATUS: Final = _column(_HR_PRINTER_ENTRY, 1)
_HR_PRINTER_ERROR_STATE: Final = _column(_HR_PRINTER_ENTRY, 2)
_PRT_INPUT_ENTRY: Final = (*_PRINTMIB, 8, 2, 1)
_PRT_INPUT_MAX_CAPACITY: Final = _column(_PRT_INPUT_ENTRY, 9)
_PRT_INPUT_CURRENT_LEVEL: Final = _column(_PRT_INPUT_ENTRY, 10)
_PRT_INPUT_MEDIA_NAME: Final = _column(_PRT_INPUT_ENTRY, 12)
_PRT_INPUT_NAME: Final = _column(_PRT_INPUT_ENTRY, 13)
_PRT_MARKER_ENTRY: Final = (*_PRINTMIB, 10, 2, 1)
_PRT_MARKER_COUNTER_UNIT: Final = _column(_PRT_MARKER_ENTRY, 3)
_PRT_MARKER_LIFE_COUNT: Final = _column(_PRT_MARKER_ENTRY, 4)
_PRT_MARKER_POWER_ON_COUNT: Final = _column(_PRT_MARKER_ENTRY, 5)
_PRT_SUPPLIES_ENTRY: Final = (*_PRINTMIB, 11, 1, 1)
_PRT_SUPPLIES_COLORANT_INDEX: Final = _column(_PRT_SUPPLIES_ENTRY, 3)
_PRT_SUPPLIES_CLASS: Final = _column(_PRT_SUPPLIES_ENTRY, 4)
_PRT_SUPPLIES_TYPE: Final = _column(_PRT_SUPPLIES_ENTRY, 5)
_PRT_SUPPLIES_DESCRIPTION: Final = _column(_PRT_SUPPLIES_ENTRY, 6)
_PRT_SUPPLIES_UNIT: Final = _column(_PRT_SUPPLIES_ENTRY, 7)
_PRT_SUPPLIES_MAX_CAPACITY: Final = _column(_PRT_SUPPLIES_ENTRY, 8)
_PRT_SUPPLIES_LEVEL: Final = _column(_PRT_SUPPLIES_ENTRY, 9)
_PRT_COLORANT_VALUE: Final = (*_PRINTMIB, 12, 1, 1, 4)
_PRT_ALERT_ENTRY: Final = (*_PRINTMIB, 18, 1, 1)
_PRT_ALERT_SEVERITY: Final = _column(_PRT_ALERT_ENTRY, 2)
_PRT_ALERT_TRAINING_LEVEL: Final = _column(_PRT_ALERT_ENTRY, 3)
_PRT_ALERT_GROUP: Final = _column(_PRT_ALERT_ENTRY, 4)
_PRT_ALERT_GROUP_INDEX: Final = _column(_PRT_ALERT_ENTRY, 5)
_PRT_ALERT_LOCATION: Final = _column(_PRT_ALERT_ENTRY, 6)
_PRT_ALERT_CODE: Final = _column(_PRT_ALERT_ENTRY, 7)
_PRT_ALERT_DESCRIPTION: Final = _column(_PRT_ALERT_ENTRY, 8)
_PRT_ALERT_TIME: Final = _column(_PRT_ALERT_ENTRY, 9)


# Our names for prtCoverStatus and whether the cover is open (None: the printer cannot say).
_COVER_STATES: Final[dict[int, tuple[str, bool | None]]] = {
    PrtCoverStatus.OTHER: ("other", None),
    PrtCoverStatus.COVER_OPEN: ("open", True),
    PrtCoverStatus.COVER_CLOSED: ("closed", False),
    PrtCoverStatus.INTERLOCK_OPEN: ("interlock_open", True),
    PrtCoverStatus.INTERLOCK_CLOSED: ("interlock_closed", False),
}

_SPECIAL_STATES: Final[dict[int, SupplyState]] = {
    SupplyLevel.UNLIMITED: SupplyState.UNLIMITED,
    SupplyLevel.UNKNOWN: SupplyState.UNKNOWN,
    SupplyLevel.SOME_REMAINING: SupplyState.SOME_REMAINING,
}
_SUPPLY_CLASSES: Final[dict[int, SupplyClass]] = {
    PrtMarkerSuppliesClass.OTHER: SupplyClass.OTHER,
    PrtMarkerSuppliesClass.SUPPLY_THAT_IS_CONSUMED: SupplyClass.CONSUMED,
    PrtMarkerSuppliesClass.RECEPTACLE_THAT_IS_FILLED: SupplyClass.RECEPTACLE,
}
_ALERT_ACTIVE_STATUSES: Final = frozenset({HrDeviceStatus.WARNING, HrDeviceStatus.DOWN})
_UNKNOWN_TYPE: Final = PrtMarkerSuppliesType.UNKNOWN.mib_name
_UNCLASSIFIED_TYPES: Final = frozenset({PrtMarkerSuppliesType.OTHER.mib_name, _UNKNOWN_TYPE})

# Supply type from the description, used only when the printer sends no type column.
# Each rule needs all of its words; the first matching rule wins. A word alone that could
# mean several supplies ("cartridge", "unit", "kit") infers nothing.
_TYPE_RULES: Final[tuple[tuple[frozenset[str], str], ...]] = (
    (frozenset({"waste", "toner"}), PrtMarkerSuppliesType.WASTE_TONER.mib_name),
    (frozenset({"waste", "ink"}), PrtMarkerSuppliesType.WASTE_INK.mib_name),
    (frozenset({"waste", "wax"}), PrtMarkerSuppliesType.WASTE_WAX.mib_name),
    (frozenset({"developer"}), PrtMarkerSuppliesType.DEVELOPER.mib_name),
    (frozenset({"drum"}), PrtMarkerSuppliesType.OPC.mib_name),
    (frozenset({"opc"}), PrtMarkerSuppliesType.OPC.mib_name),
    (frozenset({"photoconductor"}), PrtMarkerSuppliesType.OPC.mib_name),
    (frozenset({"photoconductive"}), PrtMarkerSuppliesType.OPC.mib_name),
    (frozenset({"fuser"}), PrtMarkerSuppliesType.FUSER.mib_name),
    (frozenset({"fusing"}), PrtMarkerSuppliesType.FUSER.mib_name),
    (frozenset({"transfer"}), PrtMarkerSuppliesType.TRANSFER_UNIT.mib_name),
    (frozenset({"staples"}), PrtMarkerSuppliesType.STAPLES.mib_name),
    (frozenset({"staple"}), PrtMarkerSuppliesType.STAPLES.mib_name),
    (frozenset({"toner"}), PrtMarkerSuppliesType.TONER.mib_name),
    (frozenset({"ink"}), PrtMarkerSuppliesType.INK.mib_name),
)
_WASTE_WORD: Final = "waste"
_COLOUR_WORDS: Final = frozenset(
    {"black", "cyan", "magenta", "yellow", "red", "green", "blue", "white", "gray", "grey"}
)
_LIGHT_WORD: Final = "light"
_WORD: Final = re.compile(r"[a-z]+")

_DEFAULT_DEVICE_STATUS: Final = "unknown"  # hrDeviceStatus not reported
_MISSING_NAME: Final = "unknown"  # an alert column the printer did not send
_NO_MODEL: Final = "model (no hrDeviceDescr, no sysDescr)"
_DOTTED_OID: Final = re.compile(r"[0-9]+(\.[0-9]+)*")


def build_reading(
    values: Mapping[Oid, SnmpValue],
    *,
    failed: Mapping[str, str] | None = None,
    profile: VendorProfile | None = None,
    weak_identity: WeakNamer | None = None,
) -> PrinterReading:
    """Map walked ``values`` to a reading; ``failed`` names subtrees that could not be read.

    Identity, in this order: prtGeneralSerialNumber; else the vendor serial number of
    ``profile`` (serial_source vendor); else the first non-zero 6-octet ifPhysAddress
    (lowest ifIndex) as ``mac:aa:bb:cc:dd:ee:ff`` with serial_source ifPhysAddress; else
    what ``weak_identity`` gives for the printer's sysObjectID (serial_source
    ``weak:address+sysObjectID``, the rule of :func:`remotecare.protocol.identity.weak_serial`).
    Without any of them the printer cannot be identified and :class:`ProbeError` is raised.
    Counters of ``profile`` are added after the Printer-MIB ones, except a name the
    Printer-MIB already gave (its ``total`` stays the billing counter). Failed subtrees,
    and empty ones that leave part of the reading unknown, are named in ``partial_reason``.
    """
    failures = dict(failed or {})
    serial, source = _identity(values, failures, profile, weak_identity)
    device = _printer_device_index(values)
    model = _model(values, device)
    counters = _counters(values)
    if profile is not None:
        known = {counter.name for counter in counters}
        counters += [c for c in vendor_counters(profile, values) if c.name not in known]
    reading = {
        "serial": serial,
        "serial_source": source,
        "model": model,
        "status": _status(values, device),
        "counters": capped(counters, ItemList.COUNTERS),
        "supplies": capped(_supplies(values), ItemList.SUPPLIES),
        "trays": capped(_trays(values), ItemList.TRAYS),
        "alerts": capped(_alerts(values), ItemList.ALERTS),
        "covers": capped(_covers(values), ItemList.COVERS),
        "display_text": capped(_display_text(values), ItemList.DISPLAY),
        "sys_object_id": _sys_object_id(values),
        "partial_reason": _partial_reason(values, failures, has_model=bool(model)),
    }
    try:
        return PrinterReading.model_validate(reading)
    except ValidationError as exc:
        raise ProbeError(f"printer {serial} sent values outside the wire contract: {exc}") from exc


# --- decoding helpers -------------------------------------------------------------------


def decode_error_state(value: SnmpValue | None, device_status: int | None) -> list[str]:
    """Decode hrPrinterDetectedErrorState bit by bit (RFC 2790), bit 0 = MSB of octet 1.

    Quirks handled: an empty string means no condition, one octet is read as the first
    octet, octets after the second are ignored (RFC 2790 defines 15 bits).

    A value made only of spaces (0x20) is the known quirk of agents that pad an empty
    DisplayString with " ". Strictly, 0x20 in octet 1 is bit 2, lowToner. The decision
    uses hrDeviceStatus: RFC 3805 section 2.2.13.2 maps every condition bit to an alert,
    and an active alert sets hrDeviceStatus to warning(3) (non-critical, like lowToner)
    or down(5) (critical). So the spaces are read as conditions only when the device says
    warning or down; with running, testing, unknown or no hrDeviceStatus they are padding.
    hrPrinterStatus cannot decide it: lowToner goes with idle and printing alike.
    """
    if not isinstance(value, bytes) or not value:
        return []
    if set(value) == {_SPACE} and device_status not in _ALERT_ACTIVE_STATUSES:
        return []
    conditions = []
    for bit in DetectedError:
        octet, position = divmod(bit, _BITS_PER_OCTET)
        if octet < min(len(value), _ERROR_STATE_OCTETS) and value[octet] & (_TOP_BIT >> position):
            conditions.append(bit.mib_name)
    return conditions


def _integer(value: SnmpValue | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _name(names: Mapping[int, str], value: SnmpValue | None) -> str | None:
    """Name of an enumerated value; ``unrecognized(N)`` outside the table; None if absent."""
    number = _integer(value)
    if number is None:
        return None
    return names.get(number, f"unrecognized({number})")


def _rows(values: Mapping[Oid, SnmpValue], column: Oid) -> dict[Oid, SnmpValue]:
    """Values of one table column keyed by row index (the OID suffix after the column)."""
    size = len(column)
    return {
        oid[size:]: value
        for oid, value in values.items()
        if oid[:size] == column and len(oid) > size
    }


def _row_indexes(values: Mapping[Oid, SnmpValue], columns: Iterable[Oid]) -> list[Oid]:
    indexes: set[Oid] = set()
    for column in columns:
        indexes.update(_rows(values, column))
    return sorted(indexes)


# --- identity, model, status ------------------------------------------------------------


def _identity(
    values: Mapping[Oid, SnmpValue],
    failures: Mapping[str, str],
    profile: VendorProfile | None,
    weak_identity: WeakNamer | None,
) -> tuple[str, SerialSource]:
    serials = [
        decode_text(value) for _, value in sorted(_rows(values, PRT_GENERAL_SERIAL.oid).items())
    ]
    serial = next((text for text in serials if text), None)
    if serial:
        return clipped(serial, SERIAL_MAX_CHARS), SerialSource.PRINTER_MIB
    vendor = vendor_serial(profile, values) if profile is not None else None
    if vendor:
        return clipped(vendor, SERIAL_MAX_CHARS), SerialSource.VENDOR_MIB
    mac = _first_mac(values)
    if mac:
        return mac, SerialSource.MAC_ADDRESS
    if weak_identity is not None:
        return weak_identity(_sys_object_id(values)), SerialSource.WEAK
    failed = "".join(f"; {name} failed: {reason}" for name, reason in failures.items())
    raise ProbeError(
        "cannot identify the printer: it reported no prtGeneralSerialNumber, no vendor "
        f"serial number and no non-zero ifPhysAddress{failed}"
    )


def _first_mac(values: Mapping[Oid, SnmpValue]) -> str | None:
    for _, value in sorted(_rows(values, IF_PHYS_ADDRESS.oid).items()):
        if isinstance(value, bytes) and len(value) == _MAC_OCTETS and any(value):
            return "mac:" + ":".join(f"{octet:02x}" for octet in value)
    return None


def _printer_device_index(values: Mapping[Oid, SnmpValue]) -> Oid | None:
    """hrDeviceIndex of the device typed hrDevicePrinter, else the first device row."""
    types = sorted(_rows(values, _HR_DEVICE_TYPE).items())
    for index, device_type in types:
        if device_type == HR_DEVICE_PRINTER:
            return index
    rows = _row_indexes(values, (_HR_DEVICE_TYPE, _HR_DEVICE_DESCR, _HR_DEVICE_STATUS))
    return rows[0] if rows else None


def _device_value(
    values: Mapping[Oid, SnmpValue], column: Oid, device: Oid | None
) -> SnmpValue | None:
    """A per-device column at ``device``; without that row, the column's first row."""
    rows = _rows(values, column)
    if device is not None and device in rows:
        return rows[device]
    return rows[min(rows)] if rows else None


def _model(values: Mapping[Oid, SnmpValue], device: Oid | None) -> str:
    described = decode_text(_device_value(values, _HR_DEVICE_DESCR, device))
    model = described or decode_text(values.get(_SYS_DESCR_0)) or ""
    return clipped(model, TEXT_MAX_CHARS)


def _status(values: Mapping[Oid, SnmpValue], device: Oid | None) -> DeviceStatus:
    device_status = _integer(_device_value(values, _HR_DEVICE_STATUS, device))
    error_state = _device_value(values, _HR_PRINTER_ERROR_STATE, device)
    conditions = decode_error_state(error_state, device_status)
    return DeviceStatus(
        device_status=(
            _name(mib_names(HrDeviceStatus), device_status)
            if device_status is not None
            else _DEFAULT_DEVICE_STATUS
        ),
        printer_status=_name(
            mib_names(HrPrinterStatus), _device_value(values, _HR_PRINTER_STATUS, device)
        ),
        error_conditions=capped(conditions, ItemList.ERRORS),
    )


# --- counters ----------------------------------------------------------------------------


def _counters(values: Mapping[Oid, SnmpValue]) -> list[Counter]:
    """Map prtMarkerLifeCount to ``total`` and prtMarkerPowerOnCount to ``power_on``.

    The first marker gives ``total``/``power_on``, marker N after it ``total_marker_N``
    and ``power_on_marker_N``. The unit comes from prtMarkerCounterUnit; a marker that
    does not report it gets ``unknown`` rather than a guessed unit.
    """
    columns = (_PRT_MARKER_COUNTER_UNIT, _PRT_MARKER_LIFE_COUNT, _PRT_MARKER_POWER_ON_COUNT)
    units = _rows(values, _PRT_MARKER_COUNTER_UNIT)
    life = _rows(values, _PRT_MARKER_LIFE_COUNT)
    power_on = _rows(values, _PRT_MARKER_POWER_ON_COUNT)
    counters = []
    for position, index in enumerate(_row_indexes(values, columns)):
        suffix = "" if position == 0 else f"_marker_{index[-1]}"
        unit = _name(mib_names(PrtMarkerCounterUnit), units.get(index)) or _MISSING_NAME
        for name, column in ((CounterName.TOTAL, life), (CounterName.POWER_ON, power_on)):
            count = _integer(column.get(index))
            if count is not None and count >= 0:
                counters.append(Counter(name=name + suffix, value=count, unit=unit))
    return counters


# --- supplies and trays ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelAssessment:
    """What a level and max capacity say, by RFC 3805 rules: see :func:`assess_level`."""

    level: int | None
    max_capacity: int | None
    percent: float | None
    state: SupplyState


def assess_level(
    level: int | None, max_capacity: int | None, supply_class: SupplyClass
) -> LevelAssessment:
    """Apply RFC 3805 level semantics to one supply or tray.

    -1 (unlimited), -2 (unknown) and -3 (some remaining) stay named states with no level
    and no percent; a max of -1/-2 gives no max and no percent. For a receptacle the level
    is the *remaining space*, so its percent says how full it is: (max - level) / max.
    A level above its max (a known firmware bug) gives no percent and state unknown, with
    the raw level and max kept. Without a usable max (-1, -2 or 0) a level of 0 is empty
    (full for a receptacle) and any other level is some_remaining.
    """
    capacity = max_capacity if max_capacity is not None and max_capacity >= 0 else None
    if level is None:
        return LevelAssessment(None, capacity, None, SupplyState.UNKNOWN)
    if level < 0:
        special = _SPECIAL_STATES.get(level, SupplyState.UNKNOWN)
        return LevelAssessment(None, capacity, None, special)
    receptacle = supply_class is SupplyClass.RECEPTACLE
    if not capacity:
        exhausted = SupplyState.FULL if receptacle else SupplyState.EMPTY
        return LevelAssessment(
            level, capacity, None, exhausted if level == 0 else SupplyState.SOME_REMAINING
        )
    if level > capacity:
        return LevelAssessment(level, capacity, None, SupplyState.UNKNOWN)
    if receptacle:
        full = (capacity - level) * FULL_PERCENT / capacity
        return LevelAssessment(level, capacity, full, _receptacle_state(full))
    left = level * FULL_PERCENT / capacity
    return LevelAssessment(level, capacity, left, _consumed_state(level, left))


def _receptacle_state(percent_full: float) -> SupplyState:
    if percent_full >= FULL_PERCENT:
        return SupplyState.FULL
    if percent_full >= NEARLY_FULL_PERCENT:
        return SupplyState.NEARLY_FULL
    return SupplyState.OK


def _consumed_state(level: int, percent_left: float) -> SupplyState:
    if level == 0:
        return SupplyState.EMPTY
    if percent_left <= LOW_PERCENT:
        return SupplyState.LOW
    return SupplyState.OK


def _supplies(values: Mapping[Oid, SnmpValue]) -> list[Supply]:
    columns = (
        _PRT_SUPPLIES_COLORANT_INDEX,
        _PRT_SUPPLIES_CLASS,
        _PRT_SUPPLIES_TYPE,
        _PRT_SUPPLIES_DESCRIPTION,
        _PRT_SUPPLIES_UNIT,
        _PRT_SUPPLIES_MAX_CAPACITY,
        _PRT_SUPPLIES_LEVEL,
    )
    table = {column: _rows(values, column) for column in columns}
    colorants = _colorants(values)
    return [
        _supply(index, {column: rows.get(index) for column, rows in table.items()}, colorants)
        for index in _row_indexes(values, columns)
    ]


def _supply(
    index: Oid, row: Mapping[Oid, SnmpValue | None], colorants: Mapping[Oid, str]
) -> Supply:
    description = decode_text(row[_PRT_SUPPLIES_DESCRIPTION]) or ""
    supply_type = _name(mib_names(PrtMarkerSuppliesType), row[_PRT_SUPPLIES_TYPE]) or _infer_type(
        description
    )
    supply_class = _supply_class(_integer(row[_PRT_SUPPLIES_CLASS]), supply_type, description)
    assessed = assess_level(
        _integer(row[_PRT_SUPPLIES_LEVEL]), _integer(row[_PRT_SUPPLIES_MAX_CAPACITY]), supply_class
    )
    colorant = _integer(row[_PRT_SUPPLIES_COLORANT_INDEX])
    colour = colorants.get((*index[:-1], colorant)) if colorant else None
    return Supply(
        index=index[-1],
        description=clipped(description, TEXT_MAX_CHARS),
        type=supply_type,
        supply_class=supply_class,
        colour=colour or _colour_from_description(description),
        unit=_name(mib_names(PrtMarkerSuppliesSupplyUnit), row[_PRT_SUPPLIES_UNIT]),
        level=assessed.level,
        max_capacity=assessed.max_capacity,
        percent=assessed.percent,
        state=assessed.state,
    )


def _colorants(values: Mapping[Oid, SnmpValue]) -> dict[Oid, str]:
    """prtMarkerColorantValue by (hrDeviceIndex, prtMarkerColorantIndex), lower-cased."""
    colorants = {}
    for index, value in _rows(values, _PRT_COLORANT_VALUE).items():
        text = decode_text(value)
        if text:
            colorants[index] = clipped(text.lower(), SHORT_TEXT_MAX_CHARS)
    return colorants


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _infer_type(description: str) -> str:
    """Supply type from its description when the printer sends no type; else ``unknown``."""
    words = set(_words(description))
    for needed, supply_type in _TYPE_RULES:
        if needed <= words:
            return supply_type
    return _UNKNOWN_TYPE


def _supply_class(reported: int | None, supply_type: str, description: str) -> SupplyClass:
    """prtMarkerSuppliesClass; when the column is missing, inferred from the type.

    waste* types are receptacles; a supply of unknown/other type whose description says
    "waste" is a receptacle too; everything else is consumed.
    """
    if reported is not None:
        return _SUPPLY_CLASSES.get(reported, SupplyClass.OTHER)
    if supply_type in RECEPTACLE_TYPES:
        return SupplyClass.RECEPTACLE
    if supply_type in _UNCLASSIFIED_TYPES and _WASTE_WORD in _words(description):
        return SupplyClass.RECEPTACLE
    return SupplyClass.CONSUMED


def _colour_from_description(description: str) -> str | None:
    """The one colour word in a description ("light cyan" kept whole); None if none or several."""
    words = _words(description)
    found = {
        f"{_LIGHT_WORD} {word}" if position and words[position - 1] == _LIGHT_WORD else word
        for position, word in enumerate(words)
        if word in _COLOUR_WORDS
    }
    return found.pop() if len(found) == 1 else None


def _trays(values: Mapping[Oid, SnmpValue]) -> list[Tray]:
    """prtInputTable rows; levels follow the supply rules (a tray is consumed paper)."""
    columns = (
        _PRT_INPUT_MAX_CAPACITY,
        _PRT_INPUT_CURRENT_LEVEL,
        _PRT_INPUT_MEDIA_NAME,
        _PRT_INPUT_NAME,
    )
    table = {column: _rows(values, column) for column in columns}
    trays = []
    for index in _row_indexes(values, columns):
        assessed = assess_level(
            _integer(table[_PRT_INPUT_CURRENT_LEVEL].get(index)),
            _integer(table[_PRT_INPUT_MAX_CAPACITY].get(index)),
            SupplyClass.CONSUMED,
        )
        media = decode_text(table[_PRT_INPUT_MEDIA_NAME].get(index))
        trays.append(
            Tray(
                index=index[-1],
                name=clipped(decode_text(table[_PRT_INPUT_NAME].get(index)) or "", TEXT_MAX_CHARS),
                media=clipped(media, TEXT_MAX_CHARS) if media else None,
                level=assessed.level,
                max_capacity=assessed.max_capacity,
                state=assessed.state,
            )
        )
    return trays


# --- alerts ------------------------------------------------------------------------------


def _alerts(values: Mapping[Oid, SnmpValue]) -> list[Alert]:
    """prtAlertTable rows; an empty table means no active alert.

    prtAlertGroupIndex and prtAlertLocation use negative values for "not applicable" and
    "unknown"; those become None. A column the printer did not send gives ``unknown``
    for names and None for numbers.
    """
    columns = (
        _PRT_ALERT_SEVERITY,
        _PRT_ALERT_TRAINING_LEVEL,
        _PRT_ALERT_GROUP,
        _PRT_ALERT_GROUP_INDEX,
        _PRT_ALERT_LOCATION,
        _PRT_ALERT_CODE,
        _PRT_ALERT_DESCRIPTION,
        _PRT_ALERT_TIME,
    )
    table = {column: _rows(values, column) for column in columns}
    alerts = []
    for index in _row_indexes(values, columns):
        row = {column: rows.get(index) for column, rows in table.items()}
        alerts.append(
            Alert(
                index=index[-1],
                severity=_name(mib_names(PrtAlertSeverityLevel), row[_PRT_ALERT_SEVERITY])
                or _MISSING_NAME,
                training_level=_name(
                    mib_names(PrtAlertTrainingLevel), row[_PRT_ALERT_TRAINING_LEVEL]
                ),
                group=_name(mib_names(PrtAlertGroup), row[_PRT_ALERT_GROUP]) or _MISSING_NAME,
                group_index=_non_negative(row[_PRT_ALERT_GROUP_INDEX]),
                location=_non_negative(row[_PRT_ALERT_LOCATION]),
                code=_name(mib_names(PrtAlertCode), row[_PRT_ALERT_CODE]) or _MISSING_NAME,
                description=clipped(decode_text(row[_PRT_ALERT_DESCRIPTION]) or "", TEXT_MAX_CHARS),
                time_ticks=_integer(row[_PRT_ALERT_TIME]),
            )
        )
    return alerts


def _non_negative(value: SnmpValue | None) -> int | None:
    number = _integer(value)
    return number if number is not None and number >= 0 else None


# --- covers, console, machine identity ---------------------------------------------------


def _covers(values: Mapping[Oid, SnmpValue]) -> list[Cover]:
    """prtCoverTable rows: description and status; "open" covers interlocks too."""
    descriptions = _rows(values, _PRT_COVER_DESCRIPTION)
    statuses = _rows(values, _PRT_COVER_STATUS)
    covers = []
    for index in _row_indexes(values, (_PRT_COVER_DESCRIPTION, _PRT_COVER_STATUS)):
        number = _integer(statuses.get(index))
        if number is None:
            status, is_open = _MISSING_NAME, None
        else:
            status, is_open = _COVER_STATES.get(number, (f"unrecognized({number})", None))
        covers.append(
            Cover(
                index=index[-1],
                description=clipped(decode_text(descriptions.get(index)) or "", TEXT_MAX_CHARS),
                status=status,
                open=is_open,
            )
        )
    return covers


def _display_text(values: Mapping[Oid, SnmpValue]) -> list[str]:
    """prtConsoleDisplayBufferText lines in index order; empty lines are left out."""
    lines = (
        decode_text(value) for _, value in sorted(_rows(values, PRT_CONSOLE_DISPLAY.oid).items())
    )
    return [clipped(line, TEXT_MAX_CHARS) for line in lines if line]


def _sys_object_id(values: Mapping[Oid, SnmpValue]) -> str | None:
    value = values.get(_SYS_OBJECT_ID_0)
    return value if isinstance(value, str) and _DOTTED_OID.fullmatch(value) else None


# --- partial readings --------------------------------------------------------------------


def _partial_reason(
    values: Mapping[Oid, SnmpValue], failures: Mapping[str, str], *, has_model: bool
) -> str | None:
    """Name failed subtrees, and empty ones that leave part of the reading unknown."""
    missing = [] if has_model else [_NO_MODEL]
    missing += [
        f"{subtree.name} ({subtree.gap})"
        for subtree in SUBTREES
        if subtree.gap and subtree.name not in failures and not _has_values(values, subtree.oid)
    ]
    parts = []
    if missing:
        parts.append("not reported: " + ", ".join(missing))
    if failures:
        parts.append(
            "failed: " + ", ".join(f"{name} ({reason})" for name, reason in failures.items())
        )
    return clipped("; ".join(parts), TEXT_MAX_CHARS) if parts else None


def _has_values(values: Mapping[Oid, SnmpValue], root: Oid) -> bool:
    size = len(root)
    return any(oid[:size] == root for oid in values)
