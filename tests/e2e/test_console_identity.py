"""The console shows who is in touch, the endpoints and what waits for confirmation
(Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.dates import format_date
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import update

from remotecare.center.fleet.tables import printers
from remotecare.center.identity.tables import endpoints
from remotecare.center.web.i18n import DEFAULT_TIME_ZONE
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.device_calls import call, enrol, report_body

CHROMIUM = Path("/usr/bin/chromium")
_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _logged_in(browser: Browser, info: CenterInfo, path: str) -> Page:
    context = await browser.new_context(ignore_https_errors=True, locale="en-US")
    page = await context.new_page()
    await page.goto(info.console_url + "/login")
    await page.fill("input[name=username]", "operator")
    await page.fill("input[name=password]", OPERATOR_PASSWORD)
    await page.click("form.login button[type=submit]")
    await expect(page).to_have_url(info.console_url + "/overview")  # an operator's home
    await page.goto(info.console_url + path)
    return page


def _set_times(info: CenterInfo, *, report_ago: timedelta, check_in_ago: timedelta) -> None:
    now = datetime.now(UTC)
    engine = info.read_engine()
    with engine.begin() as conn:
        conn.execute(update(printers).values(last_report_at=now - report_ago))
        conn.execute(update(endpoints).values(last_seen_at=now - check_in_ago))
    engine.dispose()


async def test_devices_show_a_late_printer_apart_from_a_silent_agent(
    tmp_path: Path, database_url: str, browser: Browser
) -> None:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as running:
        agent, _ = await enrol(info, running, tmp_path / "agent")
        await call(info.device_url + "/api/v1/reports", agent, report_body("LATE-1"))
        silent = {
            "report_id": str(uuid.uuid4()),
            "agent_time": datetime.now(UTC).isoformat(),
            "printer_address": "snmp://192.0.2.7:161",
            "unreachable_reason": "no answer to SNMP within 2 s",
        }
        await call(info.device_url + "/api/v1/reports", agent, json.dumps(silent).encode())
        page = await _logged_in(browser, info, "/devices")
        row = page.locator("tr[data-serial=LATE-1]")
        await expect(row.locator(".presence")).to_have_text("online")
        await expect(row.locator(".agent-presence")).to_have_count(0)
        await expect(row.locator(".warning")).to_contain_text(
            "printer not answering the agent: no answer to SNMP within 2 s"
        )

        _set_times(info, report_ago=timedelta(minutes=20), check_in_ago=timedelta(hours=3))
        await page.reload()
        await expect(row.locator(".presence")).to_have_text("late")
        await expect(row.locator(".presence")).to_have_attribute("data-state", "late")
        await expect(row.locator(".quiet-for")).to_have_text("no report for 20 min")
        await expect(row.locator(".agent-presence")).to_have_text(
            "agent silent: no check-in for 3 hr"
        )


async def test_the_endpoints_page_lists_state_expiry_and_revocation(
    tmp_path: Path, database_url: str, browser: Browser
) -> None:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as running:
        live_agent, live = await enrol(info, running, tmp_path / "live")
        _, gone = await enrol(info, running, tmp_path / "gone", customer="Globex")
        running.admin.revoke(gone, "stolen")
        batch = {
            "schema_version": 1,
            "reports": [json.loads(report_body("Q-1"))],
            "agent_status": {
                "queued_reports": 7,
                "dropped": [{"reason": "outbox full", "count": 3}],
            },
        }
        await call(
            info.device_url + "/api/v1/report-batches", live_agent, json.dumps(batch).encode()
        )
        page = await _logged_in(browser, info, "/endpoints")

        live_row = page.locator(f"tr[data-endpoint='{live}']")
        await expect(live_row.locator(".customer")).to_have_text("Acme Ltd")
        await expect(live_row.locator(".presence")).to_have_text("online")
        expires = format_date(  # as the console writes dates: the person's zone and language
            (datetime.now(UTC) + timedelta(days=365)).astimezone(DEFAULT_TIME_ZONE), "medium", "en"
        )
        await expect(live_row.locator(".expires")).to_have_text(expires)
        await expect(live_row.locator(".revoked-cell")).to_have_text("no")
        await expect(live_row.locator(".agent-queue")).to_contain_text("7 waiting")
        await expect(live_row.locator(".dropped")).to_have_text("3 dropped: outbox full")
        gone_row = page.locator(f"tr[data-endpoint='{gone}']")
        await expect(gone_row.locator(".presence")).to_have_text("revoked")
        await expect(gone_row.locator(".revoked-cell")).to_contain_text("yes")
        await expect(gone_row.locator(".revoked-cell")).to_contain_text("stolen")


async def test_an_operator_confirms_a_pending_printer(
    tmp_path: Path, database_url: str, browser: Browser
) -> None:
    info = init_center(tmp_path / "center", database_url)
    confirming = CenterInfo(
        dataclasses.replace(info.settings, printer_binding="confirm"), info.ca_fingerprint
    )
    async with running_center(confirming) as running:
        agent, endpoint_id = await enrol(info, running, tmp_path / "agent")
        await call(info.device_url + "/api/v1/reports", agent, report_body("NEW-1"))
        page = await _logged_in(browser, info, "/devices")

        waiting = page.locator("tr[data-pending-serial=NEW-1]")
        await expect(waiting.locator(".endpoint")).to_have_text(endpoint_id)
        await expect(waiting.locator(".held")).to_have_text("1")
        await expect(page.locator("tr[data-serial=NEW-1]")).to_have_count(0)

        await waiting.locator("button.confirm").click()
        await expect(page).to_have_url(info.console_url + "/devices")
        await expect(page.locator("tr[data-pending-serial=NEW-1]")).to_have_count(0)
        await expect(page.locator("tr[data-serial=NEW-1] .model")).to_have_text("Acme Laser 9000")
