"""Contracts as other packages see them, and the contract's life: application, decision,
changes of terms and contacts, termination (terms, articles 3 and 11).

Every function takes the caller's open connection (``kernel/transactions.py``); a refusal
(``ContractRefused``) is raised before anything is written, or the caller's transaction
rolls back, so a refused operation changes nothing.

Usage::

    contracts = ContractService(clock, events=(RevokeEndpointsOnTermination(...),))
    with transactions.begin() as conn:
        application_id = contracts.submit(conn, operator, application_json)
        customer_id = contracts.accept(conn, operator, application_id)
    with transactions.read() as conn:
        contract_includes(conn, customer_id, Service.SUPPLIES)      # True or False
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Column, Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from remotecare.center.access.rules import Actor, Role
from remotecare.center.contracts.rules import (
    Application,
    ApplicationStatus,
    Channel,
    Contact,
    ContractRefused,
    DisclosureConsent,
    Service,
    ServiceStatus,
    decide,
    may_terminate,
    organisation_key,
    parse_application,
    parse_consent,
    parse_contacts,
    services_from_text,
    services_text,
)
from remotecare.center.contracts.tables import (
    applications,
    contacts,
    contract_terms,
    customers,
    disclosure_consents,
    sites,
    terminations,
)
from remotecare.center.kernel.clock import Clock

__all__ = [
    "ApplicationSummary",
    "ContractEvents",
    "ContractService",
    "CustomerLine",
    "CustomerProfile",
    "SiteRecord",
    "Terminated",
    "TerminationRecord",
    "Terms",
    "TermsVersion",
    "active_customer_id",
    "consents_to_news",
    "contract_includes",
    "customer_by_name",
    "customer_names",
    "customer_profiles",
    "customer_sites",
    "customer_statuses",
    "customer_terms",
    "customers_including",
    "customers_listing",
    "disclosure_consents_of",
    "termination_of",
    "terms_history",
]

_CHUNK = 2000  # ids per IN (...) list: far below SQLite's and psycopg's parameter limits


class ContractEvents(Protocol):
    """What other packages do, in the same transaction, when a contract ends (identity
    revokes the customer's endpoints; supplies and notifications stop)."""

    def terminated(self, conn: Connection, actor: Actor, customer_id: int, now: datetime) -> str:
        """The customer's service has ended; returns what was done, for the operator."""


@dataclass(frozen=True, slots=True)
class Terms:
    services: frozenset[Service]
    billing_cutoff_day: int
    consents_to_news: bool
    effective_at: datetime


@dataclass(frozen=True, slots=True)
class SiteRecord:
    id: int
    name: str
    postal_code: str
    address: str


@dataclass(frozen=True, slots=True)
class ApplicationSummary:
    """An application without its contact persons (those are read through privacy)."""

    id: int
    organisation: str
    status: str
    channel: str
    submitted_at: datetime
    submitted_by: str
    services: frozenset[Service]
    billing_cutoff_day: int
    consents_to_news: bool
    sites: tuple[SiteRecord, ...]
    contact_count: int
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    customer_id: int | None


@dataclass(frozen=True, slots=True)
class Terminated:
    customer_id: int
    effective_on: date
    done: tuple[str, ...]  # what the subscribers did: "2 endpoint(s) revoked", ...


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """What is known of a customer that identifies no person: for quality work (purpose 5)."""

    customer_id: int
    postal_codes: tuple[str, ...]
    services: frozenset[Service]
    billing_cutoff_day: int
    contact_count: int


@dataclass(frozen=True, slots=True)
class CustomerLine:
    id: int
    name: str
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TermsVersion:
    terms: Terms
    recorded_by: str
    note: str | None


@dataclass(frozen=True, slots=True)
class TerminationRecord:
    effective_on: date
    reason: str
    recorded_at: datetime
    recorded_by: str


def _operator_only(actor: Actor, what: str) -> None:
    if not actor.role.sees_every_customer:
        raise ContractRefused(f"{actor.name} ({actor.role}) may not {what}")


def _own_or_operator(actor: Actor, customer_id: int, what: str) -> None:
    if actor.role.sees_every_customer:
        return
    if actor.role == Role.CUSTOMER_ADMIN and actor.may_see(customer_id):
        return
    raise ContractRefused(f"{actor.name} ({actor.role}) may not {what}")


@dataclass(frozen=True, slots=True)
class ContractService:
    clock: Clock
    events: Sequence[ContractEvents] = field(default=())

    def submit(
        self,
        conn: Connection,
        actor: Actor,
        data: object,
        *,
        channel: Channel = Channel.OPERATOR,
        submitted_by: str | None = None,
    ) -> int:
        """Record an application (``ApplicationInvalid`` names every bad field); its id.

        Operators enter applications; anybody may submit one on the public form."""
        if channel == Channel.OPERATOR:
            _operator_only(actor, "enter applications")
        application = parse_application(data)
        self._refuse_duplicate(conn, application.organisation)
        now = self.clock.now()
        try:
            # A savepoint: an application that lost the race leaves the caller's
            # transaction usable (PostgreSQL aborts it otherwise).
            with conn.begin_nested():
                application_id = self._insert_application(
                    conn, application, channel, submitted_by or actor.name, now
                )
        except IntegrityError as exc:
            raise ContractRefused(
                f"duplicate organisation: {application.organisation!r} already has an "
                "application (submitted meanwhile)"
            ) from exc
        self._insert_sites(conn, application, application_id)
        self._insert_contacts(conn, application_id, None, application.contacts, actor, now)
        return application_id

    def _insert_application(
        self,
        conn: Connection,
        application: Application,
        channel: Channel,
        submitted_by: str,
        now: datetime,
    ) -> int:
        return int(
            conn.execute(
                insert(applications)
                .values(
                    organisation=application.organisation,
                    organisation_key=organisation_key(application.organisation),
                    status=ApplicationStatus.SUBMITTED.value,
                    channel=channel.value,
                    submitted_at=now,
                    submitted_by=submitted_by[:200],
                    services=services_text(application.services),
                    billing_cutoff_day=application.billing_cutoff_day,
                    consents_to_news=application.consents_to_news,
                )
                .returning(applications.c.id)
            ).scalar_one()
        )

    def accept(self, conn: Connection, actor: Actor, application_id: int) -> int:
        """Accept the application: its customer becomes active; the customer's id."""
        _operator_only(actor, "accept applications")
        row = self._application(conn, application_id)
        decide(row.status, True, None)
        self._refuse_duplicate(conn, row.organisation, except_application=application_id)
        now = self.clock.now()
        customer_id = int(
            conn.execute(
                insert(customers)
                .values(name=row.organisation, status=ServiceStatus.ACTIVE.value, created_at=now)
                .returning(customers.c.id)
            ).scalar_one()
        )
        self._decided(conn, actor, application_id, ApplicationStatus.ACCEPTED, None, customer_id)
        for table in (sites, contacts):
            conn.execute(
                update(table)
                .where(table.c.application_id == application_id)
                .values(customer_id=customer_id)
            )
        conn.execute(
            insert(contract_terms).values(
                customer_id=customer_id,
                services=row.services,
                billing_cutoff_day=row.billing_cutoff_day,
                consents_to_news=row.consents_to_news,
                effective_at=now,
                recorded_by=actor.name[:200],
                note=f"application {application_id} accepted",
            )
        )
        return customer_id

    def reject(self, conn: Connection, actor: Actor, application_id: int, reason: str) -> None:
        """Reject the application, with a reason kept with it."""
        _operator_only(actor, "reject applications")
        row = self._application(conn, application_id)
        decide(row.status, False, reason)
        self._decided(conn, actor, application_id, ApplicationStatus.REJECTED, reason, None)

    def change_terms(
        self,
        conn: Connection,
        actor: Actor,
        customer_id: int,
        *,
        services: Collection[Service] | None = None,
        billing_cutoff_day: int | None = None,
        consents_to_news: bool | None = None,
        note: str | None = None,
    ) -> Terms:
        """A new version of the customer's terms (the earlier ones are kept)."""
        _own_or_operator(actor, customer_id, "change this customer's contract")
        self._require_active(conn, customer_id)
        if services is not None and not services:
            raise ContractRefused("a contract includes at least one service")
        if billing_cutoff_day is not None and not 1 <= billing_cutoff_day <= 31:
            raise ContractRefused("billing_cutoff_day must be a whole day of the month, 1 to 31")
        current = customer_terms(conn, customer_id)
        assert current is not None  # an active customer was accepted with terms
        now = self.clock.now()
        changed = Terms(
            frozenset(services) if services is not None else current.services,
            billing_cutoff_day if billing_cutoff_day is not None else current.billing_cutoff_day,
            consents_to_news if consents_to_news is not None else current.consents_to_news,
            now,
        )
        conn.execute(
            insert(contract_terms).values(
                customer_id=customer_id,
                services=services_text(changed.services),
                billing_cutoff_day=changed.billing_cutoff_day,
                consents_to_news=changed.consents_to_news,
                effective_at=now,
                recorded_by=actor.name[:200],
                note=(note or None) and note[:500],
            )
        )
        return changed

    def replace_contacts(
        self, conn: Connection, actor: Actor, customer_id: int, data: object
    ) -> int:
        """The customer's contact persons become ``data`` (a list, as on the application);
        the former ones are kept as history. Returns how many are current now."""
        _own_or_operator(actor, customer_id, "change this customer's contacts")
        new = parse_contacts(data)
        self._require_active(conn, customer_id)
        application_id = conn.execute(
            select(applications.c.id).where(
                applications.c.customer_id == customer_id,
                applications.c.status == ApplicationStatus.ACCEPTED.value,
            )
        ).scalar()
        if application_id is None:
            raise ContractRefused(f"customer {customer_id} has no accepted application")
        now = self.clock.now()
        conn.execute(
            update(contacts)
            .where(contacts.c.customer_id == customer_id, contacts.c.replaced_at.is_(None))
            .values(replaced_at=now, replaced_by=actor.name[:200])
        )
        self._insert_contacts(conn, int(application_id), customer_id, new, actor, now)
        return len(new)

    def terminate(
        self, conn: Connection, actor: Actor, customer_id: int, effective_on: date, reason: str
    ) -> Terminated:
        """End the customer's service: its status becomes terminated and every subscriber
        (``ContractEvents``) stops its part, all in the caller's transaction."""
        _operator_only(actor, "terminate contracts")
        if not reason.strip():
            raise ContractRefused("a termination needs a reason")
        status = self._status_for_update(conn, customer_id)
        now = self.clock.now()
        may_terminate(status, effective_on, now.date())
        changed = conn.execute(
            update(customers)
            .where(customers.c.id == customer_id, customers.c.status == ServiceStatus.ACTIVE.value)
            .values(status=ServiceStatus.TERMINATED.value)
        ).rowcount
        if changed != 1:  # another termination won meanwhile
            raise ContractRefused("the customer's service is already terminated")
        conn.execute(
            insert(terminations).values(
                customer_id=customer_id,
                effective_on=effective_on,
                reason=" ".join(reason.split())[:500],
                recorded_at=now,
                recorded_by=actor.name[:200],
            )
        )
        done = tuple(events.terminated(conn, actor, customer_id, now) for events in self.events)
        return Terminated(customer_id, effective_on, done)

    def applications(
        self, conn: Connection, actor: Actor, status: ApplicationStatus | None = None
    ) -> list[ApplicationSummary]:
        """Applications, newest first (operators only)."""
        _operator_only(actor, "list applications")
        query = select(applications).order_by(applications.c.id.desc())
        if status is not None:
            query = query.where(applications.c.status == status.value)
        rows = conn.execute(query).all()
        ids = [row.id for row in rows]
        site_rows: dict[int, list[SiteRecord]] = {}
        counts: dict[int, int] = {}
        for chunk in _chunks(ids):
            for site in conn.execute(
                select(sites).where(sites.c.application_id.in_(chunk)).order_by(sites.c.id)
            ):
                site_rows.setdefault(site.application_id, []).append(
                    SiteRecord(site.id, site.name, site.postal_code, site.address)
                )
            for application_id, count in conn.execute(
                select(contacts.c.application_id, func.count())
                .where(contacts.c.application_id.in_(chunk), contacts.c.replaced_at.is_(None))
                .group_by(contacts.c.application_id)
            ):
                counts[application_id] = int(count)
        return [
            ApplicationSummary(
                row.id,
                row.organisation,
                row.status,
                row.channel,
                row.submitted_at,
                row.submitted_by,
                services_from_text(row.services),
                row.billing_cutoff_day,
                row.consents_to_news,
                tuple(site_rows.get(row.id, ())),
                counts.get(row.id, 0),
                row.decided_at,
                row.decided_by,
                row.decision_reason,
                row.customer_id,
            )
            for row in rows
        ]

    def _application(self, conn: Connection, application_id: int) -> Any:
        row = conn.execute(
            select(applications).where(applications.c.id == application_id).with_for_update()
        ).first()
        if row is None:
            raise ContractRefused(f"unknown application {application_id}")
        return row

    def _decided(
        self,
        conn: Connection,
        actor: Actor,
        application_id: int,
        status: ApplicationStatus,
        reason: str | None,
        customer_id: int | None,
    ) -> None:
        changed = conn.execute(
            update(applications)
            .where(
                applications.c.id == application_id,
                applications.c.status == ApplicationStatus.SUBMITTED.value,
            )
            .values(
                status=status.value,
                decided_at=self.clock.now(),
                decided_by=actor.name[:200],
                decision_reason=None if reason is None else " ".join(reason.split())[:500],
                customer_id=customer_id,
            )
        ).rowcount
        if changed != 1:  # another operator decided it meanwhile
            raise ContractRefused(f"application {application_id} was decided meanwhile")

    def _refuse_duplicate(
        self, conn: Connection, organisation: str, except_application: int | None = None
    ) -> None:
        key = organisation_key(organisation)
        query = select(applications.c.id, applications.c.status).where(
            applications.c.organisation_key == key,
            applications.c.status.in_(
                [ApplicationStatus.SUBMITTED.value, ApplicationStatus.ACCEPTED.value]
            ),
        )
        if except_application is not None:
            query = query.where(applications.c.id != except_application)
        other = conn.execute(query.limit(1)).first()
        if other is not None:
            raise ContractRefused(
                f"duplicate organisation: {organisation!r} already has an application "
                f"({other.status}, number {other.id})"
            )
        if customer_by_name(conn, organisation) is not None:
            raise ContractRefused(f"duplicate organisation: {organisation!r} is a customer")

    def _insert_sites(
        self, conn: Connection, application: Application, application_id: int
    ) -> None:
        conn.execute(
            insert(sites),
            [
                {
                    "application_id": application_id,
                    "customer_id": None,
                    "name": site.name,
                    "postal_code": site.postal_code,
                    "address": site.address,
                }
                for site in application.sites
            ],
        )

    def _insert_contacts(
        self,
        conn: Connection,
        application_id: int,
        customer_id: int | None,
        new: Sequence[Contact],
        actor: Actor,
        now: datetime,
    ) -> None:
        conn.execute(
            insert(contacts),
            [
                {
                    "application_id": application_id,
                    "customer_id": customer_id,
                    "name": contact.name,
                    "email": contact.email,
                    "phone": contact.phone,
                    "added_at": now,
                    "added_by": actor.name[:200],
                }
                for contact in new
            ],
        )

    def record_consent(
        self,
        conn: Connection,
        actor: Actor,
        customer_id: int,
        *,
        recipient: str,
        purpose: int,
        fields: Sequence[str],
        evidence: str,
        given_at: datetime | None = None,
    ) -> DisclosureConsent:
        """Record the customer's consent to disclosing ``fields`` of its contacts to
        ``recipient`` for ``purpose`` (terms, article 10); operators only."""
        _operator_only(actor, "record consents to disclosure")
        terms = parse_consent(recipient, purpose, fields, evidence)
        if not customer_statuses(conn, [customer_id]):
            raise ContractRefused(f"unknown customer {customer_id}")
        now = self.clock.now()
        values = {
            "customer_id": customer_id,
            "recipient": terms.recipient,
            "recipient_key": terms.recipient_key,
            "purpose": terms.purpose,
            "fields": ",".join(terms.fields),
            "given_at": now if given_at is None else given_at,
            "evidence": terms.evidence,
            "recorded_at": now,
            "recorded_by": actor.name[:200],
        }
        consent_id = conn.execute(
            insert(disclosure_consents).values(**values).returning(disclosure_consents.c.id)
        ).scalar_one()
        return _consent(
            conn.execute(
                select(disclosure_consents).where(disclosure_consents.c.id == consent_id)
            ).one()
        )

    def withdraw_consent(
        self, conn: Connection, actor: Actor, consent_id: int
    ) -> DisclosureConsent:
        """Withdraw a consent (it is kept, with when and by whom); operators only."""
        _operator_only(actor, "withdraw consents to disclosure")
        row = conn.execute(
            select(disclosure_consents).where(disclosure_consents.c.id == consent_id)
        ).first()
        if row is None:
            raise ContractRefused(f"unknown consent {consent_id}")
        if row.withdrawn_at is not None:
            raise ContractRefused(
                f"consent {consent_id} was withdrawn already, on {row.withdrawn_at:%Y-%m-%d} "
                f"by {row.withdrawn_by}"
            )
        done = conn.execute(
            update(disclosure_consents)
            .where(
                disclosure_consents.c.id == consent_id,
                disclosure_consents.c.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=self.clock.now(), withdrawn_by=actor.name[:200])
        )
        if done.rowcount != 1:  # withdrawn meanwhile by someone else
            raise ContractRefused(f"consent {consent_id} was withdrawn already")
        return _consent(
            conn.execute(
                select(disclosure_consents).where(disclosure_consents.c.id == consent_id)
            ).one()
        )

    def consents(self, conn: Connection, actor: Actor, customer_id: int) -> list[DisclosureConsent]:
        """The customer's consents to disclosure, withdrawn ones too, oldest first:
        for operators and the customer's own administrators."""
        _own_or_operator(actor, customer_id, "see this customer's consents")
        if not customer_statuses(conn, [customer_id]):
            raise ContractRefused(f"unknown customer {customer_id}")
        return disclosure_consents_of(conn, customer_id)

    def _require_active(self, conn: Connection, customer_id: int) -> None:
        status = customer_statuses(conn, [customer_id]).get(customer_id)
        if status is None:
            raise ContractRefused(f"unknown customer {customer_id}")
        if status != ServiceStatus.ACTIVE:
            raise ContractRefused(f"the customer's service is {status}, not active")

    def _status_for_update(self, conn: Connection, customer_id: int) -> str:
        status = conn.execute(
            select(customers.c.status).where(customers.c.id == customer_id).with_for_update()
        ).scalar()
        if status is None:
            raise ContractRefused(f"unknown customer {customer_id}")
        return str(status)


def active_customer_id(conn: Connection, name: str) -> int:
    """The id of the customer ``name`` whose service is active; ``ContractRefused`` if it
    has none (no accepted application, or terminated)."""
    customer_id = customer_by_name(conn, name)
    if customer_id is None:
        raise ContractRefused(
            f"no customer {name!r}: its application must be accepted first "
            "(remotecare center contracts apply / accept)"
        )
    status = customer_statuses(conn, [customer_id])[customer_id]
    if status != ServiceStatus.ACTIVE:
        raise ContractRefused(f"the service of customer {name!r} is {status}, not active")
    return customer_id


def customers_listing(conn: Connection, actor: Actor) -> list[CustomerLine]:
    """Every customer by name, with its status (operators only)."""
    _operator_only(actor, "list customers")
    query = select(customers).order_by(func.lower(customers.c.name), customers.c.id)
    return [CustomerLine(r.id, r.name, r.status, r.created_at) for r in conn.execute(query)]


def terms_history(conn: Connection, customer_id: int) -> list[TermsVersion]:
    """Every version of the customer's terms, newest first, with who recorded it."""
    rows = conn.execute(
        select(contract_terms)
        .where(contract_terms.c.customer_id == customer_id)
        .order_by(contract_terms.c.id.desc())
    )
    return [
        TermsVersion(
            Terms(
                services_from_text(row.services),
                row.billing_cutoff_day,
                bool(row.consents_to_news),
                row.effective_at,
            ),
            row.recorded_by,
            row.note,
        )
        for row in rows
    ]


def termination_of(conn: Connection, customer_id: int) -> TerminationRecord | None:
    row = conn.execute(
        select(terminations).where(terminations.c.customer_id == customer_id)
    ).first()
    if row is None:
        return None
    return TerminationRecord(row.effective_on, row.reason, row.recorded_at, row.recorded_by)


def customer_terms(conn: Connection, customer_id: int) -> Terms | None:
    """The customer's current terms (the newest version); None before acceptance."""
    row = conn.execute(
        select(contract_terms)
        .where(contract_terms.c.customer_id == customer_id)
        .order_by(contract_terms.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return Terms(
        services_from_text(row.services),
        row.billing_cutoff_day,
        bool(row.consents_to_news),
        row.effective_at,
    )


def contract_includes(conn: Connection, customer_id: int, service: Service) -> bool:
    """Whether the customer's active contract includes ``service`` (no forecasts or
    orders without supplies, and so on)."""
    if customer_statuses(conn, [customer_id]).get(customer_id) != ServiceStatus.ACTIVE:
        return False
    terms = customer_terms(conn, customer_id)
    return terms is not None and service in terms.services


def customers_including(conn: Connection, service: Service) -> set[int]:
    """Every active customer whose current terms include ``service``."""
    newest = (
        select(func.max(contract_terms.c.id))
        .group_by(contract_terms.c.customer_id)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(contract_terms.c.customer_id, contract_terms.c.services)
        .join(customers, customers.c.id == contract_terms.c.customer_id)
        .where(
            contract_terms.c.id.in_(newest),
            customers.c.status == ServiceStatus.ACTIVE.value,
        )
    )
    return {row.customer_id for row in rows if service in services_from_text(row.services)}


def consents_to_news(conn: Connection, customer_id: int) -> bool:
    """Whether the customer said yes to purpose 6 (news of products and services)."""
    terms = customer_terms(conn, customer_id)
    return terms is not None and terms.consents_to_news


def customer_profiles(conn: Connection) -> list[CustomerProfile]:
    """Every accepted customer's non-personal profile (sites' postal codes, terms)."""
    codes: dict[int, list[str]] = {}
    for row in conn.execute(
        select(sites.c.customer_id, sites.c.postal_code)
        .where(sites.c.customer_id.is_not(None))
        .order_by(sites.c.id)
    ):
        codes.setdefault(row.customer_id, []).append(row.postal_code)
    counts = {
        row[0]: int(row[1])
        for row in conn.execute(
            select(contacts.c.customer_id, func.count())
            .where(contacts.c.customer_id.is_not(None), contacts.c.replaced_at.is_(None))
            .group_by(contacts.c.customer_id)
        )
    }
    profiles = []
    for customer_id in sorted(codes):
        terms = customer_terms(conn, customer_id)
        if terms is None:
            continue
        profiles.append(
            CustomerProfile(
                customer_id,
                tuple(codes[customer_id]),
                terms.services,
                terms.billing_cutoff_day,
                counts.get(customer_id, 0),
            )
        )
    return profiles


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


def customer_sites(conn: Connection, customer_id: int) -> list[SiteRecord]:
    """The sites of customer ``customer_id`` (its accepted application's), in their order:
    where a technician goes. A site's address is the organisation's, not a person's."""
    return [
        SiteRecord(row.id, row.name, row.postal_code, row.address)
        for row in conn.execute(
            select(sites.c.id, sites.c.name, sites.c.postal_code, sites.c.address)
            .where(sites.c.customer_id == customer_id)
            .order_by(sites.c.id)
        )
    ]


def disclosure_consents_of(conn: Connection, customer_id: int) -> list[DisclosureConsent]:
    """Every consent to disclosure the customer gave, withdrawn ones too, oldest first
    (for the privacy service, which decides what they cover)."""
    return [
        _consent(row)
        for row in conn.execute(
            select(disclosure_consents)
            .where(disclosure_consents.c.customer_id == customer_id)
            .order_by(disclosure_consents.c.id)
        )
    ]


def _consent(row: Any) -> DisclosureConsent:
    return DisclosureConsent(
        row.id,
        row.customer_id,
        row.recipient,
        row.purpose,
        tuple(f for f in row.fields.split(",") if f),
        row.given_at,
        row.evidence,
        row.recorded_at,
        row.recorded_by,
        row.withdrawn_at,
        row.withdrawn_by,
    )
