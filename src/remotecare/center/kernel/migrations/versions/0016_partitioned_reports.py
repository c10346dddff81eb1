"""raw reports partitioned by week on PostgreSQL (by the time in their UUIDv7 id)

On PostgreSQL the existing table is renamed, a partitioned ``reports`` takes its place
(primary key ``(report_id, minted_at)``, a default partition, weekly partitions from the
oldest dated report, at most three years back, to four weeks ahead), every row is copied
over with its ``minted_at`` computed in SQL, and the old table is dropped. Alembic runs a
migration in one transaction, so copying in batches would not shorten any lock: one
``INSERT ... SELECT`` is the fastest way. On SQLite the column is added (old rows carry
1970-01-01, unused there) and nothing else changes. On both, ``held_reports`` loses its
foreign key to ``reports`` (``report_id`` alone is no key of a partitioned table).

The rules mirror ``fleet/rules/report_time.py`` (frozen here, as migrations must be).

Revision ID: 0016
Revises: 0012
"""

# Every statement here is built from this file's constants and our own datetimes.
# ruff: noqa: S608

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None

_UNDATED = "1970-01-01 00:00:00+00"
_MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
_WEEK = timedelta(days=7)
_COLUMNS = (
    "report_id, endpoint_id, printer_id, printer_address, agent_time, received_at,"
    " reachable, payload"
)
# The time in a UUIDv7 id (version 7, RFC 9562 variant, 2000 <= time < 2200), else 1970.
_MINTED_RAW = (
    "CASE WHEN substr(report_id, 15, 1) = '7' AND substr(report_id, 20, 1) IN ('8','9','a','b')"
    " THEN timestamptz 'epoch' + (('x' || substr(report_id, 1, 8) || substr(report_id, 10, 4))"
    "::bit(48)::bigint) * interval '1 millisecond' END"
)
_MINTED_AT_SQL = (
    f"(SELECT CASE WHEN m >= '2000-01-01+00' AND m < '2200-01-01+00' THEN m"
    f" ELSE timestamptz '{_UNDATED}' END FROM (SELECT {_MINTED_RAW} AS m) AS minted)"
)


def _week_start(when: datetime) -> datetime:
    return _MONDAY + ((when - _MONDAY) // _WEEK) * _WEEK


def upgrade() -> None:
    with op.batch_alter_table("held_reports", schema=None) as batch_op:
        batch_op.drop_constraint("fk_held_reports_report_id_reports", type_="foreignkey")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table("reports", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "minted_at",
                    sa.DateTime(timezone=True),
                    nullable=False,
                    server_default="1970-01-01 00:00:00.000000",
                )
            )
        return
    op.execute("ALTER TABLE reports RENAME TO reports_unpartitioned")
    op.execute("ALTER INDEX pk_reports RENAME TO pk_reports_unpartitioned")
    op.execute("ALTER INDEX ix_reports_printer_time RENAME TO ix_reports_unpartitioned_time")
    op.execute(
        "CREATE TABLE reports ("
        " report_id VARCHAR(36) NOT NULL,"
        " endpoint_id VARCHAR(36) NOT NULL,"
        " printer_id INTEGER,"
        " printer_address VARCHAR(256) NOT NULL,"
        " agent_time TIMESTAMP WITH TIME ZONE NOT NULL,"
        " received_at TIMESTAMP WITH TIME ZONE NOT NULL,"
        " reachable BOOLEAN NOT NULL,"
        " payload JSONB NOT NULL,"
        " minted_at TIMESTAMP WITH TIME ZONE NOT NULL,"
        " CONSTRAINT pk_reports PRIMARY KEY (report_id, minted_at),"
        " CONSTRAINT fk_reports_endpoint_id_endpoints FOREIGN KEY (endpoint_id)"
        " REFERENCES endpoints (id),"
        " CONSTRAINT fk_reports_printer_id_printers FOREIGN KEY (printer_id)"
        " REFERENCES printers (id)"
        ") PARTITION BY RANGE (minted_at)"
    )
    op.execute("CREATE INDEX ix_reports_printer_time ON reports (printer_id, agent_time)")
    op.execute("CREATE TABLE reports_default PARTITION OF reports DEFAULT")
    now = bind.execute(sa.text("SELECT now()")).scalar_one()
    oldest = bind.execute(
        sa.text(
            f"SELECT min(minted) FROM (SELECT {_MINTED_AT_SQL} AS minted"
            " FROM reports_unpartitioned) AS dated"
            f" WHERE minted > timestamptz '{_UNDATED}'"
        )
    ).scalar_one()
    start = _week_start(max(oldest or now, now - timedelta(days=3 * 365)))
    while start <= _week_start(now) + 4 * _WEEK:
        op.execute(
            f"CREATE TABLE reports_w{start:%Y%m%d} PARTITION OF reports FOR VALUES"
            f" FROM ('{start.isoformat()}') TO ('{(start + _WEEK).isoformat()}')"
        )
        start += _WEEK
    op.execute(
        f"INSERT INTO reports ({_COLUMNS}, minted_at)"
        f" SELECT {_COLUMNS}, {_MINTED_AT_SQL} FROM reports_unpartitioned"
    )
    op.execute("DROP TABLE reports_unpartitioned")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table("reports", schema=None) as batch_op:
            batch_op.drop_column("minted_at")
    else:
        op.execute("ALTER TABLE reports RENAME TO reports_partitioned")
        op.execute("ALTER INDEX pk_reports RENAME TO pk_reports_partitioned")
        op.execute("ALTER INDEX ix_reports_printer_time RENAME TO ix_reports_partitioned_time")
        op.execute("CREATE TABLE reports (LIKE reports_partitioned INCLUDING DEFAULTS)")
        op.execute("ALTER TABLE reports DROP COLUMN minted_at")
        op.execute(
            f"INSERT INTO reports ({_COLUMNS}) SELECT DISTINCT ON (report_id) {_COLUMNS}"
            " FROM reports_partitioned"
        )
        op.execute("DROP TABLE reports_partitioned")
        op.execute("ALTER TABLE reports ADD CONSTRAINT pk_reports PRIMARY KEY (report_id)")
        op.execute(
            "ALTER TABLE reports ADD CONSTRAINT fk_reports_endpoint_id_endpoints"
            " FOREIGN KEY (endpoint_id) REFERENCES endpoints (id)"
        )
        op.execute(
            "ALTER TABLE reports ADD CONSTRAINT fk_reports_printer_id_printers"
            " FOREIGN KEY (printer_id) REFERENCES printers (id)"
        )
        op.execute("CREATE INDEX ix_reports_printer_time ON reports (printer_id, agent_time)")
    with op.batch_alter_table("held_reports", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_held_reports_report_id_reports", "reports", ["report_id"], ["report_id"]
        )
