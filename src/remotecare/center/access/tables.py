"""People who log in to the console, with their role, and their sessions."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from remotecare.center.kernel.storage import UtcDateTime, metadata

__all__ = ["console_sessions", "users"]


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column(
        "role", String(32), nullable=False, server_default="operator_admin"
    ),  # access.rules.Role
    # The customer a customer's person belongs to; NULL for operators and subcontractors.
    Column("customer_id", ForeignKey("customers.id")),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
