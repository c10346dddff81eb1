"""`GET /api/v1/meters` on a real center (real TLS), both database backends: a token with
``meters:read`` sees its customer's devices and counters only, page by page in a stable
order, devices without a read listed; ETags answer 304; bad periods and missing scopes
are refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import pytest_asyncio
from multidict import CIMultiDict
from sqlalchemy import func, select

from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.care.meters.rules.periods import (
    DEFAULT_ZONE,
    BillingSettings,
    period_containing,
)
from remotecare.center.care.meters.service import close_period, set_customer_settings
from remotecare.center.care.tables import care_feed
from remotecare.center.contracts.service import customer_by_name
from tests.support.centers import CenterInfo, center_command, init_center, running_center
from tests.support.device_calls import call, enrol, report_body

pytestmark = pytest.mark.asyncio(loop_scope="module")

_ACME = [f"ACME-M{n}" for n in range(5)]
_OTHER = ["OTHER-M1"]


@dataclass
class Api:
    info: CenterInfo
    center: Center
    open_period: str
    closed_period: str
    made: dict[tuple[str, ...], str] = field(default_factory=dict)

    def token(self, *args: str) -> str:
        if args not in self.made:
            result = center_command(
                "api-tokens", "create", "--home", str(self.info.settings.home), *args
            )
            self.made[args] = result.stdout.strip().splitlines()[-1]
        return self.made[args]

    async def get(
        self, path: str, token: str, headers: dict[str, str] | None = None
    ) -> tuple[int, CIMultiDict[str], Any]:
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                self.info.console_url + path, headers=sent, ssl=self.info.trusting_context()
            ) as response,
        ):
            body = await response.read()
            return (
                response.status,
                CIMultiDict(response.headers),
                json.loads(body) if body else None,
            )

    async def walk(self, token: str, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_path: str | None = path
        for _ in range(50):
            assert next_path is not None
            status, _, page = await self.get(next_path, token)
            assert status == 200, page
            items += page["items"]
            next_path = page["next"]
            if next_path is None:
                return items
        raise AssertionError("the pages never ended")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    tmp = tmp_path_factory.mktemp("meters-api")
    info = init_center(tmp / "center", module_database_url)
    async with running_center(info) as center:
        for customer, serials in (("Acme Ltd", _ACME), ("Other KK", _OTHER)):
            agent, _ = await enrol(info, center, tmp / customer.replace(" ", "_"), customer)
            for n, serial in enumerate(serials):
                body = report_body(serial, f"snmp://192.0.2.{n + 1}:161")
                status, _ = await call(info.device_url + "/api/v1/reports", agent, body)
                assert status == 201
        for _ in range(200):  # the care feed drained into the history (at most 20 s)
            with center.transactions.read() as conn:
                if not conn.execute(select(func.count()).select_from(care_feed)).scalar_one():
                    break
            await asyncio.sleep(0.1)
        now = center.clock.now()
        with center.transactions.begin() as conn:
            acme = customer_by_name(conn, "Acme Ltd")
            assert acme is not None
            # The closed period ends two days ago: the readings just sent are its first
            # after the cut-off (the close looks at most AFTER_CUTOFF past it).
            two_days_ago = (now - timedelta(days=2)).astimezone(ZoneInfo(DEFAULT_ZONE))
            settings = BillingSettings(cutoff_day=two_days_ago.day)
            set_customer_settings(conn, ADMINISTRATOR, acme, settings, now)
            current = period_containing(now, settings)
            closed = period_containing(current.start, settings).name
            close_period(conn, ADMINISTRATOR, acme, closed, now)
        yield Api(info, center, current.name, closed)


async def test_a_token_walks_its_customers_reads_in_a_stable_order(api: Api) -> None:
    token = api.token("billing", "--customer", "Acme Ltd", "--scope", "meters:read")
    path = f"/api/v1/meters?period={api.open_period}"
    small = await api.walk(token, path + "&limit=2")
    assert small == await api.walk(token, path + "&limit=1000")
    assert [item["serial"] for item in small] == _ACME  # by device id
    assert {item["customer"] for item in small} == {"Acme Ltd"}
    assert {(item["counter"], item["this_read"], item["closed"]) for item in small} == {
        ("total", 1234, False)
    }


async def test_devices_without_a_read_in_a_closed_period_are_listed(api: Api) -> None:
    token = api.token("billing", "--customer", "Acme Ltd", "--scope", "meters:read")
    items = await api.walk(token, f"/api/v1/meters?period={api.closed_period}")
    assert [item["serial"] for item in items] == _ACME
    assert {(item["read_type"], item["closed"]) for item in items} == {("missing", True)}
    assert all("first reading after cut-off" in item["flags"] for item in items)


async def test_an_unchanged_page_answers_304(api: Api) -> None:
    token = api.token("poller", "--customer", "Acme Ltd", "--scope", "meters:read")
    path = f"/api/v1/meters?period={api.closed_period}"
    status, headers, _ = await api.get(path, token)
    assert status == 200
    status, _, body = await api.get(path, token, {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, None)


async def test_another_customer_and_other_scopes_see_nothing(api: Api) -> None:
    other = api.token("other", "--customer", "Other KK", "--scope", "meters:read")
    items = await api.walk(other, f"/api/v1/meters?period={api.open_period}")
    assert [item["serial"] for item in items] == _OTHER
    status, _, _ = await api.get(
        f"/api/v1/meters?period={api.open_period}&customer=Acme Ltd", other
    )
    assert status == 404
    devices_only = api.token("devices", "--customer", "Acme Ltd", "--scope", "devices:read")
    status, _, body = await api.get(f"/api/v1/meters?period={api.open_period}", devices_only)
    assert status == 403
    assert "ACME" not in json.dumps(body)


@pytest.mark.parametrize(
    "query", ["", "?period=2026-13", "?period=november", "?period=2026-11&limit=0"]
)
async def test_bad_queries_are_refused(api: Api, query: str) -> None:
    token = api.token("billing", "--customer", "Acme Ltd", "--scope", "meters:read")
    status, _, body = await api.get(f"/api/v1/meters{query}", token)
    assert status == 400
    assert body["error"]


async def test_a_cursor_of_another_list_is_refused(api: Api) -> None:
    token = api.token("billing", "--customer", "Acme Ltd", "--scope", "meters:read")
    status, _, _ = await api.get(f"/api/v1/meters?period={api.open_period}&after=WzFd", token)
    assert status == 400
