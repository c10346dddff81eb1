"""The supplies' tables: the cartridges each printer supply held, the current forecast per
supply, the customers' order policies, and the orders with their lifecycle.

A cartridge and an order name their printer supply by ``(printer_id, supply_index)`` and
the cartridge by its install time, not by a foreign key: the rules may take a replacement
back (a shaken toner after all), and an order must outlive that.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    text,
)

from remotecare.center.care.supplies.rules.lifecycle import OPEN
from remotecare.center.kernel.storage import UtcDateTime, metadata

__all__ = [
    "OPEN_STATUSES",
    "REASON_MAX_LENGTH",
    "cartridges",
    "order_policies",
    "supply_forecasts",
    "supply_orders",
]

REASON_MAX_LENGTH = 256

# One row per cartridge the rules recognised; ``ended_at`` and ``pages_given`` once the next
# went in. ``counts_for_yield``: the rules judged its pages and percent worth learning from,
# so the learned yield of a model and supply type is a sum over these rows.
cartridges = Table(
    "cartridges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("printer_id", ForeignKey("printers.id"), nullable=False),
    Column("supply_index", Integer, nullable=False),
    Column("description", String(256), nullable=False),
    Column("supply_type", String(64), nullable=False),
    Column("model", String(256), nullable=False),
    Column("installed_at", UtcDateTime, nullable=False),
    Column("pages_at_install", Integer),
    Column("ended_at", UtcDateTime),
    Column("pages_given", Integer),
    Column("percent_used", Float),
    Column("counts_for_yield", Boolean, nullable=False),
    Column("faults", String(128), nullable=False),  # LevelFault values, comma-separated
    UniqueConstraint("printer_id", "supply_index", "installed_at"),
    Index("ix_cartridges_model_supply_type", "model", "supply_type"),
)

# The current forecast of each printer supply (one row, replaced as readings come), and
# what the supply last said, so that a reading that changes nothing skips the recompute.
supply_forecasts = Table(
    "supply_forecasts",
    metadata,
    Column("printer_id", ForeignKey("printers.id"), nullable=False),
    Column("supply_index", Integer, nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("description", String(256), nullable=False),
    Column("supply_type", String(64), nullable=False),
    Column("colour", String(64)),
    Column("cartridge_installed_at", UtcDateTime, nullable=False),
    Column("as_of", UtcDateTime, nullable=False),
    Column("method", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("state_only", Boolean, nullable=False),
    Column("receptacle", Boolean, nullable=False),
    Column("percent_left", Float),
    Column("percent_per_usage_day", Float),
    Column("percent_per_page", Float),
    Column("days_to_empty", Float),
    Column("days_to_empty_low", Float),
    Column("days_to_empty_high", Float),
    Column("interval", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("low_confidence", Boolean, nullable=False),
    Column("faults", String(128), nullable=False),
    Column("seen_level", Integer),  # the newest sample as the reading gave it
    Column("seen_max_capacity", Integer),
    Column("seen_state", String(16), nullable=False),
    Column("computed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("printer_id", "supply_index"),
    Index("ix_supply_forecasts_customer_id", "customer_id"),
)

# Per customer: ``supply_type`` "" is the customer's default, any other value overrides it
# for that supply type. No row at all: ``rules.orders.OrderPolicy``'s defaults, approved by
# an operator.
order_policies = Table(
    "order_policies",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("supply_type", String(64), nullable=False),
    Column("lead_time_working_days", Integer, nullable=False),
    Column("safety_days", Float, nullable=False),
    Column("auto_approve", Boolean, nullable=False),
    PrimaryKeyConstraint("customer_id", "supply_type"),
)

# Open: waiting for the cartridge it is for to be replaced by it (or for a person).
OPEN_STATUSES = tuple(sorted(OPEN))
_OPEN = "status IN ({})".format(", ".join(f"'{status}'" for status in OPEN_STATUSES))

supply_orders = Table(
    "supply_orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("printer_id", ForeignKey("printers.id"), nullable=False),
    Column("supply_index", Integer, nullable=False),
    Column("cartridge_description", String(256), nullable=False),
    Column("cartridge_installed_at", UtcDateTime, nullable=False),
    Column("supply_type", String(64), nullable=False),
    Column("colour", String(64)),
    Column("printer_serial", String(128), nullable=False),  # as ordered, for the parcel
    Column("printer_model", String(256), nullable=False),
    Column("ship_to", String(256), nullable=False),
    Column("shipment_id", String(36), nullable=False),  # one parcel for a printer's siblings
    Column("due_reason", String(32), nullable=False),  # rules.orders.DueReason
    Column("days_to_empty", Float),  # the forecast when proposed
    Column("status", String(16), nullable=False),
    Column("proposed_at", UtcDateTime, nullable=False),
    Column("approved_at", UtcDateTime),
    Column("approved_by", String(128)),
    Column("shipped_at", UtcDateTime),
    Column("shipped_by", String(128)),
    Column("tracking", String(128)),
    Column("delivered_at", UtcDateTime),
    Column("delivered_by", String(128)),
    Column("installed_at", UtcDateTime),  # set by the replacement the agent saw
    Column("cancelled_at", UtcDateTime),
    Column("cancelled_by", String(128)),
    Column("cancel_reason", String(REASON_MAX_LENGTH)),
    Column("needs_person", Boolean, nullable=False),
    Column("flag_reason", String(REASON_MAX_LENGTH)),  # rules.orders.OrderFlag values
    Column("updated_at", UtcDateTime, nullable=False),
    # Exactly one open order per cartridge, whoever proposes it: a printer supply holds one
    # cartridge at a time, and its open order covers it until installed or cancelled.
    Index(
        "uq_supply_orders_one_open_per_cartridge",
        "printer_id",
        "supply_index",
        unique=True,
        sqlite_where=text(_OPEN),
        postgresql_where=text(_OPEN),
    ),
    Index("ix_supply_orders_customer_status", "customer_id", "status"),
    Index("ix_supply_orders_shipment_id", "shipment_id"),
)
