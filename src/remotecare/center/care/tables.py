"""The care feed's tables: readings waiting for their consumers, and readings a consumer
failed on, waiting for another try."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, false

from remotecare.center.kernel.storage import UtcDateTime, metadata

__all__ = ["ERROR_MAX_LENGTH", "care_feed", "care_feed_retries"]

# A queue, not a log: one row per reading stored, written in ingest's transaction and
# deleted in the transaction that hands it to the consumers. Rows leave in whatever order
# their transactions committed; nothing keeps a position that a late commit could pass.
care_feed = Table(
    "care_feed",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("report_id", String(36), nullable=False),
    # Set by ingest (migration 0022): the reading's printer, and whether the reading may
    # change its incidents; the drainer takes urgent rows (with their printer's older
    # rows) ahead of routine ones. Rows written without them are routine.
    Column("printer_id", Integer),
    Column("urgent", Boolean, nullable=False, server_default=false()),
    # Migration 0025: an urgent row that is its printer's first reading (a printer the
    # center has not seen yet); urgent rows of known printers go before those.
    Column("first_reading", Boolean, nullable=False, server_default=false()),
    Index("ix_care_feed_urgent", "urgent", "first_reading", "id"),
    Index("ix_care_feed_printer", "printer_id", "id"),
)

ERROR_MAX_LENGTH = 256
# One row per (consumer, reading) that consumer failed on; the other consumers went on.
care_feed_retries = Table(
    "care_feed_retries",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("report_id", String(36), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", String(ERROR_MAX_LENGTH), nullable=False),
    Index("ix_care_feed_retries_next_attempt_at", "next_attempt_at"),
)
