"""Enrolment tokens and enrolled endpoints (terms, article 6)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table

from remotecare.center.kernel.storage import Json, UtcDateTime, metadata

__all__ = ["endpoints", "enrolment_tokens"]


enrolment_tokens = Table(
    "enrollment_tokens",  # the table's name predates the code's spelling
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("max_endpoints", Integer, nullable=False),
    Column("used_endpoints", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

endpoints = Table(
    "endpoints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("certificate_serial", String(48), nullable=False, unique=True),
    Column("certificate_not_after", UtcDateTime, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("enrolled_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime),
    # The certificate a renewal replaced, accepted until previous_certificate_valid_until.
    Column("previous_certificate_serial", String(48)),
    Column("previous_certificate_valid_until", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("revocation_reason", String(256)),
    Column("poll_interval_seconds", Integer),  # as last confirmed by the agent; NULL: default
    # What the agent last said about itself (AgentStatus): queue length, drops by reason.
    Column("agent_status", Json),
    Column("agent_status_at", UtcDateTime),
)
