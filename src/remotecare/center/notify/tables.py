"""Subscriptions (who is told what, how), their webhook secrets, and the outbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from remotecare.center.kernel.storage import Json, UtcDateTime, metadata

__all__ = ["ERROR_MAX_LENGTH", "notify_outbox", "notify_subscriptions", "webhook_secrets"]

ERROR_MAX_LENGTH = 256

notify_subscriptions = Table(
    "notify_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),  # email, webhook
    Column("address", String(512), nullable=False),  # an e-mail address or an https URL
    Column("audience", String(16), nullable=False),  # customer, subcontractor, operator
    Column("customer_ids", Json),  # None: every customer
    Column("severities", Json, nullable=False),
    Column("responders", Json),  # None: whoever acts
    Column("language", String(8), nullable=False),
    Column("quiet_start", String(5)),  # "22:00" in ``timezone``; None: no quiet hours
    Column("quiet_end", String(5)),
    Column("timezone", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Webhook signing secrets. Kept usable (HMAC needs them), never shown after creation. Two
# are live during a rotation: messages carry a signature by each, so a receiver that knows
# either verifies them; the old one stops signing at ``retire_at``.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subscription_id", ForeignKey("notify_subscriptions.id"), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("retire_at", UtcDateTime),
    Index("ix_webhook_secrets_subscription", "subscription_id"),
)

# The outbox: written in the transaction of the incident change it tells of, so a change
# committed is a message owed. One row per recipient and event; ``message_id`` is the
# webhook-id and the e-mail's Message-ID, the same on every attempt.
notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("message_id", String(64), nullable=False, unique=True),
    Column("subscription_id", ForeignKey("notify_subscriptions.id"), nullable=False),
    Column("incident_id", Integer, nullable=False),
    Column("event", String(32), nullable=False),
    Column("payload", Json, nullable=False),  # the facts the message may carry, no more
    Column("status", String(16), nullable=False),  # pending, sent, dead
    Column("held", Boolean, nullable=False),  # waiting out quiet hours: goes in a digest
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("last_error", String(ERROR_MAX_LENGTH)),
    UniqueConstraint("subscription_id", "incident_id", "event", name="uq_notify_outbox_once"),
    Index("ix_notify_outbox_status_due", "status", "next_attempt_at"),
)
