"""The wire contract's limits and names, defined once for the messages and their makers.

:mod:`remotecare.protocol.messages` builds its fields from these limits, and the agent
clips and caps what printers say to the same numbers before it builds a message::

    description = clipped(text, TEXT_MAX_CHARS)
    counters = capped(counters, ItemList.COUNTERS)
"""

from __future__ import annotations

import enum
import re
from typing import Final, TypeVar

__all__ = [
    "MAX_BATCH_REPORTS",
    "MAX_ITEMS",
    "SERIAL_MAX_CHARS",
    "SHORT_TEXT_MAX_CHARS",
    "TEXT_MAX_CHARS",
    "CounterName",
    "CounterUnit",
    "ItemList",
    "capped",
    "clipped",
    "is_counter_name",
]

_T = TypeVar("_T")

TEXT_MAX_CHARS: Final = 256  # descriptions, names, reasons
SHORT_TEXT_MAX_CHARS: Final = 64  # keywords: supply types, units, severities, codes
SERIAL_MAX_CHARS: Final = 128  # a printer's serial number (or its stand-in)
MAX_BATCH_REPORTS: Final = 500


class ItemList(enum.StrEnum):
    """The lists of a reading, each capped by :data:`MAX_ITEMS`."""

    COUNTERS = "counters"
    SUPPLIES = "supplies"
    TRAYS = "trays"
    ALERTS = "alerts"
    ERRORS = "errors"  # DeviceStatus.error_conditions
    COVERS = "covers"
    DISPLAY = "display"  # PrinterReading.display_text
    DROPPED = "dropped"  # AgentStatus.dropped


MAX_ITEMS: Final[dict[ItemList, int]] = {
    ItemList.COUNTERS: 64,
    ItemList.SUPPLIES: 64,
    ItemList.TRAYS: 64,
    ItemList.ALERTS: 128,
    ItemList.ERRORS: 32,
    ItemList.COVERS: 32,
    ItemList.DISPLAY: 16,
    ItemList.DROPPED: 16,
}


class CounterName(enum.StrEnum):
    """Names of the page counters a reading carries (``Counter.name``).

    The Printer-MIB gives ``total`` and ``power_on`` (``_marker_N`` appended for markers
    after the first), IPP adds ``sheets``, ``pages`` and impression kinds (``_two_sided``
    appended), vendor profiles the print/copy/scan/fax split and, where a profile maps
    them, the large-paper counters (A3 and larger, which contracts bill at their own rate).
    Names are only ever added: the center keeps a counter whose name it does not know.
    """

    TOTAL = "total"
    MONO = "mono"
    COLOUR = "colour"
    PRINT = "print"
    PRINT_MONO = "print_mono"
    PRINT_COLOUR = "print_colour"
    COPY = "copy"
    COPY_MONO = "copy_mono"
    COPY_COLOUR = "copy_colour"
    SCAN = "scan"
    FAX = "fax"
    LARGE_FORMAT = "large_format"
    POWER_ON = "power_on"
    HIGHLIGHT_COLOUR = "highlight_colour"
    BLANK = "blank"
    SHEETS = "sheets"
    PAGES = "pages"
    LARGE_MONO = "large_mono"  # A3/ledger and larger, black & white
    LARGE_COLOUR = "large_colour"  # A3/ledger and larger, full colour


_COUNTER_NAMES: Final = frozenset(CounterName)
_COUNTER_SUFFIX: Final = re.compile(r"(_marker_[0-9]{1,10}|_two_sided)$")


def is_counter_name(name: str) -> bool:
    """Whether ``name`` is a counter this version names (``total``, ``total_marker_2``, ...).

    The forms the agent sends: a :class:`CounterName`, with ``_marker_N`` (a Printer-MIB
    marker after the first) or ``_two_sided`` (an IPP impression kind) appended.
    """
    return _COUNTER_SUFFIX.sub("", name) in _COUNTER_NAMES


class CounterUnit(enum.StrEnum):
    """Units of counters that are not named by PrtMarkerCounterUnitTC (``Counter.unit``)."""

    IMPRESSIONS = "impressions"
    SHEETS = "sheets"
    IMAGES = "images"
    PAGES = "pages"
    UNKNOWN = "unknown"


def clipped(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def capped(items: list[_T], kind: ItemList) -> list[_T]:
    """The first items of a list, as many as the wire contract takes for ``kind``."""
    return items[: MAX_ITEMS[kind]]
