"""The supply orders' JSON API on a real center (real TLS), on both database backends: a
token sees and works only its customer's orders, with the scope for it, page by page."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import select

from remotecare.center.access.rules import ApiScope
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet.tables import printers
from tests.support.centers import CenterInfo, init_center, running_center
from tests.support.device_calls import call, enrol, report_body
from tests.support.supplies import an_order

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one center for the module

T0 = datetime(2026, 11, 2, 1, tzinfo=UTC)


@dataclass
class Api:
    info: CenterInfo
    center: Center
    acme_orders: list[str]
    other_order: str
    tokens: dict[tuple[str, ...], str] = field(default_factory=dict)

    def token(self, customer: str | None, *scopes: ApiScope) -> str:
        key = (customer or "*", *scopes)
        if key not in self.tokens:
            with self.center.transactions.begin() as conn:
                customer_id = None if customer is None else customer_by_name(conn, customer)
                made = self.center.api_tokens.create(
                    conn, ADMINISTRATOR, "dealer", customer_id=customer_id, scopes=scopes
                )
            self.tokens[key] = made.token
        return self.tokens[key]

    async def request(
        self, method: str, path: str, token: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method,
                self.info.console_url + path,
                headers=headers,
                data=data,
                ssl=self.info.trusting_context(),
                allow_redirects=False,
            ) as response,
        ):
            raw = await response.read()
            return response.status, json.loads(raw) if raw else None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    tmp = tmp_path_factory.mktemp("orders-api")
    info = init_center(tmp / "center", module_database_url)
    async with running_center(info) as center:
        for customer, serials in (("Acme Ltd", ["ACME-1", "ACME-2"]), ("Other KK", ["OTHER-1"])):
            agent, _ = await enrol(info, center, Path(tmp / customer.replace(" ", "_")), customer)
            for n, serial in enumerate(serials):
                body = report_body(serial, f"snmp://192.0.2.{n + 1}:161")
                status, _ = await call(info.device_url + "/api/v1/reports", agent, body)
                assert status == 201
        with center.transactions.begin() as conn:
            ids = dict(conn.execute(select(printers.c.serial, printers.c.id)).all())
            acme = [
                an_order(conn, ids[serial], T0 + timedelta(hours=n), supply_index=index)
                for n, (serial, index) in enumerate(
                    [("ACME-1", 1), ("ACME-1", 2), ("ACME-2", 1), ("ACME-2", 3), ("ACME-2", 4)]
                )
            ]
            other = an_order(conn, ids["OTHER-1"], T0)
        yield Api(info, center, acme, other)


async def test_a_token_lists_its_customers_orders_page_by_page(api: Api) -> None:
    token = api.token("Acme Ltd", ApiScope.ORDERS_READ)
    seen: list[str] = []
    path: str | None = "/api/v1/orders?limit=2"
    for _ in range(10):
        assert path is not None
        status, page = await api.request("GET", path, token)
        assert status == 200, page
        seen += [item["id"] for item in page["items"]]
        path = page["next"]
        if path is None:
            break
    assert seen == api.acme_orders  # oldest first, none twice, none of the other customer's
    status, page = await api.request("GET", "/api/v1/orders?printer=ACME-2&open=true", token)
    item = page["items"][0]
    assert (status, len(page["items"])) == (200, 3)
    assert (item["customer"], item["status"], item["printer_serial"]) == (
        "Acme Ltd",
        "proposed",
        "ACME-2",
    )
    assert "customer_id" not in item


@pytest.mark.parametrize("query", ["status=lost", "open=maybe", "needs_person=1", "after=xyz"])
async def test_bad_filters_answer_400(api: Api, query: str) -> None:
    status, body = await api.request(
        "GET", f"/api/v1/orders?{query}", api.token("Acme Ltd", ApiScope.ORDERS_READ)
    )
    assert status == 400
    assert set(body) == {"error"}


async def test_a_token_works_its_orders_through_their_lifecycle(api: Api) -> None:
    token = api.token("Acme Ltd", ApiScope.ORDERS_READ, ApiScope.ORDERS_WRITE)
    order = api.acme_orders[0]
    status, done = await api.request("POST", f"/api/v1/orders/{order}/approve", token)
    assert (status, done["status"]) == (200, "approved")
    assert done["approved_by"].startswith("token ")
    status, done = await api.request(
        "POST", f"/api/v1/orders/{order}/ship", token, {"tracking": "YMT-42"}
    )
    assert (status, done["status"], done["tracking"]) == (200, "shipped", "YMT-42")
    status, done = await api.request("POST", f"/api/v1/orders/{order}/deliver", token)
    assert (status, done["status"]) == (200, "delivered")

    status, body = await api.request("POST", f"/api/v1/orders/{order}/approve", token)
    assert (status, body["error"]) == (409, f"order {order} is delivered: cannot approve")

    second = api.acme_orders[1]
    status, body = await api.request("POST", f"/api/v1/orders/{second}/cancel", token)
    assert status == 422
    status, body = await api.request(
        "POST", f"/api/v1/orders/{second}/cancel", token, {"reason": "x", "colour": "red"}
    )
    assert status == 422  # an unknown field
    status, done = await api.request(
        "POST", f"/api/v1/orders/{second}/cancel", token, {"reason": "customer has stock"}
    )
    assert (status, done["status"], done["cancel_reason"]) == (
        200,
        "cancelled",
        "customer has stock",
    )


async def test_a_token_cannot_reach_another_customers_order_nor_act_without_the_scope(
    api: Api,
) -> None:
    writer = api.token("Acme Ltd", ApiScope.ORDERS_READ, ApiScope.ORDERS_WRITE)
    status, body = await api.request("POST", f"/api/v1/orders/{api.other_order}/approve", writer)
    assert (status, body["error"]) == (404, f"unknown order {api.other_order}")

    reader = api.token("Acme Ltd", ApiScope.ORDERS_READ)
    status, _ = await api.request("POST", f"/api/v1/orders/{api.acme_orders[2]}/approve", reader)
    assert status == 403
    devices_only = api.token("Acme Ltd", ApiScope.DEVICES_READ)
    status, _ = await api.request("GET", "/api/v1/orders", devices_only)
    assert status == 403

    everyone = api.token(None, ApiScope.ORDERS_READ)
    status, page = await api.request("GET", "/api/v1/orders?limit=1000", everyone)
    assert status == 200
    assert api.other_order in {item["id"] for item in page["items"]}
