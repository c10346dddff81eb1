"""Partner companies (terms, article 10): affiliates (関係会社) that work for the customers
assigned to them, and subcontractors (業務委託先) that see only the work assigned to them
(a device to visit, an incident, an order to deliver) and of each customer only that.

Only operators assign, and every assignment keeps who made it and when; a released one
stops counting at once (the person's next request sees it gone).

Usage::

    partners = Partners(clock)
    with transactions.begin() as conn:
        fixit = partners.create(conn, operator, "Fix-It KK", Role.SUBCONTRACTOR)
        partners.assign_work(conn, operator, fixit, WorkKind.DEVICE, str(printer_id), customer_id)
    with transactions.read() as conn:
        actor = partners.actor(conn, "tanaka", Role.SUBCONTRACTOR, fixit)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, false, insert, select, update
from sqlalchemy.exc import IntegrityError

from remotecare.center.access.rules import Actor, Role, WorkKind
from remotecare.center.access.tables import partner_customers, partners, work_assignments
from remotecare.center.kernel.clock import Clock
from remotecare.errors import OperatorError

__all__ = ["PartnerInfo", "PartnerRefused", "Partners", "assigned_only", "partners_working_for"]

S = TypeVar("S", bound=Select[Any])


class PartnerRefused(OperatorError):
    """No such partner, a kind that does not fit, or an actor that may not assign."""


@dataclass(frozen=True, slots=True)
class PartnerInfo:
    id: int
    name: str
    kind: Role
    customer_ids: frozenset[int]  # an affiliate's customers
    open_work: int  # a subcontractor's unreleased assignments


def assigned_only(query: S, ref_column: ColumnElement[Any], actor: Actor, kind: WorkKind) -> S:
    """``query`` limited to the ``kind`` of work assigned to ``actor`` when it is a
    subcontractor (``ref_column`` holds the thing's id); unchanged for anyone else."""
    refs = actor.assigned(kind)
    if refs is None:
        return query
    if not refs:
        return query.where(false())
    return query.where(ref_column.in_(sorted(refs)))


@dataclass(frozen=True, slots=True)
class Partners:
    clock: Clock

    def create(self, conn: Connection, actor: Actor, name: str, kind: Role) -> int:
        """A new partner company of ``kind`` (affiliate or subcontractor); its id."""
        _must_be_operator(actor)
        if not kind.of_a_partner:
            raise PartnerRefused(f"a partner is an affiliate or a subcontractor, not {kind}")
        if not name.strip() or len(name) > 200:
            raise PartnerRefused("a partner needs a name of 1 to 200 characters")
        try:
            with conn.begin_nested():
                return int(
                    conn.execute(
                        insert(partners)
                        .values(name=name.strip(), kind=kind.value, created_at=self.clock.now())
                        .returning(partners.c.id)
                    ).scalar_one()
                )
        except IntegrityError as exc:
            raise PartnerRefused(f"a partner named {name.strip()!r} exists already") from exc

    def by_name(self, conn: Connection, name: str) -> tuple[int, Role]:
        row = conn.execute(
            select(partners.c.id, partners.c.kind).where(partners.c.name == name)
        ).first()
        if row is None:
            raise PartnerRefused(f"no partner named {name!r}")
        return row.id, Role(row.kind)

    def assign_customer(
        self, conn: Connection, actor: Actor, partner_id: int, customer_id: int
    ) -> bool:
        """Let affiliate ``partner_id`` work for ``customer_id``; False if it did already."""
        _must_be_operator(actor)
        self._of_kind(conn, partner_id, Role.AFFILIATE)
        if conn.execute(
            select(partner_customers.c.partner_id).where(
                partner_customers.c.partner_id == partner_id,
                partner_customers.c.customer_id == customer_id,
            )
        ).first():
            return False
        conn.execute(
            insert(partner_customers).values(
                partner_id=partner_id,
                customer_id=customer_id,
                assigned_by=actor.name,
                assigned_at=self.clock.now(),
            )
        )
        return True

    def assign_work(
        self,
        conn: Connection,
        actor: Actor,
        partner_id: int,
        kind: WorkKind,
        ref: str,
        customer_id: int,
    ) -> bool:
        """Give subcontractor ``partner_id`` a piece of work; False if it had it already."""
        _must_be_operator(actor)
        self._of_kind(conn, partner_id, Role.SUBCONTRACTOR)
        if self._open(conn, partner_id, kind, ref) is not None:
            return False
        conn.execute(
            insert(work_assignments).values(
                partner_id=partner_id,
                kind=kind.value,
                ref=ref,
                customer_id=customer_id,
                assigned_by=actor.name,
                assigned_at=self.clock.now(),
            )
        )
        return True

    def release_work(
        self, conn: Connection, actor: Actor, partner_id: int, kind: WorkKind, ref: str
    ) -> bool:
        """End an assignment (the work is done, or given to someone else)."""
        _must_be_operator(actor)
        open_id = self._open(conn, partner_id, kind, ref)
        if open_id is None:
            return False
        conn.execute(
            update(work_assignments)
            .where(work_assignments.c.id == open_id)
            .values(released_at=self.clock.now())
        )
        return True

    def actor(self, conn: Connection, name: str, role: Role, partner_id: int | None) -> Actor:
        """The ``Actor`` of a partner's person: an affiliate's customers, or a
        subcontractor's open work (none when the person belongs to no partner)."""
        if role is Role.AFFILIATE:
            customers = (
                ()
                if partner_id is None
                else conn.execute(
                    select(partner_customers.c.customer_id).where(
                        partner_customers.c.partner_id == partner_id
                    )
                ).scalars()
            )
            return Actor.scoped(name, role, customers)
        if role is Role.SUBCONTRACTOR:
            rows = (
                []
                if partner_id is None
                else conn.execute(
                    select(
                        work_assignments.c.kind,
                        work_assignments.c.ref,
                        work_assignments.c.customer_id,
                    ).where(
                        work_assignments.c.partner_id == partner_id,
                        work_assignments.c.released_at.is_(None),
                    )
                ).all()
            )
            return Actor.subcontractor(
                name, [(WorkKind(row.kind), row.ref, row.customer_id) for row in rows]
            )
        raise ValueError(f"{role} is not a partner's role")

    def listing(self, conn: Connection, actor: Actor) -> list[PartnerInfo]:
        _must_be_operator(actor)
        customers: dict[int, set[int]] = {}
        for row in conn.execute(select(partner_customers)):
            customers.setdefault(row.partner_id, set()).add(row.customer_id)
        work: dict[int, int] = {}
        for row in conn.execute(
            select(work_assignments.c.partner_id).where(work_assignments.c.released_at.is_(None))
        ):
            work[row.partner_id] = work.get(row.partner_id, 0) + 1
        return [
            PartnerInfo(
                row.id,
                row.name,
                Role(row.kind),
                frozenset(customers.get(row.id, ())),
                work.get(row.id, 0),
            )
            for row in conn.execute(select(partners).order_by(partners.c.name))
        ]

    def _of_kind(self, conn: Connection, partner_id: int, kind: Role) -> None:
        found = conn.execute(select(partners.c.kind).where(partners.c.id == partner_id)).first()
        if found is None:
            raise PartnerRefused(f"no partner {partner_id}")
        if found.kind != kind.value:
            raise PartnerRefused(f"partner {partner_id} is no {kind.value}")

    @staticmethod
    def _open(conn: Connection, partner_id: int, kind: WorkKind, ref: str) -> int | None:
        return conn.execute(
            select(work_assignments.c.id).where(
                work_assignments.c.partner_id == partner_id,
                work_assignments.c.kind == kind.value,
                work_assignments.c.ref == ref,
                work_assignments.c.released_at.is_(None),
            )
        ).scalar()


def _must_be_operator(actor: Actor) -> None:
    if not actor.role.sees_every_customer:
        raise PartnerRefused(f"{actor.name} may not manage partners")


def partners_working_for(conn: Connection, customer_id: int) -> dict[str, Role]:
    """The partner companies inside for ``customer_id`` (terms, article 10), by name:
    affiliates assigned to it and subcontractors with open work for it."""
    inside = {
        row.name: Role.AFFILIATE
        for row in conn.execute(
            select(partners.c.name)
            .join(partner_customers, partner_customers.c.partner_id == partners.c.id)
            .where(
                partners.c.kind == Role.AFFILIATE.value,
                partner_customers.c.customer_id == customer_id,
            )
        )
    }
    for row in conn.execute(
        select(partners.c.name)
        .join(work_assignments, work_assignments.c.partner_id == partners.c.id)
        .where(
            partners.c.kind == Role.SUBCONTRACTOR.value,
            work_assignments.c.customer_id == customer_id,
            work_assignments.c.released_at.is_(None),
        )
    ):
        inside[row.name] = Role.SUBCONTRACTOR
    return inside
