"""Incidents per model and month, and the mean time between failures: a failure is an
incident field service must act on (a repair), counted in the month it opened; a month's
operating time is its days times the devices of that model.

Usage::

    rows = monthly_report(incidents, devices_by_model, first_month=date(2026, 1, 1), months=3)
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["ModelMonth", "ReportedIncident", "month_starts", "monthly_report"]


@dataclass(frozen=True, slots=True)
class ReportedIncident:
    model: str
    opened_at: datetime
    responder: str


@dataclass(frozen=True, slots=True)
class ModelMonth:
    model: str
    month: str  # "2026-03"
    devices: int
    incidents: int
    failures: int  # incidents for field service
    mtbf_days: float | None  # device-days per failure; None without a failure


def month_starts(last: date, months: int) -> list[date]:
    """The first days of the ``months`` months ending with ``last``'s, oldest first."""
    year, month = last.year, last.month
    found = []
    for _ in range(months):
        found.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def monthly_report(
    incidents: Iterable[ReportedIncident],
    devices_by_model: Mapping[str, int],
    months: list[date],
) -> list[ModelMonth]:
    """One row per model and month of ``months`` (first days), by model then month."""
    wanted = {(m.year, m.month) for m in months}
    counts: dict[tuple[str, int, int], list[int]] = {}
    for incident in incidents:
        key = (incident.model, incident.opened_at.year, incident.opened_at.month)
        if key[1:] not in wanted:
            continue
        tally = counts.setdefault(key, [0, 0])
        tally[0] += 1
        tally[1] += incident.responder == "field_service"
    models = sorted(set(devices_by_model) | {model for model, _, _ in counts})
    rows = []
    for model in models:
        devices = devices_by_model.get(model, 0)
        for start in months:
            total, failures = counts.get((model, start.year, start.month), [0, 0])
            days = calendar.monthrange(start.year, start.month)[1]
            rows.append(
                ModelMonth(
                    model,
                    f"{start.year:04d}-{start.month:02d}",
                    devices,
                    total,
                    failures,
                    round(devices * days / failures, 1) if failures and devices else None,
                )
            )
    return rows
