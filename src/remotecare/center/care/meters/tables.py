"""The meters' tables: billing settings per customer, what the care feed saw of each
printer around its cut-offs, readings refused for their agent clock, reads, closings,
and corrections (an audit of their own until the contracts issue brings one)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from remotecare.center.care.history.tables import EpochMilliseconds
from remotecare.center.kernel.storage import Json, UtcDateTime, metadata

__all__ = [
    "billing_settings",
    "meter_closings",
    "meter_corrections",
    "meter_reads",
    "meter_refused_readings",
    "meter_sightings",
]

billing_settings = Table(
    "billing_settings",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
    Column("cutoff_day", Integer),  # None: the month's last day
    Column("cutoff_minutes", Integer, nullable=False),  # local time of day, 1440 = 24:00
    Column("zone", String(64), nullable=False),
    Column("counters", String(512), nullable=False),  # billed counter names, comma-separated
    Column("window_minutes", Integer, nullable=False),
    Column("grace_minutes", Integer, nullable=False),
    Column("country", String(8), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(128), nullable=False),
)

# The history keeps only changes, so a counter that did not move says nothing of when it
# was read: the first and last reading of each printer in each billing period (by its
# customer's cut-off) tell how fresh the value at cut-off is. One row per printer and month.
meter_sightings = Table(
    "meter_sightings",
    metadata,
    Column("printer_id", ForeignKey("printers.id"), nullable=False),
    Column("period", String(7), nullable=False),  # "YYYY-MM"
    Column("first_at", EpochMilliseconds, nullable=False),
    Column("last_at", EpochMilliseconds, nullable=False),
    PrimaryKeyConstraint("printer_id", "period"),
)

# Readings whose agent clock was far from the time the center received them: their
# samples in the history are left out of reads, with this reason.
meter_refused_readings = Table(
    "meter_refused_readings",
    metadata,
    Column("printer_id", ForeignKey("printers.id"), nullable=False),
    Column("agent_time", EpochMilliseconds, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("reason", String(32), nullable=False),
    PrimaryKeyConstraint("printer_id", "agent_time"),
)

# One read per device, billed counter and period, fixed when the period closes.
meter_reads = Table(
    "meter_reads",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("printer_id", ForeignKey("printers.id"), nullable=False),
    Column("counter", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("value", BigInteger),  # None: no reading before the cut-off
    Column("previous_value", BigInteger),
    Column("usage", BigInteger),
    Column("method", String(16), nullable=False),  # actual, interpolated, extrapolated, ...
    Column("read_at", UtcDateTime),  # the reading's time (the cut-off for an estimate)
    Column("sources", Json, nullable=False),  # [[iso time, value], ...] the read came from
    Column("flags", Json, nullable=False),  # [reason, ...] resets, swaps, exclusions, checks
    Column("computed_at", UtcDateTime, nullable=False),
    UniqueConstraint("printer_id", "counter", "period"),
    Index("ix_meter_reads_customer_period", "customer_id", "period", "printer_id"),
)

meter_closings = Table(
    "meter_closings",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("period", String(7), nullable=False),
    Column("closed_at", UtcDateTime, nullable=False),
    Column("closed_by", String(128), nullable=False),  # an operator, or "automatic"
    Column("reads", Integer, nullable=False),
    PrimaryKeyConstraint("customer_id", "period"),
)

meter_corrections = Table(
    "meter_corrections",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("read_id", ForeignKey("meter_reads.id"), nullable=False, index=True),
    Column("operator", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("corrected_at", UtcDateTime, nullable=False),
    Column("old_value", BigInteger),
    Column("new_value", BigInteger, nullable=False),
    Column("old_method", String(16), nullable=False),
)
