"""What an agent says about itself with each batch: how many reports wait in its outbox
and how many it had to drop, by reason (terms, article 5(3): never lost silently).

Stored on the endpoint's row (``endpoints.agent_status``), newest report wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from remotecare.center.identity.tables import endpoints
from remotecare.protocol.messages import AgentStatus

__all__ = ["dropped_reports", "read_agent_status", "record_agent_status"]


def record_agent_status(
    conn: Connection, endpoint_id: str, status: AgentStatus, now: datetime
) -> None:
    """Keep ``status`` as the endpoint's latest word about itself."""
    conn.execute(
        update(endpoints)
        .where(endpoints.c.id == endpoint_id)
        .values(agent_status=status.model_dump(mode="json"), agent_status_at=now)
    )


def read_agent_status(conn: Connection, endpoint_id: str) -> dict[str, Any] | None:
    value = conn.execute(
        select(endpoints.c.agent_status).where(endpoints.c.id == endpoint_id)
    ).scalar_one_or_none()
    return value if isinstance(value, dict) else None


def dropped_reports(status: dict[str, Any] | None) -> int:
    """Reports the agent gave up on, all reasons together (0 when it never said)."""
    if not status:
        return 0
    return sum(int(entry.get("count", 0)) for entry in status.get("dropped", []))
