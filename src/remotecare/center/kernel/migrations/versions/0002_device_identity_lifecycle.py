"""device identity lifecycle: certificate renewal and revocation, printer binding, commands

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Renewal keeps the replaced certificate accepted for a short overlap; revocation is
    # recorded with when and why; the poll interval is what the agent last confirmed.
    op.add_column("endpoints", sa.Column("previous_certificate_serial", sa.String(48)))
    op.add_column(
        "endpoints", sa.Column("previous_certificate_valid_until", sa.DateTime(timezone=True))
    )
    op.add_column("endpoints", sa.Column("revoked_at", sa.DateTime(timezone=True)))
    op.add_column("endpoints", sa.Column("revocation_reason", sa.String(256)))
    op.add_column("endpoints", sa.Column("poll_interval_seconds", sa.Integer()))

    # "bound" printers are devices; "pending" ones wait for an operator (printer_binding).
    op.add_column(
        "printers",
        sa.Column("binding", sa.String(16), nullable=False, server_default="bound"),
    )
    op.add_column("printers", sa.Column("confirmed_at", sa.DateTime(timezone=True)))

    # Reports about a pending printer are stored unattached (printer_id NULL) and listed
    # here, so that confirming the printer attaches them without scanning all reports.
    op.create_table(
        "held_reports",
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("printer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.report_id"], name=op.f("fk_held_reports_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["printer_id"], ["printers.id"], name=op.f("fk_held_reports_printer_id_printers")
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_held_reports")),
    )
    op.create_index("ix_held_reports_printer_id", "held_reports", ["printer_id"])

    op.create_table(
        "commands",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("endpoint_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("arguments", _JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("detail", sa.String(256)),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["endpoints.id"], name=op.f("fk_commands_endpoint_id_endpoints")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commands")),
    )
    op.create_index("ix_commands_endpoint_status", "commands", ["endpoint_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_commands_endpoint_status", table_name="commands")
    op.drop_table("commands")
    op.drop_index("ix_held_reports_printer_id", table_name="held_reports")
    op.drop_table("held_reports")
    with op.batch_alter_table("printers") as batch_op:
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("binding")
    with op.batch_alter_table("endpoints") as batch_op:
        batch_op.drop_column("poll_interval_seconds")
        batch_op.drop_column("revocation_reason")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("previous_certificate_valid_until")
        batch_op.drop_column("previous_certificate_serial")
