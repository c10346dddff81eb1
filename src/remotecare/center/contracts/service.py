"""Customers as other packages see them: ids, names and whether their service runs.

Every function takes the caller's open connection (``kernel/transactions.py``)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime

from sqlalchemy import Column, Connection, insert, select

from remotecare.center.contracts.rules import ServiceStatus
from remotecare.center.contracts.tables import customers

__all__ = ["customer_by_name", "customer_names", "customer_statuses", "ensure_active_customer"]

_CHUNK = 2000  # ids per IN (...) list: far below SQLite's and psycopg's parameter limits


def ensure_active_customer(conn: Connection, name: str, now: datetime) -> int:
    """The id of the customer ``name``, created with an active service if unknown.

    Until applications arrive (the contracts issue), an operator who issues a customer's
    first enrolment token thereby accepts its application.
    """
    customer_id = customer_by_name(conn, name)
    if customer_id is not None:
        return customer_id
    inserted = conn.execute(
        insert(customers)
        .values(name=name, status=ServiceStatus.ACTIVE.value, created_at=now)
        .returning(customers.c.id)
    ).scalar_one()
    return int(inserted)


def customer_by_name(conn: Connection, name: str) -> int | None:
    found = conn.execute(select(customers.c.id).where(customers.c.name == name)).scalar()
    return None if found is None else int(found)


def customer_names(conn: Connection, ids: Collection[int]) -> dict[int, str]:
    """The names of the customers ``ids`` (unknown ids are left out)."""
    return _by_id(conn, customers.c.name, ids)


def customer_statuses(conn: Connection, ids: Collection[int]) -> dict[int, str]:
    """The service status of the customers ``ids`` (``ServiceStatus`` values)."""
    return _by_id(conn, customers.c.status, ids)


def _by_id(conn: Connection, column: Column[str], ids: Collection[int]) -> dict[int, str]:
    return {
        row[0]: row[1]
        for chunk in _chunks(ids)
        for row in conn.execute(select(customers.c.id, column).where(customers.c.id.in_(chunk)))
    }


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]
