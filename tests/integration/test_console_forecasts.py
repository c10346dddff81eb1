"""The device page shows when each supply runs out: a colour printer's reports over two
weeks (black falling 4 % a working day) through the device API of a real center, the
supplies consumer's forecast, and the page in English and Japanese with the expected date
inside its interval."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.care.supplies.tables import supply_forecasts
from remotecare.center.care.tables import care_feed
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet.printers import printer_id_of
from remotecare.protocol.codec import encode
from tests.support.centers import OPERATOR_PASSWORD, init_center, running_center
from tests.support.console_login import log_in_session
from tests.support.device_calls import call, enrol
from tests.support.supplies import a_supplies_report

SERIAL = "FORECAST-1"


async def test_the_device_page_shows_each_supplys_forecast(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    start = datetime.now(UTC) - timedelta(days=14)
    async with running_center(info) as center:
        agent, _ = await enrol(info, center, tmp_path / "agent")
        for day in range(14):
            black = 90 - 4 * day
            report = a_supplies_report(
                SERIAL, start + timedelta(days=day), 1000 + 200 * day, {1: black, 2: 80}
            )
            status, _ = await call(info.device_url + "/api/v1/reports", agent, encode(report))
            assert status == 201
        for _ in range(200):  # the care feed's drainer runs beside ingest (10 s at most)
            with center.transactions.read() as conn:
                count = conn.execute(select(func.count()).select_from(supply_forecasts))
                waiting = conn.execute(select(func.count()).select_from(care_feed))
                # The first reading goes ahead of the rest (urgent): wait for all of them.
                if count.scalar_one() >= 2 and waiting.scalar_one() == 0:
                    break
            await asyncio.sleep(0.05)
        with center.transactions.read() as conn:
            acme = customer_by_name(conn, "Acme Ltd")
            assert acme is not None
            device = printer_id_of(conn, ADMINISTRATOR, SERIAL, acme)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            await log_in_session(browser, info, "operator", OPERATOR_PASSWORD)
            pages = {}
            for language in ("en", "ja"):
                async with browser.get(
                    f"{info.console_url}/devices/{device}",
                    headers={"Accept-Language": language},
                    ssl=info.trusting_context(),
                ) as response:
                    assert response.status == 200
                    pages[language] = await response.text()
    page = pages["en"]
    assert "When each supply runs out" in page
    assert "各消耗品が切れる時期" in pages["ja"]
    assert "Outages in the last 90 days" in page  # the connectivity timeline, empty here
    assert "the agent called throughout" in page
    row = re.search(r'<tr data-supply="1" data-method="(\w+)">(.*?)</tr>', page, re.S)
    assert row is not None, page
    assert row.group(1) in ("trend", "page_rate", "rated_yield")
    dates = re.findall(r"\d{4}-\d{2}-\d{2}|[A-Z][a-z]{2} \d{1,2}, \d{4}", row.group(2))
    assert len(dates) == 3, row.group(2)  # expected, earliest, latest
