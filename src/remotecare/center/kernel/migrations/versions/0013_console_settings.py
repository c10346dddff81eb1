"""console: the devices list's index and each person's language

``ix_printers_listing`` on ``printers`` (binding, serial, customer, endpoint, last report,
model, address): the console counts, searches and pages the devices from it alone, without
reading each row's large latest reading. ``users.language``: the console language the
person chose (NULL: the browser's).

Revision ID: 0013
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
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
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
    op.drop_index("ix_printers_listing", table_name="printers")
