"""console: the devices list's index

``ix_printers_listing`` on ``printers`` (binding, serial, customer, endpoint, last report,
model, address): the console counts, searches and pages the devices from it alone, without
reading each row's large latest reading.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_COLUMNS = [
    "binding",
    "serial",
    "customer_id",
    "endpoint_id",
    "last_report_at",
    "model",
    "address",
]


def upgrade() -> None:
    op.create_index("ix_printers_listing", "printers", _COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_printers_listing", table_name="printers")
