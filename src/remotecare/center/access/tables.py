"""Who may log in to the console, and their sessions."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from remotecare.center.kernel.storage import UtcDateTime, metadata

__all__ = ["console_sessions", "operators"]


operators = Table(
    "operators",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("operator_id", ForeignKey("operators.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
