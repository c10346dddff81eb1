"""Screenshots of the console's main pages in English and Japanese, taken in Debian's
Chromium from a center with a small fleet and a year of history.

``make screenshots`` writes them into ``docs/screenshots/`` (``REMOTECARE_SCREENSHOTS``
names the folder); ``make test`` takes them into a temporary folder, so the command keeps
working.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from remotecare.agent.config import AgentPaths
from remotecare.protocol.codec import encode
from remotecare.protocol.messages import Report, SupplyState
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.device_calls import call, enrol
from tests.support.reports import a_report

CHROMIUM = Path("/usr/bin/chromium")
_PAGES = ("login", "devices", "devices-search", "device", "endpoints", "overview", "incidents")
_CUSTOMERS = {"Acme Ltd": 5, "株式会社みなと商事": 4, "Globex Corp": 3}
_MODELS = ("RICOH IM C3000", "Canon iR-ADV C5535", "bizhub C450i", "Apeos C3570")


def _with_history_step(report: Report, month: int, rng: random.Random) -> Report:
    assert report.reading is not None
    supplies = []
    for supply in report.reading.supplies:
        if supply.level is None:
            supplies.append(supply)
            continue
        used = (12 - month) * 9 + supply.index * 23 + rng.randint(0, 10)  # rises, then a new one
        level = max(2, 100 - used % 100)
        state = SupplyState.LOW if level < 10 else SupplyState.OK
        supplies.append(
            supply.model_copy(update={"level": level, "percent": float(level), "state": state})
        )
    reading = report.reading.model_copy(
        update={"supplies": supplies, "model": _MODELS[rng.randrange(len(_MODELS))]}
    )
    return report.model_copy(update={"reading": reading})


async def _seed(info: CenterInfo, agents: dict[str, AgentPaths]) -> None:
    rng = random.Random(16)
    now = datetime.now(UTC)
    for c, (customer, count) in enumerate(_CUSTOMERS.items()):
        for n in range(count):
            serial = f"{'ABC'[c]}{3000 + n * 17}"
            model_seed = rng.randrange(1000)
            pages = rng.randint(20_000, 90_000)
            for months_ago in range(12, -1, -1):
                pages += rng.randint(800, 3500)
                report = a_report(
                    serial,
                    pages=pages,
                    agent_time=now - timedelta(days=30 * months_ago, minutes=n),
                    address=f"snmp://10.{c}.0.{n + 10}:161",
                )
                step = _with_history_step(report, months_ago, random.Random(model_seed))
                status, answer = await call(
                    info.device_url + "/api/v1/reports", agents[customer], encode(step)
                )
                assert status in (200, 201), answer


async def _faults(info: CenterInfo, agents: dict[str, AgentPaths]) -> None:
    """A paper jam, a door open and a printer out of paper: incidents for the pictures."""
    for customer, serial, error, address in (
        ("Acme Ltd", "A3000", "jammed", "snmp://10.0.0.10:161"),
        ("株式会社みなと商事", "B3017", "doorOpen", "snmp://10.1.0.11:161"),
        ("Globex Corp", "C3034", "noPaper", "snmp://10.2.0.12:161"),
    ):
        report = a_report(serial, pages=200_000, address=address)
        assert report.reading is not None
        status = report.reading.status.model_copy(update={"error_conditions": [error]})
        reading = report.reading.model_copy(update={"status": status})
        faulty = report.model_copy(update={"reading": reading})
        answer_status, answer = await call(
            info.device_url + "/api/v1/reports", agents[customer], encode(faulty)
        )
        assert answer_status in (200, 201), answer


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


async def test_screenshots_of_the_main_pages_in_both_languages(
    tmp_path: Path, browser: Browser
) -> None:
    out = Path(os.environ.get("REMOTECARE_SCREENSHOTS") or tmp_path / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        agents = {
            customer: (await enrol(info, center, tmp_path / f"agent-{i}", customer=customer))[0]
            for i, customer in enumerate(_CUSTOMERS)
        }
        await _seed(info, agents)
        await _faults(info, agents)
        for language, locale in (("en", "en-US"), ("ja", "ja-JP")):
            context = await browser.new_context(
                ignore_https_errors=True,
                locale=locale,
                viewport={"width": 1280, "height": 860},
                timezone_id="Asia/Tokyo",
            )
            page = await context.new_page()
            await page.goto(info.console_url + "/login")
            await page.screenshot(path=out / f"login-{language}.png", full_page=True)
            await page.fill("input[name=username]", "operator")
            await page.fill("input[name=password]", OPERATOR_PASSWORD)
            await page.click("form.login button[type=submit]")
            await expect(page).to_have_url(re.compile(r"/overview$"))  # the operator's home
            await page.goto(info.console_url + "/devices")
            await expect(page.locator("tr[data-serial]")).to_have_count(12)
            await page.screenshot(path=out / f"devices-{language}.png", full_page=True)
            await page.goto(info.console_url + "/devices?q=C3000&low=1")
            await page.screenshot(path=out / f"devices-search-{language}.png", full_page=True)
            await page.goto(info.console_url + "/devices")
            await page.click("tr[data-serial] a >> nth=0")
            await expect(page.locator("svg.chart.bars")).to_be_visible()
            await page.screenshot(path=out / f"device-{language}.png", full_page=True)
            await page.goto(info.console_url + "/endpoints")
            await page.screenshot(path=out / f"endpoints-{language}.png", full_page=True)
            await page.goto(info.console_url + "/overview")
            await page.screenshot(path=out / f"overview-{language}.png", full_page=True)
            await page.goto(info.console_url + "/incidents")
            await expect(page.locator("tr[data-incident]").first).to_be_visible()
            await page.screenshot(path=out / f"incidents-{language}.png", full_page=True)
            await context.close()
    written = sorted(path.name for path in out.glob("*.png"))
    assert written == sorted(f"{name}-{lang}.png" for name in _PAGES for lang in ("en", "ja"))
