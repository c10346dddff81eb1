"""The audit log of reads and exports of personal data (terms, articles 4, 10 and 11).

Append-only for everyone: a trigger on SQLite and on PostgreSQL refuses every UPDATE and
DELETE (and TRUNCATE on PostgreSQL), so not even the center's own code can rewrite it.
The triggers are created with the table, by the migration and by ``metadata.create_all``.
"""

from __future__ import annotations

from sqlalchemy import DDL, Column, Integer, String, Table, event

from remotecare.center.kernel.storage import UtcDateTime, metadata

__all__ = ["APPEND_ONLY_DDL", "DROP_APPEND_ONLY_DDL", "audit_log"]

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("action", String(20), nullable=False),  # read, export
    Column("purpose", Integer, nullable=False),  # 1-6, article 4
    Column("record", String(100), nullable=False),  # "contact:12", "dataset:customers", ...
    Column("customer_id", Integer),  # no foreign key: the log outlives what it names
    Column("fields", String(200), nullable=False),  # comma-separated, "" when none
    Column("recipient", String(200)),  # a disclosure's recipient (article 10), else None
)

_REFUSAL = "audit_log is append-only"

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

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(
            audit_log,
            "after_create",
            DDL(_statement).execute_if(dialect=_dialect),  # type: ignore[no-untyped-call]
        )
