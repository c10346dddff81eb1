"""What fault monitoring does when a customer's contract ends: every open incident of the
customer is resolved, noted as such, in the termination's transaction
(``contracts.service.ContractEvents``); nobody is sent to a customer no longer served."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from remotecare.center.access.rules import Actor
from remotecare.center.care.incidents.service import IncidentService
from remotecare.center.care.incidents.tables import incidents

__all__ = ["ResolveIncidentsOnTermination"]

TERMINATION_NOTE = "contract terminated"


@dataclass(frozen=True, slots=True)
class ResolveIncidentsOnTermination:
    service: IncidentService

    def terminated(self, conn: Connection, actor: Actor, customer_id: int, now: datetime) -> str:
        open_ids = (
            conn.execute(
                select(incidents.c.id)
                .where(incidents.c.customer_id == customer_id, incidents.c.open_key.is_not(None))
                .order_by(incidents.c.id)
            )
            .scalars()
            .all()
        )
        for incident_id in open_ids:
            self.service.resolve(conn, actor, incident_id, TERMINATION_NOTE)
        return f"{len(open_ids)} open incident(s) resolved"
