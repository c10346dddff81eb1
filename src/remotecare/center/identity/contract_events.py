"""What identity does when a customer's contract ends: every endpoint of the customer is
revoked, in the termination's transaction (``contracts.service.ContractEvents``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from remotecare.center.access.rules import Actor
from remotecare.center.identity.certificates import CertificateService
from remotecare.center.identity.tables import endpoints

__all__ = ["RevokeEndpointsOnTermination"]

TERMINATION_REASON = "contract terminated"


@dataclass(frozen=True, slots=True)
class RevokeEndpointsOnTermination:
    certificates: CertificateService

    def terminated(self, conn: Connection, actor: Actor, customer_id: int, now: datetime) -> str:
        ids = conn.execute(
            select(endpoints.c.id)
            .where(endpoints.c.customer_id == customer_id, endpoints.c.revoked.is_(False))
            .order_by(endpoints.c.id)
        ).scalars()
        revoked = [self.certificates.revoke(conn, actor, eid, TERMINATION_REASON) for eid in ids]
        cancelled = sum(r.cancelled_commands for r in revoked)
        return f"{len(revoked)} endpoint(s) revoked, {cancelled} pending command(s) cancelled"
