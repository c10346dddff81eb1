"""supplies: cartridges, forecasts, order policies and supply orders

``supply_orders`` holds at most one open order (proposed, approved, shipped, delivered)
per printer supply: a partial unique index on both SQLite and PostgreSQL.

Revision ID: 0008
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None

_OPEN = "status IN ('approved', 'delivered', 'proposed', 'shipped')"


def upgrade() -> None:
    op.create_table(
        "cartridges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("supply_index", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("supply_type", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pages_at_install", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pages_given", sa.Integer(), nullable=True),
        sa.Column("percent_used", sa.Float(), nullable=True),
        sa.Column("counts_for_yield", sa.Boolean(), nullable=False),
        sa.Column("faults", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["printer_id"], ["printers.id"], name=op.f("fk_cartridges_printer_id_printers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cartridges")),
        sa.UniqueConstraint(
            "printer_id",
            "supply_index",
            "installed_at",
            name=op.f("uq_cartridges_printer_id_supply_index_installed_at"),
        ),
    )
    op.create_index("ix_cartridges_model_supply_type", "cartridges", ["model", "supply_type"])
    op.create_table(
        "supply_forecasts",
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("supply_index", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("supply_type", sa.String(length=64), nullable=False),
        sa.Column("colour", sa.String(length=64), nullable=True),
        sa.Column("cartridge_installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_only", sa.Boolean(), nullable=False),
        sa.Column("receptacle", sa.Boolean(), nullable=False),
        sa.Column("percent_left", sa.Float(), nullable=True),
        sa.Column("percent_per_usage_day", sa.Float(), nullable=True),
        sa.Column("percent_per_page", sa.Float(), nullable=True),
        sa.Column("days_to_empty", sa.Float(), nullable=True),
        sa.Column("days_to_empty_low", sa.Float(), nullable=True),
        sa.Column("days_to_empty_high", sa.Float(), nullable=True),
        sa.Column("interval", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("low_confidence", sa.Boolean(), nullable=False),
        sa.Column("faults", sa.String(length=128), nullable=False),
        sa.Column("seen_level", sa.Integer(), nullable=True),
        sa.Column("seen_max_capacity", sa.Integer(), nullable=True),
        sa.Column("seen_state", sa.String(length=16), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["printer_id"], ["printers.id"], name=op.f("fk_supply_forecasts_printer_id_printers")
        ),
        sa.PrimaryKeyConstraint("printer_id", "supply_index", name=op.f("pk_supply_forecasts")),
    )
    op.create_index("ix_supply_forecasts_customer_id", "supply_forecasts", ["customer_id"])
    op.create_table(
        "order_policies",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("supply_type", sa.String(length=64), nullable=False),
        sa.Column("lead_time_working_days", sa.Integer(), nullable=False),
        sa.Column("safety_days", sa.Float(), nullable=False),
        sa.Column("auto_approve", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_order_policies_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", "supply_type", name=op.f("pk_order_policies")),
    )
    op.create_table(
        "supply_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("supply_index", sa.Integer(), nullable=False),
        sa.Column("cartridge_description", sa.String(length=256), nullable=False),
        sa.Column("cartridge_installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supply_type", sa.String(length=64), nullable=False),
        sa.Column("colour", sa.String(length=64), nullable=True),
        sa.Column("printer_serial", sa.String(length=128), nullable=False),
        sa.Column("printer_model", sa.String(length=256), nullable=False),
        sa.Column("ship_to", sa.String(length=256), nullable=False),
        sa.Column("shipment_id", sa.String(length=36), nullable=False),
        sa.Column("due_reason", sa.String(length=32), nullable=False),
        sa.Column("days_to_empty", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_by", sa.String(length=128), nullable=True),
        sa.Column("tracking", sa.String(length=128), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_by", sa.String(length=128), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=128), nullable=True),
        sa.Column("cancel_reason", sa.String(length=256), nullable=True),
        sa.Column("needs_person", sa.Boolean(), nullable=False),
        sa.Column("flag_reason", sa.String(length=256), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_supply_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["printer_id"], ["printers.id"], name=op.f("fk_supply_orders_printer_id_printers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_orders")),
    )
    op.create_index(
        "uq_supply_orders_one_open_per_cartridge",
        "supply_orders",
        ["printer_id", "supply_index"],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )
    op.create_index("ix_supply_orders_customer_status", "supply_orders", ["customer_id", "status"])
    op.create_index("ix_supply_orders_shipment_id", "supply_orders", ["shipment_id"])


def downgrade() -> None:
    op.drop_index("ix_supply_orders_shipment_id", table_name="supply_orders")
    op.drop_index("ix_supply_orders_customer_status", table_name="supply_orders")
    op.drop_index("uq_supply_orders_one_open_per_cartridge", table_name="supply_orders")
    op.drop_table("supply_orders")
    op.drop_table("order_policies")
    op.drop_index("ix_supply_forecasts_customer_id", table_name="supply_forecasts")
    op.drop_table("supply_forecasts")
    op.drop_index("ix_cartridges_model_supply_type", table_name="cartridges")
    op.drop_table("cartridges")
