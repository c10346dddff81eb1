"""Incidents, their timelines, and how far each printer's readings were judged."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from remotecare.center.kernel.storage import UtcDateTime, metadata

__all__ = [
    "DETAIL_MAX_LENGTH",
    "NOTE_MAX_LENGTH",
    "incident_timeline",
    "incident_watermarks",
    "incidents",
]

DETAIL_MAX_LENGTH = 256
NOTE_MAX_LENGTH = 512

# One row per incident. ``subject`` is what it is about ("printer:12", "endpoint:<id>");
# ``open_key`` repeats the condition key while the incident is not resolved and is NULL
# after, so the unique (subject, open_key) lets the database itself hold one unresolved
# incident per device and condition (NULLs never collide, on SQLite and PostgreSQL alike).
incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("printer_id", ForeignKey("printers.id")),
    Column("endpoint_id", String(36)),
    Column("condition_key", String(200), nullable=False),
    Column("open_key", String(200)),
    Column("kind", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("responder", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # open, clearing, resolved
    Column("code", String(64)),  # the alert code behind it, as the printer gave it
    Column("detail", String(DETAIL_MAX_LENGTH), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("cleared_at", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Column("acknowledged_at", UtcDateTime),
    Column("acknowledged_by", String(128)),
    Column("returns", Integer, nullable=False, server_default="0"),
    Column("first_return_at", UtcDateTime),
    Column("flapping", Boolean, nullable=False, server_default="0"),
    Column("diagnostics_command_id", String(36)),
    Column("bundle_id", String(36)),
    UniqueConstraint("subject", "open_key", name="uq_incidents_one_open_per_condition"),
    Index("ix_incidents_state_customer", "state", "customer_id"),
)

# Every change of an incident: first seen, each change, the reading behind it, who
# acknowledged or resolved it by hand and with what note.
incident_timeline = Table(
    "incident_timeline",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("incident_id", ForeignKey("incidents.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("change", String(32), nullable=False),
    Column("report_id", String(36)),
    Column("actor", String(128)),
    Column("note", String(NOTE_MAX_LENGTH)),
    Index("ix_incident_timeline_incident", "incident_id", "id"),
)

# The newest reading judged per printer: a reading not newer (a retry of the care feed, a
# backfill) is not judged again, which makes the consumer idempotent.
incident_watermarks = Table(
    "incident_watermarks",
    metadata,
    Column("printer_id", ForeignKey("printers.id"), primary_key=True),
    Column("agent_time", UtcDateTime, nullable=False),
)
