"""The incidents' JSON API on a real center (real TLS): a token with incidents:read lists
its customer's incidents page by page and reads one with its timeline; incidents:write
acknowledges and resolves with a note; another customer's incident is 404; a token
without the scope is refused; bad input gets a clear refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import select

from remotecare.center.access.rules import ApiScope
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.care.incidents.tables import incidents
from remotecare.center.contracts.service import customer_by_name
from remotecare.protocol.codec import encode
from remotecare.protocol.messages import Report, new_report_id
from tests.support.centers import CenterInfo, init_center, running_center
from tests.support.device_calls import call, enrol
from tests.support.reports import a_plain_reading

pytestmark = pytest.mark.asyncio(loop_scope="module")


def fault_report(serial: str, *errors: str) -> bytes:
    reading = a_plain_reading(serial)
    status = reading.status.model_copy(update={"error_conditions": list(errors)})
    return encode(
        Report(
            report_id=new_report_id(),
            agent_time=datetime.now(UTC),
            printer_address=f"snmp://{serial}:161",
            reading=reading.model_copy(update={"status": status}),
        )
    )


@dataclass
class Api:
    info: CenterInfo
    center: Center
    theirs: int

    def token(self, customer: str, *scopes: ApiScope) -> str:
        with self.center.transactions.begin() as conn:
            customer_id = customer_by_name(conn, customer)
            made = self.center.api_tokens.create(
                conn,
                ADMINISTRATOR,
                f"t-{len(scopes)}-{customer}",
                customer_id=customer_id,
                scopes=list(scopes),
            )
        return made.token

    async def request(
        self, method: str, path: str, token: str, body: Any = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method,
                self.info.console_url + path,
                headers=headers,
                data=data,
                ssl=self.info.trusting_context(),
            ) as response,
        ):
            raw = await response.read()
            return response.status, json.loads(raw) if raw else None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    tmp = tmp_path_factory.mktemp("incidents-api")
    info = init_center(tmp / "center", module_database_url)
    async with running_center(info) as center:
        ours, _ = await enrol(info, center, Path(tmp / "ours"), "Acme Ltd")
        theirs, _ = await enrol(info, center, Path(tmp / "theirs"), "Other KK")
        for serial in ("ACME-1", "ACME-2", "ACME-3"):
            status, _ = await call(
                info.device_url + "/api/v1/reports",
                ours,
                fault_report(serial, "jammed", "doorOpen"),
            )
            assert status == 201
        status, _ = await call(
            info.device_url + "/api/v1/reports", theirs, fault_report("OTHER-1", "jammed")
        )
        assert status == 201
        for _ in range(300):  # the care feed's drainer runs beside ingest
            with center.transactions.read() as conn:
                rows = conn.execute(select(incidents.c.id, incidents.c.subject)).all()
            if len(rows) == 7:
                break
            await asyncio.sleep(0.05)
        with center.transactions.read() as conn:
            other = customer_by_name(conn, "Other KK")
            theirs_id = conn.execute(
                select(incidents.c.id).where(incidents.c.customer_id == other)
            ).scalar_one()
        yield Api(info, center, theirs_id)


async def test_a_token_lists_its_customers_incidents_page_by_page(api: Api) -> None:
    token = api.token("Acme Ltd", ApiScope.INCIDENTS_READ)
    seen: list[int] = []
    path: str | None = "/api/v1/incidents?limit=4"
    for _ in range(10):
        assert path is not None
        status, page = await api.request("GET", path, token)
        assert status == 200, page
        seen += [item["id"] for item in page["items"]]
        assert {item["customer"] for item in page["items"]} == {"Acme Ltd"}
        path = page["next"]
        if path is None:
            break
    assert len(seen) == 6  # three printers, a jam and an open cover each
    assert api.theirs not in seen
    status, page = await api.request(
        "GET", "/api/v1/incidents?severity=critical&responder=customer", token
    )
    assert {item["kind"] for item in page["items"]} == {"paper_jam", "cover_open"}


async def test_one_incident_with_its_timeline_and_the_others_are_404(api: Api) -> None:
    token = api.token("Acme Ltd", ApiScope.INCIDENTS_READ)
    _, page = await api.request("GET", "/api/v1/incidents", token)
    first = page["items"][0]["id"]
    status, incident = await api.request("GET", f"/api/v1/incidents/{first}", token)
    assert status == 200
    assert incident["timeline"][0]["change"] == "opened"
    assert incident["timeline"][0]["report_id"]
    assert (await api.request("GET", f"/api/v1/incidents/{api.theirs}", token))[0] == 404


async def test_writing_needs_its_scope_and_keeps_the_note(api: Api) -> None:
    reader = api.token("Acme Ltd", ApiScope.INCIDENTS_READ)
    writer = api.token("Acme Ltd", ApiScope.INCIDENTS_READ, ApiScope.INCIDENTS_WRITE)
    _, page = await api.request("GET", "/api/v1/incidents", reader)
    target = page["items"][-1]["id"]
    assert (await api.request("POST", f"/api/v1/incidents/{target}/ack", reader, {"note": "x"}))[
        0
    ] == 403
    assert (
        await api.request("POST", f"/api/v1/incidents/{target}/ack", writer, {"note": "on it"})
    )[0] == 204
    assert (await api.request("POST", f"/api/v1/incidents/{target}/resolve", writer))[0] == 204
    _, incident = await api.request("GET", f"/api/v1/incidents/{target}", writer)
    assert incident["state"] == "resolved"
    assert [(e["change"], e["note"]) for e in incident["timeline"][1:]] == [
        ("acknowledged", "on it"),
        ("resolved_by_hand", None),
    ]
    status, body = await api.request("POST", f"/api/v1/incidents/{target}/ack", writer)
    assert (status, body["error"]) == (409, f"incident {target} is resolved")  # nothing left
    assert (await api.request("POST", f"/api/v1/incidents/{api.theirs}/resolve", writer))[0] == 404


async def test_bad_input_gets_a_clear_refusal(api: Api) -> None:
    writer = api.token("Acme Ltd", ApiScope.INCIDENTS_READ, ApiScope.INCIDENTS_WRITE)
    _, page = await api.request("GET", "/api/v1/incidents", writer)
    target = page["items"][0]["id"]
    status, body = await api.request(
        "POST", f"/api/v1/incidents/{target}/ack", writer, {"note": "x", "who": 1}
    )
    assert status == 422, body
    status, body = await api.request(
        "POST", f"/api/v1/incidents/{target}/ack", writer, b"{not json"
    )
    assert status == 400, body
    status, body = await api.request("GET", "/api/v1/incidents?severity=urgent", writer)
    assert (status, body["error"]) == (400, "severity must be one of critical, info, warning")
