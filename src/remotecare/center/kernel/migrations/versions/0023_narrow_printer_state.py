"""each report's printer update touches one narrow row and no index entry: the devices
list's index leaves out the last report's time, and on PostgreSQL the latest reading is
stored out of line (TOAST) with room on each page for the row's next version

Every report updates its printer's row. With ``last_report_at`` in ``ix_printers_listing``
every update was a new row version with an entry in each of the table's five indexes, and
with the ~2.6 KB latest reading inline a million printers' rows (about 3 GB) were read and
written page by page. Now the updates are HOT (heap-only: the row's new version on the
same page, no index touched) whenever the supplies' low count stays the same.

The TOAST target is 512 bytes, above the ~0.3 KB the row's other columns take: at 128
PostgreSQL also moved the model and endpoint id out of line, and an update setting them
again (to the same value) then wrote a new TOAST pointer, which is a changed indexed
column, so no update was HOT.

Rows already stored are narrowed as their printers next report; ``VACUUM FULL printers``
(outside a transaction, with the center stopped) gives the space back at once.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_LISTING = ["binding", "serial", "customer_id", "endpoint_id", "model", "address"]
_LISTING_BEFORE = [*_LISTING[:4], "last_report_at", *_LISTING[4:]]


def upgrade() -> None:
    op.drop_index("ix_printers_listing", table_name="printers")
    op.create_index("ix_printers_listing", "printers", _LISTING)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE printers SET (fillfactor = 80, toast_tuple_target = 512)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE printers RESET (fillfactor, toast_tuple_target)")
    op.drop_index("ix_printers_listing", table_name="printers")
    op.create_index("ix_printers_listing", "printers", _LISTING_BEFORE)
