"""The console in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.access.rules import Role
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet.tables import printers
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.contracts import issue_token
from tests.support.device_calls import call, report_body
from tests.support.device_calls import enrol as enrol_agent

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


def _reading(total: int = 48213, black: int = 8) -> dict[str, Any]:
    return {
        "serial": "CNB1234567",
        "serial_source": "prtGeneralSerialNumber",
        "model": "Acme Colour Laser 500",
        "status": {"device_status": "warning", "error_conditions": ["lowToner"]},
        "counters": [
            {"name": "total", "value": total, "unit": "impressions"},
            {"name": "mono", "value": total * 3 // 4, "unit": "impressions"},
            {"name": "colour", "value": total - total * 3 // 4, "unit": "impressions"},
        ],
        "supplies": [
            {"index": 1, "description": "Black Toner", "type": "toner",
             "supply_class": "consumed", "level": black, "max_capacity": 100,
             "percent": float(black), "state": "low" if black < 10 else "ok"},
            {"index": 2, "description": "Cyan Toner", "type": "toner",
             "supply_class": "consumed", "state": "some_remaining"},
            {"index": 3, "description": "Waste Toner Box", "type": "wasteToner",
             "supply_class": "receptacle", "level": 30, "max_capacity": 100,
             "percent": 70.0, "state": "ok"},
        ],
    }  # fmt: skip


@pytest.fixture
async def center_with_a_device(tmp_path: Path, database_url: str) -> AsyncIterator[CenterInfo]:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as running:
        issued = issue_token(running, "Acme Ltd")
        paths = AgentPaths(tmp_path / "agent")
        await enrol(paths, info.console_url, issued.token, info.ca_fingerprint)
        now = datetime.now(UTC)
        # Half a year of history first (for the charts), then the reading of now.
        for months_ago in range(6, 0, -1):
            await _send(
                info,
                paths,
                now - timedelta(days=30 * months_ago),
                _reading(total=48213 - months_ago * 2000, black=95 - (6 - months_ago) * 15),
            )
        await _send(info, paths, now, _reading())
        yield info


async def _send(info: CenterInfo, paths: AgentPaths, at: datetime, reading: dict[str, Any]) -> None:
    report = {
        "report_id": str(uuid.uuid4()),
        "agent_time": at.isoformat(),
        "printer_address": "snmp://192.0.2.1:161",
        "reading": reading,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            info.device_url + "/api/v1/reports",
            data=json.dumps(report),
            headers={"Content-Type": "application/json"},
            ssl=agent_tls_context(paths),
        ) as response,
    ):
        assert response.status in (200, 201)


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


async def test_an_operator_logs_in_and_sees_the_fleet(
    center_with_a_device: CenterInfo, browser: Browser
) -> None:
    context = await browser.new_context(ignore_https_errors=True, locale="en-US")
    page = await context.new_page()
    await page.goto(center_with_a_device.console_url + "/devices")
    await expect(page).to_have_url(center_with_a_device.console_url + "/login")
    await expect(page.locator("body")).not_to_contain_text("CNB1234567")

    await page.fill("input[name=username]", "operator")
    await page.fill("input[name=password]", OPERATOR_PASSWORD)
    await page.click("form.login button[type=submit]")
    await expect(page).to_have_url(center_with_a_device.console_url + "/overview")  # home
    await page.goto(center_with_a_device.console_url + "/devices")

    row = page.locator("tr[data-serial=CNB1234567]")
    await expect(row.locator(".model")).to_have_text("Acme Colour Laser 500")
    await expect(row.locator(".customer")).to_have_text("Acme Ltd")
    await expect(row.locator(".page-count")).to_contain_text("48,213")
    await expect(row.locator(".last-contact")).to_contain_text(
        re.compile(r"\b(seconds?|minutes?) ago")
    )
    black = row.locator(".supply", has_text="Black Toner")
    await expect(black.locator("meter")).to_have_attribute("value", "8")
    await expect(black.locator(".supply-value")).to_have_text("8%")
    cyan = row.locator(".supply", has_text="Cyan Toner")
    await expect(cyan.locator("meter")).to_have_count(0)
    await expect(cyan.locator(".supply-value")).to_have_text("some remaining")
    waste = row.locator(".supply", has_text="Waste Toner Box")
    await expect(waste.locator(".supply-value")).to_have_text("70% full")
    await context.close()


async def test_a_wrong_password_shows_no_data(
    center_with_a_device: CenterInfo, browser: Browser
) -> None:
    context = await browser.new_context(ignore_https_errors=True, locale="en-US")
    page = await context.new_page()
    await page.goto(center_with_a_device.console_url + "/login")
    await page.fill("input[name=username]", "operator")
    await page.fill("input[name=password]", "not the password")
    await page.click("form.login button[type=submit]")
    await expect(page.locator(".error")).to_have_text("Wrong user name or password.")
    await page.goto(center_with_a_device.console_url + "/devices")
    await expect(page).to_have_url(center_with_a_device.console_url + "/login")
    await expect(page.locator("body")).not_to_contain_text("CNB1234567")
    await context.close()


async def _log_in(browser: Browser, info: CenterInfo, locale: str = "en-US") -> Page:
    context = await browser.new_context(ignore_https_errors=True, locale=locale)
    page = await context.new_page()
    await page.goto(info.console_url + "/login")
    await page.fill("input[name=username]", "operator")
    await page.fill("input[name=password]", OPERATOR_PASSWORD)
    await page.click("form.login button[type=submit]")
    await expect(page).to_have_url(info.console_url + "/overview")  # an operator's home
    await page.goto(info.console_url + "/devices")
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


async def test_a_person_switches_to_japanese_searches_and_opens_a_device_with_charts(
    center_with_a_device: CenterInfo, browser: Browser
) -> None:
    info = center_with_a_device
    page = await _log_in(browser, info)
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("h1")).to_contain_text("Devices")

    await page.click("form.language button[value=ja]")
    await expect(page.locator("html")).to_have_attribute("lang", "ja")
    await expect(page.locator("h1")).to_contain_text("デバイス")
    await expect(page.locator("table.devices thead")).to_contain_text("消耗品")
    await expect(page.locator("table.devices thead")).to_contain_text("カウンター")
    row = page.locator("tr[data-serial=CNB1234567]")
    await expect(row.locator(".presence")).to_have_text("オンライン")
    await expect(row.locator(".supply", has_text="Cyan Toner")).to_contain_text("残量あり")

    await page.fill("input[name=q]", "no such printer")
    await page.click("form.search button[type=submit]")
    await expect(page.locator(".empty")).to_have_text("条件に一致するデバイスはありません。")
    await expect(page.locator("input[name=q]")).to_have_value("no such printer")
    await page.fill("input[name=q]", "cnb123")
    await page.click("form.search button[type=submit]")
    await expect(page.locator("tr[data-serial]")).to_have_count(1)

    await page.click("tr[data-serial=CNB1234567] a")
    await expect(page.locator("h1")).to_contain_text("Acme Colour Laser 500")
    await expect(page.locator("#supplies-title")).to_have_text("消耗品")
    black = page.locator("figure.supply-history[data-supply='Black Toner']")
    await expect(black.locator("svg.chart.line path")).to_have_count(1)
    await expect(black.locator("figcaption")).to_contain_text("過去 12 か月の残量")
    bars = page.locator("svg.chart.bars rect.bar")
    await expect(bars.first).to_be_visible()
    assert await page.locator("svg.chart.bars rect.bar[data-series=mono]").count() >= 4
    assert await page.locator("svg.chart.bars rect.bar[data-series=colour]").count() >= 4
    await expect(page.locator(".legend")).to_contain_text("モノクロ")

    await page.click("form.language button[value=en]")
    await expect(page.locator("#supplies-title")).to_have_text("Supplies")
    await page.context.close()


async def test_the_pages_have_no_serious_accessibility_violations(
    center_with_a_device: CenterInfo, browser: Browser
) -> None:
    info = center_with_a_device
    anonymous = await (await browser.new_context(ignore_https_errors=True)).new_page()
    await anonymous.goto(info.console_url + "/login")
    await _no_serious_violations(anonymous)
    await anonymous.context.close()
    for locale in ("en-US", "ja-JP"):
        page = await _log_in(browser, info, locale)
        await _no_serious_violations(page)
        await page.fill("input[name=q]", "zzz")
        await page.click("form.search button[type=submit]")
        await _no_serious_violations(page)
        await page.goto(info.console_url + "/devices")
        await page.click("tr[data-serial=CNB1234567] a")
        await expect(page.locator("svg.chart.bars")).to_be_visible()
        await _no_serious_violations(page)
        await page.goto(info.console_url + "/endpoints")
        await _no_serious_violations(page)
        await page.goto(info.console_url + "/devices/999999")
        await _no_serious_violations(page)
        await page.context.close()


async def test_a_customer_sees_only_its_own_devices_and_another_ones_is_not_found(
    tmp_path: Path, database_url: str, browser: Browser
) -> None:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as center:
        acme, _ = await enrol_agent(info, center, tmp_path / "acme")
        globex, _ = await enrol_agent(info, center, tmp_path / "globex", customer="Globex Corp")
        for paths, serial in ((acme, "ACME-7"), (globex, "GLOBEX-7")):
            status, _answer = await call(
                info.device_url + "/api/v1/reports", paths, report_body(serial)
            )
            assert status == 201
        with center.transactions.begin() as conn:
            acme_id = customer_by_name(conn, "Acme Ltd")
            center.accounts.create_user(
                conn, "acme-user", "a customer's long passphrase", Role.CUSTOMER_USER, acme_id
            )
        with center.transactions.read() as conn:
            rows = conn.execute(select(printers.c.serial, printers.c.id)).all()
            ids = {serial: id_ for serial, id_ in rows}

        context = await browser.new_context(ignore_https_errors=True, locale="ja-JP")
        page = await context.new_page()
        await page.goto(info.console_url + "/login")
        await page.fill("input[name=username]", "acme-user")
        await page.fill("input[name=password]", "a customer's long passphrase")
        await page.click("form.login button[type=submit]")
        await expect(page).to_have_url(info.console_url + "/overview")  # a customer's home
        await page.goto(info.console_url + "/devices")
        await expect(page.locator("tr[data-serial]")).to_have_count(1)
        await expect(page.locator("tr[data-serial=ACME-7]")).to_be_visible()
        await expect(page.locator("header nav")).not_to_contain_text("エンドポイント")
        await page.goto(f"{info.console_url}/devices/{ids['GLOBEX-7']}")
        await expect(page.locator("h1")).to_have_text("ページが見つかりません")
        await expect(page.locator("body")).not_to_contain_text("GLOBEX-7")
        await _no_serious_violations(page)
        await page.goto(f"{info.console_url}/devices/{ids['ACME-7']}")
        await expect(page.locator("h1")).to_contain_text("ACME-7")
        await expect(page.locator("section.connectivity")).not_to_contain_text("エンドポイント")
        await context.close()
