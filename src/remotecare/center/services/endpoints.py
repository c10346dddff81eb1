"""Who is calling: the endpoint named by a verified client certificate, and whether it
may still report (not revoked, not superseded, its customer's service active)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from remotecare.center.adapters.db import customers, endpoints

__all__ = ["EndpointDirectory", "EndpointRecord", "refusal_for"]

_CACHE_SECONDS = 1.0  # a revocation takes effect within this time in every process


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    endpoint_id: str
    customer_id: int
    certificate_serial: str
    revoked: bool
    customer_status: str


def refusal_for(record: EndpointRecord | None, certificate_serial: str) -> str | None:
    """Why this certificate may not report now, or None when it may."""
    if record is None:
        return "unknown endpoint"
    if record.revoked:
        return "endpoint certificate revoked"
    if record.certificate_serial != certificate_serial:
        return "certificate superseded by a newer one"
    if record.customer_status != "active":
        return f"the customer's service is {record.customer_status}, not active"
    return None


class EndpointDirectory:
    """Endpoint records read from the database, cached for at most one second."""

    def __init__(self, engine: Engine, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, EndpointRecord | None]] = {}

    def cached(self, endpoint_id: str) -> tuple[bool, EndpointRecord | None]:
        hit = self._cache.get(endpoint_id)
        if hit is not None and self._monotonic() - hit[0] < _CACHE_SECONDS:
            return True, hit[1]
        return False, None

    def load(self, endpoint_id: str) -> EndpointRecord | None:
        query = (
            select(
                endpoints.c.id,
                endpoints.c.customer_id,
                endpoints.c.certificate_serial,
                endpoints.c.revoked,
                customers.c.status,
            )
            .join(customers, customers.c.id == endpoints.c.customer_id)
            .where(endpoints.c.id == endpoint_id)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        record = None if row is None else EndpointRecord(row[0], row[1], row[2], row[3], row[4])
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[endpoint_id] = (self._monotonic(), record)
        return record
