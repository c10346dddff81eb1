"""The contract's life on SQLite and PostgreSQL: application, acceptance, changes kept as
history, termination in one transaction; bad input refused with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.sql.schema import Table

from remotecare.center.access.rules import Actor, Role
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.contracts.rules import ApplicationInvalid, ContractRefused, Service
from remotecare.center.contracts.service import (
    ContractService,
    contract_includes,
    customer_by_name,
    customer_statuses,
    customer_terms,
    customers_including,
)
from remotecare.center.fleet.tables import printers
from remotecare.center.identity.directory import read_endpoint
from remotecare.center.identity.enrolment import EnrolledEndpoint
from remotecare.center.identity.rules import PresentedCertificate, refusal_for
from remotecare.center.notify.rules import Audience, Channel
from remotecare.center.notify.service import SubscriptionRequest, add_subscription
from remotecare.center.notify.tables import notify_outbox, notify_subscriptions
from remotecare.center.tables import metadata
from remotecare.errors import EnrolmentError
from remotecare.pki.certificates import build_csr
from remotecare.pki.keys import generate_private_key
from tests.support.centers import init_center
from tests.support.contracts import accept_customer, sample_application
from tests.support.supplies import an_order

# Every table a contract operation may write (the audit log too): "changes nothing" is
# checked on all of them.
WRITTEN = (
    "customers",
    "applications",
    "sites",
    "contacts",
    "contract_terms",
    "terminations",
    "enrollment_tokens",
    "endpoints",
    "audit_log",
)


@pytest.fixture
def center(tmp_path: Path, database_url: str) -> Iterator[Center]:
    running = bootstrap(init_center(tmp_path / "center", database_url).settings)
    yield running
    running.dispose()


def _snapshot(center: Center) -> dict[str, list[tuple[object, ...]]]:
    with center.transactions.read() as conn:
        return {
            name: [
                tuple(row)
                for row in conn.execute(select(_table(name)).order_by(*_table(name).primary_key))
            ]
            for name in WRITTEN
        }


def _table(name: str) -> Table:
    return metadata.tables[name]


def _count(conn: Connection, name: str) -> int:
    return int(conn.execute(select(func.count()).select_from(_table(name))).scalar_one())


def _submit(center: Center, data: object, actor: Actor = ADMINISTRATOR) -> int:
    with center.transactions.begin() as conn:
        return center.contracts.submit(conn, actor, data)


def _enrol(center: Center, customer: str) -> EnrolledEndpoint:
    issued = center.admin.create_token(customer)
    csr = build_csr(generate_private_key(), "agent").public_bytes(Encoding.PEM).decode()
    with center.transactions.begin() as conn:
        return center.enrolment.enrol(conn, issued.token, csr)


def _presented(enrolled: EnrolledEndpoint) -> PresentedCertificate:
    now = datetime.now(enrolled.certificate.not_after.tzinfo)
    return PresentedCertificate(
        enrolled.endpoint_id,
        enrolled.certificate.serial_hex,
        now - timedelta(minutes=1),
        enrolled.certificate.not_after,
    )


def test_an_accepted_application_makes_an_active_customer_with_its_terms(center: Center) -> None:
    application_id = _submit(center, sample_application("Acme Ltd", services=["meters"]))
    with center.transactions.read() as conn:
        assert customer_by_name(conn, "Acme Ltd") is None  # not before acceptance
    with center.transactions.begin() as conn:
        customer_id = center.contracts.accept(conn, ADMINISTRATOR, application_id)
    with center.transactions.read() as conn:
        assert customer_statuses(conn, [customer_id]) == {customer_id: "active"}
        terms = customer_terms(conn, customer_id)
        assert terms is not None
        assert terms.services == {Service.METERS}
        assert (terms.billing_cutoff_day, terms.consents_to_news) == (20, False)
        assert contract_includes(conn, customer_id, Service.METERS)
        assert not contract_includes(conn, customer_id, Service.SUPPLIES)
        [listed] = center.contracts.applications(conn, ADMINISTRATOR)
    assert (listed.status, listed.customer_id, listed.contact_count) == ("accepted", customer_id, 1)
    assert listed.sites[0].name == "Head office"


def test_no_enrolment_token_without_an_accepted_application(center: Center) -> None:
    rejected = _submit(center, sample_application("Rejected Ltd"))
    with center.transactions.begin() as conn:
        center.contracts.reject(conn, ADMINISTRATOR, rejected, "outside our area")
    _submit(center, sample_application("Waiting Ltd"))
    before = _snapshot(center)
    for customer in ("Nobody Ltd", "Rejected Ltd", "Waiting Ltd"):
        with pytest.raises(ContractRefused, match="application must be accepted first"):
            center.admin.create_token(customer)
    assert _snapshot(center) == before
    accept_customer(center, "Acme Ltd")
    assert center.admin.create_token("Acme Ltd").token


def test_changes_of_services_and_contacts_are_kept_as_history(center: Center) -> None:
    customer_id = accept_customer(center, "Acme Ltd")
    with center.transactions.begin() as conn:
        center.contracts.change_terms(
            conn, ADMINISTRATOR, customer_id, services=[Service.METERS], note="no more toner"
        )
        center.contracts.change_terms(conn, ADMINISTRATOR, customer_id, consents_to_news=True)
        center.contracts.replace_contacts(
            conn,
            ADMINISTRATOR,
            customer_id,
            [{"name": "Taro Sato", "email": "taro@acme.example", "phone": "+81 3 9876 5432"}],
        )
    with center.transactions.read() as conn:
        terms = customer_terms(conn, customer_id)
        assert terms is not None
        assert (terms.services, terms.consents_to_news) == (frozenset({Service.METERS}), True)
        assert customers_including(conn, Service.METERS) == {customer_id}
        assert customers_including(conn, Service.SUPPLIES) == set()
        assert _count(conn, "contract_terms") == 3  # acceptance and two changes
        contacts = conn.execute(
            select(_table("contacts").c.name, _table("contacts").c.replaced_at).order_by("id")
        ).all()
    assert [name for name, _ in contacts] == ["Hanako Yamada", "Taro Sato"]
    assert contacts[0].replaced_at is not None
    assert contacts[1].replaced_at is None


def test_a_customer_administrator_changes_only_its_own_contract(center: Center) -> None:
    acme = accept_customer(center, "Acme Ltd")
    other = accept_customer(center, "Other Ltd")
    admin_of_acme = Actor.scoped("hanako", Role.CUSTOMER_ADMIN, [acme])
    with center.transactions.begin() as conn:
        center.contracts.change_terms(conn, admin_of_acme, acme, billing_cutoff_day=25)
    before = _snapshot(center)
    with center.transactions.begin() as conn, pytest.raises(ContractRefused, match="may not"):
        center.contracts.change_terms(conn, admin_of_acme, other, billing_cutoff_day=25)
    with center.transactions.begin() as conn, pytest.raises(ContractRefused, match="may not"):
        center.contracts.terminate(conn, admin_of_acme, acme, date.today(), "we leave")
    assert _snapshot(center) == before


def test_termination_revokes_every_endpoint_and_refuses_their_agents(center: Center) -> None:
    customer_id = accept_customer(center, "Acme Ltd")
    first, second = _enrol(center, "Acme Ltd"), _enrol(center, "Acme Ltd")
    spare = center.admin.create_token("Acme Ltd")
    accept_customer(center, "Other Ltd")
    other = _enrol(center, "Other Ltd")
    with center.transactions.begin() as conn:
        done = center.contracts.terminate(
            conn, ADMINISTRATOR, customer_id, date.today(), "customer moved away"
        )
    assert done.done == (
        "2 endpoint(s) revoked, 0 pending command(s) cancelled",
        "0 open supply order(s) cancelled",
        "0 open incident(s) resolved",
        "0 notification subscription(s) stopped",
    )
    now = center.clock.now()
    with center.transactions.read() as conn:
        assert customer_statuses(conn, [customer_id]) == {customer_id: "terminated"}
        for enrolled in (first, second):
            record = read_endpoint(conn, enrolled.endpoint_id)
            assert record is not None
            assert record.revoked
            refusal = refusal_for(record, _presented(enrolled), now)
            assert (refusal or "").startswith("service terminated")
        kept = read_endpoint(conn, other.endpoint_id)
        assert kept is not None
        assert not kept.revoked
        assert refusal_for(kept, _presented(other), now) is None
        reason = conn.execute(
            select(_table("endpoints").c.revocation_reason).where(
                _table("endpoints").c.id == first.endpoint_id
            )
        ).scalar_one()
        assert reason == "contract terminated"
        assert not contract_includes(conn, customer_id, Service.SUPPLIES)
    csr = build_csr(generate_private_key(), "late").public_bytes(Encoding.PEM).decode()
    with center.transactions.begin() as conn, pytest.raises(EnrolmentError, match="terminated"):
        center.enrolment.enrol(conn, spare.token, csr)
    with pytest.raises(ContractRefused, match="is terminated, not active"):
        center.admin.create_token("Acme Ltd")


def _printer_of(center: Center, enrolled: EnrolledEndpoint, serial: str) -> int:
    now = center.clock.now()
    with center.transactions.begin() as conn:
        endpoint = read_endpoint(conn, enrolled.endpoint_id)
        assert endpoint is not None
        return int(
            conn.execute(
                insert(printers)
                .values(
                    customer_id=endpoint.customer_id,
                    endpoint_id=enrolled.endpoint_id,
                    serial=serial,
                    serial_source="printer-mib",
                    address="192.0.2.10",
                    model="Model X",
                    first_seen_at=now,
                    last_report_at=now,
                )
                .returning(printers.c.id)
            ).scalar_one()
        )


def test_termination_cancels_the_customers_open_supply_orders(center: Center) -> None:
    customer_id = accept_customer(center, "Acme Ltd")
    acme_printer = _printer_of(center, _enrol(center, "Acme Ltd"), "ACME1")
    accept_customer(center, "Other Ltd")
    other_printer = _printer_of(center, _enrol(center, "Other Ltd"), "OTHER1")
    now = center.clock.now()
    with center.transactions.begin() as conn:
        proposed = an_order(conn, acme_printer, now, supply_index=1)
        shipped = an_order(conn, acme_printer, now, supply_index=2, status="shipped")
        installed = an_order(conn, acme_printer, now, supply_index=3, status="installed")
        others = an_order(conn, other_printer, now)
    with center.transactions.begin() as conn:
        done = center.contracts.terminate(conn, ADMINISTRATOR, customer_id, date.today(), "moved")
    assert "2 open supply order(s) cancelled" in done.done
    with center.transactions.read() as conn:
        status = {
            order: center.orders.order(conn, ADMINISTRATOR, order)
            for order in (proposed, shipped, installed, others)
        }
    assert status[proposed].status == status[shipped].status == "cancelled"
    assert status[proposed].cancel_reason == "contract terminated"
    assert status[installed].status == "installed"
    assert status[others].status == "proposed"


def test_termination_stops_the_customers_own_notifications(center: Center) -> None:
    acme = accept_customer(center, "Acme Ltd")
    other = accept_customer(center, "Other Ltd")
    now = center.clock.now()

    def subscribe(conn: Connection, name: str, customer_ids: frozenset[int] | None) -> int:
        audience = Audience.OPERATOR if customer_ids is None else Audience.CUSTOMER
        request = SubscriptionRequest(
            name, Channel.EMAIL, f"{name}@example.test", audience, customer_ids
        )
        return add_subscription(conn, request, now)[0]

    with center.transactions.begin() as conn:
        own = subscribe(conn, "acme", frozenset({acme}))
        shared = subscribe(conn, "both", frozenset({acme, other}))
        everyone = subscribe(conn, "operator", None)
        for subscription in (own, shared):
            conn.execute(
                insert(notify_outbox).values(
                    message_id=f"m{subscription}",
                    subscription_id=subscription,
                    incident_id=1,
                    event="opened",
                    payload={},
                    status="pending",
                    held=False,
                    attempts=0,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    with center.transactions.begin() as conn:
        done = center.contracts.terminate(conn, ADMINISTRATOR, acme, date.today(), "moved")
    assert "1 notification subscription(s) stopped, 1 message(s) unsent" in done.done
    with center.transactions.read() as conn:
        active = dict(
            conn.execute(select(notify_subscriptions.c.id, notify_subscriptions.c.active)).all()
        )
        outbox = dict(
            conn.execute(select(notify_outbox.c.subscription_id, notify_outbox.c.status)).all()
        )
    assert active == {own: False, shared: True, everyone: True}
    assert outbox == {own: "dead", shared: "pending"}


class _FailingSubscriber:
    def terminated(self, conn: Connection, actor: Actor, customer_id: int, now: datetime) -> str:
        raise RuntimeError("the supplies service could not cancel its orders")


def test_a_subscriber_that_fails_undoes_the_whole_termination(center: Center) -> None:
    customer_id = accept_customer(center, "Acme Ltd")
    _enrol(center, "Acme Ltd")
    failing = replace(center.contracts, events=(*center.contracts.events, _FailingSubscriber()))
    before = _snapshot(center)
    with pytest.raises(RuntimeError), center.transactions.begin() as conn:
        failing.terminate(conn, ADMINISTRATOR, customer_id, date.today(), "moved away")
    assert _snapshot(center) == before


# Bad input: each a clear refusal that changes nothing.


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"organisation": ""}, "organisation is missing"),
        ({"contacts": [{"name": "A", "email": "a@", "phone": "03 1234 5678"}]},
         "is not an e-mail address"),
        ({"services": []}, "services must list at least one"),
        ({"consents_to_news": None}, "explicit true or false"),
        ({"billing_cutoff_day": 32}, "1 to 31"),
    ],
)  # fmt: skip
def test_an_application_with_missing_or_malformed_fields_changes_nothing(
    center: Center, change: dict[str, object], problem: str
) -> None:
    before = _snapshot(center)
    with pytest.raises(ApplicationInvalid, match=problem):
        _submit(center, {**sample_application("Acme Ltd"), **change})
    assert _snapshot(center) == before


def test_a_duplicate_organisation_is_refused(center: Center) -> None:
    _submit(center, sample_application("Acme Ltd"))
    before = _snapshot(center)
    with pytest.raises(ContractRefused, match=r"duplicate organisation.*submitted"):
        _submit(center, sample_application("ACME  ltd"))
    assert _snapshot(center) == before
    accept_customer(center, "Beta Ltd")
    before = _snapshot(center)
    with pytest.raises(ContractRefused, match=r"duplicate organisation.*accepted"):
        _submit(center, sample_application("Beta Ltd"))
    assert _snapshot(center) == before


def test_a_rejected_organisation_may_apply_again(center: Center) -> None:
    first = _submit(center, sample_application("Acme Ltd"))
    with center.transactions.begin() as conn:
        center.contracts.reject(conn, ADMINISTRATOR, first, "billing day not offered")
    assert _submit(center, sample_application("Acme Ltd")) != first


def test_accepting_a_rejected_application_changes_nothing(center: Center) -> None:
    application_id = _submit(center, sample_application("Acme Ltd"))
    with center.transactions.begin() as conn:
        center.contracts.reject(conn, ADMINISTRATOR, application_id, "no coverage")
    before = _snapshot(center)
    with (
        center.transactions.begin() as conn,
        pytest.raises(ContractRefused, match="already rejected"),
    ):
        center.contracts.accept(conn, ADMINISTRATOR, application_id)
    with (
        center.transactions.begin() as conn,
        pytest.raises(ContractRefused, match="unknown application"),
    ):
        center.contracts.accept(conn, ADMINISTRATOR, application_id + 100)
    assert _snapshot(center) == before


def test_terminating_a_terminated_customer_changes_nothing(center: Center) -> None:
    customer_id = accept_customer(center, "Acme Ltd")
    with center.transactions.begin() as conn:
        center.contracts.terminate(conn, ADMINISTRATOR, customer_id, date.today(), "moved")
    before = _snapshot(center)
    with (
        center.transactions.begin() as conn,
        pytest.raises(ContractRefused, match="already terminated"),
    ):
        center.contracts.terminate(conn, ADMINISTRATOR, customer_id, date.today(), "again")
    with center.transactions.begin() as conn, pytest.raises(ContractRefused, match="not active"):
        center.contracts.change_terms(conn, ADMINISTRATOR, customer_id, billing_cutoff_day=5)
    assert _snapshot(center) == before


def test_only_operators_enter_accept_or_reject_applications(center: Center) -> None:
    staff = Actor.scoped("sub", Role.SUBCONTRACTOR, [])
    before = _snapshot(center)
    with pytest.raises(ContractRefused, match="may not enter applications"):
        _submit(center, sample_application("Acme Ltd"), actor=staff)
    assert _snapshot(center) == before


class _CheckLostTheRace(ContractService):
    """As if another application of the organisation arrived after the check."""

    def _refuse_duplicate(
        self, conn: Connection, organisation: str, except_application: int | None = None
    ) -> None:
        return None


def test_a_duplicate_that_slips_past_the_check_is_refused_by_the_database(
    center: Center,
) -> None:
    _submit(center, sample_application("Acme Ltd"))
    racing = _CheckLostTheRace(center.clock)
    before = _snapshot(center)
    with center.transactions.begin() as conn:
        with pytest.raises(ContractRefused, match="duplicate organisation"):
            racing.submit(conn, ADMINISTRATOR, sample_application("acme ltd"))
        assert _count(conn, "applications") == 1  # the transaction is still usable
    assert _snapshot(center) == before
