"""What a person asks of the devices list, read from the page's query string, and which
vendor a device is. Pure: values in, values out.

Anything a person (or someone else) types is taken as a value, never as syntax: the text
is searched for literally (``like_pattern`` escapes LIKE's wildcards) and bound as a
parameter; unknown states, vendors, customers and pages are ignored, not refused, so a
stale or edited link still shows a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from remotecare.center.fleet.rules.connectivity import Connectivity

__all__ = [
    "MAX_SEARCH_CHARS",
    "PAGE_SIZE",
    "VENDORS",
    "DeviceQuery",
    "Vendor",
    "like_pattern",
    "page_count",
    "read_query",
    "vendor_of",
]

PAGE_SIZE = 50
MAX_SEARCH_CHARS = 100
_MAX_PAGE = 1_000_000


@dataclass(frozen=True, slots=True)
class Vendor:
    """A maker, known by its SNMP enterprise number (in ``sysObjectID``) or by the first
    word of the model names it gives its printers."""

    key: str
    name: str
    enterprise: str
    model_prefixes: tuple[str, ...]


VENDORS: tuple[Vendor, ...] = (
    Vendor("brother", "Brother", "2435", ("brother",)),
    Vendor("canon", "Canon", "1602", ("canon",)),
    Vendor("epson", "Epson", "1248", ("epson",)),
    Vendor(
        "fujifilm",
        "FUJIFILM / Xerox",
        "297",
        ("fujifilm", "fuji xerox", "xerox", "docuprint", "apeos", "docucentre"),
    ),
    Vendor("hp", "HP", "11", ("hp ", "hewlett")),
    Vendor("konicaminolta", "Konica Minolta", "18334", ("konica", "bizhub")),
    Vendor("kyocera", "Kyocera", "1347", ("kyocera", "ecosys", "taskalfa")),
    Vendor("lexmark", "Lexmark", "641", ("lexmark",)),
    Vendor("oki", "OKI", "2001", ("oki",)),
    Vendor("ricoh", "Ricoh", "367", ("ricoh", "savin", "lanier", "nashuatec", "gestetner")),
    Vendor("sharp", "Sharp", "2385", ("sharp",)),
    Vendor("toshiba", "Toshiba", "1129", ("toshiba", "e-studio")),
)
_BY_KEY = {vendor.key: vendor for vendor in VENDORS}
_ENTERPRISES = "1.3.6.1.4.1."


def vendor_of(sys_object_id: str | None, model: str) -> Vendor | None:
    """The maker of a device: by the model name it gives itself when that names a known
    maker (also for rebadged machines), else by the enterprise number of its sysObjectID.
    The devices list filters in the same order, so that it reads the reading's JSON only
    for the few models no prefix names."""
    name = model.casefold()
    for vendor in VENDORS:
        if name.startswith(vendor.model_prefixes):
            return vendor
    if sys_object_id and sys_object_id.startswith(_ENTERPRISES):
        number = sys_object_id.removeprefix(_ENTERPRISES).split(".")[0]
        for vendor in VENDORS:
            if vendor.enterprise == number:
                return vendor
    return None


@dataclass(frozen=True, slots=True)
class DeviceQuery:
    """A search of the devices list: every part optional, ``page`` from 1."""

    text: str = ""
    state: Connectivity | None = None
    vendor: str | None = None
    customer_id: int | None = None
    low_supplies: bool = False
    page: int = 1

    @property
    def is_filtered(self) -> bool:
        return bool(self.text or self.state or self.vendor or self.customer_id or self.low_supplies)

    @property
    def params(self) -> dict[str, str]:
        """The query string that asks for this search again (without the page)."""
        given = {
            "q": self.text,
            "state": self.state.value if self.state else "",
            "vendor": self.vendor or "",
            "customer": "" if self.customer_id is None else str(self.customer_id),
            "low": "1" if self.low_supplies else "",
        }
        return {key: value for key, value in given.items() if value}

    def vendor_entry(self) -> Vendor | None:
        return None if self.vendor is None else _BY_KEY[self.vendor]


def read_query(given: Mapping[str, str]) -> DeviceQuery:
    """The search a query string asks for; what cannot be understood is left out."""
    text = " ".join(given.get("q", "").split())[:MAX_SEARCH_CHARS]
    state_text = given.get("state", "")
    state = Connectivity(state_text) if state_text in set(Connectivity) else None
    vendor = given.get("vendor", "")
    return DeviceQuery(
        text=text,
        state=state,
        vendor=vendor if vendor in _BY_KEY else None,
        customer_id=_positive(given.get("customer", "")),
        low_supplies=given.get("low", "") in ("1", "on", "true"),
        page=min(_positive(given.get("page", "")) or 1, _MAX_PAGE),
    )


def _positive(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    number = int(text)
    return number if number > 0 else None


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching ``text`` anywhere, literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    """How many pages ``total`` rows fill (at least one, even when empty)."""
    return max(1, -(-total // page_size))
