"""Each person's settings and the users pages against a real running center (SQLite and
PostgreSQL): language and time zone kept and applied to every page, the password and the
second factor changed from the console, users added and disabled by the operator's and
by a customer's administrator, and every escalation refused without a change."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import aiohttp
import pyotp
import pytest
import pytest_asyncio
from sqlalchemy import select

from remotecare.center.access.rules import Role
from remotecare.center.access.tables import users
from remotecare.center.bootstrap import Center
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.web.actors import SESSION_COOKIE
from remotecare.center.web.i18n import Formats
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.console_login import form_token, log_in_session
from tests.support.contracts import accept_customer

PASSWORD = "a customer's long passphrase"

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class People:
    info: CenterInfo
    center: Center
    customers: dict[str, int]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def people(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> AsyncIterator[People]:
    home = tmp_path_factory.mktemp("console-people")
    info = init_center(home / "center", module_database_url)
    async with running_center(info) as center:
        accept_customer(center, "Acme Ltd")
        accept_customer(center, "Globex Corp")
        with center.transactions.begin() as conn:
            customers = {n: customer_by_name(conn, n) or 0 for n in ("Acme Ltd", "Globex Corp")}
            for name, role, customer in (
                ("acme-admin", Role.CUSTOMER_ADMIN, "Acme Ltd"),
                ("acme-user", Role.CUSTOMER_USER, "Acme Ltd"),
                ("globex-admin", Role.CUSTOMER_ADMIN, "Globex Corp"),
                ("globex-user", Role.CUSTOMER_USER, "Globex Corp"),
                ("settler", Role.CUSTOMER_USER, "Acme Ltd"),
                ("factor", Role.CUSTOMER_ADMIN, "Acme Ltd"),
            ):
                center.accounts.create_user(conn, name, PASSWORD, role, customers[customer])
        yield People(info, center, customers)


@pytest_asyncio.fixture(loop_scope="module")
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        yield session


async def _get(
    session: aiohttp.ClientSession, info: CenterInfo, path: str, **headers: str
) -> tuple[int, str]:
    async with session.get(
        info.console_url + path, ssl=info.trusting_context(), headers=headers
    ) as response:
        return response.status, await response.text()


async def _post(
    session: aiohttp.ClientSession,
    info: CenterInfo,
    path: str,
    form: dict[str, str],
    *,
    with_token: bool = True,
) -> tuple[int, str]:
    data = dict(form)
    if with_token:
        data["csrf_token"] = await form_token(session, info)
    async with session.post(
        info.console_url + path, data=data, ssl=info.trusting_context(), allow_redirects=False
    ) as response:
        return response.status, await response.text()


def _row(conn_center: Center, name: str) -> object:
    with conn_center.transactions.read() as conn:
        return conn.execute(select(users).where(users.c.username == name)).first()


async def test_language_and_time_zone_are_kept_and_written_in_on_every_page(
    people: People, browser: aiohttp.ClientSession
) -> None:
    info = people.info
    await log_in_session(browser, info, "settler", PASSWORD)
    status, page = await _get(browser, info, "/settings", **{"Accept-Language": "ja"})
    assert status == 200
    assert '<html lang="ja">' in page  # no setting yet: the browser's language
    assert "Asia/Tokyo" in page  # and the center's time zone

    for form, reason in (
        ({"language": "xx", "time_zone": "UTC"}, "Unknown language"),
        ({"language": "en", "time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"language": "en", "time_zone": "../../etc/passwd"}, "Unknown time zone"),
    ):
        status, page = await _post(browser, info, "/settings", form)
        assert status == 400, form
        assert reason in page
    row = _row(people.center, "settler")
    assert (row.language, row.time_zone) == (None, None)  # type: ignore[attr-defined]

    status, _ = await _post(
        browser, info, "/settings", {"language": "en", "time_zone": "America/New_York"}
    )
    assert status == 303
    row = _row(people.center, "settler")
    assert (row.language, row.time_zone) == ("en", "America/New_York")  # type: ignore[attr-defined]

    # A new browser: the login brings the person's choices with it.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await log_in_session(other, info, "settler", PASSWORD)
        status, page = await _get(other, info, "/settings", **{"Accept-Language": "ja"})
        assert '<html lang="en">' in page
        assert "Dates and times are shown in America/New_York." in page


async def test_missing_form_token_changes_nothing(
    people: People, browser: aiohttp.ClientSession
) -> None:
    await log_in_session(browser, people.info, "acme-user", PASSWORD)
    for path, form in (
        ("/settings", {"language": "ja", "time_zone": "UTC"}),
        ("/settings/password", {"current": PASSWORD, "new": "x" * 20, "again": "x" * 20}),
        ("/users", {"username": "sneaky", "role": "customer_user"}),
    ):
        status, _ = await _post(browser, people.info, path, form, with_token=False)
        assert status == 403, path
    row = _row(people.center, "acme-user")
    assert row.language is None  # type: ignore[attr-defined]
    assert _row(people.center, "sneaky") is None


async def test_a_person_changes_the_password(
    people: People, browser: aiohttp.ClientSession
) -> None:
    info = people.info
    await log_in_session(browser, info, "acme-user", PASSWORD)
    new = "a brand new long passphrase"
    for form, reason in (
        ({"current": "wrong", "new": new, "again": new}, "The current password is wrong."),
        ({"current": PASSWORD, "new": "short", "again": "short"}, "at least 12 characters"),
        ({"current": PASSWORD, "new": new, "again": new + "!"}, "The two new passwords differ."),
    ):
        status, page = await _post(browser, info, "/settings/password", form)
        assert status == 400
        assert reason in page
    status, page = await _post(
        browser, info, "/settings/password", {"current": PASSWORD, "new": new, "again": new}
    )
    assert status == 200
    assert "Your password was changed." in page
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await log_in_session(other, info, "acme-user", new)
    status, _ = await _post(
        browser, info, "/settings/password", {"current": new, "new": PASSWORD, "again": PASSWORD}
    )
    assert status == 200


async def test_a_person_turns_the_second_factor_on_and_off(
    people: People, browser: aiohttp.ClientSession
) -> None:
    info = people.info
    await log_in_session(browser, info, "factor", PASSWORD)
    status, page = await _post(browser, info, "/settings/totp", {})
    assert status == 200
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert secret is not None
    assert "otpauth://totp/" in page
    status, page = await _get(browser, info, "/settings")
    assert secret.group(1) not in page  # shown once
    status, page = await _post(browser, info, "/settings/totp/confirm", {"code": "000000"})
    assert status == 400
    code = pyotp.TOTP(secret.group(1)).now()
    status, page = await _post(browser, info, "/settings/totp/confirm", {"code": code})
    assert status == 200
    assert "Your second factor is on" in page
    status, page = await _post(browser, info, "/settings/totp", {})
    assert status == 409  # on already: a new key would switch it off

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        token = await form_token(other, info)
        async with other.post(
            info.console_url + "/login",
            data={"username": "factor", "password": PASSWORD, "csrf_token": token},
            ssl=info.trusting_context(),
            allow_redirects=False,
        ) as response:
            assert response.status == 401  # the code is needed now
            assert SESSION_COOKIE not in response.cookies

    status, page = await _post(browser, info, "/settings/totp/remove", {"password": "wrong"})
    assert status == 400
    status, page = await _post(browser, info, "/settings/totp/remove", {"password": PASSWORD})
    assert status == 200
    assert "Your second factor is off." in page
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await log_in_session(other, info, "factor", PASSWORD)


async def test_the_operators_administrator_adds_and_disables_users(
    people: People, browser: aiohttp.ClientSession
) -> None:
    info = people.info
    await log_in_session(browser, info, "operator", OPERATOR_PASSWORD)
    status, page = await _get(browser, info, "/users")
    assert status == 200
    for name in ("acme-admin", "globex-admin", "operator"):
        assert f'data-user="{name}"' in page

    status, page = await _post(
        browser,
        info,
        "/users",
        {"username": "new-acme", "role": "customer_user", "customer": "Acme Ltd"},
    )
    assert status == 200
    password = re.search(r'<code class="secret password">([^<]+)</code>', page)
    assert password is not None
    row = _row(people.center, "new-acme")
    assert row.customer_id == people.customers["Acme Ltd"]  # type: ignore[attr-defined]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await log_in_session(other, info, "new-acme", password.group(1))
        status, _ = await _get(other, info, "/meter-reads")
        assert status == 200

        status, _ = await _post(browser, info, "/users/new-acme/disable", {})
        assert status == 303
        async with other.get(
            info.console_url + "/meter-reads",
            ssl=info.trusting_context(),
            allow_redirects=False,
        ) as response:  # the session ended at once: to the login page
            assert (response.status, response.headers["Location"]) == (303, "/login")
    row = _row(people.center, "new-acme")
    assert row.disabled_at is not None  # type: ignore[attr-defined]

    for form, expected in (
        ({"username": "x y", "role": "customer_user", "customer": "Acme Ltd"}, 400),
        ({"username": "nobody-role", "role": "king"}, 400),
        ({"username": "no-customer", "role": "customer_user", "customer": "Nope KK"}, 400),
        ({"username": "acme-admin", "role": "customer_user", "customer": "Acme Ltd"}, 409),
    ):
        status, _ = await _post(browser, info, "/users", form)
        assert status == expected, form
    assert _row(people.center, "nobody-role") is None
    status, _ = await _post(browser, info, "/users/operator/disable", {})
    assert status == 409  # not your own login


async def test_the_disabled_time_is_written_in_the_persons_time_zone(
    people: People, browser: aiohttp.ClientSession
) -> None:
    info = people.info
    await log_in_session(browser, info, "operator", OPERATOR_PASSWORD)
    await _post(browser, info, "/users", {"username": "gone", "role": "operator_staff"})
    await _post(browser, info, "/users/gone/disable", {})
    row = _row(people.center, "gone")
    disabled_at = row.disabled_at  # type: ignore[attr-defined]
    for zone in ("Europe/Berlin", "Asia/Tokyo"):
        status, _ = await _post(browser, info, "/settings", {"language": "en", "time_zone": zone})
        assert status == 303
        status, page = await _get(browser, info, "/users")
        expected = Formats("en", ZoneInfo(zone)).datetime(disabled_at)
        assert expected in page, zone


async def test_a_customers_administrator_manages_only_its_own_people(
    people: People, browser: aiohttp.ClientSession
) -> None:
    info = people.info
    await log_in_session(browser, info, "acme-admin", PASSWORD)
    status, page = await _get(browser, info, "/users")
    assert status == 200
    assert 'data-user="acme-user"' in page
    assert "globex" not in page
    assert 'data-user="operator"' not in page
    assert 'value="operator_admin"' not in page

    status, page = await _post(
        browser, info, "/users", {"username": "acme-2", "role": "customer_user"}
    )
    assert status == 200
    row = _row(people.center, "acme-2")
    assert row.customer_id == people.customers["Acme Ltd"]  # type: ignore[attr-defined]

    for form, expected in (
        ({"username": "evil-op", "role": "operator_admin"}, 403),
        ({"username": "evil-staff", "role": "operator_staff"}, 403),
        ({"username": "evil-sub", "role": "subcontractor", "partner": "Fix-It KK"}, 403),
        ({"username": "evil-globex", "role": "customer_admin", "customer": "Globex Corp"}, 404),
    ):
        status, page = await _post(browser, info, "/users", form)
        assert status == expected, form
        assert _row(people.center, form["username"]) is None
        assert "globex-admin" not in page

    status, page = await _post(browser, info, "/users/globex-user/disable", {})
    assert status == 404
    assert _row(people.center, "globex-user").disabled_at is None  # type: ignore[attr-defined]
    status, page = await _post(browser, info, "/users/operator/disable", {})
    assert status == 404
    status, _ = await _post(browser, info, "/users/acme-2/disable", {})
    assert status == 303


async def test_a_customer_user_may_not_manage_users(
    people: People, browser: aiohttp.ClientSession
) -> None:
    await log_in_session(browser, people.info, "globex-user", PASSWORD)
    status, _ = await _get(browser, people.info, "/users")
    assert status == 403
    status, _ = await _post(
        browser, people.info, "/users", {"username": "x", "role": "customer_user"}
    )
    assert status == 403
    assert _row(people.center, "x") is None
