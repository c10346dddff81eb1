"""The compact history as the console's device page draws it (``fleet.rules.usage``):
the fleet's page cannot import the care services, so ``server.py`` hands it this reader."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from remotecare.center.care.history.service import printer_history
from remotecare.center.fleet.rules.usage import (
    CounterLine,
    DeviceHistory,
    SupplyLine,
    level_percent,
)

__all__ = ["device_history"]


def device_history(
    conn: Connection, printer_id: int, since: datetime, until: datetime
) -> DeviceHistory:
    """Each supply's level in percent and each counter of ``printer_id`` over the span."""
    history = printer_history(conn, printer_id, since, until)
    return DeviceHistory(
        supplies=[
            SupplyLine(
                series.key.supply_index,
                series.key.description,
                series.kind.colour,
                [
                    (s.at, level_percent(s.value.level, s.value.max_capacity))
                    for s in series.samples
                ],
            )
            for series in history.supplies
        ],
        counters=[
            CounterLine(series.key.name, series.key.unit, [(s.at, s.value) for s in series.samples])
            for series in history.counters
        ],
    )
