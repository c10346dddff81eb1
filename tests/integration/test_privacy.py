"""Contact persons read only for a purpose, only the fields the policy grants, every read
audited in the same transaction; purpose 6 only with consent, purpose 5 only
non-identifying; the audit log append-only on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from remotecare.center.access.rules import Actor, Role
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.cli import center as center_cli
from remotecare.center.privacy.rules import Purpose, PurposeRefused
from remotecare.center.privacy.service import AuditEntry
from remotecare.center.privacy.tables import audit_log
from tests.support.centers import CenterInfo, init_center
from tests.support.contracts import accept_customer, sample_application

STAFF = Actor.operator("sato", Role.OPERATOR_STAFF)


@pytest.fixture
def info(tmp_path: Path, database_url: str) -> CenterInfo:
    return init_center(tmp_path / "center", database_url)


@pytest.fixture
def center(info: CenterInfo) -> Iterator[Center]:
    running = bootstrap(info.settings)
    yield running
    running.dispose()


def _entries(center: Center) -> list[AuditEntry]:
    with center.transactions.read() as conn:
        return center.privacy.audit_entries(conn, ADMINISTRATOR)


def _audit_rows(center: Center) -> int:
    with center.transactions.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def test_a_read_returns_the_policys_fields_and_is_audited(center: Center) -> None:
    customer_id = accept_customer(center, "Acme Ltd")
    with center.transactions.begin() as conn:
        [person] = center.privacy.contacts(
            conn, STAFF, Purpose.NECESSARY_CONTACT, customer_id=customer_id
        )
        [shipping] = center.privacy.contacts(
            conn, STAFF, Purpose.SHIPPING_ADDRESS, customer_id=customer_id
        )
    assert person.fields == {
        "name": "Hanako Yamada",
        "email": "hanako@acme-ltd.example",
        "phone": "+81 3 1234 5678",
    }
    assert shipping.fields == {"name": "Hanako Yamada", "phone": "+81 3 1234 5678"}
    first, second = _entries(center)
    assert (first.actor, first.actor_role, first.action) == ("sato", "operator_staff", "read")
    assert (first.purpose, first.record, first.customer_id) == (
        2,
        f"contact:{person.id}",
        customer_id,
    )
    assert first.fields == ("name", "email", "phone")
    assert (second.purpose, second.fields) == (3, ("name", "phone"))


def test_a_read_rolled_back_leaves_no_audit_row(
    center: Center,
) -> None:
    customer_id = accept_customer(center, "Acme Ltd")

    def read_then_fail() -> None:
        with center.transactions.begin() as conn:
            center.privacy.contacts(conn, STAFF, Purpose.NECESSARY_CONTACT, customer_id=customer_id)
            raise RuntimeError("the page failed after the read")

    with pytest.raises(RuntimeError):
        read_then_fail()
    assert _audit_rows(center) == 0


def test_a_subcontractor_sees_only_the_visit_contact_of_its_customers(center: Center) -> None:
    acme = accept_customer(center, "Acme Ltd")
    other = accept_customer(center, "Other Ltd")
    field_service = Actor.scoped("fix-it", Role.SUBCONTRACTOR, [acme])
    with center.transactions.begin() as conn:
        [person] = center.privacy.contacts(
            conn, field_service, Purpose.PROVIDING_SERVICES, customer_id=acme
        )
    assert person.fields == {"name": "Hanako Yamada", "phone": "+81 3 1234 5678"}
    audited = _audit_rows(center)
    for customer_id, purpose, refusal in (
        (other, Purpose.PROVIDING_SERVICES, f"unknown customer {other}"),
        (other + 100, Purpose.PROVIDING_SERVICES, f"unknown customer {other + 100}"),
        (acme, Purpose.NECESSARY_CONTACT, "subcontractor gets no contact data for purpose 2"),
    ):
        with center.transactions.begin() as conn, pytest.raises(PurposeRefused, match=refusal):
            center.privacy.contacts(conn, field_service, purpose, customer_id=customer_id)
    assert _audit_rows(center) == audited


def test_purpose_6_is_refused_without_consent(center: Center) -> None:
    customer_id = accept_customer(center, "Acme Ltd")
    with center.transactions.begin() as conn, pytest.raises(PurposeRefused, match="consent"):
        center.privacy.contacts(conn, ADMINISTRATOR, Purpose.NEWS, customer_id=customer_id)
    assert _audit_rows(center) == 0
    with center.transactions.begin() as conn:
        center.contracts.change_terms(conn, ADMINISTRATOR, customer_id, consents_to_news=True)
    with center.transactions.begin() as conn:
        [person] = center.privacy.contacts(
            conn, ADMINISTRATOR, Purpose.NEWS, customer_id=customer_id
        )
    assert person.fields == {"name": "Hanako Yamada", "email": "hanako@acme-ltd.example"}
    assert [e.purpose for e in _entries(center)] == [6]


def test_purpose_5_gets_only_the_non_identifying_dataset(center: Center) -> None:
    for n in range(7):
        accept_customer(
            center,
            f"Customer {n}",
            sites=[{"name": "Office", "postal_code": f"10{n % 2}-000{n}", "address": f"{n} St"}],
        )
    with center.transactions.begin() as conn, pytest.raises(PurposeRefused, match="purpose 5"):
        center.privacy.contacts(conn, STAFF, Purpose.QUALITY_IMPROVEMENT, customer_id=1)
    with center.transactions.begin() as conn:
        dataset = center.privacy.quality_dataset(conn, STAFF)
    assert sum(int(g["customers"]) for g in dataset.groups) + dataset.customers_left_out == 7
    assert all(int(g["customers"]) >= 5 for g in dataset.groups)
    text = json.dumps(dataset.groups)
    assert "Hanako" not in text
    assert "@" not in text
    assert "Customer" not in text
    [entry] = _entries(center)
    assert (entry.action, entry.purpose, entry.record) == ("export", 5, "dataset:customer_profiles")
    with center.transactions.begin() as conn, pytest.raises(PurposeRefused):
        center.privacy.quality_dataset(conn, Actor.scoped("x", Role.CUSTOMER_ADMIN, [1]))


def test_an_application_not_yet_decided_is_read_by_operators_only(center: Center) -> None:
    with center.transactions.begin() as conn:
        application_id = center.contracts.submit(
            conn, ADMINISTRATOR, sample_application("Acme Ltd")
        )
    with center.transactions.begin() as conn:
        [person] = center.privacy.contacts(
            conn, STAFF, Purpose.NECESSARY_CONTACT, application_id=application_id
        )
    assert person.customer_id is None
    customer = Actor.scoped("someone", Role.CUSTOMER_ADMIN, [1])
    with center.transactions.begin() as conn, pytest.raises(PurposeRefused):
        center.privacy.contacts(
            conn, customer, Purpose.NECESSARY_CONTACT, application_id=application_id
        )


def test_the_audit_log_refuses_updates_and_deletes_for_everyone(center: Center) -> None:
    customer_id = accept_customer(center, "Acme Ltd")
    with center.transactions.begin() as conn:
        center.privacy.contacts(conn, STAFF, Purpose.NECESSARY_CONTACT, customer_id=customer_id)
    before = _entries(center)
    for statement in (update(audit_log).values(actor="nobody"), delete(audit_log)):
        with pytest.raises(DBAPIError, match="append-only"), center.transactions.begin() as conn:
            conn.execute(statement)
    assert _entries(center) == before


def test_only_operator_administrators_read_the_audit_log(center: Center) -> None:
    with center.transactions.read() as conn, pytest.raises(PurposeRefused):
        center.privacy.audit_entries(conn, STAFF)


def test_the_audit_log_is_exported_and_contacts_read_from_the_command_line(
    info: CenterInfo, center: Center, tmp_path: Path
) -> None:
    accept_customer(center, "Acme Ltd")
    home = str(info.settings.home)
    runner = CliRunner()
    shown = runner.invoke(
        center_cli, ["contracts", "contacts", "--home", home, "Acme Ltd", "--purpose", "3"]
    )
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == "name: Hanako Yamada  phone: +81 3 1234 5678"
    refused = runner.invoke(
        center_cli, ["contracts", "contacts", "--home", home, "Acme Ltd", "--purpose", "6"]
    )
    assert refused.exit_code == 1
    assert "did not consent to purpose 6" in refused.output
    output = tmp_path / "audit.jsonl"
    exported = runner.invoke(
        center_cli, ["audit", "export", "--home", home, "--output", str(output)]
    )
    assert exported.exit_code == 0, exported.output
    [line] = output.read_text().splitlines()
    entry = json.loads(line)
    assert (entry["purpose"], entry["fields"], entry["actor"]) == (
        3,
        ["name", "phone"],
        ADMINISTRATOR.name,
    )
