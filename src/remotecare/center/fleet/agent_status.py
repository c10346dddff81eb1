"""What an agent says about itself with each batch: how many reports wait in its outbox
and how many it had to drop, by reason (terms, article 5(3): never lost silently).

Kept with the endpoint (``identity.endpoints``), newest batch wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from remotecare.center.identity import endpoints
from remotecare.protocol.messages import AgentStatus

__all__ = ["dropped_by_reason", "record_agent_status"]


def record_agent_status(
    conn: Connection, endpoint_id: str, status: AgentStatus, now: datetime
) -> None:
    """Keep ``status`` as the endpoint's latest word about itself."""
    endpoints.record_agent_status(conn, endpoint_id, status.model_dump(mode="json"), now)


def dropped_by_reason(status: dict[str, Any] | None) -> dict[str, int]:
    """Reports the agent gave up on, by reason; reasons with none are left out."""
    if not status:
        return {}
    return {d["reason"]: int(d["count"]) for d in status.get("dropped", []) if d.get("count")}
