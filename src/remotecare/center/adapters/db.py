"""Tables and engines: SQLAlchemy Core on SQLite (embedded default, WAL) or PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = [
    "RawJson",
    "UtcDateTime",
    "commands",
    "console_sessions",
    "customers",
    "diagnostic_bundles",
    "endpoints",
    "enrollment_tokens",
    "failed_attempts",
    "held_reports",
    "make_engine",
    "metadata",
    "operators",
    "printers",
    "reports",
    "sqlite_writer_lock",
]


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any] | None:
        """The conversion, remembered for the last few thousand values: a group commit binds
        the same few times over and over (one arrival time for the whole group, each
        reading's time in several columns), and each conversion costs three Python calls."""
        convert = super().bind_processor(dialect)
        if convert is None:
            return None
        done: dict[datetime, Any] = {}

        def process(value: Any) -> Any:
            if value is None:
                return None
            try:
                return done[value]
            except KeyError:
                if len(done) >= 4096:
                    done.clear()
                converted = done[value] = convert(value)
                return converted
            except TypeError:  # not hashable: no datetime, let the conversion say so
                return convert(value)

        return process


class RawJson(str):
    """JSON text already serialized (by pydantic, in Rust): stored as is, not encoded again.

    Only engines from ``make_engine`` know it; give it to no other engine.
    """

    __slots__ = ()


def _serialize_json(value: Any) -> str:
    if isinstance(value, RawJson):
        return str(value)
    return json.dumps(value)


_Json = JSON().with_variant(JSONB(), "postgresql")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("status", String(20), nullable=False),  # submitted, accepted, active, terminated
    Column("created_at", UtcDateTime, nullable=False),
)

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

enrollment_tokens = Table(
    "enrollment_tokens",
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
    Column("agent_status", _Json),
    Column("agent_status_at", UtcDateTime),
)

printers = Table(
    "printers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("endpoint_id", ForeignKey("endpoints.id"), nullable=False),
    Column("serial", String(128), nullable=False),
    Column("serial_source", String(32), nullable=False),
    Column("address", String(256), nullable=False),  # as the agent's configuration names it
    Column("model", String(256), nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_contact_at", UtcDateTime),  # last time the agent read it successfully
    Column("last_report_at", UtcDateTime, nullable=False),  # last report about it, any outcome
    Column("unreachable_reason", Text),
    Column("latest_reading", _Json),
    Column("latest_reading_at", UtcDateTime),  # the agent's clock when latest_reading was taken
    # "bound": a device; "pending": waits for an operator to confirm it (printer_binding).
    Column("binding", String(16), nullable=False, server_default="bound"),
    Column("confirmed_at", UtcDateTime),
    UniqueConstraint("customer_id", "serial"),
    Index("ix_printers_endpoint_address", "endpoint_id", "address"),
)

reports = Table(
    "reports",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("endpoint_id", ForeignKey("endpoints.id"), nullable=False),
    Column("printer_id", ForeignKey("printers.id"), nullable=True),
    Column("printer_address", String(256), nullable=False),
    Column("agent_time", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("reachable", Boolean, nullable=False),
    Column("payload", _Json, nullable=False),
    Index("ix_reports_printer_time", "printer_id", "agent_time"),
)


held_reports = Table(
    "held_reports",
    metadata,
    Column("report_id", ForeignKey("reports.report_id"), primary_key=True),
    Column("printer_id", ForeignKey("printers.id"), nullable=False, index=True),
)

commands = Table(
    "commands",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("endpoint_id", ForeignKey("endpoints.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("arguments", _Json, nullable=False),
    Column("status", String(16), nullable=False),  # pending, done, failed, cancelled
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("detail", String(256)),
    Index("ix_commands_endpoint_status", "endpoint_id", "status"),
)

# Diagnostic bundles: the bytes live in files under the center's home (``path`` is
# relative to its bundles directory); this row says whose, why, and how far it arrived.
diagnostic_bundles = Table(
    "diagnostic_bundles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("endpoint_id", ForeignKey("endpoints.id"), nullable=False),
    Column("printer_serial", String(128)),
    Column("reason", String(32), nullable=False),
    Column("command_id", String(36)),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_bytes", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # receiving, complete
    Column("path", String(512), nullable=False),
    Column("declared_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
    Index("ix_diagnostic_bundles_endpoint_declared", "endpoint_id", "declared_at"),
)


# Failed enrolments and console logins, one row per failure and per subject it counts
# against (adapters/attempts.py), so that rate limits hold across worker processes.
SUBJECT_MAX_LENGTH = 100  # an IPv6 address with a zone, or an operator's user name
failed_attempts = Table(
    "failed_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("purpose", String(16), nullable=False),
    Column("subject", String(SUBJECT_MAX_LENGTH), nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
    Index("ix_failed_attempts_purpose_failed_at", "purpose", "failed_at"),
    Index("ix_failed_attempts_purpose_subject_failed_at", "purpose", "subject", "failed_at"),
)


def sqlite_writer_lock(engine: Engine) -> Path | None:
    """The lock file next to a SQLite database that its processes' group commits take
    turns on (``group_commit.py``); None for other databases and for one in memory."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).with_name(Path(database).name + ".write-lock")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, full sync and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=_serialize_json)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # durable: a report acknowledged is on disk
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, json_serializer=_serialize_json
    )
