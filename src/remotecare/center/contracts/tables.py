"""The contracts' tables: customers and the state of their service (terms, article 3)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from remotecare.center.kernel.storage import UtcDateTime, metadata

__all__ = ["customers"]


customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("status", String(20), nullable=False),  # submitted, accepted, active, terminated
    Column("created_at", UtcDateTime, nullable=False),
)
