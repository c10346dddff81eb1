"""The console's devices list and device page over HTTPS against a real center (SQLite and
PostgreSQL): search, filters and pages in the database, each person scoped to what they
may see, the language from the browser or the person's choice, and bad input answered
with a page, never an error."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.center.access.partners import Partners
from remotecare.center.access.rules import Role, WorkKind
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet.tables import printers
from remotecare.protocol.codec import encode
from remotecare.protocol.messages import BundleDeclaration, BundleReason, Report, SupplyState
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.console_login import form_token
from tests.support.device_calls import call, enrol
from tests.support.reports import a_plain_report, a_report

CUSTOMER_PASSWORD = "a customer's long passphrase"

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one center for the module


@dataclass
class Fleet:
    info: CenterInfo
    center: Center
    ids: dict[str, int]  # serial -> device id


def _low_toner(report: Report) -> Report:
    assert report.reading is not None
    supplies = [
        s.model_copy(update={"level": 4, "percent": 4.0, "state": SupplyState.LOW})
        if s.index == 1
        else s
        for s in report.reading.supplies
    ]
    return report.model_copy(
        update={"reading": report.reading.model_copy(update={"supplies": supplies})}
    )


async def _send(paths: AgentPaths, info: CenterInfo, report: Report) -> None:
    status, answer = await call(info.device_url + "/api/v1/reports", paths, encode(report))
    assert status in (200, 201), answer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleet(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> AsyncIterator[Fleet]:
    home = tmp_path_factory.mktemp("console-devices")
    info = init_center(home / "center", module_database_url)
    async with running_center(info) as center:
        acme, _ = await enrol(info, center, home / "acme")
        globex, _ = await enrol(info, center, home / "globex", customer="Globex Corp")
        now = datetime.now(UTC)
        # A year of monthly readings for ACME-1: its history gives the charts something.
        for months_ago in range(11, 0, -1):
            await _send(
                acme,
                info,
                a_report(
                    "ACME-1",
                    pages=20_000 - months_ago * 1500,
                    agent_time=now - timedelta(days=30 * months_ago),
                    address="snmp://192.0.2.1:161",
                ),
            )
        await _send(
            acme, info, _low_toner(a_report("ACME-1", pages=20_000, address="snmp://192.0.2.1:161"))
        )
        await _send(
            acme,
            info,
            a_plain_report("ACME-2", address="snmp://192.0.2.2:161", model="RICOH IM C3000"),
        )
        for n in range(3, 56):  # enough for a second page
            await _send(
                acme, info, a_plain_report(f"ACME-{n:02d}", address=f"snmp://192.0.2.{n}:161")
            )
        await _send(globex, info, a_plain_report("GLOBEX-1", address="snmp://198.51.100.1:161"))
        with center.transactions.begin() as conn:
            customer = customer_by_name(conn, "Acme Ltd")
            center.accounts.create_user(
                conn, "acme-user", CUSTOMER_PASSWORD, Role.CUSTOMER_USER, customer
            )
        with center.transactions.read() as conn:
            ids = {
                row.serial: row.id for row in conn.execute(select(printers.c.serial, printers.c.id))
            }
        yield Fleet(info, center, ids)


@pytest_asyncio.fixture(loop_scope="module")
async def browser_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        yield session


async def _log_in(
    session: aiohttp.ClientSession, info: CenterInfo, name: str, password: str
) -> None:
    token = await form_token(session, info)
    async with session.post(
        info.console_url + "/login",
        data={"username": name, "password": password, "csrf_token": token},
        ssl=info.trusting_context(),
        allow_redirects=False,
    ) as response:
        assert response.status == 303


async def _get(
    session: aiohttp.ClientSession, info: CenterInfo, path: str, **headers: str
) -> tuple[int, str]:
    async with session.get(
        info.console_url + path, ssl=info.trusting_context(), headers=headers
    ) as response:
        return response.status, await response.text()


def _serials(page: str) -> list[str]:
    return re.findall(r'<tr data-serial="([^"]+)"', page)


async def test_a_search_finds_by_serial_model_customer_and_address(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info = fleet.info
    await _log_in(browser_session, info, "operator", OPERATOR_PASSWORD)
    _, page = await _get(browser_session, info, "/devices?q=acme-1")
    assert _serials(page) == ["ACME-1"] + [f"ACME-{n}" for n in range(10, 20)]
    _, page = await _get(browser_session, info, "/devices?q=RICOH+IM")
    assert _serials(page) == ["ACME-2"]
    _, page = await _get(browser_session, info, "/devices?q=globex")
    assert _serials(page) == ["GLOBEX-1"]
    _, page = await _get(browser_session, info, "/devices?q=198.51.100")
    assert _serials(page) == ["GLOBEX-1"]


async def test_filters_narrow_the_list(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info = fleet.info
    await _log_in(browser_session, info, "operator", OPERATOR_PASSWORD)
    _, page = await _get(browser_session, info, "/devices?low=1")
    assert _serials(page) == ["ACME-1"]
    _, page = await _get(browser_session, info, "/devices?vendor=ricoh")
    assert _serials(page) == ["ACME-2"]
    _, page = await _get(browser_session, info, "/devices?state=silent")
    assert _serials(page) == []
    _, page = await _get(browser_session, info, "/devices?state=online&q=GLOBEX")
    assert _serials(page) == ["GLOBEX-1"]
    with fleet.center.transactions.read() as conn:
        globex = customer_by_name(conn, "Globex Corp")
    _, page = await _get(browser_session, info, f"/devices?customer={globex}")
    assert _serials(page) == ["GLOBEX-1"]


async def test_the_list_comes_in_pages_and_a_page_past_the_end_shows_the_last(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info = fleet.info
    await _log_in(browser_session, info, "operator", OPERATOR_PASSWORD)
    _, first = await _get(browser_session, info, "/devices")
    assert len(_serials(first)) == 50
    assert "(56)" in first
    status, beyond = await _get(browser_session, info, "/devices?page=999999999")
    assert status == 200
    assert _serials(beyond) == [f"ACME-{n}" for n in range(51, 56)] + ["GLOBEX-1"]
    assert "Page 2 of 2" in beyond
    for nonsense in ("page=-3", "page=abc", "state=sideways", "vendor=%00", "customer=x"):
        status, page = await _get(browser_session, info, "/devices?" + nonsense)
        assert status == 200, nonsense
        assert len(_serials(page)) == 50, nonsense


async def test_sql_and_html_in_a_search_are_only_text(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info = fleet.info
    await _log_in(browser_session, info, "operator", OPERATOR_PASSWORD)
    for text in ("' OR 1=1 --", "%", "_", "ACME-1'; DROP TABLE printers; --"):
        status, page = await _get(browser_session, info, "/devices?q=" + quote(text, safe=""))
        assert status == 200, text
        assert _serials(page) == [], text
        assert "No device matches this search." in page
    status, page = await _get(
        browser_session, info, "/devices?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    )
    assert status == 200
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    _, page = await _get(browser_session, info, "/devices")
    assert len(_serials(page)) == 50  # nothing was dropped


async def test_a_customer_sees_only_its_own_devices_and_not_found_for_others(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info = fleet.info
    await _log_in(browser_session, info, "acme-user", CUSTOMER_PASSWORD)
    _, page = await _get(browser_session, info, "/devices?q=GLOBEX")
    assert _serials(page) == []
    _, page = await _get(browser_session, info, "/devices?page=2")
    assert "GLOBEX-1" not in page
    assert "/endpoints" not in page
    globex_status, globex_page = await _get(
        browser_session, info, f"/devices/{fleet.ids['GLOBEX-1']}"
    )
    missing_status, missing_page = await _get(browser_session, info, "/devices/999999")
    assert (globex_status, missing_status) == (404, 404)
    assert "GLOBEX-1" not in globex_page
    here = re.compile(r'name="next" value="[^"]*"')  # the language switch comes back here
    assert here.sub("", globex_page) == here.sub("", missing_page)  # nothing tells them apart
    status, page = await _get(browser_session, info, f"/devices/{fleet.ids['ACME-1']}")
    assert status == 200
    assert "ACME-1" in page


async def test_the_device_page_draws_supply_levels_and_monthly_pages(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info = fleet.info
    await _log_in(browser_session, info, "operator", OPERATOR_PASSWORD)
    path = f"/devices/{fleet.ids['ACME-1']}"
    page = ""
    for _ in range(50):  # the history is written by the care feed's drainer, just behind
        _, page = await _get(browser_session, info, path)
        if page.count('<rect class="bar"') >= 12:
            break
        await asyncio.sleep(0.2)
    assert page.count('<figure class="supply-history"') == 5
    assert '<path d="M' in page
    assert 'data-series="mono"' in page
    assert 'data-series="colour"' in page
    assert page.count('<rect class="bar"') >= 12
    assert "1,000" in page  # a month's mono pages, in the table beside the chart


async def test_the_language_follows_the_browser_then_the_persons_choice(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info, center = fleet.info, fleet.center
    with center.transactions.begin() as conn:  # a person of its own: the choice is kept
        center.accounts.create_user(conn, "linguist", CUSTOMER_PASSWORD, Role.OPERATOR_STAFF)
    await _log_in(browser_session, info, "linguist", CUSTOMER_PASSWORD)
    _, page = await _get(browser_session, info, "/devices", **{"Accept-Language": "ja-JP,ja;q=0.9"})
    assert '<html lang="ja">' in page
    assert "消耗品" in page
    _, page = await _get(
        browser_session, info, "/devices", **{"Accept-Language": "fr-CH, fr;q=0.9, ja;q=0.5"}
    )
    assert '<html lang="ja">' in page
    for unknown in ("xx-YY", "", "*;q=0.5", "ja;q=abc", "en;q=0.1, ja;q=0"):
        _, page = await _get(browser_session, info, "/devices", **{"Accept-Language": unknown})
        assert '<html lang="en">' in page, unknown
        assert "Supplies" in page
    token = await form_token(browser_session, info)
    async with browser_session.post(
        info.console_url + "/language",
        data={"lang": "ja", "next": "/devices?q=ACME", "csrf_token": token},
        ssl=info.trusting_context(),
        allow_redirects=False,
    ) as response:
        assert response.status == 303
        assert response.headers["Location"] == "/devices?q=ACME"
    _, page = await _get(browser_session, info, "/devices", **{"Accept-Language": "en"})
    assert '<html lang="ja">' in page
    async with browser_session.post(
        info.console_url + "/language",
        data={"lang": "klingon", "next": "https://elsewhere.example/", "csrf_token": token},
        ssl=info.trusting_context(),
        allow_redirects=False,
    ) as response:
        assert response.headers["Location"] == "/overview"  # never off the site: the home
    _, page = await _get(browser_session, info, "/devices")
    assert '<html lang="ja">' in page  # an unknown choice changes nothing


async def test_refusals_are_pages_in_the_persons_language(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info = fleet.info
    await _log_in(browser_session, info, "acme-user", CUSTOMER_PASSWORD)
    status, page = await _get(browser_session, info, "/endpoints", **{"Accept-Language": "ja"})
    assert status == 403
    assert "このページを表示する権限がありません。" in page
    for path in ("/nowhere", "/devices/abc", "/devices/1/../../etc/passwd"):
        status, page = await _get(browser_session, info, path)
        assert status == 404, path
        assert "There is nothing here, or you may not see it." in page


async def test_an_operator_downloads_a_devices_diagnostic_log_and_a_customer_may_not(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info, center = fleet.info, fleet.center
    content = b"diagnostic log bytes " * 100
    bundle_id = uuid.uuid4()
    declaration = BundleDeclaration(
        bundle_id=bundle_id,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        reason=BundleReason.SERVICE_REQUESTED,
        printer_serial="ACME-2",
    )
    with center.transactions.read() as conn:
        endpoint = conn.execute(
            select(printers.c.endpoint_id).where(printers.c.serial == "ACME-2")
        ).scalar_one()
    with center.transactions.begin() as conn:
        center.bundles.declare(conn, endpoint, declaration)
        center.bundles.append(conn, endpoint, bundle_id, 0, content)
    device = f"/devices/{fleet.ids['ACME-2']}"
    link = f"{device}/bundles/{bundle_id}"

    await _log_in(browser_session, info, "operator", OPERATOR_PASSWORD)
    _, page = await _get(browser_session, info, device)
    assert f'href="{link}"' in page
    _, other = await _get(browser_session, info, f"/devices/{fleet.ids['ACME-1']}")
    assert str(bundle_id) not in other  # another printer's log stays on its own page
    async with browser_session.get(info.console_url + link, ssl=info.trusting_context()) as answer:
        assert answer.status == 200
        assert "attachment" in answer.headers["Content-Disposition"]
        assert await answer.read() == content
    for wrong in (f"/devices/{fleet.ids['ACME-1']}/bundles/{bundle_id}", f"{device}/bundles/x"):
        status, _ = await _get(browser_session, info, wrong)
        assert status == 404, wrong

    browser_session.cookie_jar.clear()
    await _log_in(browser_session, info, "acme-user", CUSTOMER_PASSWORD)
    _, page = await _get(browser_session, info, device)
    assert f'href="{link}"' not in page
    status, _ = await _get(browser_session, info, link)
    assert status == 403


async def test_a_subcontractor_sees_only_the_devices_assigned_to_its_company(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info, center = fleet.info, fleet.center
    with center.transactions.begin() as conn:
        acme = customer_by_name(conn, "Acme Ltd")
        assert acme is not None
        partners = Partners(center.clock)
        company = partners.create(conn, ADMINISTRATOR, "Fix-It KK", Role.SUBCONTRACTOR)
        partners.assign_work(
            conn, ADMINISTRATOR, company, WorkKind.DEVICE, str(fleet.ids["ACME-2"]), acme
        )
        center.accounts.create_user(
            conn, "fixit", CUSTOMER_PASSWORD, Role.SUBCONTRACTOR, None, company
        )
    await _log_in(browser_session, info, "fixit", CUSTOMER_PASSWORD)
    _, page = await _get(browser_session, info, "/devices")
    assert _serials(page) == ["ACME-2"]
    _, page = await _get(browser_session, info, "/devices?q=ACME")
    assert _serials(page) == ["ACME-2"]
    status, _ = await _get(browser_session, info, f"/devices/{fleet.ids['ACME-2']}")
    assert status == 200
    status, _ = await _get(browser_session, info, f"/devices/{fleet.ids['ACME-1']}")
    assert status == 404  # the same customer, but not assigned


async def test_the_persons_language_follows_them_to_another_browser(
    fleet: Fleet, browser_session: aiohttp.ClientSession
) -> None:
    info, center = fleet.info, fleet.center
    with center.transactions.begin() as conn:
        center.accounts.create_user(conn, "traveller", CUSTOMER_PASSWORD, Role.OPERATOR_STAFF)
    await _log_in(browser_session, info, "traveller", CUSTOMER_PASSWORD)
    token = await form_token(browser_session, info)
    async with browser_session.post(
        info.console_url + "/language",
        data={"lang": "ja", "next": "/devices", "csrf_token": token},
        ssl=info.trusting_context(),
        allow_redirects=False,
    ) as response:
        assert response.status == 303
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as elsewhere:
        _, page = await _get(elsewhere, info, "/login", **{"Accept-Language": "en"})
        assert '<html lang="en">' in page  # nobody known yet: the browser's language
        await _log_in(elsewhere, info, "traveller", CUSTOMER_PASSWORD)
        _, page = await _get(elsewhere, info, "/devices", **{"Accept-Language": "en"})
        assert '<html lang="ja">' in page
    with center.transactions.read() as conn:
        assert center.accounts.language_of(conn, "traveller") == "ja"
        assert center.accounts.language_of(conn, "operator") in (None, "en", "ja")
