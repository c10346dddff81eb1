"""agent status (queue length, dropped reports) and diagnostic bundles

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # What the agent last said about itself: queue length and every drop, by reason.
    op.add_column("endpoints", sa.Column("agent_status", _JSON))
    op.add_column("endpoints", sa.Column("agent_status_at", sa.DateTime(timezone=True)))
    op.create_table(
        "diagnostic_bundles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("endpoint_id", sa.String(length=36), nullable=False),
        sa.Column("printer_serial", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("command_id", sa.String(length=36), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_diagnostic_bundles_endpoint_id_endpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnostic_bundles")),
    )
    op.create_index(
        "ix_diagnostic_bundles_endpoint_declared",
        "diagnostic_bundles",
        ["endpoint_id", "declared_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_diagnostic_bundles_endpoint_declared", table_name="diagnostic_bundles")
    op.drop_table("diagnostic_bundles")
    with op.batch_alter_table("endpoints") as batch_op:
        batch_op.drop_column("agent_status_at")
        batch_op.drop_column("agent_status")
