"""People who log in to the console, with their role, and their sessions; the API tokens
of dealers' systems."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from remotecare.center.kernel.storage import Json, UtcDateTime, metadata

__all__ = [
    "api_tokens",
    "console_sessions",
    "partner_customers",
    "partners",
    "users",
    "work_assignments",
]


# Companies outside the operator that do part of its work (terms, article 10): affiliates
# (関係会社) and subcontractors (業務委託先).
partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # "affiliate" or "subcontractor"
    Column("created_at", UtcDateTime, nullable=False),
)

# The customers an affiliate works for.
partner_customers = Table(
    "partner_customers",
    metadata,
    Column("partner_id", ForeignKey("partners.id"), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
    Column("assigned_by", String(100), nullable=False),
    Column("assigned_at", UtcDateTime, nullable=False),
)

# A piece of work (a device, an incident, an order) given to a subcontractor, until it is
# released; the customer it is for is kept so that sessions need no other package's table.
work_assignments = Table(
    "work_assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", ForeignKey("partners.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # access.rules.WorkKind
    Column("ref", String(64), nullable=False),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("assigned_by", String(100), nullable=False),
    Column("assigned_at", UtcDateTime, nullable=False),
    Column("released_at", UtcDateTime),
    Index("ix_work_assignments_partner", "partner_id", "released_at"),
)

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
    # The customer a customer's person belongs to; NULL for operators and partners.
    Column("customer_id", ForeignKey("customers.id")),
    # The partner company an affiliate's or a subcontractor's person belongs to.
    Column("partner_id", ForeignKey("partners.id")),
    # The TOTP second factor (access/totp.py): its secret, set when it is started and in
    # force once a first code confirmed it; the time step of the last code accepted.
    Column("totp_secret", String(64)),
    Column("totp_confirmed_at", UtcDateTime),
    Column("totp_last_step", BigInteger),
    # The console's language the person chose (web/i18n.py LANGUAGES); NULL: the browser's.
    Column("language", String(8)),
    # The time zone the person's pages are written in (IANA name); NULL: the center's.
    Column("time_zone", String(64)),
    # Set when an administrator disabled the login: no login, no live session.
    Column("disabled_at", UtcDateTime),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

# A dealer's system's bearer token, stored as its SHA-256 only (shown once at creation).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    # The one customer it may see; NULL: every customer (made by an operator's administrator).
    Column("customer_id", ForeignKey("customers.id")),
    Column("scopes", Json, nullable=False),  # sorted list of access.rules.ApiScope values
    Column("created_by", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),  # at most hourly, so that calls stay reads
)
