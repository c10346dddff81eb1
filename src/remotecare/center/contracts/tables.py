"""The contracts' tables: applications, customers and their terms, sites, contact persons
and terminations (terms, articles 3 and 11).

Nothing here is updated in place where the history matters: a change of the terms adds a
``contract_terms`` row, a change of contacts closes the old rows (``replaced_at``) and adds
new ones. Contact persons are personal data: only the privacy service reads them
(``contracts/contact_records.py``).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, text

from remotecare.center.kernel.storage import UtcDateTime, metadata

__all__ = [
    "applications",
    "contacts",
    "contract_terms",
    "customers",
    "disclosure_consents",
    "erasures",
    "sites",
    "terminations",
]


customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("status", String(20), nullable=False),  # submitted, accepted, active, terminated
    Column("created_at", UtcDateTime, nullable=False),
)

applications = Table(
    "applications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation", String(200), nullable=False),
    Column("organisation_key", String(200), nullable=False, index=True),  # duplicates by it
    Column("status", String(20), nullable=False),  # submitted, accepted, rejected
    Column("channel", String(20), nullable=False),  # operator, public_form
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("services", String(100), nullable=False),  # names, sorted, comma-separated
    Column("billing_cutoff_day", Integer, nullable=False),
    Column("consents_to_news", Boolean, nullable=False),
    Column("decided_at", UtcDateTime),
    Column("decided_by", String(200)),
    Column("decision_reason", String(500)),
    Column("customer_id", ForeignKey("customers.id")),  # set on acceptance
    # One open (submitted or accepted) application per organisation, even when two
    # arrive at once: the service's check names the duplicate, this index closes the race.
    Index(
        "uq_applications_open_organisation",
        "organisation_key",
        unique=True,
        sqlite_where=text("status IN ('submitted', 'accepted')"),
        postgresql_where=text("status IN ('submitted', 'accepted')"),
    ),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("applications.id"), nullable=False, index=True),
    Column("customer_id", ForeignKey("customers.id"), index=True),  # set on acceptance
    Column("name", String(200), nullable=False),
    Column("postal_code", String(12), nullable=False),
    Column("address", String(500), nullable=False),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("applications.id"), nullable=False, index=True),
    Column("customer_id", ForeignKey("customers.id"), index=True),  # set on acceptance
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("phone", String(24), nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("replaced_at", UtcDateTime),  # None while current; kept afterwards as history
    Column("replaced_by", String(200)),
)

contract_terms = Table(
    "contract_terms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("services", String(100), nullable=False),
    Column("billing_cutoff_day", Integer, nullable=False),
    Column("consents_to_news", Boolean, nullable=False),
    Column("effective_at", UtcDateTime, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("note", String(500)),
    Index("ix_contract_terms_customer_id_id", "customer_id", "id"),
)

terminations = Table(
    "terminations",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
    Column("effective_on", Date, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("recorded_by", String(200), nullable=False),
)

erasures = Table(
    "erasures",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
    Column("erased_at", UtcDateTime, nullable=False),
    Column("what", String(1000), nullable=False),  # the record of what was erased
)

# A customer's consent to disclosure of its contacts' data to a third party (terms,
# article 10). Withdrawn consents are kept (withdrawn_at, withdrawn_by).
disclosure_consents = Table(
    "disclosure_consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("recipient", String(200), nullable=False),
    Column("recipient_key", String(200), nullable=False),
    Column("purpose", Integer, nullable=False),
    Column("fields", String(50), nullable=False),  # comma-separated
    Column("given_at", UtcDateTime, nullable=False),
    Column("evidence", String(500), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("withdrawn_at", UtcDateTime),
    Column("withdrawn_by", String(200)),
)
