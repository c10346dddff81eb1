"""failed attempts of every purpose (enrolments, console logins) in one table

``failed_enrolments`` becomes ``failed_attempts``, with the purpose a failure counts
for and the subject it counts against (an address, or a login name, up to 100
characters). The enrolment failures recorded so far are carried over.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
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
    op.execute(
        "INSERT INTO failed_attempts (purpose, subject, failed_at)"
        " SELECT 'enrolment', client, failed_at FROM failed_enrolments"
    )
    op.drop_index("ix_failed_enrolments_client_failed_at", table_name="failed_enrolments")
    op.drop_index("ix_failed_enrolments_failed_at", table_name="failed_enrolments")
    op.drop_table("failed_enrolments")


def downgrade() -> None:
    # Login failures have no place in the old table; they are dropped.
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
    op.execute(
        "INSERT INTO failed_enrolments (client, failed_at)"
        " SELECT subject, failed_at FROM failed_attempts"
        " WHERE purpose = 'enrolment' AND LENGTH(subject) <= 64"
    )
    op.drop_index("ix_failed_attempts_purpose_subject_failed_at", table_name="failed_attempts")
    op.drop_index("ix_failed_attempts_purpose_failed_at", table_name="failed_attempts")
    op.drop_table("failed_attempts")
