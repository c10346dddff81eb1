"""contracts and privacy: applications, sites, contacts, contract terms, terminations,
erasures, and the append-only audit log of reads of personal data

Customers that exist already (created when their first enrolment token was issued)
keep their status and get terms with every service and no consent to purpose 6, so
their care services go on as before.

Revision ID: 0011
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None

_REFUSAL = "audit_log is append-only"
# The audit log refuses UPDATE and DELETE (and TRUNCATE) for everyone.
APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": tuple(
        f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
        for verb in ("UPDATE", "DELETE")
    ),
    "postgresql": (
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
    ),
}
DROP_APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": ("DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"),
    "postgresql": (
        "DROP TRIGGER audit_log_no_truncate ON audit_log",
        "DROP TRIGGER audit_log_no_change ON audit_log",
        "DROP FUNCTION audit_log_append_only()",
    ),
}


def upgrade() -> None:
    when = sa.DateTime(timezone=True)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", when, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.Integer(), nullable=False),
        sa.Column("record", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("fields", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    for statement in APPEND_ONLY_DDL.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("organisation_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", when, nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("services", sa.String(length=100), nullable=False),
        sa.Column("billing_cutoff_day", sa.Integer(), nullable=False),
        sa.Column("consents_to_news", sa.Boolean(), nullable=False),
        sa.Column("decided_at", when, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_applications_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index(op.f("ix_applications_organisation_key"), "applications", ["organisation_key"])
    open_only = sa.text("status IN ('submitted', 'accepted')")
    op.create_index(
        "uq_applications_open_organisation",
        "applications",
        ["organisation_key"],
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )
    op.create_table(
        "contract_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("services", sa.String(length=100), nullable=False),
        sa.Column("billing_cutoff_day", sa.Integer(), nullable=False),
        sa.Column("consents_to_news", sa.Boolean(), nullable=False),
        sa.Column("effective_at", when, nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_contract_terms_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_terms")),
    )
    op.create_index("ix_contract_terms_customer_id_id", "contract_terms", ["customer_id", "id"])
    op.create_table(
        "terminations",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("recorded_at", when, nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_terminations_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_terminations")),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=24), nullable=False),
        sa.Column("added_at", when, nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("replaced_at", when, nullable=True),
        sa.Column("replaced_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_contacts_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contacts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_application_id"), "contacts", ["application_id"])
    op.create_index(op.f("ix_contacts_customer_id"), "contacts", ["customer_id"])
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_sites_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_sites_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_index(op.f("ix_sites_application_id"), "sites", ["application_id"])
    op.create_index(op.f("ix_sites_customer_id"), "sites", ["customer_id"])
    op.create_table(
        "erasures",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("erased_at", when, nullable=False),
        sa.Column("what", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_erasures_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_erasures")),
    )
    # Existing customers keep running every service, without consent to purpose 6.
    op.execute(
        "INSERT INTO contract_terms "
        "(customer_id, services, billing_cutoff_day, consents_to_news, effective_at, "
        "recorded_by, note) "
        "SELECT id, 'fault_monitoring,meters,supplies', 31, false, created_at, "
        "'migration 0011', 'customer from before applications' FROM customers"
    )


def downgrade() -> None:
    tables = ("erasures", "sites", "contacts", "terminations", "contract_terms", "applications")
    for table in tables:
        op.drop_table(table)
    for statement in DROP_APPEND_ONLY_DDL.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    op.drop_table("audit_log")
