"""Failed attempts (enrolments, console logins), shared by every center process."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from remotecare.center.kernel.storage import UtcDateTime, metadata

__all__ = ["SUBJECT_MAX_LENGTH", "failed_attempts"]


# Failed enrolments and console logins, one row per failure and per subject it counts
# against (``attempts/log.py``), so that rate limits hold across worker processes.
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
