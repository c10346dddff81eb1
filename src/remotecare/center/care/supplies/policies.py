"""Customers' order policies: lead time in working days, safety days and whether orders
are approved without a person, per customer with overrides per supply type.

A customer without a row orders with ``rules.orders.OrderPolicy``'s defaults, and its
orders wait for an operator's approval.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from remotecare.center.care.supplies.rules.orders import OrderPolicy
from remotecare.center.care.supplies.tables import order_policies

__all__ = ["ANY_SUPPLY_TYPE", "CustomerPolicy", "PolicyBook", "load_policies", "set_policy"]

ANY_SUPPLY_TYPE = ""  # the customer's default row


@dataclass(frozen=True, slots=True)
class CustomerPolicy:
    """The rules' policy and whether its orders are approved automatically."""

    rules: OrderPolicy = field(default_factory=OrderPolicy)
    auto_approve: bool = False


DEFAULT_POLICY = CustomerPolicy()


@dataclass(frozen=True, slots=True)
class PolicyBook:
    """The policies of some customers, by customer and supply type."""

    rows: dict[tuple[int, str], CustomerPolicy] = field(default_factory=dict)

    def policy(self, customer_id: int, supply_type: str) -> CustomerPolicy:
        """The override for ``supply_type``, else the customer's default, else ours."""
        return self.rows.get(
            (customer_id, supply_type),
            self.rows.get((customer_id, ANY_SUPPLY_TYPE), DEFAULT_POLICY),
        )


def load_policies(conn: Connection, customer_ids: Collection[int]) -> PolicyBook:
    """The policies of ``customer_ids``."""
    if not customer_ids:
        return PolicyBook()
    query = select(order_policies).where(order_policies.c.customer_id.in_(sorted(customer_ids)))
    return PolicyBook(
        {
            (row.customer_id, row.supply_type): CustomerPolicy(
                OrderPolicy(row.lead_time_working_days, row.safety_days), row.auto_approve
            )
            for row in conn.execute(query)
        }
    )


def set_policy(
    conn: Connection,
    customer_id: int,
    policy: CustomerPolicy,
    supply_type: str = ANY_SUPPLY_TYPE,
) -> None:
    """Set the customer's policy (for one supply type, or its default)."""
    if policy.rules.lead_time_working_days < 0 or policy.rules.safety_days < 0:
        raise ValueError("lead time and safety days cannot be negative")
    values = {
        "customer_id": customer_id,
        "supply_type": supply_type,
        "lead_time_working_days": policy.rules.lead_time_working_days,
        "safety_days": policy.rules.safety_days,
        "auto_approve": policy.auto_approve,
    }
    dialect = {"sqlite": sqlite, "postgresql": postgresql}[conn.dialect.name]
    statement = dialect.insert(order_policies).values(values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["customer_id", "supply_type"],
            set_={k: v for k, v in values.items() if k not in ("customer_id", "supply_type")},
        )
    )
