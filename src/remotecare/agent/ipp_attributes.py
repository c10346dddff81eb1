"""Build a :class:`PrinterReading` from a printer's IPP attributes.

Pure functions, no I/O: :mod:`remotecare.agent.probes.ipp` fetches the attributes and
hands them here as decoded by :mod:`remotecare.agent.probes.ipp_codec` (every attribute
maps to a tuple of values). Sources: RFC 8011 (printer-state, printer-state-reasons),
PWG 5100.13 (printer-supply, printer-input-tray, the impression and sheet counters),
PWG 5100.9 (printer-alert) and CUPS's marker-* attributes. The reading is the same model
the SNMP side builds, with the same names where the two correspond, so the center
cannot tell (and need not care) which protocol a printer answered.

Usage::

    reading = build_reading(attributes)

Rules, each decided once here:

- **Identity**: the serial number from printer-device-id (IEEE 1284 keys ``SN``,
  ``SERN`` or ``SERIALNUMBER``); without one, printer-uuid as ``uuid:<uuid>``. Both have
  serial_source ``ipp``. With neither, the weak identity the caller gives (IPP has no
  sysObjectID, so the rule hashes none: serial_source ``weak:address+sysObjectID``, see
  :func:`remotecare.protocol.identity.weak_serial`); without one, ProbeError.
- **Supplies**: printer-supply (its keys are the Printer-MIB prtMarkerSupplies columns),
  with the same level rules as SNMP (:func:`printer_mib.assess_level`): -1/-2/-3 stay
  named states, a receptacle's level is its remaining space so its percent is how full
  it is. When the printer's own state reasons say a waste receptacle is (almost) full
  and no receptacle's level agrees, the level evidently means something else (CUPS's
  ippeveprinter reports how full the box is, as do some vendors): the reason wins for
  the state and the percent is withheld (one receptacle), or the receptacles' state is
  unknown (several). Without printer-supply, CUPS's marker-* attributes are used:
  marker-levels are percentages (-1 unavailable and -2 are unknown, -3 some remaining),
  how much is left for a consumable and how full a waste marker is, as CUPS defines
  them; the printer's marker-low-levels / marker-high-levels can only make a state
  more severe.
- **Status**: printer-state idle/processing is ``running``, or ``warning`` while a
  reason of warning or error severity is active (RFC 2790: unusual but operational);
  stopped is ``down`` when a reason of error severity is active, else ``warning``.
  A reason without a -report/-warning/-error suffix is an error (RFC 8011 5.4.12).
- **Conditions**: each reason's keyword without its suffix, renamed to the SNMP
  (hrPrinterDetectedErrorState) name where the two mean the same thing (as CUPS maps
  them), else kept as the IPP keyword. ``marker-waste-almost-full`` and
  ``marker-waste-full`` stay IPP names: outputNearFull/outputFull mean the paper output
  bin (RFC 2790; CUPS maps them to output-area-*), and a waste box needs a different
  action (replace a consumable, not empty a tray).
- **Counters**: printer-impressions-completed is ``total`` (impressions);
  printer-impressions-completed-col gives ``mono``, ``colour`` and the other kinds;
  printer-media-sheets-completed is ``sheets``; printer-pages-completed is ``pages``.
- **Alerts**: printer-alert key=value strings with printer-alert-description by
  position; values are kept as the printer wrote them (keywords such as ``coverOpen``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, TypeVar

from pydantic import ValidationError

from remotecare.agent.octets import decode_text
from remotecare.agent.printer_mib import LevelAssessment, assess_level
from remotecare.agent.probes.ipp_codec import IppValue
from remotecare.agent.rfc3805 import (
    RECEPTACLE_TYPES,
    DetectedError,
    HrDeviceStatus,
    HrPrinterStatus,
    PrtMarkerSuppliesClass,
    PrtMarkerSuppliesSupplyUnit,
    PrtMarkerSuppliesType,
    SupplyLevel,
)
from remotecare.errors import ProbeError
from remotecare.protocol.identity import WeakNamer
from remotecare.protocol.messages import (
    Alert,
    Counter,
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
    CounterUnit,
    ItemList,
    capped,
    clipped,
)

__all__ = [
    "CONDITION_NAMES",
    "IppPrinterState",
    "ReasonSeverity",
    "build_reading",
    "parse_device_id",
    "parse_key_values",
    "parse_reason",
]

_T = TypeVar("_T")
Attributes = Mapping[str, Sequence[IppValue]]


class IppPrinterState(enum.IntEnum):
    """printer-state (RFC 8011 5.4.11)."""

    IDLE = 3
    PROCESSING = 4
    STOPPED = 5


class ReasonSeverity(enum.StrEnum):
    """The suffix of a printer-state-reasons keyword (RFC 8011 5.4.12)."""

    REPORT = "report"
    WARNING = "warning"
    ERROR = "error"


# printer-state-reasons keyword (without suffix) -> hrPrinterDetectedErrorState name, for
# the reasons that mean the same condition (the pairs CUPS's SNMP backend uses).
CONDITION_NAMES: Final[Mapping[str, str]] = {
    "media-low": DetectedError.LOW_PAPER.mib_name,
    "media-empty": DetectedError.NO_PAPER.mib_name,
    "toner-low": DetectedError.LOW_TONER.mib_name,
    "toner-empty": DetectedError.NO_TONER.mib_name,
    "door-open": DetectedError.DOOR_OPEN.mib_name,
    "cover-open": DetectedError.DOOR_OPEN.mib_name,
    "media-jam": DetectedError.JAMMED.mib_name,
    "offline": DetectedError.OFFLINE.mib_name,
    "service-needed": DetectedError.SERVICE_REQUESTED.mib_name,
    "input-tray-missing": DetectedError.INPUT_TRAY_MISSING.mib_name,
    "output-tray-missing": DetectedError.OUTPUT_TRAY_MISSING.mib_name,
    "marker-supply-missing": DetectedError.MARKER_SUPPLY_MISSING.mib_name,
    "output-area-almost-full": DetectedError.OUTPUT_NEAR_FULL.mib_name,
    "output-area-full": DetectedError.OUTPUT_FULL.mib_name,
}

_NO_REASON: Final = "none"
_STATE_NAMES: Final[Mapping[int, str]] = {  # in the hrPrinterStatus vocabulary
    IppPrinterState.IDLE: HrPrinterStatus.IDLE.mib_name,
    IppPrinterState.PROCESSING: HrPrinterStatus.PRINTING.mib_name,
    IppPrinterState.STOPPED: HrPrinterStatus.OTHER.mib_name,  # it has no "stopped"
}
_RUNNING: Final = HrDeviceStatus.RUNNING.mib_name
_WARNING: Final = HrDeviceStatus.WARNING.mib_name
_DOWN: Final = HrDeviceStatus.DOWN.mib_name
_UNKNOWN: Final = "unknown"

_WASTE_FULL_REASONS: Final = frozenset(
    {"marker-waste-full", "marker-waste-ink-receptacle-full", "marker-waste-toner-receptacle-full"}
)
_WASTE_ALMOST_FULL_REASONS: Final = frozenset(
    {
        "marker-waste-almost-full",
        "marker-waste-ink-receptacle-almost-full",
        "marker-waste-toner-receptacle-almost-full",
    }
)
_RECEPTACLE_SEVERITY: Final = {
    SupplyState.NEARLY_FULL: 1,
    SupplyState.FULL: 2,
}

_SUPPLY_CLASSES: Final = {  # printer-supply's class= values, compared lower-cased
    PrtMarkerSuppliesClass.SUPPLY_THAT_IS_CONSUMED.mib_name.lower(): SupplyClass.CONSUMED,
    PrtMarkerSuppliesClass.RECEPTACLE_THAT_IS_FILLED.mib_name.lower(): SupplyClass.RECEPTACLE,
    PrtMarkerSuppliesClass.OTHER.mib_name.lower(): SupplyClass.OTHER,
}
_UNKNOWN_TYPE: Final = PrtMarkerSuppliesType.UNKNOWN.mib_name
_NO_COLOUR: Final = frozenset({"", "unknown", "none", "no-color", "other"})
_HEX_COLOURS: Final = {
    "#000000": "black",
    "#00ffff": "cyan",
    "#ff00ff": "magenta",
    "#ffff00": "yellow",
    "#ff0000": "red",
    "#00ff00": "green",
    "#0000ff": "blue",
    "#ffffff": "white",
    "#808080": "gray",
}
_PERCENT_UNIT: Final = PrtMarkerSuppliesSupplyUnit.PERCENT.mib_name
_MARKER_CAPACITY: Final = 100  # marker-levels are percentages
_CUPS_UNAVAILABLE: Final = -1  # marker-levels: "unavailable" (not RFC 3805's "unlimited")

# printer-impressions-completed-col members (PWG 5100.13) -> counter names.
_IMPRESSION_KINDS: Final = {
    "monochrome": CounterName.MONO,
    "full-color": CounterName.COLOUR,
    "highlight-color": CounterName.HIGHLIGHT_COLOUR,
    "blank": CounterName.BLANK,
}
_TWO_SIDED_SUFFIX: Final = "-two-sided"

_SERIAL_KEYS: Final = ("SN", "SERN", "SERIALNUMBER")
_MAKE_KEYS: Final = ("MFG", "MANUFACTURER")
_MODEL_KEYS: Final = ("MDL", "MODEL")
_UUID_PREFIX: Final = "urn:uuid:"


def build_reading(
    attributes: Attributes, *, weak_identity: WeakNamer | None = None
) -> PrinterReading:
    """Map a printer's IPP attributes to a reading (see the module docstring for the rules)."""
    serial, source = _serial(attributes, weak_identity)
    model = _model(attributes)
    reasons = [parse_reason(text) for text in _texts(attributes, "printer-state-reasons")]
    reasons = [(keyword, severity) for keyword, severity in reasons if keyword != _NO_REASON]
    keywords = {keyword for keyword, _ in reasons}
    reading = {
        "serial": serial,
        "serial_source": source,
        "model": model,
        "status": _status(_first_int(attributes, "printer-state"), reasons),
        "counters": capped(_counters(attributes), ItemList.COUNTERS),
        "supplies": capped(_supplies(attributes, keywords), ItemList.SUPPLIES),
        "trays": capped(_trays(attributes), ItemList.TRAYS),
        "alerts": capped(_alerts(attributes), ItemList.ALERTS),
        "partial_reason": _partial_reason(attributes, has_model=bool(model)),
    }
    try:
        return PrinterReading.model_validate(reading)
    except ValidationError as exc:
        raise ProbeError(f"printer {serial} sent values outside the wire contract: {exc}") from exc


# --- small parsers -------------------------------------------------------------------------


def parse_key_values(text: str) -> dict[str, str]:
    """Parse ``key=value;key=value;`` (printer-supply, printer-alert, printer-input-tray).

    Keys are lower-cased; the final ``;`` may be missing; a part without ``=`` is ignored;
    the first occurrence of a key counts.
    """
    fields: dict[str, str] = {}
    for part in text.split(";"):
        key, equals, value = part.partition("=")
        key = key.strip().lower()
        if equals and key and key not in fields:
            fields[key] = value.strip()
    return fields


def parse_device_id(text: str) -> dict[str, str]:
    """Parse an IEEE 1284 device id (``MFG:Acme;MDL:PX-9000;SN:123;``); keys upper-cased."""
    fields: dict[str, str] = {}
    for part in text.split(";"):
        key, colon, value = part.partition(":")
        key = key.strip().upper()
        if colon and key and key not in fields:
            fields[key] = value.strip()
    return fields


def parse_reason(text: str) -> tuple[str, ReasonSeverity]:
    """Split ``toner-low-warning`` into (``toner-low``, warning); no suffix is an error."""
    keyword = text.strip().lower()
    for severity in ReasonSeverity:
        suffix = f"-{severity.value}"
        if keyword.endswith(suffix) and len(keyword) > len(suffix):
            return keyword[: -len(suffix)], severity
    return keyword, ReasonSeverity.ERROR


def _text(value: IppValue) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return decode_text(value)
    return None


def _texts(attributes: Attributes, name: str) -> list[str]:
    return [text for text in map(_text, attributes.get(name, ())) if text is not None]


def _first_text(attributes: Attributes, name: str) -> str | None:
    texts = [text.strip() for text in _texts(attributes, name)]
    return next((text for text in texts if text), None)


def _integers(attributes: Attributes, name: str) -> list[int | None]:
    return [_as_int(value) for value in attributes.get(name, ())]


def _first_int(attributes: Attributes, name: str) -> int | None:
    return next((value for value in _integers(attributes, name) if value is not None), None)


def _as_int(value: IppValue | str | None) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _non_negative(value: str | None) -> int | None:
    number = _as_int(value)
    return number if number is not None and number >= 0 else None


def _at(items: Sequence[_T], position: int) -> _T | None:
    return items[position] if position < len(items) else None


# --- identity and status -------------------------------------------------------------------


def _serial(attributes: Attributes, weak_identity: WeakNamer | None) -> tuple[str, SerialSource]:
    device_id = parse_device_id(_first_text(attributes, "printer-device-id") or "")
    serial = next((device_id[key] for key in _SERIAL_KEYS if device_id.get(key)), None)
    if serial:
        return clipped(serial, SERIAL_MAX_CHARS), SerialSource.IPP
    uuid = _first_text(attributes, "printer-uuid")
    if uuid:
        bare = uuid[len(_UUID_PREFIX) :] if uuid.lower().startswith(_UUID_PREFIX) else uuid
        return clipped(f"uuid:{bare.lower()}", SERIAL_MAX_CHARS), SerialSource.IPP
    if weak_identity is not None:
        return weak_identity(None), SerialSource.WEAK
    raise ProbeError(
        "cannot identify the printer: its printer-device-id has no serial number "
        "(SN, SERN) and it reported no printer-uuid"
    )


def _model(attributes: Attributes) -> str:
    model = _first_text(attributes, "printer-make-and-model")
    if not model:
        device_id = parse_device_id(_first_text(attributes, "printer-device-id") or "")
        make = next((device_id[key] for key in _MAKE_KEYS if device_id.get(key)), "")
        name = next((device_id[key] for key in _MODEL_KEYS if device_id.get(key)), "")
        model = f"{make} {name}".strip()
    return clipped(model, TEXT_MAX_CHARS)


def _status(state: int | None, reasons: Sequence[tuple[str, ReasonSeverity]]) -> DeviceStatus:
    severities = {severity for _, severity in reasons}
    alarming = bool(severities & {ReasonSeverity.WARNING, ReasonSeverity.ERROR})
    if state in (IppPrinterState.IDLE, IppPrinterState.PROCESSING):
        device_status = _WARNING if alarming else _RUNNING
    elif state == IppPrinterState.STOPPED:
        device_status = _DOWN if ReasonSeverity.ERROR in severities else _WARNING
    else:
        device_status = _UNKNOWN
    conditions = _unique(
        clipped(CONDITION_NAMES.get(keyword, keyword), SHORT_TEXT_MAX_CHARS)
        for keyword, _ in reasons
    )
    return DeviceStatus(
        device_status=device_status,
        printer_status=None if state is None else _STATE_NAMES.get(state, _UNKNOWN),
        error_conditions=capped(conditions, ItemList.ERRORS),
    )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- counters ------------------------------------------------------------------------------


def _counters(attributes: Attributes) -> list[Counter]:
    counters = []
    total = _first_int(attributes, "printer-impressions-completed")
    if total is not None and total >= 0:
        counters.append(Counter(name=CounterName.TOTAL, value=total, unit=CounterUnit.IMPRESSIONS))
    for collection in attributes.get("printer-impressions-completed-col", ()):
        if isinstance(collection, dict):
            counters.extend(_impression_kinds(collection))
            break
    for attribute, name, unit in (
        ("printer-media-sheets-completed", CounterName.SHEETS, CounterUnit.SHEETS),
        ("printer-pages-completed", CounterName.PAGES, CounterUnit.PAGES),
    ):
        value = _first_int(attributes, attribute)
        if value is not None and value >= 0:
            counters.append(Counter(name=name, value=value, unit=unit))
    return counters


def _impression_kinds(collection: Mapping[str, Sequence[IppValue]]) -> list[Counter]:
    """``mono``, ``colour``, ... from printer-impressions-completed-col members."""
    counters = []
    for member, values in collection.items():
        kind = member.removesuffix(_TWO_SIDED_SUFFIX)
        name = _IMPRESSION_KINDS.get(kind)
        count = _as_int(values[0]) if values else None
        if name is None or count is None or count < 0:
            continue
        suffix = "_two_sided" if member.endswith(_TWO_SIDED_SUFFIX) else ""
        counters.append(Counter(name=name + suffix, value=count, unit=CounterUnit.IMPRESSIONS))
    return counters


# --- supplies and trays --------------------------------------------------------------------


def _supplies(attributes: Attributes, reasons: set[str]) -> list[Supply]:
    if attributes.get("printer-supply"):
        return _reconciled(_printer_supplies(attributes), reasons)
    return _marker_supplies(attributes)


def _printer_supplies(attributes: Attributes) -> list[Supply]:
    descriptions = _texts(attributes, "printer-supply-description")
    supplies = []
    for position, text in enumerate(_texts(attributes, "printer-supply")):
        fields = parse_key_values(text)
        supply_type = clipped(fields.get("type") or _UNKNOWN_TYPE, SHORT_TEXT_MAX_CHARS)
        supply_class = _supply_class(fields.get("class"), supply_type)
        assessed = assess_level(
            _as_int(fields.get("level")), _as_int(fields.get("maxcapacity")), supply_class
        )
        index = _non_negative(fields.get("index"))
        unit = fields.get("unit")
        supplies.append(
            _supply(
                index=position + 1 if index is None else index,
                description=_at(descriptions, position) or "",
                supply_type=supply_type,
                supply_class=supply_class,
                colour=_colour(fields.get("colorantname")),
                unit=clipped(unit, SHORT_TEXT_MAX_CHARS) if unit else None,
                assessed=assessed,
            )
        )
    return supplies


def _supply(
    *,
    index: int,
    description: str,
    supply_type: str,
    supply_class: SupplyClass,
    colour: str | None,
    unit: str | None,
    assessed: LevelAssessment,
) -> Supply:
    return Supply(
        index=index,
        description=clipped(description.strip(), TEXT_MAX_CHARS),
        type=supply_type,
        supply_class=supply_class,
        colour=colour,
        unit=unit,
        level=assessed.level,
        max_capacity=assessed.max_capacity,
        percent=assessed.percent,
        state=assessed.state,
    )


def _supply_class(reported: str | None, supply_type: str) -> SupplyClass:
    """The ``class`` key; when missing, waste* types are receptacles and the rest consumed."""
    if reported:
        return _SUPPLY_CLASSES.get(reported.lower(), SupplyClass.OTHER)
    return SupplyClass.RECEPTACLE if supply_type in RECEPTACLE_TYPES else SupplyClass.CONSUMED


def _colour(name: str | None) -> str | None:
    """A colorant name (``light-cyan``) as the SNMP side writes colours (``light cyan``)."""
    if name is None:
        return None
    text = name.strip().lower()
    if text.startswith("#"):
        return _HEX_COLOURS.get(text)
    if text in _NO_COLOUR:
        return None
    return clipped(text.replace("-", " "), SHORT_TEXT_MAX_CHARS)


def _reconciled(supplies: list[Supply], reasons: set[str]) -> list[Supply]:
    """Let the printer's own waste reasons overrule receptacle levels that contradict them."""
    if reasons & _WASTE_FULL_REASONS:
        claimed = SupplyState.FULL
    elif reasons & _WASTE_ALMOST_FULL_REASONS:
        claimed = SupplyState.NEARLY_FULL
    else:
        return supplies
    receptacles = [
        position
        for position, supply in enumerate(supplies)
        if supply.supply_class is SupplyClass.RECEPTACLE
    ]
    needed = _RECEPTACLE_SEVERITY[claimed]
    if not receptacles or any(
        _RECEPTACLE_SEVERITY.get(supplies[position].state, 0) >= needed for position in receptacles
    ):
        return supplies
    if len(receptacles) == 1:
        fixes = {receptacles[0]: claimed}
    else:
        fixes = {
            position: SupplyState.UNKNOWN
            for position in receptacles
            if supplies[position].percent is not None
        }
    return [
        supply.model_copy(update={"percent": None, "state": fixes[position]})
        if position in fixes
        else supply
        for position, supply in enumerate(supplies)
    ]


def _marker_supplies(attributes: Attributes) -> list[Supply]:
    """Supplies from CUPS's marker-* attributes (percentages), used without printer-supply."""
    names = _texts(attributes, "marker-names")
    levels = _integers(attributes, "marker-levels")
    types = _texts(attributes, "marker-types")
    colours = _texts(attributes, "marker-colors")
    lows = _integers(attributes, "marker-low-levels")
    highs = _integers(attributes, "marker-high-levels")
    supplies = []
    for position in range(max(len(names), len(levels))):
        marker_type = _at(types, position)
        supply_type = clipped(
            _camel(marker_type) if marker_type else _UNKNOWN_TYPE, SHORT_TEXT_MAX_CHARS
        )
        supply_class = _supply_class(None, supply_type)
        assessed = _marker_level(_at(levels, position), supply_class)
        assessed = _escalated(assessed, supply_class, _at(lows, position), _at(highs, position))
        supplies.append(
            _supply(
                index=position + 1,
                description=_at(names, position) or "",
                supply_type=supply_type,
                supply_class=supply_class,
                colour=_colour(_at(colours, position)),
                unit=_PERCENT_UNIT,
                assessed=assessed,
            )
        )
    return supplies


def _camel(keyword: str) -> str:
    """``waste-toner`` -> ``wasteToner``: marker-types keywords as PrtMarkerSuppliesTypeTC."""
    first, *rest = keyword.strip().split("-")
    return first.lower() + "".join(word.capitalize() for word in rest)


def _marker_level(percent: int | None, supply_class: SupplyClass) -> LevelAssessment:
    """Assess a marker-levels percentage by the shared rules.

    CUPS's -1 means unavailable, i.e. unknown. A waste marker's percentage is how full it
    is, so it becomes the remaining space (100 - percent) the shared rules expect.
    """
    if percent == _CUPS_UNAVAILABLE:
        percent = SupplyLevel.UNKNOWN
    if (
        supply_class is SupplyClass.RECEPTACLE
        and percent is not None
        and 0 <= percent <= _MARKER_CAPACITY
    ):
        percent = _MARKER_CAPACITY - percent
    return assess_level(percent, _MARKER_CAPACITY, supply_class)


def _escalated(
    assessed: LevelAssessment, supply_class: SupplyClass, low: int | None, high: int | None
) -> LevelAssessment:
    """Apply the printer's own thresholds, which may only make the state more severe."""
    percent = assessed.percent
    if percent is None or assessed.state is not SupplyState.OK:
        return assessed
    if supply_class is SupplyClass.RECEPTACLE and high is not None and 0 < high <= percent:
        state = SupplyState.NEARLY_FULL
    elif supply_class is SupplyClass.CONSUMED and low is not None and percent <= low:
        state = SupplyState.LOW
    else:
        return assessed
    return LevelAssessment(assessed.level, assessed.max_capacity, percent, state)


def _trays(attributes: Attributes) -> list[Tray]:
    """printer-input-tray (PWG 5100.13); levels follow the supply rules (consumed paper)."""
    trays = []
    for position, text in enumerate(_texts(attributes, "printer-input-tray")):
        fields = parse_key_values(text)
        assessed = assess_level(
            _as_int(fields.get("level")), _as_int(fields.get("maxcapacity")), SupplyClass.CONSUMED
        )
        trays.append(
            Tray(
                index=position + 1,
                name=clipped(fields.get("name", ""), TEXT_MAX_CHARS),
                media=None,
                level=assessed.level,
                max_capacity=assessed.max_capacity,
                state=assessed.state,
            )
        )
    return trays


# --- alerts --------------------------------------------------------------------------------


def _alerts(attributes: Attributes) -> list[Alert]:
    descriptions = _texts(attributes, "printer-alert-description")
    alerts = []
    for position, text in enumerate(_texts(attributes, "printer-alert")):
        fields = parse_key_values(text)
        index = _non_negative(fields.get("index"))
        training = fields.get("training")
        alerts.append(
            Alert(
                index=position + 1 if index is None else index,
                severity=clipped(fields.get("severity") or _UNKNOWN, SHORT_TEXT_MAX_CHARS),
                training_level=clipped(training, SHORT_TEXT_MAX_CHARS) if training else None,
                group=clipped(fields.get("group") or _UNKNOWN, SHORT_TEXT_MAX_CHARS),
                group_index=_non_negative(fields.get("groupindex")),
                location=_non_negative(fields.get("location")),
                code=clipped(fields.get("code") or _UNKNOWN, SHORT_TEXT_MAX_CHARS),
                description=clipped((_at(descriptions, position) or "").strip(), TEXT_MAX_CHARS),
                time_ticks=_as_int(fields.get("time")),
            )
        )
    return alerts


# --- partial readings ----------------------------------------------------------------------


def _partial_reason(attributes: Attributes, *, has_model: bool) -> str | None:
    """Name what the printer did not report, as the SNMP side does."""
    missing = [] if has_model else ["model (no printer-make-and-model, no MDL in device id)"]
    if _first_int(attributes, "printer-state") is None:
        missing.append("printer-state (device status)")
    if not attributes.get("printer-supply") and not attributes.get("marker-levels"):
        missing.append("printer-supply and marker-levels (supplies)")
    if not any(
        attributes.get(name)
        for name in (
            "printer-impressions-completed",
            "printer-impressions-completed-col",
            "printer-media-sheets-completed",
            "printer-pages-completed",
        )
    ):
        missing.append("printer-impressions-completed (page counters)")
    return clipped("not reported: " + ", ".join(missing), TEXT_MAX_CHARS) if missing else None
