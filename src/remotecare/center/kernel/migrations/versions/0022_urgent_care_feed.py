"""urgent readings ahead in the care feed: each feed row's printer and urgency, each
printer's condition fingerprint

Revision ID: 0022
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("printers", sa.Column("condition_fingerprint", sa.BigInteger()))
    op.add_column("care_feed", sa.Column("printer_id", sa.Integer()))
    op.add_column(
        "care_feed", sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_index("ix_care_feed_urgent", "care_feed", ["urgent", "id"])
    op.create_index("ix_care_feed_printer", "care_feed", ["printer_id", "id"])
    # Rows waiting now get their printer, so an urgent reading never passes them.
    op.execute(
        "UPDATE care_feed SET printer_id = (SELECT reports.printer_id FROM reports"
        " WHERE reports.report_id = care_feed.report_id)"
    )


def downgrade() -> None:
    op.drop_index("ix_care_feed_printer", table_name="care_feed")
    op.drop_index("ix_care_feed_urgent", table_name="care_feed")
    op.drop_column("care_feed", "urgent")
    op.drop_column("care_feed", "printer_id")
    op.drop_column("printers", "condition_fingerprint")
