"""failed enrolment attempts, shared by every center process

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per failed enrolment attempt, so that the rate limit holds across worker
    # processes; rows older than the limit's window are deleted as new ones come in.
    op.create_table(
        "failed_enrolments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_enrolments")),
    )
    op.create_index("ix_failed_enrolments_failed_at", "failed_enrolments", ["failed_at"])
    op.create_index(
        "ix_failed_enrolments_client_failed_at", "failed_enrolments", ["client", "failed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_failed_enrolments_client_failed_at", table_name="failed_enrolments")
    op.drop_index("ix_failed_enrolments_failed_at", table_name="failed_enrolments")
    op.drop_table("failed_enrolments")
