"""urgent readings of known printers ahead of never-seen printers' first readings: each
feed row says whether it is its printer's first reading

Revision ID: 0025
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "care_feed",
        sa.Column("first_reading", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    # Urgent rows are taken by (first_reading, id): rows waiting now count as changes.
    op.drop_index("ix_care_feed_urgent", table_name="care_feed")
    op.create_index("ix_care_feed_urgent", "care_feed", ["urgent", "first_reading", "id"])


def downgrade() -> None:
    op.drop_index("ix_care_feed_urgent", table_name="care_feed")
    op.create_index("ix_care_feed_urgent", "care_feed", ["urgent", "id"])
    op.drop_column("care_feed", "first_reading")
