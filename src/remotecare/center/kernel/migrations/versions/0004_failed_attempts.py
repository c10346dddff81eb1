"""failed attempts (enrolments, console logins), shared by every center process

One row per failed attempt: the purpose it counts for ("enrolment", "login-address",
"login-name") and the subject it counts against (an address, or a login name, up to 100
characters), so that the rate limits hold across worker processes. Rows older than a
limit's window are deleted as new ones come in.

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
    op.create_table(
        "failed_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_attempts")),
    )
    op.create_index(
        "ix_failed_attempts_purpose_failed_at", "failed_attempts", ["purpose", "failed_at"]
    )
    op.create_index(
        "ix_failed_attempts_purpose_subject_failed_at",
        "failed_attempts",
        ["purpose", "subject", "failed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_failed_attempts_purpose_subject_failed_at", table_name="failed_attempts")
    op.drop_index("ix_failed_attempts_purpose_failed_at", table_name="failed_attempts")
    op.drop_table("failed_attempts")
