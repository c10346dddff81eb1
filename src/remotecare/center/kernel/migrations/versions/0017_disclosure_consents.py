"""disclosure to third parties (terms, article 10): customers' consents, and the
recipient of a disclosure in the audit log

Adding a nullable column keeps the audit log's append-only triggers in place on SQLite
and PostgreSQL (no table rebuild).

Revision ID: 0017
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = sa.DateTime(timezone=True)
    op.add_column("audit_log", sa.Column("recipient", sa.String(length=200), nullable=True))
    op.create_table(
        "disclosure_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("recipient_key", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Integer(), nullable=False),
        sa.Column("fields", sa.String(length=50), nullable=False),
        sa.Column("given_at", when, nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=False),
        sa.Column("recorded_at", when, nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("withdrawn_at", when, nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_disclosure_consents_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_consents")),
    )
    op.create_index(
        op.f("ix_disclosure_consents_customer_id"), "disclosure_consents", ["customer_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_disclosure_consents_customer_id"), table_name="disclosure_consents")
    op.drop_table("disclosure_consents")
    op.drop_column("audit_log", "recipient")
