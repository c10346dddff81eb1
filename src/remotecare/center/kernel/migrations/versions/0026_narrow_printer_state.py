"""on PostgreSQL each printer's row keeps its latest reading out of line (TOAST) and room
on each page for the row's next version, so that the row every report rewrites is narrow

Every report updates its printer's row. With the ~2.6 KB latest reading inline, a million
printers' rows took about 3 GB, and every full read of them (the incident watch's round of
every printer's facts) went through all of it; now the row is about 0.3 KB and the
reading a TOAST pointer. The TOAST target is 512 bytes, above what the row's other
columns take: at 128 PostgreSQL also moved the model and endpoint id out of line, and an
update setting them again (to the same value) wrote a new TOAST pointer, which counts as a
changed indexed column (no update was HOT). The table's updates stay non-HOT anyway while
``last_report_at`` is in ``ix_printers_listing``: measured at 1,000,000 printers, taking
it out (so that updates are HOT) changed neither WAL bytes nor CPU per report measurably,
and made the console's counts by connectivity on SQLite 3-5 times slower (BENCHMARKS.md).

SQLite has no such storage parameters: nothing changes there.

Rows already stored are narrowed as their printers next report; ``VACUUM FULL printers``
(outside a transaction, with the center stopped) gives the space back at once.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE printers SET (fillfactor = 80, toast_tuple_target = 512)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE printers RESET (fillfactor, toast_tuple_target)")
