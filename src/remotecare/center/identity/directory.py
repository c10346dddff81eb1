"""Who is calling: the endpoint named by a verified client certificate, and whether it
may still report (not revoked, not expired, not superseded, its customer's service active)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select

from remotecare.center.contracts.service import customer_statuses
from remotecare.center.identity.rules import EndpointCertificates, EndpointRecord
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.transactions import Transactions

__all__ = ["EndpointDirectory", "PendingWork", "read_endpoint"]

_CACHE_SECONDS = 1.0  # a revocation takes effect within this time in every process

# Whether work waits for the endpoint (commands queued by the fleet package, which the
# directory must not know): injected by the composition root.
PendingWork = Callable[[Connection, str], bool]


class EndpointDirectory:
    """Endpoint records read from the database, cached for at most one second.

    The cache is keyed by endpoint *and* certificate serial: a certificate this process
    has not seen yet (just renewed, maybe by another process) is always looked up afresh.
    """

    def __init__(
        self,
        transactions: Transactions,
        pending_work: PendingWork | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transactions = transactions
        self._pending_work = pending_work
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
        with self._transactions.read() as conn:
            record = read_endpoint(conn, endpoint_id, pending_work=self._pending_work)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[(endpoint_id, serial_hex)] = (self._monotonic(), record)
        return record


def read_endpoint(
    conn: Connection,
    endpoint_id: str,
    *,
    for_update: bool = False,
    pending_work: PendingWork | None = None,
) -> EndpointRecord | None:
    """The endpoint's record; ``for_update`` locks its row until the transaction ends
    (PostgreSQL; SQLite serializes writers anyway)."""
    query = select(
        endpoints.c.id,
        endpoints.c.customer_id,
        endpoints.c.certificate_serial,
        endpoints.c.previous_certificate_serial,
        endpoints.c.previous_certificate_valid_until,
        endpoints.c.revoked,
    ).where(endpoints.c.id == endpoint_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return None
    status = customer_statuses(conn, [row.customer_id]).get(row.customer_id, "unknown")
    pending = pending_work(conn, endpoint_id) if pending_work is not None else False
    return _record(row, status, pending)


def _record(row: Any, customer_status: str, pending_commands: bool) -> EndpointRecord:
    return EndpointRecord(
        endpoint_id=row.id,
        customer_id=row.customer_id,
        certificates=EndpointCertificates(
            row.certificate_serial,
            row.previous_certificate_serial,
            row.previous_certificate_valid_until,
        ),
        revoked=row.revoked,
        customer_status=customer_status,
        pending_commands=pending_commands,
    )
