"""A reading's conditions in one number: what ingest compares with a printer's previous
reading to tell the care feed which readings may open, change or clear an incident (they
go ahead of routine ones, ``care/feed.py``). Counters and levels are left out: a toner at
31 % instead of 32 % is routine; its state (ok, low, empty) is not."""

from __future__ import annotations

import hashlib

from remotecare.protocol.messages import PrinterReading

__all__ = ["conditions_fingerprint", "is_urgent"]


def conditions_fingerprint(reading: PrinterReading) -> int:
    """A signed 63-bit hash of the reading's states, alerts, error bits, covers, supplies'
    and trays' states (order-insensitive): equal readings in these give equal numbers."""
    status = reading.status
    parts = (
        ("status", status.device_status, status.printer_status or ""),
        ("errors", *sorted(status.error_conditions)),
        ("alerts", *sorted(f"{a.index}/{a.group}/{a.code}/{a.location}" for a in reading.alerts)),
        ("covers", *sorted(f"{c.index}/{c.status}/{c.open}" for c in reading.covers)),
        ("supplies", *sorted(f"{s.index}/{s.state}" for s in reading.supplies)),
        ("trays", *sorted(f"{t.index}/{t.state}" for t in reading.trays)),
    )
    text = "\x1e".join("\x1f".join(part) for part in parts)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # fits a signed BIGINT


def is_urgent(fingerprint: int, previous: int | None) -> bool:
    """Whether a reading may change a printer's incidents: its first reading (``previous``
    None) or one whose conditions differ from the printer's previous reading."""
    return previous is None or fingerprint != previous
