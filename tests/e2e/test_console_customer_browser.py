"""The console's customer and administration pages in a real browser (Debian's Chromium
driven by Playwright): a customer's administrator walks their devices, meter reads (and
downloads the CSV), what their devices send, their settings and their users, switching
language; the operator's administrator the users and meter reads pages. axe-core finds
no serious or critical violation on any of these pages."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright, expect

from remotecare.center.access.rules import Role
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.care.meters.export import CSV_COLUMNS
from remotecare.center.care.meters.rules.console_query import period_before
from remotecare.center.care.meters.rules.periods import (
    BillingSettings,
    period_containing,
    period_named,
)
from remotecare.center.care.meters.service import set_customer_settings
from remotecare.center.contracts.service import customer_by_name
from remotecare.protocol.codec import encode
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.device_calls import call, enrol
from tests.support.reports import a_plain_report, a_report

CHROMIUM = Path("/usr/bin/chromium")
_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a customer's long passphrase"
SERIAL = "CNB7654321"


@dataclass
class Site:
    info: CenterInfo
    billed: str  # the period before the running one


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        acme, _ = await enrol(info, center, tmp_path / "acme")
        globex, _ = await enrol(info, center, tmp_path / "globex", customer="Globex Corp")
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
        for at, pages in (
            (billed.start - timedelta(hours=2), 40_000),
            (billed.end - timedelta(hours=2), 48_213),
            (now - timedelta(minutes=1), 49_000),
        ):
            report = a_report(SERIAL, pages=pages, agent_time=at, address="snmp://192.0.2.1:161")
            status, _ = await call(info.device_url + "/api/v1/reports", acme, encode(report))
            assert status in (200, 201)
        other = a_plain_report("GLOBEX-SECRET", address="snmp://198.51.100.1:161")
        status, _ = await call(info.device_url + "/api/v1/reports", globex, encode(other))
        assert status in (200, 201)
        with center.transactions.begin() as conn:
            acme_id = customer_by_name(conn, "Acme Ltd")
            center.accounts.create_user(conn, "acme-admin", PASSWORD, Role.CUSTOMER_ADMIN, acme_id)
            center.accounts.create_user(conn, "acme-user", PASSWORD, Role.CUSTOMER_USER, acme_id)
        yield Site(info, billed.name)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=_CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _no_serious_violations(page: Page) -> None:
    results = await Axe().run(page)
    serious = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{page.url}: {serious}"


async def _log_in(browser: Browser, info: CenterInfo, name: str, password: str) -> Page:
    context = await browser.new_context(
        ignore_https_errors=True, locale="en-US", accept_downloads=True
    )
    page = await context.new_page()
    await page.goto(info.console_url + "/login")
    await page.fill("input[name=username]", name)
    await page.fill("input[name=password]", password)
    await page.click("form.login button[type=submit]")
    await expect(page).to_have_url(info.console_url + "/overview")  # everyone's home here
    await page.goto(info.console_url + "/devices")
    return page


async def _meter_reads_with_an_actual_read(page: Page, site: Site) -> None:
    """The billed period's page, reloaded until the care feed has the readings."""
    for _ in range(50):
        await page.goto(f"{site.info.console_url}/meter-reads?period={site.billed}")
        row = page.locator(f'tr[data-serial="{SERIAL}"][data-counter="total"]')
        if await row.count() and await row.get_attribute("data-read-type") == "actual":
            return
        await asyncio.sleep(0.2)
    raise AssertionError("no actual read within 10 s")


async def test_a_customer_admin_walks_devices_meter_reads_csv_what_is_sent_and_settings(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    info = site.info
    page = await _log_in(browser, info, "acme-admin", PASSWORD)
    await expect(page.locator(f"tr[data-serial={SERIAL}]")).to_have_count(1)
    await expect(page.locator("body")).not_to_contain_text("GLOBEX-SECRET")

    # Meter reads, from the menu, and the CSV download.
    await page.click("header nav a[href='/meter-reads']")
    await expect(page.locator("h1")).to_contain_text("Meter reads")
    await _meter_reads_with_an_actual_read(page, site)
    row = page.locator(f'tr[data-serial="{SERIAL}"][data-counter="total"]')
    await expect(row.locator(".value")).to_have_text("48,213")
    await expect(page.locator("body")).not_to_contain_text("GLOBEX-SECRET")
    await _no_serious_violations(page)
    async with page.expect_download() as waiting:
        await page.click("a.csv")
    download = await waiting.value
    assert download.suggested_filename == f"meter-reads-{site.billed}.csv"
    saved = tmp_path / "reads.csv"
    await download.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    total = next(r for r in rows if r["serial"] == SERIAL and r["counter"] == "total")
    assert (total["this_read"], total["read_type"], total["customer"]) == (
        "48213",
        "actual",
        "Acme Ltd",
    )
    assert all(r["serial"] != "GLOBEX-SECRET" for r in rows)

    # The device's page shows its reads.
    await row.locator("a").click()
    section = page.locator(".meter-reads-section")
    await expect(section.locator(f'table[data-period="{site.billed}"]')).to_contain_text("48,213")
    await _no_serious_violations(page)

    # What my devices send: the allow-list and the report as received.
    await page.click("header nav a[href='/what-my-devices-send']")
    await expect(page.locator('tr[data-field="reading.counters[].value"]')).to_have_count(1)
    payload = page.locator(f'article[data-serial="{SERIAL}"] pre.payload')
    await expect(payload).to_contain_text(f'"serial": "{SERIAL}"')
    await expect(payload).to_contain_text('"value": 49000')
    await _no_serious_violations(page)

    # Settings: Japanese and a time zone of their own, kept for every page.
    await page.click("header nav a[href='/settings']")
    await _no_serious_violations(page)
    await page.select_option("form.display select[name=language]", "ja")
    await page.fill("form.display input[name=time_zone]", "Europe/Berlin")
    await page.click("form.display button[type=submit]")
    await expect(page.locator("html")).to_have_attribute("lang", "ja")
    await expect(page.locator("h1")).to_contain_text("設定")
    await expect(page.locator("form.display input[name=time_zone]")).to_have_value("Europe/Berlin")
    await page.goto(f"{info.console_url}/meter-reads?period={site.billed}")
    await expect(page.locator("h1")).to_contain_text("検針")
    await expect(page.locator("a.csv")).to_contain_text("CSV でダウンロード")
    await _no_serious_violations(page)

    # Their contact persons, read on request (and audited).
    await page.click("header nav a[href='/contacts']")
    await page.click("form.read-contacts button[type=submit]")
    await expect(page.locator("table.contacts")).to_contain_text("hanako@acme-ltd.example")
    await _no_serious_violations(page)
    # The form to change the contract (in Japanese, as chosen above), without changing it.
    await page.click("a[href$='/contract']")
    await expect(page.locator("h1")).to_contain_text("契約")
    await expect(page.locator("input[name=services][value=supplies]")).to_be_checked()
    await _no_serious_violations(page)

    # Users of their organisation, then back to English with the header's switch.
    await page.click("header nav a[href='/users']")
    await expect(page.locator('tr[data-user="acme-user"]')).to_have_count(1)
    await expect(page.locator("select[name=role] option")).to_have_count(2)
    await _no_serious_violations(page)
    await page.click("form.language button[value=en]")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("h1")).to_contain_text("Users")
    await page.context.close()


async def test_an_unknown_time_zone_is_refused_in_the_browser(site: Site, browser: Browser) -> None:
    page = await _log_in(browser, site.info, "acme-user", PASSWORD)
    await page.goto(site.info.console_url + "/settings")
    await page.fill("form.display input[name=time_zone]", "Mars/Olympus_Mons")
    await page.click("form.display button[type=submit]")
    await expect(page.locator(".error")).to_contain_text("Unknown time zone: Mars/Olympus_Mons")
    await expect(page.locator("header nav a[href='/users']")).to_have_count(0)
    await page.context.close()


async def test_the_operators_administrator_pages_have_no_serious_violations(
    site: Site, browser: Browser
) -> None:
    page = await _log_in(browser, site.info, "operator", OPERATOR_PASSWORD)
    await page.goto(site.info.console_url + "/users")
    await page.fill("form.add-user input[name=username]", "new-staff")
    await page.select_option("form.add-user select[name=role]", "operator_staff")
    await page.click("form.add-user button[type=submit]")
    await expect(page.locator("code.password")).to_have_text(re.compile(r"\S{12,}"))
    await expect(page.locator('tr[data-user="new-staff"]')).to_have_count(1)
    await _no_serious_violations(page)
    await page.goto(f"{site.info.console_url}/meter-reads?period={site.billed}")
    await expect(page.locator("select[name=customer] option")).to_have_count(3)
    await _no_serious_violations(page)
    await page.goto(site.info.console_url + "/settings")
    await _no_serious_violations(page)

    # Customers and contracts: a customer's page, its contacts read for a purpose.
    await page.click("header nav a[href='/customers']")
    await _no_serious_violations(page)
    await page.click("table.customers a:text('Acme Ltd')")
    await page.select_option("form.read-contacts select[name=purpose]", "2")
    await page.click("form.read-contacts button[type=submit]")
    await expect(page.locator("table.contacts")).to_contain_text("hanako@acme-ltd.example")
    await _no_serious_violations(page)
    await page.click("header nav a[href='/audit-log']")
    await expect(page.locator("table.audit td.actor").first).to_have_text("operator")
    await _no_serious_violations(page)
    await page.context.close()
