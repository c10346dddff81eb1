"""The console's pages for customers against a real running center (SQLite and PostgreSQL).

Meter reads: operators see every customer's reads with filters and pages, a customer's
people their own only, the CSV download is the meters export, the device page shows its
reads, and bad asks are refused with a page (400) or, for another customer's ids, a 404.
What my devices send: the allow-list and each device's latest report as received, for
the customer's administrator only."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.center.access.partners import Partners
from remotecare.center.access.rules import Role
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.care.meters import pages as meter_pages
from remotecare.center.care.meters.export import CSV_COLUMNS, export_rows
from remotecare.center.care.meters.rules.console_query import (
    OLDEST_PERIOD_MONTHS,
    period_before,
)
from remotecare.center.care.meters.rules.periods import (
    BillingSettings,
    period_containing,
    period_named,
)
from remotecare.center.care.meters.service import close_period, set_customer_settings
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet.tables import printers, reports
from remotecare.protocol.allow_list import report_fields
from remotecare.protocol.codec import encode
from remotecare.protocol.messages import Report
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.console_login import log_in_session
from tests.support.device_calls import call, enrol
from tests.support.reports import a_plain_report, a_report

PASSWORD = "a customer's long passphrase"
PLAIN_DEVICES = 55  # with ACME-1's three counters, more than a page of 50 rows

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Billing:
    info: CenterInfo
    center: Center
    ids: dict[str, int]  # serial -> device id
    customers: dict[str, int]
    latest: str  # the period running now
    billed: str  # the one before it


async def _send(paths: AgentPaths, info: CenterInfo, report: Report) -> None:
    status, answer = await call(info.device_url + "/api/v1/reports", paths, encode(report))
    assert status in (200, 201), answer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def billing(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> AsyncIterator[Billing]:
    home = tmp_path_factory.mktemp("console-meters")
    info = init_center(home / "center", module_database_url)
    async with running_center(info) as center:
        acme, _ = await enrol(info, center, home / "acme")
        globex, _ = await enrol(info, center, home / "globex", customer="Globex Corp")
        now = datetime.now(UTC)
        # The contract's cut-off day, with a long grace: no automatic close while the
        # tests run (a closed period's reads are fixed before the readings arrive).
        with center.transactions.begin() as conn:
            settings = BillingSettings(cutoff_day=20, grace=timedelta(days=60))
            for name in ("Acme Ltd", "Globex Corp"):
                customer_id = customer_by_name(conn, name)
                assert customer_id is not None
                set_customer_settings(conn, ADMINISTRATOR, customer_id, settings, now)
        latest = period_containing(now, settings).name
        billed = period_named(period_before(latest), settings)
        address = "snmp://192.0.2.1:161"
        for at, pages in (
            (billed.start - timedelta(hours=2), 8_000),
            (billed.end - timedelta(hours=2), 10_000),
            (now - timedelta(minutes=1), 11_000),
        ):
            await _send(acme, info, a_report("ACME-1", pages=pages, agent_time=at, address=address))
        for n in range(PLAIN_DEVICES):
            report = a_plain_report(
                f"ACME-P{n:02d}",
                address=f"snmp://192.0.2.{n + 10}:161",
                agent_time=billed.end - timedelta(hours=3),
            )
            await _send(acme, info, report)
        await _send(
            globex,
            info,
            a_plain_report(
                "GLOBEX-1",
                address="snmp://198.51.100.1:161",
                agent_time=billed.end - timedelta(hours=1),
            ),
        )
        with center.transactions.begin() as conn:
            customers = {
                name: customer_by_name(conn, name) or 0 for name in ("Acme Ltd", "Globex Corp")
            }
            center.accounts.create_user(
                conn, "acme-admin", PASSWORD, Role.CUSTOMER_ADMIN, customers["Acme Ltd"]
            )
            center.accounts.create_user(
                conn, "acme-user", PASSWORD, Role.CUSTOMER_USER, customers["Acme Ltd"]
            )
            partners = Partners(center.clock)
            fixer = partners.create(conn, ADMINISTRATOR, "Fix-It KK", Role.SUBCONTRACTOR)
            center.accounts.create_user(
                conn, "fixer", PASSWORD, Role.SUBCONTRACTOR, partner_id=fixer
            )
        with center.transactions.read() as conn:
            ids = {
                row.serial: row.id for row in conn.execute(select(printers.c.serial, printers.c.id))
            }
        await _every_reading_fed(center, billed.name)
        yield Billing(info, center, ids, customers, latest, billed.name)


async def _every_reading_fed(center: Center, period: str) -> None:
    """Wait until the care feed has every reading: each device has its read (a device
    whose history has not arrived yet shows a missing read of every billed counter)."""
    for _ in range(300):
        with center.transactions.read() as conn:
            rows = list(export_rows(conn, ADMINISTRATOR, period, center.clock.now()))
        if len(rows) == PLAIN_DEVICES + 3 + 1 and all(r.read_type != "missing" for r in rows):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the care feed did not take every reading within 30 s")


@pytest_asyncio.fixture(loop_scope="module")
async def browser_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        yield session


async def _get(session: aiohttp.ClientSession, info: CenterInfo, path: str) -> tuple[int, str, str]:
    async with session.get(info.console_url + path, ssl=info.trusting_context()) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def _actual_read_of_acme_1(session: aiohttp.ClientSession, billing: Billing) -> str:
    """The page of the billed period's actual reads, once the care feed has the readings."""
    for _ in range(100):
        status, _, page = await _get(
            session, billing.info, f"/meter-reads?period={billing.billed}&state=actual"
        )
        assert status == 200, page
        if 'data-serial="ACME-1" data-counter="total" data-read-type="actual"' in page:
            return page
        await asyncio.sleep(0.1)
    raise AssertionError("no actual read of ACME-1 within 10 s")


async def test_an_operator_sees_every_customers_reads_filtered_and_paged(
    billing: Billing, browser_session: aiohttp.ClientSession
) -> None:
    await log_in_session(browser_session, billing.info, "operator", OPERATOR_PASSWORD)
    page = await _actual_read_of_acme_1(browser_session, billing)
    assert 'data-read-type="estimated"' not in page
    assert 'data-read-type="missing"' not in page

    status, _, first = await _get(
        browser_session, billing.info, f"/meter-reads?period={billing.billed}"
    )
    assert status == 200
    assert first.count("<tr data-serial=") == 50
    assert 'rel="next"' in first
    status, _, second = await _get(
        browser_session, billing.info, f"/meter-reads?period={billing.billed}&page=2"
    )
    assert status == 200
    assert 'rel="prev"' in second
    assert second.count("<tr data-serial=") == PLAIN_DEVICES + 3 + 1 - 50
    status, _, beyond = await _get(
        browser_session, billing.info, f"/meter-reads?period={billing.billed}&page=999"
    )
    assert status == 200
    assert "<tr data-serial=" not in beyond

    globex = billing.customers["Globex Corp"]
    status, _, only = await _get(
        browser_session, billing.info, f"/meter-reads?period={billing.billed}&customer={globex}"
    )
    assert status == 200
    assert 'data-serial="GLOBEX-1"' in only
    assert 'data-serial="ACME-1"' not in only


async def test_a_customer_sees_only_its_own_reads_and_downloads_them_as_csv(
    billing: Billing, browser_session: aiohttp.ClientSession
) -> None:
    await log_in_session(browser_session, billing.info, "acme-admin", PASSWORD)
    page = await _actual_read_of_acme_1(browser_session, billing)
    assert "GLOBEX-1" not in page
    assert "Globex Corp" not in page

    async with browser_session.get(
        billing.info.console_url + f"/meter-reads.csv?period={billing.billed}",
        ssl=billing.info.trusting_context(),
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert f"meter-reads-{billing.billed}.csv" in response.headers["Content-Disposition"]
        body = await response.read()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert {row["customer"] for row in rows} == {"Acme Ltd"}
    assert len(rows) == PLAIN_DEVICES + 3
    total = next(r for r in rows if r["serial"] == "ACME-1" and r["counter"] == "total")
    assert (total["this_read"], total["read_type"], total["period"]) == (
        "10000",
        "actual",
        billing.billed,
    )

    other = billing.customers["Globex Corp"]
    for path in (
        f"/meter-reads?customer={other}",
        f"/meter-reads.csv?customer={other}",
        f"/devices/{billing.ids['GLOBEX-1']}",
    ):
        status, _, answer = await _get(browser_session, billing.info, path)
        assert status == 404, path
        assert "GLOBEX-1" not in answer


async def test_the_device_page_shows_its_meter_reads(
    billing: Billing, browser_session: aiohttp.ClientSession
) -> None:
    await log_in_session(browser_session, billing.info, "acme-user", PASSWORD)
    await _actual_read_of_acme_1(browser_session, billing)
    status, _, page = await _get(browser_session, billing.info, f"/devices/{billing.ids['ACME-1']}")
    assert status == 200
    section = page.split('class="meter-reads-section"', 1)[1]
    assert f'data-period="{billing.billed}"' in section
    assert f'data-period="{billing.latest}"' in section
    assert "10,000" in section


async def test_partners_do_not_see_meter_reads(
    billing: Billing, browser_session: aiohttp.ClientSession
) -> None:
    await log_in_session(browser_session, billing.info, "fixer", PASSWORD)
    for path in ("/meter-reads", "/meter-reads.csv"):
        status, _, _ = await _get(browser_session, billing.info, path)
        assert status == 403, path


@pytest.mark.parametrize(
    "query",
    [
        "period=2026-13",
        "period=last+month",
        "period=<script>",
        "state=bogus",
        "customer=1%27%20OR%201=1",
    ],
)
async def test_a_bad_ask_is_refused_with_the_reason(
    billing: Billing, browser_session: aiohttp.ClientSession, query: str
) -> None:
    await log_in_session(browser_session, billing.info, "operator", OPERATOR_PASSWORD)
    for path in ("/meter-reads?", "/meter-reads.csv?"):
        status, content_type, page = await _get(browser_session, billing.info, path + query)
        assert status == 400, (path, query)
        assert content_type.startswith("text/html")
        assert 'class="error"' in page
        assert "<script>" not in page


async def test_a_period_beyond_range_is_refused(
    billing: Billing, browser_session: aiohttp.ClientSession
) -> None:
    await log_in_session(browser_session, billing.info, "acme-admin", PASSWORD)
    index = int(billing.latest[:4]) * 12 + int(billing.latest[5:]) - 1 + 1
    future = f"{index // 12:04d}-{index % 12 + 1:02d}"
    too_old = period_before(billing.latest, OLDEST_PERIOD_MONTHS + 1)
    for period, reason in ((future, "has not begun"), (too_old, "too old")):
        status, _, page = await _get(browser_session, billing.info, f"/meter-reads?period={period}")
        assert status == 400
        assert reason in page
    status, _, page = await _get(
        browser_session, billing.info, f"/meter-reads?period={billing.latest}"
    )
    assert status == 200


async def test_a_customer_admin_sees_the_allow_list_and_each_devices_report_as_received(
    billing: Billing, browser_session: aiohttp.ClientSession
) -> None:
    await log_in_session(browser_session, billing.info, "acme-admin", PASSWORD)
    status, _, page = await _get(browser_session, billing.info, "/what-my-devices-send")
    assert status == 200, page
    for field in report_fields():
        assert f'data-field="{field.path}"' in page
    assert 'data-field="reading.counters[].value"' in page
    assert "GLOBEX-1" not in page
    assert "Globex Corp" not in page
    with billing.center.transactions.read() as conn:
        payload = conn.execute(
            select(reports.c.payload)
            .where(reports.c.printer_id == billing.ids["ACME-1"])
            .order_by(reports.c.agent_time.desc())
            .limit(1)
        ).scalar_one()
    article = page.split('data-serial="ACME-1"', 1)[1]
    found = re.search(r'<pre class="payload"[^>]*><code>(.*?)</code></pre>', article, re.S)
    assert found is not None
    shown = html.unescape(found.group(1))
    assert shown == json.dumps(payload, indent=2, ensure_ascii=False)  # as received, indented
    assert payload["reading"]["counters"][0]["value"] == 11_000

    pages = [page]
    for number in range(2, 8):
        status, _, more = await _get(
            browser_session, billing.info, f"/what-my-devices-send?page={number}"
        )
        assert status == 200
        pages.append(more)
    listed = {s for p in pages for s in re.findall(r'data-serial="([^"]+)"', p)}
    assert listed == {"ACME-1", *(f"ACME-P{n:02d}" for n in range(PLAIN_DEVICES))}
    status, _, beyond = await _get(browser_session, billing.info, "/what-my-devices-send?page=x9")
    assert status == 200
    assert 'data-serial="ACME-1"' in beyond


@pytest.mark.parametrize("name", ["acme-user", "operator", "fixer"])
async def test_only_a_customer_admin_sees_what_the_devices_send(
    billing: Billing, browser_session: aiohttp.ClientSession, name: str
) -> None:
    password = OPERATOR_PASSWORD if name == "operator" else PASSWORD
    await log_in_session(browser_session, billing.info, name, password)
    status, _, page = await _get(browser_session, billing.info, "/what-my-devices-send")
    assert status == 403
    assert "ACME-1" not in page


async def test_a_page_looks_at_a_bounded_number_of_devices(
    billing: Billing, browser_session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(meter_pages, "MAX_SCANNED_DEVICES", 10)  # the center runs in-process
    await log_in_session(browser_session, billing.info, "operator", OPERATOR_PASSWORD)
    status, _, page = await _get(
        browser_session, billing.info, f"/meter-reads?period={billing.billed}&state=missing"
    )
    assert status == 200
    assert 'class="warning cut-short"' in page
    assert "Only the first 10 devices" in page
    status, _, page = await _get(
        browser_session,
        billing.info,
        f"/meter-reads?period={billing.billed}&customer={billing.customers['Globex Corp']}",
    )
    assert status == 200
    assert "cut-short" not in page


async def test_a_closed_period_shows_its_stored_reads(
    billing: Billing, browser_session: aiohttp.ClientSession
) -> None:
    """Last in the module: it closes Globex's billed period (fixed from then on)."""
    globex = billing.customers["Globex Corp"]
    with billing.center.transactions.begin() as conn:
        close_period(conn, ADMINISTRATOR, globex, billing.billed, billing.center.clock.now())
    await log_in_session(browser_session, billing.info, "operator", OPERATOR_PASSWORD)
    status, _, page = await _get(
        browser_session, billing.info, f"/meter-reads?period={billing.billed}&customer={globex}"
    )
    assert status == 200
    row = page.split('data-serial="GLOBEX-1"', 1)[1].split("</tr>", 1)[0]
    assert "(closed)" in row
