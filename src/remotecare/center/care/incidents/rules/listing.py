"""What a person asks of the incidents list, read from the page's query string. Pure:
values in, values out.

As on the devices list (``fleet/rules/device_query.py``), whatever is typed is a value,
never syntax: the text is searched for literally and bound as a parameter; an unknown
state, severity, customer, device or page is left out, not refused, so that a stale or
edited link still shows a list.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from remotecare.center.care.incidents.rules.catalogue import Severity

__all__ = [
    "INCIDENT_PAGE_SIZE",
    "MAX_INCIDENT_SEARCH_CHARS",
    "IncidentQuery",
    "StateFilter",
    "read_incident_query",
]

INCIDENT_PAGE_SIZE = 25
MAX_INCIDENT_SEARCH_CHARS = 100
_MAX_PAGE = 1_000_000


class StateFilter(enum.StrEnum):
    """Which incidents the list shows, by their state."""

    UNRESOLVED = "unresolved"  # open or clearing: the work still to do (the default)
    OPEN = "open"
    CLEARING = "clearing"
    RESOLVED = "resolved"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class IncidentQuery:
    """A search of the incidents list: every part optional, ``page`` from 1."""

    state: StateFilter = StateFilter.UNRESOLVED
    severity: Severity | None = None
    customer_id: int | None = None
    device_id: int | None = None  # a printer's id
    text: str = ""
    page: int = 1

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.state is not StateFilter.UNRESOLVED
            or self.severity
            or self.customer_id
            or self.device_id
            or self.text
        )

    @property
    def params(self) -> dict[str, str]:
        """The query string that asks for this search again (without the page)."""
        given = {
            "state": "" if self.state is StateFilter.UNRESOLVED else self.state.value,
            "severity": self.severity.value if self.severity else "",
            "customer": "" if self.customer_id is None else str(self.customer_id),
            "device": "" if self.device_id is None else str(self.device_id),
            "q": self.text,
        }
        return {key: value for key, value in given.items() if value}


def read_incident_query(given: Mapping[str, str]) -> IncidentQuery:
    """The search a query string asks for; what cannot be understood is left out."""
    state_text = given.get("state", "")
    severity_text = given.get("severity", "")
    return IncidentQuery(
        state=StateFilter(state_text) if state_text in set(StateFilter) else StateFilter.UNRESOLVED,
        severity=Severity(severity_text) if severity_text in set(Severity) else None,
        customer_id=_positive(given.get("customer", "")),
        device_id=_positive(given.get("device", "")),
        text=" ".join(given.get("q", "").split())[:MAX_INCIDENT_SEARCH_CHARS],
        page=min(_positive(given.get("page", "")) or 1, _MAX_PAGE),
    )


def _positive(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    number = int(text)
    return number if number > 0 else None
