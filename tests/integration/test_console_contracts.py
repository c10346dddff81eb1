"""Customers, contracts, contacts and the audit log in the console, against a real running
center (SQLite and PostgreSQL): applications accepted or rejected with a reason, contact
persons read for a purpose (and audited), the service terminated with a confirmation,
the audit log filtered, paged and exported, and a customer's administrator reading its
own contacts; refusals for other roles and bad input, changing nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio

from remotecare.center.access.rules import Role
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.contracts.service import (
    customer_by_name,
    customer_statuses,
    customer_terms,
)
from remotecare.center.privacy.console_pages import AUDIT_COLUMNS
from remotecare.center.privacy.rules import Purpose
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.console_login import form_token, log_in_session
from tests.support.contracts import accept_customer, sample_application

PASSWORD = "a customer's long passphrase"
ACME_EMAIL = "hanako@acme-ltd.example"

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Office:
    info: CenterInfo
    center: Center
    customers: dict[str, int]
    applications: dict[str, int]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def office(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> AsyncIterator[Office]:
    home = tmp_path_factory.mktemp("console-contracts")
    info = init_center(home / "center", module_database_url)
    async with running_center(info) as center:
        customers = {
            name: accept_customer(center, name) for name in ("Acme Ltd", "Globex Corp", "Doomed KK")
        }
        with center.transactions.begin() as conn:
            applications = {
                name: center.contracts.submit(conn, ADMINISTRATOR, sample_application(name))
                for name in ("Initech", "Umbrella")
            }
            for name, role, customer in (
                ("staff", Role.OPERATOR_STAFF, None),
                ("acme-admin", Role.CUSTOMER_ADMIN, customers["Acme Ltd"]),
                ("acme-user", Role.CUSTOMER_USER, customers["Acme Ltd"]),
            ):
                center.accounts.create_user(conn, name, PASSWORD, role, customer)
        yield Office(info, center, customers, applications)


@pytest_asyncio.fixture(loop_scope="module")
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        yield session


async def _get(session: aiohttp.ClientSession, info: CenterInfo, path: str) -> tuple[int, str]:
    async with session.get(info.console_url + path, ssl=info.trusting_context()) as response:
        return response.status, await response.text()


async def _post(
    session: aiohttp.ClientSession, info: CenterInfo, path: str, form: dict[str, str]
) -> tuple[int, str, str]:
    data = {**form, "csrf_token": await form_token(session, info)}
    async with session.post(
        info.console_url + path, data=data, ssl=info.trusting_context(), allow_redirects=False
    ) as response:
        return response.status, response.headers.get("Location", ""), await response.text()


def _status(office: Office, name: str) -> str | None:
    with office.center.transactions.read() as conn:
        customer = customer_by_name(conn, name)
        return None if customer is None else customer_statuses(conn, [customer])[customer]


def _audit_rows(office: Office, actor: str) -> list[object]:
    with office.center.transactions.read() as conn:
        entries = office.center.privacy.audit_entries(conn, ADMINISTRATOR)
    return [e for e in entries if e.actor == actor]


async def test_an_operator_accepts_and_rejects_applications(
    office: Office, browser: aiohttp.ClientSession
) -> None:
    info = office.info
    await log_in_session(browser, info, "staff", PASSWORD)
    status, page = await _get(browser, info, "/customers")
    assert status == 200
    for name in ("Initech", "Umbrella"):
        assert f'data-application="{office.applications[name]}"' in page
    assert "Acme Ltd" in page

    initech = office.applications["Initech"]
    status, location, _ = await _post(browser, info, f"/applications/{initech}/accept", {})
    assert status == 303
    assert location.startswith("/customers/")
    assert _status(office, "Initech") == "active"
    status, _, page = await _post(browser, info, f"/applications/{initech}/accept", {})
    assert status == 409  # decided already
    assert 'class="error"' in page

    umbrella = office.applications["Umbrella"]
    status, _, _ = await _post(browser, info, f"/applications/{umbrella}/reject", {"reason": " "})
    assert status in (400, 409)
    status, _, _ = await _post(
        browser, info, f"/applications/{umbrella}/reject", {"reason": "outside our area"}
    )
    assert status == 303
    assert _status(office, "Umbrella") is None
    status, _, _ = await _post(browser, info, "/applications/999999/accept", {})
    assert status == 404


async def test_contacts_are_read_for_a_purpose_and_every_read_is_audited(
    office: Office, browser: aiohttp.ClientSession
) -> None:
    info = office.info
    await log_in_session(browser, info, "staff", PASSWORD)
    acme = office.customers["Acme Ltd"]
    status, page = await _get(browser, info, f"/customers/{acme}")
    assert status == 200
    assert ACME_EMAIL not in page  # nothing read by merely opening the page
    before = len(_audit_rows(office, "staff"))

    status, _, page = await _post(browser, info, f"/customers/{acme}/contacts", {"purpose": "2"})
    assert status == 200
    assert ACME_EMAIL in page
    rows = _audit_rows(office, "staff")
    assert len(rows) == before + 1
    assert (rows[-1].purpose, rows[-1].customer_id) == (2, acme)  # type: ignore[attr-defined]

    status, _, page = await _post(browser, info, f"/customers/{acme}/contacts", {"purpose": "3"})
    assert status == 200
    assert ACME_EMAIL not in page  # shipping: name and phone only
    status, _, page = await _post(browser, info, f"/customers/{acme}/contacts", {"purpose": "6"})
    assert status == 403  # no consent to news
    assert ACME_EMAIL not in page
    status, _, page = await _post(browser, info, f"/customers/{acme}/contacts", {"purpose": "9"})
    assert status == 400
    status, _ = await _get(browser, info, "/customers/999999")
    assert status == 404


async def test_termination_needs_a_confirmation_a_reason_and_happens_once(
    office: Office, browser: aiohttp.ClientSession
) -> None:
    info = office.info
    await log_in_session(browser, info, "operator", OPERATOR_PASSWORD)
    doomed = office.customers["Doomed KK"]
    status, page = await _get(browser, info, f"/customers/{doomed}")
    today = page.split('name="effective_on" value="', 1)[1][:10]
    path = f"/customers/{doomed}/terminate"
    for form in (
        {"effective_on": today, "reason": "moved away"},  # not confirmed
        {"effective_on": today, "reason": " ", "confirm": "yes"},
        {"effective_on": "someday", "reason": "moved away", "confirm": "yes"},
        {"effective_on": "2999-01-01", "reason": "moved away", "confirm": "yes"},
    ):
        status, _, _ = await _post(browser, info, path, form)
        assert status == 400, form
        assert _status(office, "Doomed KK") == "active"
    form = {"effective_on": today, "reason": "moved away", "confirm": "yes"}
    status, _, page = await _post(browser, info, path, form)
    assert status == 200
    assert f"The service ends on {today}" in page
    assert _status(office, "Doomed KK") == "terminated"
    status, _, page = await _post(browser, info, path, form)
    assert status == 409


async def test_the_audit_log_is_filtered_paged_and_exported_for_administrators(
    office: Office, browser: aiohttp.ClientSession
) -> None:
    info = office.info
    await log_in_session(browser, info, "staff", PASSWORD)
    acme = office.customers["Acme Ltd"]
    await _post(browser, info, f"/customers/{acme}/contacts", {"purpose": "1"})
    status, _ = await _get(browser, info, "/audit-log")
    assert status == 403  # staff: no audit log

    await log_in_session(browser, info, "operator", OPERATOR_PASSWORD)
    status, page = await _get(browser, info, "/audit-log?actor=staff&purpose=1")
    assert status == 200
    assert 'class="actor">staff<' in page
    assert 'data-purpose="2"' not in page
    for query in (
        "since=yesterday",
        "customer=abc",
        "purpose=7",
        "since=2026-02-02&until=2026-01-01",
    ):
        status, page = await _get(browser, info, f"/audit-log?{query}")
        assert status == 400, query
        assert 'class="error"' in page
    async with browser.get(
        info.console_url + f"/audit-log.csv?actor=staff&customer={acme}",
        ssl=info.trusting_context(),
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        body = (await response.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert tuple(rows[0]) == AUDIT_COLUMNS
    assert {r["actor"] for r in rows} == {"staff"}
    assert {r["customer_id"] for r in rows} == {str(acme)}


async def test_a_customers_administrator_reads_its_own_contacts_only(
    office: Office, browser: aiohttp.ClientSession
) -> None:
    info = office.info
    await log_in_session(browser, info, "acme-admin", PASSWORD)
    status, page = await _get(browser, info, "/contacts")
    assert status == 200
    assert ACME_EMAIL not in page
    status, _, page = await _post(browser, info, "/contacts", {})
    assert status == 200
    assert ACME_EMAIL in page
    assert "globex" not in page
    assert _audit_rows(office, "acme-admin")
    globex = office.customers["Globex Corp"]
    for path in (f"/customers/{globex}", "/customers", "/audit-log"):
        status, page = await _get(browser, info, path)
        assert status == 403, path
        assert "globex" not in page.lower()
    status, _, _ = await _post(browser, info, f"/customers/{globex}/contacts", {"purpose": "2"})
    assert status == 403

    await log_in_session(browser, info, "acme-user", PASSWORD)
    status, _ = await _get(browser, info, "/contacts")
    assert status == 403


def _terms(office: Office, name: str) -> tuple[frozenset[str], bool]:
    with office.center.transactions.read() as conn:
        customer = customer_by_name(conn, name)
        assert customer is not None
        terms = customer_terms(conn, customer)
    assert terms is not None
    return frozenset(terms.services), terms.consents_to_news


def _contact_names(office: Office, customer: int) -> list[str]:
    with office.center.transactions.begin() as conn:
        views = office.center.privacy.contacts(
            conn, ADMINISTRATOR, Purpose.NECESSARY_CONTACT, customer_id=customer
        )
    return sorted(view.fields["name"] for view in views)


async def test_a_customers_administrator_changes_its_services_and_contacts(
    office: Office, browser: aiohttp.ClientSession
) -> None:
    info = office.info
    acme = office.customers["Acme Ltd"]
    await log_in_session(browser, info, "acme-admin", PASSWORD)
    status, page = await _get(browser, info, "/contacts")
    assert f'href="/customers/{acme}/contract"' in page
    status, page = await _get(browser, info, f"/customers/{acme}/contract")
    assert status == 200
    form = {"services": "meters", "consents_to_news": "yes", "note": "toner we buy ourselves"}
    status, location, _ = await _post(browser, info, f"/customers/{acme}/terms", form)
    assert (status, location) == (303, f"/customers/{acme}/contract?saved=terms")
    assert _terms(office, "Acme Ltd") == (frozenset({"meters"}), True)

    people = {"name_0": "Taro Sato", "email_0": "taro@acme-ltd.example", "phone_0": "+81 3 1111"}
    status, location, _ = await _post(browser, info, f"/customers/{acme}/contacts/replace", people)
    assert status == 303
    assert _contact_names(office, acme) == ["Taro Sato"]
    with office.center.transactions.read() as conn:  # the former contact is kept as history
        views = office.center.privacy.contacts(
            conn, ADMINISTRATOR, Purpose.NECESSARY_CONTACT, customer_id=acme, with_history=True
        )
    assert sorted(v.fields["name"] for v in views) == ["Hanako Yamada", "Taro Sato"]


async def test_a_bad_change_or_another_customers_contract_changes_nothing(
    office: Office, browser: aiohttp.ClientSession
) -> None:
    info = office.info
    acme, globex = office.customers["Acme Ltd"], office.customers["Globex Corp"]
    await log_in_session(browser, info, "acme-admin", PASSWORD)
    before = _terms(office, "Globex Corp"), _terms(office, "Acme Ltd")
    status, page = await _get(browser, info, f"/customers/{globex}/contract")
    assert status == 404
    assert "Globex" not in page
    form = {"services": "supplies", "consents_to_news": "no"}
    status, _, _ = await _post(browser, info, f"/customers/{globex}/terms", form)
    assert status == 404
    for bad in (
        {"consents_to_news": "no"},  # no service
        {"services": "coffee", "consents_to_news": "no"},
        {"services": "supplies"},  # no answer on news
        {"services": "supplies", "consents_to_news": "no", "note": "x" * 501},
    ):
        status, _, page = await _post(browser, info, f"/customers/{acme}/terms", bad)
        assert status == 422, bad
        assert 'class="error"' in page
    people = {"name_0": "Nobody", "email_0": "not an address", "phone_0": "1"}
    status, _, page = await _post(browser, info, f"/customers/{acme}/contacts/replace", people)
    assert status == 422
    assert "Nobody" in page  # the form keeps what was typed
    status, _, _ = await _post(browser, info, f"/customers/{acme}/contacts/replace", {})
    assert status == 422
    assert (_terms(office, "Globex Corp"), _terms(office, "Acme Ltd")) == before

    await log_in_session(browser, info, "acme-user", PASSWORD)  # read-only person
    status, _, _ = await _post(browser, info, f"/customers/{acme}/terms", form)
    assert status == 403


async def test_an_operator_changes_a_customers_terms(
    office: Office, browser: aiohttp.ClientSession
) -> None:
    info = office.info
    globex = office.customers["Globex Corp"]
    await log_in_session(browser, info, "staff", PASSWORD)
    _, page = await _get(browser, info, f"/customers/{globex}")
    assert f'href="/customers/{globex}/contract"' in page
    form = {"services": ["supplies", "fault_monitoring"], "consents_to_news": "no"}
    data = aiohttp.FormData()
    for name, value in form.items():
        for one in value if isinstance(value, list) else [value]:
            data.add_field(name, one)
    data.add_field("csrf_token", await form_token(browser, info))
    async with browser.post(
        info.console_url + f"/customers/{globex}/terms",
        data=data,
        ssl=info.trusting_context(),
        allow_redirects=False,
    ) as response:
        assert response.status == 303
    assert _terms(office, "Globex Corp") == (frozenset({"supplies", "fault_monitoring"}), False)
