"""After the end (terms, article 11): a terminated customer's personal data is erased
``days`` after the service ended (90 by default, ``personal_data_days`` in center.toml).

Erased: the contact persons (current and former: deleted), the sites' names and
addresses (the postal code is cut to its area), and the public form's record of who
submitted the application (a client address). Kept: the contract itself (application,
terms, termination), the audit log, device histories (tied to the customer, not to a
person), and the record of what was erased (``erasures``). Other packages erase their
part in the same transaction through ``ErasureEvents``.

Usage::

    retention = PersonalDataRetention(transactions, clock, days=90)
    retention.run_round()          # or start() it beside the server
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, delete, insert, select, update

from remotecare.center.contracts.rules import Channel, erasure_due_on, generalised_postal_code
from remotecare.center.contracts.tables import (
    applications,
    contacts,
    customers,
    erasures,
    sites,
    terminations,
)
from remotecare.center.kernel.background import BackgroundLoop
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions

__all__ = [
    "DEFAULT_PERSONAL_DATA_DAYS",
    "Erased",
    "ErasureEvents",
    "PersonalDataRetention",
    "customers_due",
    "erase_personal_data",
]

logger = logging.getLogger(__name__)

DEFAULT_PERSONAL_DATA_DAYS = 90
ROUND_EVERY_S = 3600.0
ERASED = "(erased)"


class ErasureEvents(Protocol):
    """What other packages erase of a terminated customer, in the same transaction."""

    def erase(self, conn: Connection, customer_id: int, now: datetime) -> str:
        """Erase this package's personal data of the customer; what was erased."""


def customers_due(conn: Connection, today: date, days: int) -> list[int]:
    """Terminated customers whose personal data is due for erasure and not yet erased."""
    rows = conn.execute(
        select(terminations.c.customer_id, terminations.c.effective_on)
        .where(
            terminations.c.effective_on <= today - timedelta(days=days),
            terminations.c.customer_id.not_in(select(erasures.c.customer_id)),
        )
        .order_by(terminations.c.customer_id)
    )
    return [row.customer_id for row in rows if erasure_due_on(row.effective_on, days) <= today]


def erase_personal_data(
    conn: Connection, customer_id: int, now: datetime, events: Sequence[ErasureEvents] = ()
) -> str:
    """Erase the customer's personal data and record what was erased; the record."""
    status = conn.execute(
        select(customers.c.status).where(customers.c.id == customer_id).with_for_update()
    ).scalar()
    if status != "terminated":
        raise ValueError(f"customer {customer_id} is {status}: only a terminated one is erased")
    application_ids = select(applications.c.id).where(applications.c.customer_id == customer_id)
    removed_contacts = conn.execute(
        delete(contacts).where(
            (contacts.c.customer_id == customer_id) | contacts.c.application_id.in_(application_ids)
        )
    ).rowcount
    site_rows = conn.execute(
        select(sites.c.id, sites.c.postal_code).where(
            (sites.c.customer_id == customer_id) | sites.c.application_id.in_(application_ids)
        )
    ).all()
    for site in site_rows:
        conn.execute(
            update(sites)
            .where(sites.c.id == site.id)
            .values(
                name=f"site {site.id}",
                address=ERASED,
                postal_code=generalised_postal_code(site.postal_code),
            )
        )
    conn.execute(
        update(applications)
        .where(
            applications.c.customer_id == customer_id,
            applications.c.channel == Channel.PUBLIC_FORM.value,
        )
        .values(submitted_by=ERASED)
    )
    done = [f"{removed_contacts} contact record(s) deleted", f"{len(site_rows)} site(s) erased"]
    done += [events_.erase(conn, customer_id, now) for events_ in events]
    what = "; ".join(done)
    conn.execute(insert(erasures).values(customer_id=customer_id, erased_at=now, what=what[:1000]))
    return what


@dataclass(frozen=True, slots=True)
class Erased:
    customer_id: int
    what: str


class PersonalDataRetention(BackgroundLoop):
    """Erases due customers' personal data, one customer per transaction, once an hour."""

    def __init__(
        self,
        transactions: Transactions,
        clock: Clock,
        days: int = DEFAULT_PERSONAL_DATA_DAYS,
        events: Sequence[ErasureEvents] = (),
    ) -> None:
        super().__init__("personal data retention", transactions)
        self.days = days
        self._clock = clock
        self._events = events

    def step(self) -> float:
        for erased in self.run_round():
            logger.info("retention: customer %d erased: %s", erased.customer_id, erased.what)
        return ROUND_EVERY_S

    def run_round(self) -> list[Erased]:
        """Erase every customer due now; what was erased of each."""
        with self.transactions.read() as conn:
            due = customers_due(conn, self._clock.now().date(), self.days)
        erased = []
        for customer_id in due:
            if self.stopping.is_set():
                break
            with self.writing(), self.transactions.begin() as conn:
                what = erase_personal_data(conn, customer_id, self._clock.now(), self._events)
            erased.append(Erased(customer_id, what))
        return erased
