"""RFC 3805 (Printer-MIB) and RFC 2790 (Host Resources MIB) enumerations, defined once.

Each textual convention is an :class:`MibEnum`: the member's value is the number on the
wire and ``mib_name`` the MIB's own name for it, which is what a reading reports. The
agent's mapping (:mod:`~remotecare.agent.printer_mib`), its IPP mapping (printer-supply
uses the same names) and the demo fleet (which answers with the numbers) all take them
from here::

    PrtMarkerSuppliesType.WASTE_TONER          # 4
    PrtMarkerSuppliesType.WASTE_TONER.mib_name  # "wasteToner"
    mib_names(PrtMarkerSuppliesType)[4]         # "wasteToner"
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from typing import Final, Self

__all__ = [
    "HR_DEVICE_PRINTER",
    "RECEPTACLE_TYPES",
    "DetectedError",
    "HrDeviceStatus",
    "HrPrinterStatus",
    "MibEnum",
    "PrtAlertCode",
    "PrtAlertGroup",
    "PrtAlertSeverityLevel",
    "PrtAlertTrainingLevel",
    "PrtCoverStatus",
    "PrtMarkerCounterUnit",
    "PrtMarkerMarkTech",
    "PrtMarkerSuppliesClass",
    "PrtMarkerSuppliesSupplyUnit",
    "PrtMarkerSuppliesType",
    "SupplyLevel",
    "mib_names",
]

HR_DEVICE_PRINTER: Final = "1.3.6.1.2.1.25.3.1.5"  # hrDeviceTypes.hrDevicePrinter (hrDeviceType)


class MibEnum(enum.IntEnum):
    """An enumerated MIB value that also knows its MIB name.

    Usage::

        class HrPrinterStatus(MibEnum):
            IDLE = 3, "idle"
    """

    mib_name: str

    def __new__(cls, value: int, mib_name: str) -> Self:
        member = int.__new__(cls, value)
        member._value_ = value
        member.mib_name = mib_name
        return member


@functools.cache
def mib_names(kind: type[MibEnum]) -> Mapping[int, str]:
    """Number -> MIB name for every member of ``kind``."""
    return {member.value: member.mib_name for member in kind}


class SupplyLevel(enum.IntEnum):
    """Reserved values of prtMarkerSuppliesLevel/MaxCapacity and prtInput levels (RFC 3805)."""

    UNLIMITED = -1  # "other": the sub-unit places no restriction
    UNKNOWN = -2
    SOME_REMAINING = -3  # some supply (or, for a receptacle, some space) is left


class HrDeviceStatus(MibEnum):
    """hrDeviceStatus (RFC 2790)."""

    UNKNOWN = 1, "unknown"
    RUNNING = 2, "running"
    WARNING = 3, "warning"
    TESTING = 4, "testing"
    DOWN = 5, "down"


class HrPrinterStatus(MibEnum):
    """hrPrinterStatus (RFC 2790)."""

    OTHER = 1, "other"
    UNKNOWN = 2, "unknown"
    IDLE = 3, "idle"
    PRINTING = 4, "printing"
    WARMUP = 5, "warmup"


class DetectedError(MibEnum):
    """Bits of hrPrinterDetectedErrorState (RFC 2790); bit 0 is the MSB of octet 1."""

    LOW_PAPER = 0, "lowPaper"
    NO_PAPER = 1, "noPaper"
    LOW_TONER = 2, "lowToner"
    NO_TONER = 3, "noToner"
    DOOR_OPEN = 4, "doorOpen"
    JAMMED = 5, "jammed"
    OFFLINE = 6, "offline"
    SERVICE_REQUESTED = 7, "serviceRequested"
    INPUT_TRAY_MISSING = 8, "inputTrayMissing"
    OUTPUT_TRAY_MISSING = 9, "outputTrayMissing"
    MARKER_SUPPLY_MISSING = 10, "markerSupplyMissing"
    OUTPUT_NEAR_FULL = 11, "outputNearFull"
    OUTPUT_FULL = 12, "outputFull"
    INPUT_TRAY_EMPTY = 13, "inputTrayEmpty"
    OVERDUE_PREVENT_MAINT = 14, "overduePreventMaint"


class PrtCoverStatus(MibEnum):
    """PrtCoverStatusTC (RFC 3805)."""

    OTHER = 1, "other"
    COVER_OPEN = 3, "coverOpen"
    COVER_CLOSED = 4, "coverClosed"
    INTERLOCK_OPEN = 5, "interlockOpen"
    INTERLOCK_CLOSED = 6, "interlockClosed"


class PrtMarkerSuppliesClass(MibEnum):
    """PrtMarkerSuppliesClassTC (RFC 3805): a receptacle's level is the space left in it."""

    OTHER = 1, "other"
    SUPPLY_THAT_IS_CONSUMED = 3, "supplyThatIsConsumed"
    RECEPTACLE_THAT_IS_FILLED = 4, "receptacleThatIsFilled"


class PrtMarkerSuppliesType(MibEnum):
    """PrtMarkerSuppliesTypeTC (IANA-PRINTER-MIB)."""

    OTHER = 1, "other"
    UNKNOWN = 2, "unknown"
    TONER = 3, "toner"
    WASTE_TONER = 4, "wasteToner"
    INK = 5, "ink"
    INK_CARTRIDGE = 6, "inkCartridge"
    INK_RIBBON = 7, "inkRibbon"
    WASTE_INK = 8, "wasteInk"
    OPC = 9, "opc"
    DEVELOPER = 10, "developer"
    FUSER_OIL = 11, "fuserOil"
    SOLID_WAX = 12, "solidWax"
    RIBBON_WAX = 13, "ribbonWax"
    WASTE_WAX = 14, "wasteWax"
    FUSER = 15, "fuser"
    CORONA_WIRE = 16, "coronaWire"
    FUSER_OIL_WICK = 17, "fuserOilWick"
    CLEANER_UNIT = 18, "cleanerUnit"
    FUSER_CLEANING_PAD = 19, "fuserCleaningPad"
    TRANSFER_UNIT = 20, "transferUnit"
    TONER_CARTRIDGE = 21, "tonerCartridge"
    FUSER_OILER = 22, "fuserOiler"
    WATER = 23, "water"
    WASTE_WATER = 24, "wasteWater"
    GLUE_WATER_ADDITIVE = 25, "glueWaterAdditive"
    WASTE_PAPER = 26, "wastePaper"
    BINDING_SUPPLY = 27, "bindingSupply"
    BANDING_SUPPLY = 28, "bandingSupply"
    STITCHING_WIRE = 29, "stitchingWire"
    SHRINK_WRAP = 30, "shrinkWrap"
    PAPER_WRAP = 31, "paperWrap"
    STAPLES = 32, "staples"
    INSERTS = 33, "inserts"
    COVERS = 34, "covers"
    MATTE_TONER = 35, "matteToner"
    MATTE_INK = 36, "matteInk"


class PrtMarkerSuppliesSupplyUnit(MibEnum):
    """PrtMarkerSuppliesSupplyUnitTC (RFC 3805)."""

    OTHER = 1, "other"
    UNKNOWN = 2, "unknown"
    TEN_THOUSANDTHS_OF_INCHES = 3, "tenThousandthsOfInches"
    MICROMETERS = 4, "micrometers"
    IMPRESSIONS = 7, "impressions"
    SHEETS = 8, "sheets"
    HOURS = 11, "hours"
    THOUSANDTHS_OF_OUNCES = 12, "thousandthsOfOunces"
    TENTHS_OF_GRAMS = 13, "tenthsOfGrams"
    HUNDRETHS_OF_FLUID_OUNCES = 14, "hundrethsOfFluidOunces"
    TENTHS_OF_MILLILITERS = 15, "tenthsOfMilliliters"
    FEET = 16, "feet"
    METERS = 17, "meters"
    ITEMS = 18, "items"
    PERCENT = 19, "percent"


class PrtMarkerCounterUnit(MibEnum):
    """PrtMarkerCounterUnitTC (RFC 3805)."""

    TEN_THOUSANDTHS_OF_INCHES = 3, "tenThousandthsOfInches"
    MICROMETERS = 4, "micrometers"
    CHARACTERS = 5, "characters"
    LINES = 6, "lines"
    IMPRESSIONS = 7, "impressions"
    SHEETS = 8, "sheets"
    DOT_ROW = 9, "dotRow"
    HOURS = 11, "hours"
    FEET = 16, "feet"
    METERS = 17, "meters"


class PrtMarkerMarkTech(MibEnum):
    """PrtMarkerMarkTechTC (RFC 3805), the values the demo fleet uses."""

    OTHER = 1, "other"
    UNKNOWN = 2, "unknown"
    ELECTROPHOTOGRAPHIC_LED = 3, "electrophotographicLED"
    ELECTROPHOTOGRAPHIC_LASER = 4, "electrophotographicLaser"
    INKJET_AQUEOUS = 12, "inkjetAqueous"


class PrtAlertSeverityLevel(MibEnum):
    """PrtAlertSeverityLevelTC (RFC 3805)."""

    OTHER = 1, "other"
    CRITICAL = 3, "critical"
    WARNING = 4, "warning"
    WARNING_BINARY_CHANGE_EVENT = 5, "warningBinaryChangeEvent"


class PrtAlertTrainingLevel(MibEnum):
    """PrtAlertTrainingLevelTC (IANA-PRINTER-MIB)."""

    OTHER = 1, "other"
    UNKNOWN = 2, "unknown"
    UNTRAINED = 3, "untrained"
    TRAINED = 4, "trained"
    FIELD_SERVICE = 5, "fieldService"
    MANAGEMENT = 6, "management"
    NO_INTERVENTION_REQUIRED = 7, "noInterventionRequired"


class PrtAlertGroup(MibEnum):
    """PrtAlertGroupTC (IANA-PRINTER-MIB)."""

    OTHER = 1, "other"
    UNKNOWN = 2, "unknown"
    HOST_RESOURCES_MIB_STORAGE_TABLE = 3, "hostResourcesMIBStorageTable"
    HOST_RESOURCES_MIB_DEVICE_TABLE = 4, "hostResourcesMIBDeviceTable"
    GENERAL_PRINTER = 5, "generalPrinter"
    COVER = 6, "cover"
    LOCALIZATION = 7, "localization"
    INPUT = 8, "input"
    OUTPUT = 9, "output"
    MARKER = 10, "marker"
    MARKER_SUPPLIES = 11, "markerSupplies"
    MARKER_COLORANT = 12, "markerColorant"
    MEDIA_PATH = 13, "mediaPath"
    CHANNEL = 14, "channel"
    INTERPRETER = 15, "interpreter"
    CONSOLE_DISPLAY_BUFFER = 16, "consoleDisplayBuffer"
    CONSOLE_LIGHTS = 17, "consoleLights"
    ALERT = 18, "alert"
    FIN_DEVICE = 30, "finDevice"
    FIN_SUPPLY = 31, "finSupply"
    FIN_SUPPLY_MEDIA_INPUT = 32, "finSupplyMediaInput"
    FIN_ATTRIBUTE = 33, "finAttribute"


class PrtAlertCode(MibEnum):
    """PrtAlertCodeTC (IANA-PRINTER-MIB, the RFC 3805 set; finisher codes 30000+ are not named)."""

    OTHER = 1, "other"
    UNKNOWN = 2, "unknown"
    COVER_OPEN = 3, "coverOpen"
    COVER_CLOSED = 4, "coverClosed"
    INTERLOCK_OPEN = 5, "interlockOpen"
    INTERLOCK_CLOSED = 6, "interlockClosed"
    CONFIGURATION_CHANGE = 7, "configurationChange"
    JAM = 8, "jam"
    SUBUNIT_MISSING = 9, "subunitMissing"
    SUBUNIT_LIFE_ALMOST_OVER = 10, "subunitLifeAlmostOver"
    SUBUNIT_LIFE_OVER = 11, "subunitLifeOver"
    SUBUNIT_ALMOST_EMPTY = 12, "subunitAlmostEmpty"
    SUBUNIT_EMPTY = 13, "subunitEmpty"
    SUBUNIT_ALMOST_FULL = 14, "subunitAlmostFull"
    SUBUNIT_FULL = 15, "subunitFull"
    SUBUNIT_NEAR_LIMIT = 16, "subunitNearLimit"
    SUBUNIT_AT_LIMIT = 17, "subunitAtLimit"
    SUBUNIT_OPENED = 18, "subunitOpened"
    SUBUNIT_CLOSED = 19, "subunitClosed"
    SUBUNIT_TURNED_ON = 20, "subunitTurnedOn"
    SUBUNIT_TURNED_OFF = 21, "subunitTurnedOff"
    SUBUNIT_OFFLINE = 22, "subunitOffline"
    SUBUNIT_POWER_SAVER = 23, "subunitPowerSaver"
    SUBUNIT_WARMING_UP = 24, "subunitWarmingUp"
    SUBUNIT_ADDED = 25, "subunitAdded"
    SUBUNIT_REMOVED = 26, "subunitRemoved"
    SUBUNIT_RESOURCE_ADDED = 27, "subunitResourceAdded"
    SUBUNIT_RESOURCE_REMOVED = 28, "subunitResourceRemoved"
    SUBUNIT_RECOVERABLE_FAILURE = 29, "subunitRecoverableFailure"
    SUBUNIT_UNRECOVERABLE_FAILURE = 30, "subunitUnrecoverableFailure"
    SUBUNIT_RECOVERABLE_STORAGE_ERROR = 31, "subunitRecoverableStorageError"
    SUBUNIT_UNRECOVERABLE_STORAGE_ERROR = 32, "subunitUnrecoverableStorageError"
    SUBUNIT_MOTOR_FAILURE = 33, "subunitMotorFailure"
    SUBUNIT_MEMORY_EXHAUSTED = 34, "subunitMemoryExhausted"
    SUBUNIT_UNDER_TEMPERATURE = 35, "subunitUnderTemperature"
    SUBUNIT_OVER_TEMPERATURE = 36, "subunitOverTemperature"
    SUBUNIT_TIMING_FAILURE = 37, "subunitTimingFailure"
    SUBUNIT_THERMISTOR_FAILURE = 38, "subunitThermistorFailure"
    DOOR_OPEN = 501, "doorOpen"
    DOOR_CLOSED = 502, "doorClosed"
    POWER_UP = 503, "powerUp"
    POWER_DOWN = 504, "powerDown"
    PRINTER_NMS_RESET = 505, "printerNMSReset"
    PRINTER_MANUAL_RESET = 506, "printerManualReset"
    PRINTER_READY_TO_PRINT = 507, "printerReadyToPrint"
    INPUT_MEDIA_TRAY_MISSING = 801, "inputMediaTrayMissing"
    INPUT_MEDIA_SIZE_CHANGE = 802, "inputMediaSizeChange"
    INPUT_MEDIA_WEIGHT_CHANGE = 803, "inputMediaWeightChange"
    INPUT_MEDIA_TYPE_CHANGE = 804, "inputMediaTypeChange"
    INPUT_MEDIA_COLOR_CHANGE = 805, "inputMediaColorChange"
    INPUT_MEDIA_FORM_PARTS_CHANGE = 806, "inputMediaFormPartsChange"
    INPUT_MEDIA_SUPPLY_LOW = 807, "inputMediaSupplyLow"
    INPUT_MEDIA_SUPPLY_EMPTY = 808, "inputMediaSupplyEmpty"
    INPUT_MEDIA_CHANGE_REQUEST = 809, "inputMediaChangeRequest"
    INPUT_MANUAL_INPUT_REQUEST = 810, "inputManualInputRequest"
    INPUT_TRAY_POSITION_FAILURE = 811, "inputTrayPositionFailure"
    INPUT_TRAY_ELEVATION_FAILURE = 812, "inputTrayElevationFailure"
    INPUT_CANNOT_FEED_SIZE_SELECTED = 813, "inputCannotFeedSizeSelected"
    OUTPUT_MEDIA_TRAY_MISSING = 901, "outputMediaTrayMissing"
    OUTPUT_MEDIA_TRAY_ALMOST_FULL = 902, "outputMediaTrayAlmostFull"
    OUTPUT_MEDIA_TRAY_FULL = 903, "outputMediaTrayFull"
    OUTPUT_MAILBOX_SELECT_FAILURE = 904, "outputMailboxSelectFailure"
    MARKER_FUSER_UNDER_TEMPERATURE = 1001, "markerFuserUnderTemperature"
    MARKER_FUSER_OVER_TEMPERATURE = 1002, "markerFuserOverTemperature"
    MARKER_FUSER_TIMING_FAILURE = 1003, "markerFuserTimingFailure"
    MARKER_FUSER_THERMISTOR_FAILURE = 1004, "markerFuserThermistorFailure"
    MARKER_ADJUSTING_PRINT_QUALITY = 1005, "markerAdjustingPrintQuality"
    MARKER_TONER_EMPTY = 1101, "markerTonerEmpty"
    MARKER_INK_EMPTY = 1102, "markerInkEmpty"
    MARKER_PRINT_RIBBON_EMPTY = 1103, "markerPrintRibbonEmpty"
    MARKER_TONER_ALMOST_EMPTY = 1104, "markerTonerAlmostEmpty"
    MARKER_INK_ALMOST_EMPTY = 1105, "markerInkAlmostEmpty"
    MARKER_PRINT_RIBBON_ALMOST_EMPTY = 1106, "markerPrintRibbonAlmostEmpty"
    MARKER_WASTE_TONER_RECEPTACLE_ALMOST_FULL = 1107, "markerWasteTonerReceptacleAlmostFull"
    MARKER_WASTE_INK_RECEPTACLE_ALMOST_FULL = 1108, "markerWasteInkReceptacleAlmostFull"
    MARKER_WASTE_TONER_RECEPTACLE_FULL = 1109, "markerWasteTonerReceptacleFull"
    MARKER_WASTE_INK_RECEPTACLE_FULL = 1110, "markerWasteInkReceptacleFull"
    MARKER_OPC_LIFE_ALMOST_OVER = 1111, "markerOpcLifeAlmostOver"
    MARKER_OPC_LIFE_OVER = 1112, "markerOpcLifeOver"
    MARKER_DEVELOPER_ALMOST_EMPTY = 1113, "markerDeveloperAlmostEmpty"
    MARKER_DEVELOPER_EMPTY = 1114, "markerDeveloperEmpty"
    MARKER_TONER_CARTRIDGE_MISSING = 1115, "markerTonerCartridgeMissing"
    MEDIA_PATH_MEDIA_TRAY_MISSING = 1301, "mediaPathMediaTrayMissing"
    MEDIA_PATH_MEDIA_TRAY_ALMOST_FULL = 1302, "mediaPathMediaTrayAlmostFull"
    MEDIA_PATH_MEDIA_TRAY_FULL = 1303, "mediaPathMediaTrayFull"
    MEDIA_PATH_CANNOT_DUPLEX_MEDIA_SELECTED = 1304, "mediaPathCannotDuplexMediaSelected"
    INTERPRETER_MEMORY_INCREASE = 1501, "interpreterMemoryIncrease"
    INTERPRETER_MEMORY_DECREASE = 1502, "interpreterMemoryDecrease"
    INTERPRETER_CARTRIDGE_ADDED = 1503, "interpreterCartridgeAdded"
    INTERPRETER_CARTRIDGE_DELETED = 1504, "interpreterCartridgeDeleted"
    INTERPRETER_RESOURCE_ADDED = 1505, "interpreterResourceAdded"
    INTERPRETER_RESOURCE_DELETED = 1506, "interpreterResourceDeleted"
    INTERPRETER_RESOURCE_UNAVAILABLE = 1507, "interpreterResourceUnavailable"
    INTERPRETER_COMPLEX_PAGE_ENCOUNTERED = 1509, "interpreterComplexPageEncountered"
    ALERT_REMOVAL_OF_BINARY_CHANGE_ENTRY = 1801, "alertRemovalOfBinaryChangeEntry"


RECEPTACLE_TYPES: Final = frozenset(
    kind.mib_name
    for kind in (
        PrtMarkerSuppliesType.WASTE_TONER,
        PrtMarkerSuppliesType.WASTE_INK,
        PrtMarkerSuppliesType.WASTE_WAX,
        PrtMarkerSuppliesType.WASTE_WATER,
        PrtMarkerSuppliesType.WASTE_PAPER,
    )
)  # supply types that fill up rather than run out
