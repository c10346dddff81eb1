"""The console in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, async_playwright, expect

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.contracts import issue_token

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


def _reading() -> dict[str, Any]:
    return {
        "serial": "CNB1234567",
        "serial_source": "prtGeneralSerialNumber",
        "model": "Acme Colour Laser 500",
        "status": {"device_status": "warning", "error_conditions": ["lowToner"]},
        "counters": [{"name": "total", "value": 48213, "unit": "impressions"}],
        "supplies": [
            {"index": 1, "description": "Black Toner", "type": "toner",
             "supply_class": "consumed", "level": 8, "max_capacity": 100,
             "percent": 8.0, "state": "low"},
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
        report = {
            "report_id": str(uuid.uuid4()),
            "agent_time": datetime.now(UTC).isoformat(),
            "printer_address": "snmp://192.0.2.1:161",
            "reading": _reading(),
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
            assert response.status == 201
        yield info


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
    context = await browser.new_context(ignore_https_errors=True)
    page = await context.new_page()
    await page.goto(center_with_a_device.console_url + "/devices")
    await expect(page).to_have_url(center_with_a_device.console_url + "/login")
    await expect(page.locator("body")).not_to_contain_text("CNB1234567")

    await page.fill("input[name=username]", "operator")
    await page.fill("input[name=password]", OPERATOR_PASSWORD)
    await page.click("button[type=submit]")

    row = page.locator("tr[data-serial=CNB1234567]")
    await expect(row.locator(".model")).to_have_text("Acme Colour Laser 500")
    await expect(row.locator(".customer")).to_have_text("Acme Ltd")
    await expect(row.locator(".page-count")).to_contain_text("48,213")
    await expect(row.locator(".last-contact")).to_contain_text("s ago")
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
    context = await browser.new_context(ignore_https_errors=True)
    page = await context.new_page()
    await page.goto(center_with_a_device.console_url + "/login")
    await page.fill("input[name=username]", "operator")
    await page.fill("input[name=password]", "not the password")
    await page.click("button[type=submit]")
    await expect(page.locator(".error")).to_have_text("Wrong user name or password.")
    await page.goto(center_with_a_device.console_url + "/devices")
    await expect(page).to_have_url(center_with_a_device.console_url + "/login")
    await expect(page.locator("body")).not_to_contain_text("CNB1234567")
    await context.close()
