"""weak identities

``weak_identities``: the weak identity of a printer that gave no serial number, vendor
serial or MAC address, kept (closed) once the printer reported its real serial, with a
pointer to the printer row that took the real serial.

Revision ID: 0012
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "weak_identities",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=128), nullable=False),
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.String(length=36), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("joined_serial", sa.String(length=128), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_weak_identities_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["endpoints.id"], name=op.f("fk_weak_identities_endpoint_id_endpoints")
        ),
        sa.ForeignKeyConstraint(
            ["printer_id"], ["printers.id"], name=op.f("fk_weak_identities_printer_id_printers")
        ),
        sa.PrimaryKeyConstraint("customer_id", "serial", name=op.f("pk_weak_identities")),
    )
    op.create_index(
        op.f("ix_weak_identities_printer_id"), "weak_identities", ["printer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_weak_identities_printer_id"), table_name="weak_identities")
    op.drop_table("weak_identities")
