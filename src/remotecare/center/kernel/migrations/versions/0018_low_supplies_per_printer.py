"""how many supplies of each printer's latest reading are low, with its index, backfilled

Revision ID: 0018
Revises: 0021
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# As fleet/rules/low_supplies.py says today; kept here so the migration stays as written.
_LOW_STATES = frozenset({"low", "empty", "nearly_full", "full"})
_BATCH = 1000


def _low_supplies(reading: Any) -> int:
    if isinstance(reading, str):  # SQLite hands the JSON back as text here
        reading = json.loads(reading)
    supplies = (reading or {}).get("supplies") or [] if isinstance(reading, dict) else []
    return sum(
        1 for supply in supplies if isinstance(supply, dict) and supply.get("state") in _LOW_STATES
    )


def upgrade() -> None:
    op.add_column(
        "printers",
        sa.Column("low_supplies", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.create_index(
        "ix_printers_low_supplies", "printers", ["low_supplies", "binding", "customer_id"]
    )
    conn = op.get_bind()
    printers = sa.table(
        "printers",
        sa.column("id", sa.Integer()),
        sa.column("latest_reading", sa.JSON()),
        sa.column("low_supplies", sa.SmallInteger()),
    )
    last_id = 0
    while True:  # in batches by id: a large fleet's readings never all in memory
        rows = conn.execute(
            sa.select(printers.c.id, printers.c.latest_reading)
            .where(printers.c.id > last_id, printers.c.latest_reading.is_not(None))
            .order_by(printers.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        changes = [
            {"b_id": row.id, "b_low": low}
            for row in rows
            if (low := _low_supplies(row.latest_reading))
        ]
        if changes:
            conn.execute(
                printers.update()
                .where(printers.c.id == sa.bindparam("b_id"))
                .values(low_supplies=sa.bindparam("b_low")),
                changes,
            )


def downgrade() -> None:
    op.drop_index("ix_printers_low_supplies", table_name="printers")
    # Not a batch copy of the table: other tables refer to the printers (SQLite 3.35+
    # drops a column in place).
    op.drop_column("printers", "low_supplies")
