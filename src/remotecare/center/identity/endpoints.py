"""Enrolled endpoints as other packages see them: when each was last heard from, the poll
interval it runs at, what its agent said about itself, and listings for the console.

Every function takes the caller's open connection (``kernel/transactions.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select, update

from remotecare.center.access.rules import Actor
from remotecare.center.access.service import scoped
from remotecare.center.contracts.rules import why_not_active
from remotecare.center.contracts.service import customer_statuses
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.storage import UtcDateTime

__all__ = [
    "CONTACT_RESOLUTION",
    "EndpointContact",
    "EndpointListing",
    "count_by_state",
    "endpoint_contacts",
    "endpoint_listing",
    "is_revoked",
    "note_contacts",
    "read_agent_status",
    "record_agent_status",
    "record_contact",
    "set_poll_interval",
]

# Contact is kept to the second: a busy endpoint's row is written once a second, not by
# every group commit (with several worker processes, each group would otherwise wait for
# the other process's lock on the same row until its commit).
CONTACT_RESOLUTION = timedelta(seconds=1)

_SEEN = (
    update(endpoints)
    .where(
        endpoints.c.id == bindparam("b_id"),
        or_(
            endpoints.c.last_seen_at.is_(None),
            endpoints.c.last_seen_at < bindparam("b_stale", type_=UtcDateTime),
        ),
    )
    .values(last_seen_at=bindparam("b_seen", type_=UtcDateTime))
)


@dataclass(frozen=True, slots=True)
class EndpointContact:
    """What connectivity is judged by: last contact (else enrolment) and poll interval."""

    endpoint_id: str
    customer_id: int
    last_seen_at: datetime | None
    enrolled_at: datetime
    poll_interval_seconds: int | None

    @property
    def last_heard_at(self) -> datetime:
        return self.last_seen_at or self.enrolled_at


@dataclass(frozen=True, slots=True)
class EndpointListing:
    contact: EndpointContact
    certificate_not_after: datetime
    revoked: bool
    revoked_at: datetime | None
    revocation_reason: str | None
    agent_status: dict[str, Any] | None


def note_contacts(conn: Connection, seen: Mapping[str, datetime]) -> None:
    """Endpoints heard from at these times (to the second; one statement for them all)."""
    if not seen:
        return
    conn.execute(
        _SEEN,
        [
            {"b_id": eid, "b_seen": seen[eid], "b_stale": seen[eid] - CONTACT_RESOLUTION}
            for eid in sorted(seen)
        ],
    )


def record_contact(conn: Connection, endpoint_id: str, now: datetime) -> None:
    """The endpoint called just now."""
    conn.execute(update(endpoints).where(endpoints.c.id == endpoint_id).values(last_seen_at=now))


def set_poll_interval(conn: Connection, endpoint_id: str, seconds: int) -> None:
    """The agent confirmed it now polls every ``seconds``."""
    conn.execute(
        update(endpoints).where(endpoints.c.id == endpoint_id).values(poll_interval_seconds=seconds)
    )


def record_agent_status(
    conn: Connection, endpoint_id: str, status: dict[str, Any], now: datetime
) -> None:
    """Keep ``status`` (the agent's word about its outbox, as JSON) as the latest."""
    conn.execute(
        update(endpoints)
        .where(endpoints.c.id == endpoint_id)
        .values(agent_status=status, agent_status_at=now)
    )


def read_agent_status(conn: Connection, endpoint_id: str) -> dict[str, Any] | None:
    value = conn.execute(
        select(endpoints.c.agent_status).where(endpoints.c.id == endpoint_id)
    ).scalar_one_or_none()
    return value if isinstance(value, dict) else None


def is_revoked(conn: Connection, endpoint_id: str) -> bool | None:
    """Whether the endpoint is revoked; None if there is no such endpoint."""
    revoked = conn.execute(
        select(endpoints.c.revoked).where(endpoints.c.id == endpoint_id)
    ).scalar()
    return None if revoked is None else bool(revoked)


_CONTACT_COLUMNS = (
    endpoints.c.id,
    endpoints.c.customer_id,
    endpoints.c.last_seen_at,
    endpoints.c.enrolled_at,
    endpoints.c.poll_interval_seconds,
)


def _contact(row: Any) -> EndpointContact:
    return EndpointContact(
        row.id, row.customer_id, row.last_seen_at, row.enrolled_at, row.poll_interval_seconds
    )


def endpoint_contacts(conn: Connection, ids: Collection[str]) -> dict[str, EndpointContact]:
    """The contact facts of the endpoints ``ids``."""
    ordered = sorted(set(ids))
    found: dict[str, EndpointContact] = {}
    for start in range(0, len(ordered), 2000):
        chunk = ordered[start : start + 2000]
        for row in conn.execute(select(*_CONTACT_COLUMNS).where(endpoints.c.id.in_(chunk))):
            found[row.id] = _contact(row)
    return found


def endpoint_listing(conn: Connection, actor: Actor) -> list[EndpointListing]:
    """Every endpoint ``actor`` may see, oldest enrolment first."""
    query = scoped(
        select(
            *_CONTACT_COLUMNS,
            endpoints.c.certificate_not_after,
            endpoints.c.revoked,
            endpoints.c.revoked_at,
            endpoints.c.revocation_reason,
            endpoints.c.agent_status,
        ).order_by(endpoints.c.enrolled_at, endpoints.c.id),
        endpoints.c.customer_id,
        actor,
    )
    return [
        EndpointListing(
            _contact(row),
            row.certificate_not_after,
            row.revoked,
            row.revoked_at,
            row.revocation_reason,
            row.agent_status if isinstance(row.agent_status, dict) else None,
        )
        for row in conn.execute(query)
    ]


def count_by_state(conn: Connection) -> dict[str, int]:
    """Endpoints by state: revoked, service_inactive (their customer's), never_seen, active."""
    rows = conn.execute(
        select(
            endpoints.c.customer_id,
            endpoints.c.revoked,
            endpoints.c.last_seen_at.is_(None).label("never_seen"),
            func.count(),
        ).group_by(endpoints.c.customer_id, endpoints.c.revoked, endpoints.c.last_seen_at.is_(None))
    ).all()
    statuses = customer_statuses(conn, {row.customer_id for row in rows})
    counts = {"active": 0, "never_seen": 0, "revoked": 0, "service_inactive": 0}
    for customer_id, revoked, never_seen, count in rows:
        if revoked:
            state = "revoked"
        elif why_not_active(statuses.get(customer_id, "unknown")):
            state = "service_inactive"
        elif never_seen:
            state = "never_seen"
        else:
            state = "active"
        counts[state] += int(count)
    return counts
