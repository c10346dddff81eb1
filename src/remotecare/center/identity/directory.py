"""Who is calling: the endpoint named by a verified client certificate, and whether it
may still report (not revoked, not expired, not superseded, its customer's service active)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, exists, select

from remotecare.center.contracts.tables import customers
from remotecare.center.fleet.tables import commands
from remotecare.center.identity.rules import EndpointCertificates
from remotecare.center.identity.tables import endpoints

__all__ = [
    "EndpointDirectory",
    "EndpointRecord",
    "PresentedCertificate",
    "read_endpoint",
    "refusal_for",
]

_CACHE_SECONDS = 1.0  # a revocation takes effect within this time in every process


@dataclass(frozen=True, slots=True)
class PresentedCertificate:
    """The client certificate the TLS layer verified (chain only: time is checked here)."""

    endpoint_id: str
    serial_hex: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    endpoint_id: str
    customer_id: int
    certificates: EndpointCertificates
    revoked: bool
    customer_status: str
    pending_commands: bool = False


def refusal_for(
    record: EndpointRecord | None, presented: PresentedCertificate, now: datetime
) -> str | None:
    """Why this certificate may not be used now, or None when it may."""
    if record is None:
        return "unknown endpoint"
    if record.revoked:
        return "endpoint certificate revoked"
    if now > presented.not_after:
        return "endpoint certificate expired: enrol again with a new token"
    if now < presented.not_before:
        return "endpoint certificate not yet valid: check the agent's clock"
    if not record.certificates.accepts(presented.serial_hex, now):
        return "certificate superseded by a newer one"
    if record.customer_status != "active":
        return f"the customer's service is {record.customer_status}, not active"
    return None


class EndpointDirectory:
    """Endpoint records read from the database, cached for at most one second.

    The cache is keyed by endpoint *and* certificate serial: a certificate this process
    has not seen yet (just renewed, maybe by another process) is always looked up afresh.
    """

    def __init__(self, engine: Engine, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._monotonic = monotonic
        self._cache: dict[tuple[str, str], tuple[float, EndpointRecord | None]] = {}
        self._loading: dict[tuple[str, str], asyncio.Future[EndpointRecord | None]] = {}

    def cached(self, endpoint_id: str, serial_hex: str) -> tuple[bool, EndpointRecord | None]:
        hit = self._cache.get((endpoint_id, serial_hex))
        if hit is not None and self._monotonic() - hit[0] < _CACHE_SECONDS:
            return True, hit[1]
        return False, None

    async def lookup(self, endpoint_id: str, serial_hex: str) -> EndpointRecord | None:
        """The cached record, else one database read shared by every request that asks
        while it runs (a busy endpoint's requests would otherwise all read at once)."""
        hit, record = self.cached(endpoint_id, serial_hex)
        if hit:
            return record
        key = (endpoint_id, serial_hex)
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(asyncio.to_thread(self.load, endpoint_id, serial_hex))
            self._loading[key] = loading
            loading.add_done_callback(lambda _: self._loading.pop(key, None))
        return await asyncio.shield(loading)

    def forget(self, endpoint_id: str) -> None:
        """Drop what is cached for the endpoint (after this process changed its row)."""
        for key in [key for key in self._cache if key[0] == endpoint_id]:
            del self._cache[key]

    def load(self, endpoint_id: str, serial_hex: str) -> EndpointRecord | None:
        with self._engine.connect() as conn:
            record = read_endpoint(conn, endpoint_id)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[(endpoint_id, serial_hex)] = (self._monotonic(), record)
        return record


def read_endpoint(
    conn: Connection, endpoint_id: str, *, for_update: bool = False
) -> EndpointRecord | None:
    """The endpoint's record; ``for_update`` locks its row until the transaction ends
    (PostgreSQL; SQLite serializes writers anyway)."""
    pending = exists().where(
        commands.c.endpoint_id == endpoints.c.id, commands.c.status == "pending"
    )
    query = (
        select(
            endpoints.c.id,
            endpoints.c.customer_id,
            endpoints.c.certificate_serial,
            endpoints.c.previous_certificate_serial,
            endpoints.c.previous_certificate_valid_until,
            endpoints.c.revoked,
            customers.c.status,
            pending.label("pending_commands"),
        )
        .join(customers, customers.c.id == endpoints.c.customer_id)
        .where(endpoints.c.id == endpoint_id)
    )
    if for_update:
        query = query.with_for_update(of=endpoints)
    row = conn.execute(query).first()
    return None if row is None else _record(row)


def _record(row: Any) -> EndpointRecord:
    return EndpointRecord(
        endpoint_id=row.id,
        customer_id=row.customer_id,
        certificates=EndpointCertificates(
            row.certificate_serial,
            row.previous_certificate_serial,
            row.previous_certificate_valid_until,
        ),
        revoked=row.revoked,
        customer_status=row.status,
        pending_commands=bool(row.pending_commands),
    )
