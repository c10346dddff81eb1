"""After the end (terms, article 11): the retention job erases a terminated customer's
personal data once its days have passed, and a scan of every table then finds none of
that customer's personal values; the contract, the audit log and the record of the
erasure are kept, and other customers are left alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import func, select

from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.cli import center as center_cli
from remotecare.center.contracts.rules import Channel
from remotecare.center.privacy.rules import Purpose
from remotecare.center.tables import metadata
from remotecare.pki.certificates import build_csr
from remotecare.pki.keys import generate_private_key
from tests.support.centers import CenterInfo, init_center
from tests.support.clock import FakeClock
from tests.support.contracts import accept_customer, sample_application
from tests.support.database_scan import stored_texts

# The leaving customer's personal values, each unlike anything else in the database.
PERSONAL = {
    "contact name": "Kazuko Leaving",
    "contact e-mail": "kazuko.leaving@departing.example",
    "contact phone": "+81 90 4444 7777",
    "former contact": "Former Person",
    "former e-mail": "former.person@departing.example",
    "site name": "Kazuko home office",
    "site address": "9-9 Erasure Street",
    "site postal code": "987-6543",
    "submitter address": "203.0.113.77",
}


@pytest.fixture
def info(tmp_path: Path, database_url: str) -> CenterInfo:
    return init_center(tmp_path / "center", database_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # the real time, moved forward by the test


@pytest.fixture
def center(info: CenterInfo, clock: FakeClock) -> Iterator[Center]:
    running = bootstrap(info.settings, clock=clock)
    yield running
    running.dispose()


def _leaving_customer(center: Center) -> int:
    application = sample_application(
        "Departing Ltd",
        sites=[
            {
                "name": PERSONAL["site name"],
                "postal_code": PERSONAL["site postal code"],
                "address": PERSONAL["site address"],
            }
        ],
        contacts=[
            {
                "name": PERSONAL["former contact"],
                "email": PERSONAL["former e-mail"],
                "phone": "+81 3 5555 0000",
            }
        ],
    )
    with center.transactions.begin() as conn:
        application_id = center.contracts.submit(
            conn,
            ADMINISTRATOR,
            application,
            channel=Channel.PUBLIC_FORM,
            submitted_by=f"public form from {PERSONAL['submitter address']}",
        )
        customer_id = center.contracts.accept(conn, ADMINISTRATOR, application_id)
        center.contracts.replace_contacts(
            conn,
            ADMINISTRATOR,
            customer_id,
            [
                {
                    "name": PERSONAL["contact name"],
                    "email": PERSONAL["contact e-mail"],
                    "phone": PERSONAL["contact phone"],
                }
            ],
        )
        center.privacy.contacts(
            conn, ADMINISTRATOR, Purpose.NECESSARY_CONTACT, customer_id=customer_id
        )
    issued = center.admin.create_token("Departing Ltd")
    csr = build_csr(generate_private_key(), "agent").public_bytes(Encoding.PEM).decode()
    with center.transactions.begin() as conn:
        center.enrolment.enrol(conn, issued.token, csr)
    return customer_id


def _found(center: Center, values: dict[str, str]) -> dict[str, list[str]]:
    """Where in the database each of ``values`` still appears (table.column), scanning
    every column of every row of every table."""
    wanted = {label: value.casefold() for label, value in values.items()}
    found: dict[str, list[str]] = {}
    with center.transactions.read() as conn:
        for where, text in stored_texts(conn):
            for label, needle in wanted.items():
                if needle in text.casefold():
                    found.setdefault(label, []).append(where)
    return found


def _count(center: Center, table: str) -> int:
    with center.transactions.read() as conn:
        return int(
            conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one()
        )


def test_a_terminated_customers_personal_data_is_gone_after_its_days(
    center: Center, clock: FakeClock
) -> None:
    staying = {"staying contact": "hanako@staying-ltd.example"}
    accept_customer(center, "Staying Ltd")
    customer_id = _leaving_customer(center)
    assert set(_found(center, PERSONAL)) == set(PERSONAL)  # the scan does find them
    with center.transactions.begin() as conn:
        center.contracts.terminate(conn, ADMINISTRATOR, customer_id, clock.now().date(), "left")
    audit_rows = _count(center, "audit_log")

    clock.offset = timedelta(days=89)
    assert center.personal_data_retention.run_round() == []
    assert set(_found(center, PERSONAL)) == set(PERSONAL)

    clock.offset = timedelta(days=90)
    [erased] = center.personal_data_retention.run_round()
    assert erased.customer_id == customer_id
    assert erased.what == "2 contact record(s) deleted; 1 site(s) erased"
    assert _found(center, PERSONAL) == {}
    assert set(_found(center, staying)) == {"staying contact"}  # another customer's kept
    # Kept: the contract, the audit log and the record of the erasure.
    assert _count(center, "audit_log") == audit_rows
    assert (_count(center, "applications"), _count(center, "terminations")) == (2, 1)
    assert _count(center, "erasures") == 1
    with center.transactions.read() as conn:
        [site] = conn.execute(
            select(metadata.tables["sites"]).where(
                metadata.tables["sites"].c.customer_id == customer_id
            )
        ).all()
    assert site.postal_code == "987*"  # the area stays, for non-identifying statistics
    assert center.personal_data_retention.run_round() == []  # once only


def test_erasure_waits_for_the_configured_days_and_can_be_run_from_the_command_line(
    info: CenterInfo, center: Center
) -> None:
    customer_id = _leaving_customer(center)
    ended = date.today() - timedelta(days=91)
    with center.transactions.begin() as conn:
        center.contracts.terminate(conn, ADMINISTRATOR, customer_id, ended, "left long ago")
    ran = CliRunner().invoke(
        center_cli, ["contracts", "erase-due", "--home", str(info.settings.home)]
    )
    assert ran.exit_code == 0, ran.output
    assert f"customer {customer_id}: 2 contact record(s) deleted" in ran.output
    assert _found(center, PERSONAL) == {}
