"""care feed and compact history

The care feed (``care_feed``: one row per stored reading, deleted when handed to the
consumers; ``care_feed_retries``: readings a consumer failed on) and the compact history
(``supply_series``/``supply_samples``, ``counter_series``/``counter_samples``: change-only
samples as numbers, keyed by series and time; on SQLite WITHOUT ROWID).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_feed",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_feed")),
    )
    op.create_table(
        "care_feed_retries",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "report_id", name=op.f("pk_care_feed_retries")),
    )
    op.create_index(
        "ix_care_feed_retries_next_attempt_at", "care_feed_retries", ["next_attempt_at"]
    )
    op.create_table(
        "supply_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("supply_index", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("colour", sa.String(length=64), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["printer_id"], ["printers.id"], name=op.f("fk_supply_series_printer_id_printers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_series")),
        sa.UniqueConstraint(
            "printer_id",
            "supply_index",
            "description",
            name=op.f("uq_supply_series_printer_id_supply_index_description"),
        ),
    )
    op.create_table(
        "supply_samples",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("sampled_at", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("max_capacity", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["supply_series.id"],
            name=op.f("fk_supply_samples_series_id_supply_series"),
        ),
        sa.PrimaryKeyConstraint("series_id", "sampled_at", name=op.f("pk_supply_samples")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "counter_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["printer_id"], ["printers.id"], name=op.f("fk_counter_series_printer_id_printers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_series")),
        sa.UniqueConstraint(
            "printer_id", "name", "unit", name=op.f("uq_counter_series_printer_id_name_unit")
        ),
    )
    op.create_table(
        "counter_samples",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("sampled_at", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["counter_series.id"],
            name=op.f("fk_counter_samples_series_id_counter_series"),
        ),
        sa.PrimaryKeyConstraint("series_id", "sampled_at", name=op.f("pk_counter_samples")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("counter_samples")
    op.drop_table("counter_series")
    op.drop_table("supply_samples")
    op.drop_table("supply_series")
    op.drop_index("ix_care_feed_retries_next_attempt_at", table_name="care_feed_retries")
    op.drop_table("care_feed_retries")
    op.drop_table("care_feed")
