"""The fleet: printers, the reports about them, commands for agents, diagnostic bundles."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from remotecare.center.kernel.storage import Json, UtcDateTime, metadata

__all__ = [
    "commands",
    "diagnostic_bundles",
    "held_reports",
    "printers",
    "reports",
    "weak_identities",
]


printers = Table(
    "printers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("endpoint_id", ForeignKey("endpoints.id"), nullable=False),
    Column("serial", String(128), nullable=False),
    Column("serial_source", String(32), nullable=False),
    Column("address", String(256), nullable=False),  # as the agent's configuration names it
    Column("model", String(256), nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_contact_at", UtcDateTime),  # last time the agent read it successfully
    Column("last_report_at", UtcDateTime, nullable=False),  # last report about it, any outcome
    Column("unreachable_reason", Text),
    Column("latest_reading", Json),
    Column("latest_reading_at", UtcDateTime),  # the agent's clock when latest_reading was taken
    # How many supplies of latest_reading are low, empty or (waste) full, written with it:
    # the console's low-supplies filter and count read this index, not the readings.
    Column("low_supplies", SmallInteger, nullable=False, server_default="0"),
    # "bound": a device; "pending": waits for an operator to confirm it (printer_binding).
    Column("binding", String(16), nullable=False, server_default="bound"),
    Column("confirmed_at", UtcDateTime),
    # latest_reading's conditions (rules/conditions.py), written with it: a reading that
    # differs goes ahead in the care feed. None before the first reading.
    Column("condition_fingerprint", BigInteger),
    UniqueConstraint("customer_id", "serial"),
    Index("ix_printers_endpoint_address", "endpoint_id", "address"),
    Index("ix_printers_low_supplies", "low_supplies", "binding", "customer_id"),
    # The console's devices list: counted, searched and paged from this index alone,
    # never from the rows, whose latest readings are large.
    Index(
        "ix_printers_listing",
        "binding",
        "serial",
        "customer_id",
        "endpoint_id",
        "last_report_at",
        "model",
        "address",
    ),
    # Every report updates its printer's row: on PostgreSQL the latest reading is kept out
    # of line (TOAST), so that the row is ~0.3 KB, not ~3 KB, with room on each page for
    # its next version (migration 0026).
    postgresql_with={"fillfactor": 80, "toast_tuple_target": 512},
)

reports = Table(
    "reports",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("endpoint_id", ForeignKey("endpoints.id"), nullable=False),
    Column("printer_id", ForeignKey("printers.id"), nullable=True),
    Column("printer_address", String(256), nullable=False),
    Column("agent_time", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("reachable", Boolean, nullable=False),
    Column("payload", Json, nullable=False),
    Index("ix_reports_printer_time", "printer_id", "agent_time"),
    # The time in the UUIDv7 report id: on PostgreSQL the table is partitioned by week on
    # it and the primary key is (report_id, minted_at) (fleet/rules/report_time.py).
    Column("minted_at", UtcDateTime, nullable=False),
)


held_reports = Table(
    "held_reports",
    metadata,
    # No foreign key: a partitioned table's report_id alone is not a key any more;
    # retention keeps held reports itself.
    Column("report_id", String(36), primary_key=True),
    Column("printer_id", ForeignKey("printers.id"), nullable=False, index=True),
)

commands = Table(
    "commands",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("endpoint_id", ForeignKey("endpoints.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("arguments", Json, nullable=False),
    Column("status", String(16), nullable=False),  # pending, done, failed, cancelled
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("detail", String(256)),
    Index("ix_commands_endpoint_status", "endpoint_id", "status"),
)

# Diagnostic bundles: the bytes live in files under the center's home (``path`` is
# relative to its bundles directory); this row says whose, why, and how far it arrived.
diagnostic_bundles = Table(
    "diagnostic_bundles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("endpoint_id", ForeignKey("endpoints.id"), nullable=False),
    Column("printer_serial", String(128)),
    Column("reason", String(32), nullable=False),
    Column("command_id", String(36)),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_bytes", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # receiving, complete
    Column("path", String(512), nullable=False),
    Column("declared_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
    Index("ix_diagnostic_bundles_endpoint_declared", "endpoint_id", "declared_at"),
)

# Weak identities that were closed when their printer reported its real serial: the
# printer row took the real serial and kept its id (so its reports, history and device
# stay), and this row keeps the weak identity with a pointer to it, so a late report
# under the weak identity (an outbox backlog) still reaches the same printer.
weak_identities = Table(
    "weak_identities",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
    Column("serial", String(128), primary_key=True),  # the weak identity, "weak:..."
    Column("printer_id", ForeignKey("printers.id"), nullable=False, index=True),
    Column("endpoint_id", ForeignKey("endpoints.id"), nullable=False),
    Column("address", String(256), nullable=False),
    Column("joined_serial", String(128), nullable=False),  # the real serial it was joined to
    Column("joined_at", UtcDateTime, nullable=False),
)
