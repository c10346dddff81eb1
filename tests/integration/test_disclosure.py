"""Disclosure to third parties (terms, article 10): outside the operator, its affiliates
assigned to the customer and its subcontractors with work for it, contact persons are
exported only with the customer's recorded consent (recipient, purpose, fields), and
every disclosure is in the audit log with its recipient. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from remotecare.center.access.partners import Partners
from remotecare.center.access.rules import Actor, Role, WorkKind
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.contracts.rules import ContractRefused, DisclosureConsent
from remotecare.center.contracts.tables import disclosure_consents
from remotecare.center.privacy.rules import Purpose, PurposeRefused
from remotecare.center.privacy.service import AuditEntry
from remotecare.center.privacy.tables import audit_log
from tests.support.centers import CenterInfo, center_command, init_center
from tests.support.contracts import accept_customer

STAFF = Actor.operator("sato", Role.OPERATOR_STAFF)
PRINTING = "Tokyo Mailing KK"


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


def _count(center: Center, table: object) -> int:
    with center.transactions.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _consent(
    center: Center,
    customer_id: int,
    recipient: str = PRINTING,
    purpose: int = 1,
    fields: tuple[str, ...] = ("name", "email"),
) -> DisclosureConsent:
    with center.transactions.begin() as conn:
        return center.contracts.record_consent(
            conn,
            ADMINISTRATOR,
            customer_id,
            recipient=recipient,
            purpose=purpose,
            fields=fields,
            evidence="signed form of 2026-11-03",
        )


def _disclose(
    center: Center, customer_ids: list[int], recipient: str = PRINTING, purpose: int = 1
) -> list[dict[str, str]]:
    with center.transactions.begin() as conn:
        people = center.privacy.disclose_contacts(
            conn, STAFF, Purpose(purpose), customer_ids, recipient
        )
    return [person.fields for person in people]


def test_a_third_party_without_consent_is_refused_and_nothing_is_logged(center: Center) -> None:
    acme = accept_customer(center, "Acme Ltd")
    with pytest.raises(PurposeRefused, match=f"customer {acme} has not consented"):
        _disclose(center, [acme])
    assert _count(center, audit_log) == 0


def test_with_consent_the_export_is_audited_with_its_recipient(center: Center) -> None:
    acme = accept_customer(center, "Acme Ltd")
    beta = accept_customer(center, "Beta KK")
    _consent(center, acme)
    # One customer not covered refuses the whole export.
    with pytest.raises(PurposeRefused, match=f"customer {beta} has not consented"):
        _disclose(center, [acme, beta])
    assert _count(center, audit_log) == 0
    _consent(center, beta, recipient="  tokyo   MAILING kk ")  # normalised
    assert _disclose(center, [acme, beta]) == [
        {"name": "Hanako Yamada", "email": "hanako@acme-ltd.example"},
        {"name": "Hanako Yamada", "email": "hanako@beta-kk.example"},
    ]
    entries = _entries(center)
    assert [(e.action, e.customer_id, e.recipient, e.fields) for e in entries] == [
        ("disclose", acme, PRINTING, ("name", "email")),
        ("disclose", beta, PRINTING, ("name", "email")),
    ]
    assert entries[0].as_json()["recipient"] == PRINTING


def test_consent_covers_only_its_purpose_fields_and_while_live(center: Center) -> None:
    acme = accept_customer(center, "Acme Ltd")
    given = _consent(center, acme, purpose=1, fields=("name",))
    with pytest.raises(PurposeRefused, match="purpose 3"):
        _disclose(center, [acme], purpose=3)
    assert _disclose(center, [acme]) == [{"name": "Hanako Yamada"}]  # not email, phone
    with center.transactions.begin() as conn:
        withdrawn = center.contracts.withdraw_consent(conn, ADMINISTRATOR, given.id)
    assert withdrawn.withdrawn_by == ADMINISTRATOR.name
    rows = _count(center, audit_log)
    with pytest.raises(PurposeRefused, match="has not consented"):
        _disclose(center, [acme])
    assert _count(center, audit_log) == rows
    with center.transactions.read() as conn:
        [kept] = center.contracts.consents(conn, ADMINISTRATOR, acme)
    assert not kept.live


def test_purpose_6_needs_the_news_consent_too(center: Center) -> None:
    acme = accept_customer(center, "Acme Ltd")
    _consent(center, acme, purpose=6)
    with (
        pytest.raises(PurposeRefused, match="did not consent to purpose 6"),
        center.transactions.begin() as conn,
    ):
        center.privacy.disclose_contacts(conn, ADMINISTRATOR, Purpose.NEWS, [acme], PRINTING)


def test_partners_inside_need_no_consent_others_are_third_parties(center: Center) -> None:
    acme = accept_customer(center, "Acme Ltd")
    beta = accept_customer(center, "Beta KK")
    partners = Partners(center.clock)
    with center.transactions.begin() as conn:
        sister = partners.create(conn, ADMINISTRATOR, "Acme Service KK", Role.AFFILIATE)
        partners.assign_customer(conn, ADMINISTRATOR, sister, acme)
        fixit = partners.create(conn, ADMINISTRATOR, "Fix-It KK", Role.SUBCONTRACTOR)
        partners.assign_work(conn, ADMINISTRATOR, fixit, WorkKind.DEVICE, "7", acme)
        partners.create(conn, ADMINISTRATOR, "Idle Repairs KK", Role.SUBCONTRACTOR)
    assert _disclose(center, [acme], recipient="acme service kk")[0]["name"] == "Hanako Yamada"
    assert _disclose(center, [acme], recipient="Fix-It KK")[0]["phone"] == "+81 3 1234 5678"
    for outsider, customer in (
        ("Acme Service KK", beta),  # an affiliate not assigned to Beta
        ("Fix-It KK", beta),  # work for Acme, none for Beta
        ("Idle Repairs KK", acme),  # no work at all
    ):
        with pytest.raises(PurposeRefused, match="has not consented"):
            _disclose(center, [customer], recipient=outsider)
    with center.transactions.begin() as conn:
        partners.release_work(conn, ADMINISTRATOR, fixit, WorkKind.DEVICE, "7")
    with pytest.raises(PurposeRefused, match="has not consented"):
        _disclose(center, [acme], recipient="Fix-It KK")
    inside = [e.recipient for e in _entries(center)]
    assert inside == ["acme service kk", "Fix-It KK"]


def test_customers_admins_see_their_consents_but_neither_record_nor_disclose(
    center: Center,
) -> None:
    acme = accept_customer(center, "Acme Ltd")
    beta = accept_customer(center, "Beta KK")
    _consent(center, acme)
    admin = Actor.scoped("yamada", Role.CUSTOMER_ADMIN, [acme])
    with center.transactions.begin() as conn:
        assert [c.recipient for c in center.contracts.consents(conn, admin, acme)] == [PRINTING]
        with pytest.raises(ContractRefused):
            center.contracts.consents(conn, admin, beta)
        with pytest.raises(ContractRefused):
            center.contracts.record_consent(
                conn, admin, acme, recipient="X", purpose=1, fields=["name"], evidence="e"
            )
        with pytest.raises(PurposeRefused, match="may not disclose"):
            center.privacy.disclose_contacts(conn, admin, Purpose(1), [acme], PRINTING)
    assert _count(center, audit_log) == 0


@pytest.mark.parametrize(
    ("customer", "recipient", "purpose", "fields", "refusal"),
    [
        (999, PRINTING, 1, ["name"], "unknown customer 999"),
        (None, PRINTING, 5, ["name"], "purpose 5 never gets personal data"),
        (None, PRINTING, 1, ["name", "address"], "unknown field(s) address"),
        (None, "   ", 1, ["name"], "names its recipient"),
    ],
)
def test_bad_consents_are_refused_with_nothing_changed(
    center: Center,
    customer: int | None,
    recipient: str,
    purpose: int,
    fields: list[str],
    refusal: str,
) -> None:
    acme = accept_customer(center, "Acme Ltd")
    with (
        pytest.raises(ContractRefused, match=refusal.replace("(", r"\(").replace(")", r"\)")),
        center.transactions.begin() as conn,
    ):
        center.contracts.record_consent(
            conn,
            ADMINISTRATOR,
            acme if customer is None else customer,
            recipient=recipient,
            purpose=purpose,
            fields=fields,
            evidence="signed form",
        )
    assert _count(center, disclosure_consents) == 0


def test_withdrawing_twice_is_refused(center: Center) -> None:
    acme = accept_customer(center, "Acme Ltd")
    given = _consent(center, acme)
    with center.transactions.begin() as conn:
        center.contracts.withdraw_consent(conn, ADMINISTRATOR, given.id)
    with (
        pytest.raises(ContractRefused, match="withdrawn already"),
        center.transactions.begin() as conn,
    ):
        center.contracts.withdraw_consent(conn, ADMINISTRATOR, given.id)
    with (
        pytest.raises(ContractRefused, match="unknown consent 99"),
        center.transactions.begin() as conn,
    ):
        center.contracts.withdraw_consent(conn, ADMINISTRATOR, 99)


@dataclass(frozen=True)
class Ran:
    exit_code: int
    output: str


def _run(*args: str) -> Ran:
    """``remotecare center ...`` as an operator runs it (in this process)."""
    done = center_command(*args, check=False)
    return Ran(done.returncode, done.stdout + done.stderr)


def test_the_cli_records_lists_withdraws_and_discloses(info: CenterInfo, tmp_path: Path) -> None:
    center = bootstrap(info.settings)
    try:
        accept_customer(center, "Acme Ltd")
        accept_customer(center, "=Evil KK")  # a name a spreadsheet would run
    finally:
        center.dispose()
    home = str(info.settings.home)
    out = tmp_path / "disclosed.csv"
    refused = _run("contracts", "disclose", "--home", home, "--to", PRINTING, "--purpose", "1",
                   "Acme Ltd", "--out", str(out))  # fmt: skip
    assert refused.exit_code == 1
    assert "has not consented" in refused.output
    assert not out.exists()
    bad = _run("contracts", "consent", "--home", home, "Acme Ltd", "--recipient", PRINTING,
               "--purpose", "5", "--fields", "name", "--evidence", "form")  # fmt: skip
    assert bad.exit_code == 1
    assert "purpose 5" in bad.output
    for customer in ("Acme Ltd", "=Evil KK"):
        given = _run("contracts", "consent", "--home", home, customer, "--recipient", PRINTING,
                     "--purpose", "1", "--fields", "name,email",
                     "--evidence", "signed form of 2026-11-03")  # fmt: skip
        assert given.exit_code == 0, given.output
    listed = _run("contracts", "consents", "--home", home, "Acme Ltd", "--json")
    assert '"recipient": "Tokyo Mailing KK"' in listed.output
    done = _run("contracts", "disclose", "--home", home, "--to", PRINTING, "--purpose", "1",
                "Acme Ltd", "=Evil KK", "--out", str(out))  # fmt: skip
    assert done.exit_code == 0, done.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(text.removeprefix("\ufeff").splitlines()))
    assert rows[0] == ["customer", "contact_id", "name", "email", "phone"]
    assert [row[0] for row in rows[1:]] == ["Acme Ltd", "'=Evil KK"]
    assert rows[1][2:] == ["Hanako Yamada", "hanako@acme-ltd.example", ""]
    exported = _run("audit", "export", "--home", home)
    assert exported.output.count('"recipient": "Tokyo Mailing KK"') == 2
    withdrawn = _run("contracts", "withdraw-consent", "--home", home, "1")
    assert withdrawn.exit_code == 0, withdrawn.output
    again = _run("contracts", "withdraw-consent", "--home", home, "1")
    assert again.exit_code == 1
    assert "withdrawn already" in again.output
