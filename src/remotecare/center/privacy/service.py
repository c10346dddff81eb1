"""The one way to read customers' personal data (terms, articles 4, 5(2) and 10).

Every read names its purpose (one of the six of article 4) and its actor; the policy
(``policy.yaml``: role x purpose x field) decides which fields come back, and every read
and every export writes audit-log rows (who, when, purpose, which fields of which record)
in the caller's transaction, so a read that is not logged did not happen. Purpose 6 is
refused for customers who did not consent; purpose 5 gets only the non-identifying
dataset (``quality_dataset``).

Usage::

    privacy = PrivacyService(clock, load_policy())
    with transactions.begin() as conn:       # begin, not read: the audit rows are written
        people = privacy.contacts(conn, actor, Purpose.NECESSARY_CONTACT, customer_id=7)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from remotecare.center.access.partners import partners_working_for
from remotecare.center.access.rules import Actor, Role
from remotecare.center.contracts.contact_records import ContactRecord, contact_records
from remotecare.center.contracts.rules import covered_fields, recipient_key
from remotecare.center.contracts.service import (
    consents_to_news,
    customer_profiles,
    customer_statuses,
    disclosure_consents_of,
)
from remotecare.center.kernel.clock import Clock
from remotecare.center.privacy.rules import (
    K_ANONYMITY,
    QUALITY_LADDER,
    QUASI_IDENTIFIERS,
    Policy,
    Purpose,
    PurposeRefused,
    k_anonymous,
)
from remotecare.center.privacy.tables import audit_log

__all__ = ["AuditEntry", "AuditFilters", "ContactView", "PrivacyService", "QualityDataset"]


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact person as one read may see it: only the fields the policy allowed."""

    id: int
    customer_id: int | None
    fields: dict[str, str]
    current: bool = True


@dataclass(frozen=True, slots=True)
class QualityDataset:
    """Purpose 5's data: combinations of generalised quasi-identifiers, each covering at
    least ``k`` customers, with how many."""

    groups: list[dict[str, str | int]]
    generalisation: str
    k: int
    customers_left_out: int


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """Which audit entries to show: by whom, of which customer, for which purpose, when
    (``since`` inclusive, ``until`` exclusive)."""

    actor: str | None = None
    customer_id: int | None = None
    purpose: Purpose | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    purpose: int
    record: str
    customer_id: int | None
    fields: tuple[str, ...]
    recipient: str | None = None  # a disclosure's recipient outside (article 10)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "actor_role": self.actor_role,
            "action": self.action,
            "purpose": self.purpose,
            "record": self.record,
            "customer_id": self.customer_id,
            "fields": list(self.fields),
            "recipient": self.recipient,
        }


@dataclass(frozen=True, slots=True)
class PrivacyService:
    clock: Clock
    policy: Policy
    k: int = K_ANONYMITY

    def contacts(
        self,
        conn: Connection,
        actor: Actor,
        purpose: Purpose,
        *,
        customer_id: int | None = None,
        application_id: int | None = None,
        with_history: bool = False,
    ) -> list[ContactView]:
        """The contact persons of a customer (or, for operators, of an application not
        yet decided), each with the fields ``actor`` gets for ``purpose``; audited."""
        return self._read(conn, actor, purpose, "read", customer_id, application_id, with_history)

    def export_contacts(
        self, conn: Connection, actor: Actor, purpose: Purpose, customer_ids: Sequence[int]
    ) -> list[ContactView]:
        """``contacts`` of several customers at once, audited as an export."""
        exported: list[ContactView] = []
        for customer_id in sorted(set(customer_ids)):
            exported += self._read(conn, actor, purpose, "export", customer_id, None, False)
        return exported

    def disclose_contacts(
        self,
        conn: Connection,
        actor: Actor,
        purpose: Purpose,
        customer_ids: Sequence[int],
        recipient: str,
    ) -> list[ContactView]:
        """``export_contacts`` to ``recipient`` (terms, article 10): operators only. A
        recipient inside for a customer (an affiliate assigned to it, a subcontractor with
        open work for it, as the partners' records say) needs no consent; anyone else
        needs, for every customer, a live consent covering that recipient and purpose,
        and gets only the fields it covers. One customer not covered refuses the whole
        export before anything is read or written; every export is audited with the
        recipient."""
        if not actor.sees_every_customer:
            raise PurposeRefused(f"{actor.name} ({actor.role}) may not disclose personal data")
        shown = " ".join(recipient.split())
        if not shown:
            raise PurposeRefused("a disclosure names its recipient")
        if purpose == Purpose.QUALITY_IMPROVEMENT:
            raise PurposeRefused(
                "purpose 5 gets non-identifying data only: read the quality dataset"
            )
        wanted = self.policy.fields(actor.role, purpose)
        key = recipient_key(shown)
        plan: list[tuple[int, tuple[str, ...]]] = []
        for customer_id in sorted(set(customer_ids)):
            if not actor.may_see(customer_id) or not customer_statuses(conn, [customer_id]):
                raise PurposeRefused(f"unknown customer {customer_id}")
            if purpose == Purpose.NEWS and not consents_to_news(conn, customer_id):
                raise PurposeRefused(
                    f"customer {customer_id} did not consent to purpose 6 "
                    "(news of products and services)"
                )
            inside = {recipient_key(name) for name in partners_working_for(conn, customer_id)}
            if key in inside:
                plan.append((customer_id, wanted))
                continue
            fields = covered_fields(
                disclosure_consents_of(conn, customer_id), shown, purpose.value, wanted
            )
            if not fields:
                raise PurposeRefused(
                    f"customer {customer_id} has not consented to disclosing its contacts "
                    f"to {shown!r} for purpose {purpose.value} ({purpose.description}): "
                    "nothing was exported"
                )
            plan.append((customer_id, fields))
        exported: list[ContactView] = []
        for customer_id, fields in plan:
            exported += self._read(
                conn,
                actor,
                purpose,
                "disclose",
                customer_id,
                None,
                False,
                limited_to=fields,
                recipient=shown[:200],
            )
        return exported

    def quality_dataset(self, conn: Connection, actor: Actor) -> QualityDataset:
        """Purpose 5: customers' non-personal profiles, generalised until every
        combination covers at least ``k`` customers (smaller ones left out); audited."""
        if not actor.sees_every_customer:
            raise PurposeRefused(f"{actor.role} may not read data for purpose 5")
        profiles = customer_profiles(conn)
        rows = [
            {
                "region": profile.postal_codes[0] if profile.postal_codes else "",
                "services": ",".join(sorted(profile.services)),
                "billing_cutoff": str(profile.billing_cutoff_day),
                "contacts": str(profile.contact_count),
            }
            for profile in profiles
        ]
        kept, rung = k_anonymous(rows, QUASI_IDENTIFIERS, QUALITY_LADDER, self.k)
        sizes = Counter(tuple(row[q] for q in QUASI_IDENTIFIERS) for row in kept)
        groups: list[dict[str, str | int]] = [
            {**dict(zip(QUASI_IDENTIFIERS, key, strict=True)), "customers": count}
            for key, count in sorted(sizes.items())
        ]
        self._audit(
            conn,
            actor,
            "export",
            Purpose.QUALITY_IMPROVEMENT,
            [("dataset:customer_profiles", None, QUASI_IDENTIFIERS)],
        )
        return QualityDataset(groups, rung, self.k, len(rows) - len(kept))

    def audit_entries(
        self, conn: Connection, actor: Actor, *, since: datetime | None = None
    ) -> list[AuditEntry]:
        """The audit log, oldest first: for the operator's administrators only."""
        if actor.role != Role.OPERATOR_ADMIN:
            raise PurposeRefused(f"{actor.name} ({actor.role}) may not read the audit log")
        query = select(audit_log).order_by(audit_log.c.id)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        return [_entry(row) for row in conn.execute(query)]

    def audit_page(
        self,
        conn: Connection,
        actor: Actor,
        filters: AuditFilters,
        *,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """The audit log's entries matching ``filters``, newest first, from ``offset``
        (``limit`` None: all of them): for the operator's administrators only."""
        if actor.role != Role.OPERATOR_ADMIN:
            raise PurposeRefused(f"{actor.name} ({actor.role}) may not read the audit log")
        query = select(audit_log).order_by(audit_log.c.id.desc()).offset(offset)
        if filters.actor:
            query = query.where(audit_log.c.actor == filters.actor)
        if filters.customer_id is not None:
            query = query.where(audit_log.c.customer_id == filters.customer_id)
        if filters.purpose is not None:
            query = query.where(audit_log.c.purpose == filters.purpose.value)
        if filters.since is not None:
            query = query.where(audit_log.c.at >= filters.since)
        if filters.until is not None:
            query = query.where(audit_log.c.at < filters.until)
        if limit is not None:
            query = query.limit(limit)
        return [_entry(row) for row in conn.execute(query)]

    def _read(
        self,
        conn: Connection,
        actor: Actor,
        purpose: Purpose,
        action: str,
        customer_id: int | None,
        application_id: int | None,
        with_history: bool,
        *,
        limited_to: Sequence[str] | None = None,
        recipient: str | None = None,
    ) -> list[ContactView]:
        if (customer_id is None) == (application_id is None):
            raise ValueError("name either a customer or an application")
        if purpose == Purpose.QUALITY_IMPROVEMENT:
            raise PurposeRefused(
                "purpose 5 gets non-identifying data only: read the quality dataset"
            )
        if customer_id is not None:
            # The same answer for a customer that does not exist and one out of scope.
            if not actor.may_see(customer_id) or not customer_statuses(conn, [customer_id]):
                raise PurposeRefused(f"unknown customer {customer_id}")
            if purpose == Purpose.NEWS and not consents_to_news(conn, customer_id):
                raise PurposeRefused(
                    f"customer {customer_id} did not consent to purpose 6 "
                    "(news of products and services)"
                )
            records = contact_records(conn, customer_id=customer_id, with_history=with_history)
            subject = f"customer:{customer_id}"
        else:
            if not actor.sees_every_customer:
                raise PurposeRefused(f"unknown application {application_id}")
            if purpose not in (Purpose.PROVIDING_SERVICES, Purpose.NECESSARY_CONTACT):
                raise PurposeRefused(
                    "an application's contacts are read only to decide on it (purposes 1, 2)"
                )
            records = contact_records(conn, application_id=application_id)
            subject = f"application:{application_id}"
        allowed = self.policy.fields(actor.role, purpose)
        if limited_to is not None:
            allowed = tuple(f for f in allowed if f in limited_to)
        if not allowed:
            raise PurposeRefused(
                f"{actor.role} gets no contact data for purpose {purpose.value} "
                f"({purpose.description})"
            )
        views = [_view(record, allowed) for record in records]
        entries = [(f"contact:{record.id}", record.customer_id, allowed) for record in records] or [
            (subject, customer_id, ())
        ]  # a read that found nobody is logged too
        self._audit(conn, actor, action, purpose, entries, recipient)
        return views

    def _audit(
        self,
        conn: Connection,
        actor: Actor,
        action: str,
        purpose: Purpose,
        entries: Sequence[tuple[str, int | None, Sequence[str]]],
        recipient: str | None = None,
    ) -> None:
        now = self.clock.now()
        conn.execute(
            insert(audit_log),
            [
                {
                    "at": now,
                    "actor": actor.name[:200],
                    "actor_role": actor.role.value,
                    "action": action,
                    "purpose": purpose.value,
                    "record": record[:100],
                    "customer_id": customer_id,
                    "fields": ",".join(fields),
                    "recipient": recipient,
                }
                for record, customer_id, fields in entries
            ],
        )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        row.id,
        row.at,
        row.actor,
        row.actor_role,
        row.action,
        row.purpose,
        row.record,
        row.customer_id,
        tuple(f for f in row.fields.split(",") if f),
        row.recipient,
    )


def _view(record: ContactRecord, allowed: Sequence[str]) -> ContactView:
    return ContactView(
        record.id,
        record.customer_id,
        {name: record.value(name) for name in allowed},
        current=record.replaced_at is None,
    )
