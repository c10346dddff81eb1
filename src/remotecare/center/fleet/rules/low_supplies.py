"""How many supplies of a reading need replacing soon: kept per printer beside its latest
reading, so that the console counts and filters low supplies from an index, never by
opening every reading's JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from remotecare.protocol.messages import SupplyState

__all__ = ["LOW_STATES", "low_supplies_in", "low_supplies_in_json"]

# Low or empty, or a waste box nearly full or full: what the console calls low supplies.
LOW_STATES = frozenset(
    {SupplyState.LOW, SupplyState.EMPTY, SupplyState.NEARLY_FULL, SupplyState.FULL}
)


def low_supplies_in(states: Iterable[str]) -> int:
    """How many of the supply ``states`` are low (an unknown state is not low)."""
    return sum(1 for state in states if state in LOW_STATES)


def low_supplies_in_json(reading: Mapping[str, Any] | None) -> int:
    """The same for a stored latest reading (as JSON), for the backfill."""
    supplies = (reading or {}).get("supplies") or []
    return low_supplies_in(
        str(supply.get("state", "")) for supply in supplies if isinstance(supply, dict)
    )
