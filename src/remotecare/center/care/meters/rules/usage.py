"""Usage for a period, and what makes it suspicious.

Usage is the sum of the counter's rises from the previous read to this one, over the
trusted readings between them: where the counter falls and stays down (a main-board
replacement resets it), the fall is not subtracted and counting continues from the new
value, so usage is never negative and no page is counted twice; the pages printed between
the last reading before the fall and the first after it are unknown, and the read says so.
A device's first read counts from its first reading, not from the pages it printed
before it came under care (nor before it replaced another device at its site).

Validation, as FMAudit does it: usage above the 99th percentile of the device's own past
periods, or zero on a device that printed in every past period, is flagged (both need a
few past periods to mean anything).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from remotecare.center.care.meters.rules.screening import Reading

__all__ = [
    "MIN_HISTORY_PERIODS",
    "SiteDevice",
    "Swap",
    "Usage",
    "detect_swaps",
    "percentile",
    "usage_between",
    "validate_usage",
]

MIN_HISTORY_PERIODS = 3


@dataclass(frozen=True, slots=True)
class Usage:
    pages: int
    flags: tuple[str, ...]
    evidence: tuple[Reading, ...]  # the readings on either side of each reset


def usage_between(previous: Reading | None, path: Sequence[Reading], current: Reading) -> Usage:
    """Pages from ``previous`` (the last period's read; None for a first read, counted from
    the first of ``path``) to ``current``, through the trusted readings ``path`` between."""
    points = [*([previous] if previous is not None else []), *path, current]
    points = sorted(set(points))
    flags: list[str] = [] if previous is not None else ["first read"]
    evidence: list[Reading] = []
    pages = 0
    for before, after in itertools.pairwise(points):
        if after.value >= before.value:
            pages += after.value - before.value
        else:
            evidence += [before, after]
    if evidence:
        flags.append(
            "counter reset: "
            + "; ".join(
                f"{a.value} at {a.at:%Y-%m-%d %H:%M} to {b.value} at {b.at:%Y-%m-%d %H:%M}"
                for a, b in zip(evidence[::2], evidence[1::2], strict=True)
            )
        )
    return Usage(pages, tuple(flags), tuple(evidence))


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0..1) percentile of ``values``, linear between ranks (as numpy's
    default)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * share
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def validate_usage(pages: int, past_pages: Sequence[int]) -> tuple[str, ...]:
    """Flags for a period's usage against the device's own past periods."""
    if len(past_pages) < MIN_HISTORY_PERIODS:
        return ()
    if pages > percentile(past_pages, 0.99):
        return (f"usage high: above its 99th percentile ({percentile(past_pages, 0.99):.0f})",)
    if pages == 0 and all(past > 0 for past in past_pages):
        return ("usage zero: printed in every past period",)
    return ()


@dataclass(frozen=True, slots=True)
class SiteDevice:
    """A device at a customer's site, with its first and last reading."""

    printer_id: int
    serial: str
    site: str
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True, slots=True)
class Swap:
    """``old`` was replaced at its site by ``new`` (whose first reading came after the
    old one's last, before the cut-off)."""

    old: SiteDevice
    new: SiteDevice


def detect_swaps(devices: Sequence[SiteDevice], cutoff: datetime) -> list[Swap]:
    """Device swaps at the same site before ``cutoff``: a device that fell silent, and the
    first device to appear at that site after its last reading."""
    by_site: dict[str, list[SiteDevice]] = {}
    for device in devices:
        by_site.setdefault(device.site, []).append(device)
    swaps: list[Swap] = []
    for site_devices in by_site.values():
        ordered = sorted(site_devices, key=lambda d: d.first_at)
        for old in ordered:
            successor = next(
                (
                    new
                    for new in ordered
                    if new is not old and old.last_at <= new.first_at <= cutoff
                ),
                None,
            )
            if successor is not None and old.last_at < cutoff:
                swaps.append(Swap(old, successor))
    return swaps
