"""The console's work pages in a real browser (Debian's Chromium driven by Playwright): an
operator goes from the overview to the incidents and acknowledges and resolves one with a
note; a subcontractor does the same with the incident assigned to its company and sees
what the visit needs; every page in English and Japanese has no serious or critical
accessibility violation (axe-core)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import func, select

from remotecare.center.access.partners import Partners
from remotecare.center.access.rules import Role, WorkKind
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.care.incidents.tables import incidents
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet.tables import printers
from remotecare.protocol.codec import encode
from remotecare.protocol.messages import Alert, Report, new_report_id
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.device_calls import call, enrol
from tests.support.reports import a_plain_reading
from tests.support.supplies import an_order

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
PASSWORD = "the technician's long passphrase"
_FUSER = Alert(
    index=40,
    severity="critical",
    training_level="fieldService",
    group="marker",
    group_index=1,
    code="markerFuserThermistorFailure",
    description="SC542 fusing thermistor error: call service",
)


@dataclass
class Site:
    info: CenterInfo
    jam: int  # the paper jam's incident id
    fuser: int  # the fuser failure's, assigned to the subcontractor
    jammed_device: int
    order: str  # a proposed order for the jammed printer's black toner


def _faulty(serial: str, *errors: str, alerts: list[Alert] | None = None) -> bytes:
    reading = a_plain_reading(serial, model="RICOH IM C3000")
    status = reading.status.model_copy(update={"error_conditions": list(errors)})
    return encode(
        Report(
            report_id=new_report_id(),
            agent_time=datetime.now(UTC),
            printer_address=f"snmp://{serial.lower()}.example:161",
            reading=reading.model_copy(update={"status": status, "alerts": alerts or []}),
        )
    )


@pytest.fixture
async def site(tmp_path: Path, database_url: str) -> AsyncIterator[Site]:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as center:
        acme, _ = await enrol(info, center, tmp_path / "acme")
        for body in (_faulty("CNB-JAM", "jammed"), _faulty("CNB-FUSER", alerts=[_FUSER])):
            status, answer = await call(info.device_url + "/api/v1/reports", acme, body)
            assert status == 201, answer
        for _ in range(200):  # the care feed's drainer runs just behind ingest
            with center.transactions.read() as conn:
                if conn.execute(select(func.count()).select_from(incidents)).scalar_one() == 2:
                    break
            await asyncio.sleep(0.05)
        with center.transactions.read() as conn:
            ids = dict(
                conn.execute(
                    select(printers.c.serial, incidents.c.id).join(
                        printers, printers.c.id == incidents.c.printer_id
                    )
                ).all()
            )
            devices = dict(conn.execute(select(printers.c.serial, printers.c.id)).all())
        with center.transactions.begin() as conn:
            acme_id = customer_by_name(conn, "Acme Ltd")
            assert acme_id is not None
            partners = Partners(center.clock)
            company = partners.create(conn, ADMINISTRATOR, "Fix-It KK", Role.SUBCONTRACTOR)
            partners.assign_work(
                conn, ADMINISTRATOR, company, WorkKind.INCIDENT, str(ids["CNB-FUSER"]), acme_id
            )
            center.accounts.create_user(conn, "fixit", PASSWORD, Role.SUBCONTRACTOR, None, company)
            order = an_order(conn, devices["CNB-JAM"], datetime.now(UTC))
        yield Site(info, ids["CNB-JAM"], ids["CNB-FUSER"], devices["CNB-JAM"], order)


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


async def _log_in(
    browser: Browser, info: CenterInfo, name: str, password: str, locale: str
) -> Page:
    context = await browser.new_context(ignore_https_errors=True, locale=locale)
    page = await context.new_page()
    await page.goto(info.console_url + "/login")
    await page.fill("input[name=username]", name)
    await page.fill("input[name=password]", password)
    await page.click("form.login button[type=submit]")
    await expect(page.locator("header nav")).to_contain_text(name)
    return page


async def _no_serious_violations(page: Page) -> None:
    """axe-core finds nothing serious or critical on the page as it is now."""
    results = await Axe().run(page)
    serious = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{page.url}: {serious}"


async def test_an_operator_goes_from_the_overview_to_an_incident_and_resolves_it(
    site: Site, browser: Browser
) -> None:
    info = site.info
    page = await _log_in(browser, info, "operator", OPERATOR_PASSWORD, "en-US")
    await page.click("header nav a[href='/overview']")
    await expect(page.locator("h1")).to_have_text("Overview")
    await expect(page.locator("a[data-count=critical] .number")).to_have_text("2")
    await expect(page.locator("a[data-count=online] .number")).to_have_text("2")
    await page.click("a[data-count=critical]")
    await expect(page.locator("tr[data-incident]")).to_have_count(2)
    await page.select_option("select[name=severity]", "critical")
    await page.fill("input[name=q]", "cnb-jam")
    await page.click("form.search button[type=submit]")
    await expect(page.locator("tr[data-incident]")).to_have_count(1)
    await page.click(f"tr[data-incident='{site.jam}'] a >> text=Paper jam")

    await expect(page.locator("h1")).to_contain_text("Paper jam")
    await expect(page.locator("section.visit")).to_contain_text("snmp://cnb-jam.example:161")
    await page.fill("textarea[name=note]", "Customer called: jam in tray 2")
    await page.click("button.acknowledge")
    await expect(page.locator("li[data-change=acknowledged]")).to_contain_text(
        "Customer called: jam in tray 2"
    )
    await expect(page.locator("dd.acknowledged")).to_contain_text("operator")
    await page.fill("textarea[name=note]", "Cleared on site")
    await page.click("button.resolve")
    await expect(page.locator("dd.incident-state")).to_have_text("resolved")
    await expect(page.locator("li[data-change=resolved_by_hand]")).to_contain_text(
        "Cleared on site"
    )
    await expect(page.locator("button.acknowledge")).to_have_count(0)

    await page.goto(f"{info.console_url}/devices/{site.jammed_device}")
    await expect(page.locator("section.device-incidents tr[data-incident]")).to_have_count(1)
    await page.click("form.language button[value=ja]")
    await expect(page.locator("#device-incidents-title")).to_have_text("インシデント")
    await expect(page.locator("section.device-incidents")).to_contain_text("解決済み")
    await page.context.close()


async def test_a_subcontractor_acknowledges_and_resolves_its_assigned_incident_only(
    site: Site, browser: Browser
) -> None:
    info = site.info
    page = await _log_in(browser, info, "fixit", PASSWORD, "ja-JP")
    await page.goto(info.console_url + "/incidents")
    await expect(page.locator("h1")).to_contain_text("インシデント")
    await expect(page.locator("tr[data-incident]")).to_have_count(1)
    await page.click(f"tr[data-incident='{site.fuser}'] td.title a")
    await expect(page.locator("h1")).to_contain_text("定着ユニットの故障")
    visit = page.locator("section.visit")
    await expect(visit).to_contain_text("Acme Ltd")
    await expect(visit).to_contain_text("snmp://cnb-fuser.example:161")
    await expect(visit.locator("ul.alerts")).to_contain_text("SC542 fusing thermistor error")
    await expect(visit).not_to_contain_text("Hanako Yamada")
    await page.click("a.show-contacts")
    await expect(page.locator("dd.contacts")).to_contain_text("Hanako Yamada")
    await expect(page.locator("dd.contacts")).to_contain_text("監査ログに記録されました")
    await _no_serious_violations(page)
    await page.fill("textarea[name=note]", "技術者を手配しました")
    await page.click("button.acknowledge")
    await expect(page.locator("li[data-change=acknowledged]")).to_contain_text(
        "技術者を手配しました"
    )
    await page.fill("textarea[name=note]", "サーミスタを交換")
    await page.click("button.resolve")
    await expect(page.locator("dd.incident-state")).to_have_text("解決済み")

    await page.goto(f"{info.console_url}/incidents/{site.jam}")  # not its work
    await expect(page.locator("h1")).to_have_text("ページが見つかりません")
    await expect(page.locator("body")).not_to_contain_text("CNB-JAM")
    await page.context.close()


async def test_the_work_pages_have_no_serious_accessibility_violations(
    site: Site, browser: Browser
) -> None:
    info = site.info
    for locale in ("en-US", "ja-JP"):
        page = await _log_in(browser, info, "operator", OPERATOR_PASSWORD, locale)
        for path in (
            "/overview",
            "/incidents",
            "/incidents?q=nothing-like-this",
            f"/incidents/{site.jam}",
            f"/incidents/{site.fuser}",
            f"/devices/{site.jammed_device}",
            "/orders",
            f"/orders/{site.order}",
        ):
            await page.goto(info.console_url + path)
            await expect(page.locator("h1")).to_be_visible()
            await _no_serious_violations(page)
        await page.context.close()
        page = await _log_in(browser, info, "fixit", PASSWORD, locale)
        for path in ("/overview", "/incidents", f"/incidents/{site.fuser}"):
            await page.goto(info.console_url + path)
            await expect(page.locator("h1")).to_be_visible()
            await _no_serious_violations(page)
        await page.context.close()


async def test_an_operator_approves_and_ships_an_order_from_the_overview(
    site: Site, browser: Browser
) -> None:
    info = site.info
    page = await _log_in(browser, info, "operator", OPERATOR_PASSWORD, "ja-JP")
    await page.goto(info.console_url + "/overview")
    await expect(page.locator("a[data-count=proposed] .number")).to_have_text("1")
    await page.click("a[data-count=proposed]")
    await expect(page.locator("h1")).to_contain_text("注文")
    await page.click(f"tr[data-order='{site.order}'] a")
    await page.click("form[data-step=approve] button")
    await expect(page.locator("dd.order-state")).to_have_text("承認済み")
    await page.fill("input[name=tracking]", "YMT-1234-5678")
    await page.click("form[data-step=ship] button")
    await expect(page.locator("dd.order-state")).to_have_text("発送済み")
    await expect(page.locator("dd.tracking")).to_have_text("YMT-1234-5678")
    await page.click("dd.device a")
    await expect(page.locator("section.device-orders tr[data-order]")).to_have_attribute(
        "data-status", "shipped"
    )
    await page.context.close()
