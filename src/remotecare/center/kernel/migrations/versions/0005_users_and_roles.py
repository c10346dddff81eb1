"""console users with roles: operators become users (role, and a customer for customers'
people), sessions belong to users

Every existing operator becomes an ``operator_admin``, keeping its password and sessions.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("role", sa.String(length=32), server_default="operator_admin", nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_users_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.execute(
        "INSERT INTO users (id, username, password_hash, created_at, role) "
        "SELECT id, username, password_hash, created_at, 'operator_admin' FROM operators"
    )
    if op.get_bind().dialect.name == "postgresql":  # ids go on after the copied ones
        op.execute(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), "
            "COALESCE((SELECT max(id) FROM users), 0) + 1, false)"
        )
    _recreate_sessions(owner="user_id", owners="users", was="operator_id")
    op.drop_table("operators")


def downgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("username", name=op.f("uq_operators_username")),
    )
    op.execute(
        "INSERT INTO operators (id, username, password_hash, created_at) "
        "SELECT id, username, password_hash, created_at FROM users "
        "WHERE role IN ('operator_admin', 'operator_staff')"
    )
    op.execute("DELETE FROM console_sessions WHERE user_id NOT IN (SELECT id FROM operators)")
    _recreate_sessions(owner="operator_id", owners="operators", was="user_id")
    op.drop_table("users")


def _recreate_sessions(*, owner: str, owners: str, was: str) -> None:
    """console_sessions again, its owner column renamed and pointing at ``owners``; the
    sessions are kept. (A few rows: copied through Python, the same on both backends.)"""
    bind = op.get_bind()
    old = sa.table(
        "console_sessions",
        sa.column("token_hash", sa.String()),
        sa.column(was, sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    sessions = bind.execute(sa.select(old)).all()
    op.drop_table("console_sessions")
    table = op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(owner, sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            [owner], [f"{owners}.id"], name=op.f(f"fk_console_sessions_{owner}_{owners}")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_sessions")),
    )
    if sessions:
        op.bulk_insert(
            table,
            [
                {"token_hash": t, owner: o, "created_at": c, "expires_at": e}
                for t, o, c, e in sessions
            ],
        )
