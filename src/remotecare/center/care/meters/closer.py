"""Periods closed automatically once their cut-off plus the customer's grace has passed.

A background loop beside ingest (like raw report retention): every few minutes it looks
for customers whose latest due period is not closed and closes it, one customer per
transaction. Closing is idempotent, so two workers doing it at once, or an operator
closing first, change nothing. On SQLite the writer lock is held for one customer's close
(at most a minute for 100,000 devices, ``bench/meters.py``), during which ingest waits.
"""

from __future__ import annotations

import logging

from remotecare.center.access.rules import Actor
from remotecare.center.care.meters.rules.periods import periods_closed_by
from remotecare.center.care.meters.service import close_period, closing_of, customer_settings
from remotecare.center.contracts.rules import Service
from remotecare.center.contracts.service import customers_including
from remotecare.center.fleet.billing import customers_with_devices
from remotecare.center.kernel.background import BackgroundLoop
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions

__all__ = ["AUTOMATIC_CLOSE", "MeterCloser"]

logger = logging.getLogger(__name__)

AUTOMATIC_CLOSE = Actor.operator("automatic close")


class MeterCloser(BackgroundLoop):
    """Closes due billing periods on a thread of its own.

    Usage::

        closer = MeterCloser(transactions, clock)
        closer.start()
        ...
        closer.stop()
    """

    def __init__(self, transactions: Transactions, clock: Clock, *, every_s: float = 300.0) -> None:
        super().__init__("meter-closer", transactions)
        self._clock = clock
        self._every_s = every_s

    def step(self) -> float:
        self.close_due()
        return self._every_s

    def close_due(self) -> list[tuple[int, str]]:
        """Close every customer's latest due period not yet closed; which it closed."""
        now = self._clock.now()
        with self.transactions.read() as conn:
            # Only customers whose contract includes meter reads are billed per page.
            metered = customers_including(conn, Service.METERS)
            customers = [c for c in customers_with_devices(conn) if c in metered]
            settings = customer_settings(conn, customers)
            due = [
                (customer_id, period.name)
                for customer_id in customers
                for period in periods_closed_by(now, settings[customer_id], 1)
                if closing_of(conn, customer_id, period.name) is None
            ]
        closed = []
        for customer_id, period in due:
            if self.stopping.is_set():
                break
            with self.writing(), self.transactions.begin() as conn:
                done = close_period(conn, AUTOMATIC_CLOSE, customer_id, period, now)
            if not done.already:
                logger.info(
                    "meters: closed %s for customer %d (%d reads)", period, customer_id, done.reads
                )
                closed.append((customer_id, period))
        return closed
