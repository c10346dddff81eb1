"""meter reads for billing

Billing settings per customer (``billing_settings``), the first and last reading of each
printer per billing period (``meter_sightings``), readings refused for their agent clock
(``meter_refused_readings``), the reads (``meter_reads``), period closings
(``meter_closings``) and corrections with who, when and why (``meter_corrections``).

Revision ID: 0009
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0013"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "billing_settings",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("cutoff_day", sa.Integer(), nullable=True),
        sa.Column("cutoff_minutes", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("counters", sa.String(length=512), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("grace_minutes", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_billing_settings_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_billing_settings")),
    )
    op.create_table(
        "meter_sightings",
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["printer_id"], ["printers.id"], name=op.f("fk_meter_sightings_printer_id_printers")
        ),
        sa.PrimaryKeyConstraint("printer_id", "period", name=op.f("pk_meter_sightings")),
    )
    op.create_table(
        "meter_refused_readings",
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("agent_time", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["printer_id"],
            ["printers.id"],
            name=op.f("fk_meter_refused_readings_printer_id_printers"),
        ),
        sa.PrimaryKeyConstraint("printer_id", "agent_time", name=op.f("pk_meter_refused_readings")),
    )
    op.create_table(
        "meter_reads",
        sa.Column("id", _ID, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("counter", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("previous_value", sa.BigInteger(), nullable=True),
        sa.Column("usage", sa.BigInteger(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sources", _JSON, nullable=False),
        sa.Column("flags", _JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_meter_reads_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["printer_id"], ["printers.id"], name=op.f("fk_meter_reads_printer_id_printers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_reads")),
        sa.UniqueConstraint(
            "printer_id",
            "counter",
            "period",
            name=op.f("uq_meter_reads_printer_id_counter_period"),
        ),
    )
    op.create_index(
        "ix_meter_reads_customer_period",
        "meter_reads",
        ["customer_id", "period", "printer_id"],
    )
    op.create_table(
        "meter_closings",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=128), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_meter_closings_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", "period", name=op.f("pk_meter_closings")),
    )
    op.create_table(
        "meter_corrections",
        sa.Column("id", _ID, nullable=False),
        sa.Column("read_id", _ID, nullable=False),
        sa.Column("operator", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_value", sa.BigInteger(), nullable=True),
        sa.Column("new_value", sa.BigInteger(), nullable=False),
        sa.Column("old_method", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["read_id"], ["meter_reads.id"], name=op.f("fk_meter_corrections_read_id_meter_reads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_corrections")),
    )
    op.create_index(op.f("ix_meter_corrections_read_id"), "meter_corrections", ["read_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_meter_corrections_read_id"), table_name="meter_corrections")
    op.drop_table("meter_corrections")
    op.drop_table("meter_closings")
    op.drop_index("ix_meter_reads_customer_period", table_name="meter_reads")
    op.drop_table("meter_reads")
    op.drop_table("meter_refused_readings")
    op.drop_table("meter_sightings")
    op.drop_table("billing_settings")
