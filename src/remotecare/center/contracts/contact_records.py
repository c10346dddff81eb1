"""Contact persons' data as stored: for the privacy service only.

Contact persons are personal data (terms, article 4): every read must name its purpose
and be audited, which ``privacy/service.py`` does. No other module may import this one
(``tests/unit/center/test_boundaries.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from remotecare.center.contracts.tables import contacts

__all__ = ["ContactRecord", "contact_records", "customers_with_contacts"]


@dataclass(frozen=True, slots=True)
class ContactRecord:
    id: int
    customer_id: int | None
    application_id: int
    name: str
    email: str
    phone: str
    added_at: datetime
    replaced_at: datetime | None

    def value(self, field_name: str) -> str:
        """The value of ``field_name`` ("name", "email" or "phone")."""
        return {"name": self.name, "email": self.email, "phone": self.phone}[field_name]


def contact_records(
    conn: Connection,
    *,
    customer_id: int | None = None,
    application_id: int | None = None,
    with_history: bool = False,
) -> list[ContactRecord]:
    """The contacts of a customer or of an application (current ones unless
    ``with_history``), oldest first."""
    if (customer_id is None) == (application_id is None):
        raise ValueError("name either a customer or an application")
    query = select(contacts).order_by(contacts.c.id)
    if customer_id is not None:
        query = query.where(contacts.c.customer_id == customer_id)
    else:
        query = query.where(contacts.c.application_id == application_id)
    if not with_history:
        query = query.where(contacts.c.replaced_at.is_(None))
    return [
        ContactRecord(
            row.id,
            row.customer_id,
            row.application_id,
            row.name,
            row.email,
            row.phone,
            row.added_at,
            row.replaced_at,
        )
        for row in conn.execute(query)
    ]


def customers_with_contacts(conn: Connection, customer_ids: Collection[int]) -> set[int]:
    """Which of ``customer_ids`` have a current contact."""
    ids = sorted(set(customer_ids))
    if not ids:
        return set()
    rows = conn.execute(
        select(contacts.c.customer_id)
        .where(contacts.c.customer_id.in_(ids), contacts.c.replaced_at.is_(None))
        .distinct()
    )
    return {int(row[0]) for row in rows}
