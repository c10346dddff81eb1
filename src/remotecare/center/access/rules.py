"""Who is asking, and what each kind of person may reach (terms, article 10).

Every console and device API request resolves to an ``Actor`` before any handler runs,
and every route declares its ``AccessRule`` (``allow``): a route without one is refused.
Services that read or change customer data take the actor and scope their queries by
``Actor.customer_ids``.

Roles:

- ``operator_admin``, ``operator_staff``: the vendor or dealer running the center; they see
  every customer (administrators also manage users and settings);
- ``affiliate`` (関係会社): a person of a company of the operator's group, scoped to the
  customers assigned to that company;
- ``subcontractor`` (業務委託先): a person of a field-service company, scoped to the work
  assigned to that company (devices, incidents, orders: ``Actor.assigned``) and to those
  customers only;
- ``customer_admin``, ``customer_user``: people of one customer, scoped to it;
- ``device``: an enrolled endpoint, named by its verified certificate, scoped to its customer;
- ``integration``: a dealer's system calling the JSON API with a bearer token, scoped to
  the token's customers and limited to its ``ApiScope`` set (``api_tokens.py``);
- ``anonymous``: nobody has authenticated (the login page, enrolment with a token).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "ANONYMOUS",
    "CONSOLE_USERS",
    "DEVICES",
    "OPERATORS",
    "OPERATOR_ADMINS",
    "PUBLIC",
    "AccessRule",
    "Actor",
    "ApiScope",
    "Role",
    "WorkKind",
    "access_rule_of",
    "allow",
    "api_clients",
]

F = TypeVar("F", bound=Callable[..., object])

_ATTRIBUTE = "__access_rule__"


class Role(enum.StrEnum):
    OPERATOR_ADMIN = "operator_admin"
    OPERATOR_STAFF = "operator_staff"
    AFFILIATE = "affiliate"
    SUBCONTRACTOR = "subcontractor"
    CUSTOMER_ADMIN = "customer_admin"
    CUSTOMER_USER = "customer_user"
    DEVICE = "device"
    INTEGRATION = "integration"
    ANONYMOUS = "anonymous"

    @property
    def sees_every_customer(self) -> bool:
        return self in (Role.OPERATOR_ADMIN, Role.OPERATOR_STAFF)

    @property
    def of_a_partner(self) -> bool:
        """Whether a person of this role belongs to a partner company (``partners``)."""
        return self in (Role.AFFILIATE, Role.SUBCONTRACTOR)

    @property
    def of_a_customer(self) -> bool:
        return self in (Role.CUSTOMER_ADMIN, Role.CUSTOMER_USER)


class WorkKind(enum.StrEnum):
    """What can be assigned to a subcontractor, each named by its own id as text."""

    DEVICE = "device"  # a printer's id
    INCIDENT = "incident"
    ORDER = "order"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a request comes from, as authenticated, and which customers it may see.

    ``customer_ids`` is None for roles that see every customer (operators), else the
    customers it is scoped to (possibly none).

    Usage::

        Actor.operator("alice").may_see(customer_id)                  # True
        Actor.device(endpoint_id, customer_id=7).customer_ids          # frozenset({7})
    """

    name: str
    role: Role
    customer_ids: frozenset[int] | None = frozenset()
    endpoint_id: str | None = None  # set for devices only
    scopes: frozenset[ApiScope] = frozenset()  # set for integrations only
    # Subcontractors only: the (kind, id) of each piece of work assigned to their company.
    work: frozenset[tuple[WorkKind, str]] | None = None

    @classmethod
    def integration(
        cls, name: str, customer_ids: Iterable[int] | None, scopes: Iterable[ApiScope]
    ) -> Actor:
        """A dealer's system by its API token: ``customer_ids`` None for a token of every
        customer (only an operator's administrator makes one)."""
        customers = None if customer_ids is None else frozenset(customer_ids)
        return cls(name, Role.INTEGRATION, customers, scopes=frozenset(scopes))

    @classmethod
    def operator(cls, name: str, role: Role = Role.OPERATOR_ADMIN) -> Actor:
        if not role.sees_every_customer:
            raise ValueError(f"{role} is not an operator's role")
        return cls(name, role, None)

    @classmethod
    def device(cls, endpoint_id: str, customer_id: int) -> Actor:
        return cls(f"endpoint {endpoint_id}", Role.DEVICE, frozenset({customer_id}), endpoint_id)

    @classmethod
    def scoped(cls, name: str, role: Role, customer_ids: Iterable[int]) -> Actor:
        """A subcontractor or a customer's person, limited to ``customer_ids``."""
        if role.sees_every_customer:
            return cls.operator(name, role)
        return cls(name, role, frozenset(customer_ids))

    @property
    def sees_every_customer(self) -> bool:
        return self.customer_ids is None

    def may_see(self, customer_id: int) -> bool:
        return self.customer_ids is None or customer_id in self.customer_ids

    def assigned(self, kind: WorkKind) -> frozenset[str] | None:
        """The ids of ``kind`` assigned to this subcontractor; None for every other actor
        (whose customers alone limit what it sees)."""
        if self.work is None:
            return None
        return frozenset(ref for work_kind, ref in self.work if work_kind is kind)

    @classmethod
    def subcontractor(cls, name: str, work: Iterable[tuple[WorkKind, str, int]]) -> Actor:
        """A subcontractor's person with the work assigned to its company, each as
        (kind, id, customer id): it sees those customers, and of them only that work."""
        pieces = list(work)
        return cls(
            name,
            Role.SUBCONTRACTOR,
            frozenset(customer for _, _, customer in pieces),
            work=frozenset((kind, ref) for kind, ref, _ in pieces),
        )


ANONYMOUS = Actor("anonymous", Role.ANONYMOUS)


class ApiScope(enum.StrEnum):
    """What an API token may do: one scope per kind of data and direction."""

    DEVICES_READ = "devices:read"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    METERS_READ = "meters:read"
    INCIDENTS_READ = "incidents:read"
    INCIDENTS_WRITE = "incidents:write"


@dataclass(frozen=True, slots=True)
class AccessRule:
    """Which roles may call a route."""

    name: str
    roles: frozenset[Role]
    scope: ApiScope | None = None  # an API route: the scope the caller's token must carry

    def allows(self, actor: Actor) -> bool:
        if actor.role not in self.roles:
            return False
        return self.scope is None or self.scope in actor.scopes

    @property
    def is_api(self) -> bool:
        return self.scope is not None


PUBLIC = AccessRule("public", frozenset(Role))
DEVICES = AccessRule("devices", frozenset({Role.DEVICE}))
OPERATORS = AccessRule("operators", frozenset({Role.OPERATOR_ADMIN, Role.OPERATOR_STAFF}))
OPERATOR_ADMINS = AccessRule("operator administrators", frozenset({Role.OPERATOR_ADMIN}))
CONSOLE_USERS = AccessRule(
    "console users", frozenset(Role) - {Role.DEVICE, Role.INTEGRATION, Role.ANONYMOUS}
)  # anyone logged in to the console: each page scopes what it shows


def api_clients(scope: ApiScope) -> AccessRule:
    """The rule of a JSON API route: an integration's token carrying ``scope``."""
    return AccessRule(f"API clients with {scope}", frozenset({Role.INTEGRATION}), scope)


def allow(rule: AccessRule) -> Callable[[F], F]:
    """Declare who may call the decorated route handler."""

    def declare(handler: F) -> F:
        setattr(handler, _ATTRIBUTE, rule)
        return handler

    return declare


def access_rule_of(handler: object) -> AccessRule | None:
    """The rule declared for ``handler``, or None when it declares none."""
    rule = getattr(handler, _ATTRIBUTE, None)
    return rule if isinstance(rule, AccessRule) else None
