"""The JSON API for dealers' systems: bearer tokens made with the command line, scoped to
a customer and to actions, stored hashed, revocable at once; lists paged by a stable key
with ETags. On a real center (real TLS) on both database backends."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from multidict import CIMultiDict
from sqlalchemy import select

from remotecare.center.access.tables import api_tokens
from remotecare.center.bootstrap import Center
from tests.support.centers import (
    OPERATOR_PASSWORD,
    CenterInfo,
    center_command,
    init_center,
    running_center,
)
from tests.support.console_login import form_token
from tests.support.device_calls import call, enrol, report_body

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one center for the module

_ACME_PRINTERS = [f"ACME-{n}" for n in range(5)]
_OTHER_PRINTERS = ["OTHER-1", "OTHER-2"]


@dataclass
class Api:
    info: CenterInfo
    center: Center
    made: dict[tuple[str, ...], str] = field(default_factory=dict)

    def make_token(self, *args: str) -> str:
        """`center api-tokens create` as an operator would run it; the token it printed
        (once per set of arguments)."""
        if args not in self.made:
            result = center_command(
                "api-tokens", "create", "--home", str(self.info.settings.home), *args
            )
            self.made[args] = result.stdout.strip().splitlines()[-1]
        return self.made[args]

    async def get(
        self, path: str, token: str | None = None, *, headers: dict[str, str] | None = None
    ) -> tuple[int, CIMultiDict[str], Any]:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                self.info.console_url + path,
                headers=sent,
                ssl=self.info.trusting_context(),
                allow_redirects=False,
            ) as response,
        ):
            body = await response.read()
            answer = json.loads(body) if body else None
            return response.status, CIMultiDict(response.headers), answer

    async def walk(self, token: str, limit: int) -> list[str]:
        """Every device's serial, page by page, following the ``next`` links."""
        serials: list[str] = []
        path: str | None = f"/api/v1/devices?limit={limit}"
        for _ in range(50):  # bounded: 7 devices need at most 7 pages
            assert path is not None
            status, headers, page = await self.get(path, token)
            assert status == 200, page
            assert len(page["items"]) <= limit
            serials += [item["serial"] for item in page["items"]]
            path = page["next"]
            if path is None:
                assert "Link" not in headers
                return serials
            assert headers["Link"] == f'<{path}>; rel="next"'
        raise AssertionError("the pages never ended")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    tmp = tmp_path_factory.mktemp("api")
    info = init_center(tmp / "center", module_database_url)
    async with running_center(info) as center:
        for customer, serials in (("Acme Ltd", _ACME_PRINTERS), ("Other KK", _OTHER_PRINTERS)):
            agent, _ = await enrol(info, center, Path(tmp / customer.replace(" ", "_")), customer)
            for n, serial in enumerate(serials):
                address = f"snmp://192.0.2.{n + 1}:161"
                status, _ = await call(
                    info.device_url + "/api/v1/reports", agent, report_body(serial, address)
                )
                assert status == 201
        yield Api(info, center)


async def test_a_token_sees_its_customers_devices_only_page_by_page(api: Api) -> None:
    token = api.make_token("billing", "--customer", "Acme Ltd", "--scope", "devices:read")
    assert sorted(await api.walk(token, limit=2)) == sorted(_ACME_PRINTERS)
    assert sorted(await api.walk(token, limit=1000)) == sorted(_ACME_PRINTERS)
    _status, _, page = await api.get("/api/v1/devices", token)
    item = page["items"][0]
    assert item["customer"] == "Acme Ltd"
    assert {"serial", "model", "address", "last_report_at", "counters", "supplies"} <= set(item)


async def test_a_token_for_every_customer_sees_every_device(api: Api) -> None:
    token = api.make_token("erp", "--all-customers", "--scope", "devices:read")
    assert sorted(await api.walk(token, limit=3)) == sorted(_ACME_PRINTERS + _OTHER_PRINTERS)


async def test_an_unchanged_page_answers_304_with_its_etag(api: Api) -> None:
    token = api.make_token("poller", "--customer", "Other KK", "--scope", "devices:read")
    status, headers, _ = await api.get("/api/v1/devices", token)
    assert status == 200
    etag = headers["ETag"]
    status, _, body = await api.get("/api/v1/devices", token, headers={"If-None-Match": etag})
    assert (status, body) == (304, None)
    status, _, _ = await api.get("/api/v1/devices", token, headers={"If-None-Match": '"other"'})
    assert status == 200


async def test_a_token_without_the_routes_scope_is_refused(api: Api) -> None:
    token = api.make_token("orders only", "--customer", "Acme Ltd", "--scope", "orders:read")
    status, _, body = await api.get("/api/v1/devices", token)
    assert status == 403
    assert "ACME" not in json.dumps(body)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Basic b3BlcmF0b3I6cGFzc3dvcmQ=",
        "Bearer",
        "Bearer rct_" + "A" * 43,  # the shape of a token, but none the center made
        "Bearer " + "x" * 5000,
    ],
    ids=["none", "basic", "empty", "unknown", "huge"],
)
async def test_no_valid_token_answers_401_and_nothing_else(api: Api, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    status, answer_headers, body = await api.get("/api/v1/devices", headers=headers)
    assert status == 401
    assert answer_headers["WWW-Authenticate"].startswith("Bearer")
    assert set(body) == {"error"}


async def test_a_revoked_token_is_refused_at_once(api: Api) -> None:
    token = api.make_token("leaked", "--customer", "Acme Ltd", "--scope", "devices:read")
    assert (await api.get("/api/v1/devices", token))[0] == 200
    home = str(api.info.settings.home)
    listing = center_command("api-tokens", "list", "--home", home).stdout
    [line] = [line for line in listing.splitlines() if "  leaked  " in line]
    assert token not in listing
    token_id = line.split()[0]
    center_command("api-tokens", "revoke", "--home", home, token_id)
    assert (await api.get("/api/v1/devices", token))[0] == 401
    again = center_command("api-tokens", "revoke", "--home", home, token_id)
    assert "revoked already" in again.stdout


async def test_tokens_are_stored_hashed_only(api: Api) -> None:
    token = api.make_token("hashed", "--customer", "Acme Ltd", "--scope", "devices:read")
    engine = api.info.read_engine()
    try:
        with engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(select(api_tokens))]
    finally:
        engine.dispose()
    stored = json.dumps(rows, default=str)
    assert token not in stored
    assert token.removeprefix("rct_") not in stored


async def test_a_console_session_does_not_open_the_api(api: Api) -> None:
    async with aiohttp.ClientSession() as session:
        token = await form_token(session, api.info)
        form = {"username": "operator", "password": OPERATOR_PASSWORD, "csrf_token": token}
        async with session.post(
            api.info.console_url + "/login",
            data=form,
            ssl=api.info.trusting_context(),
            allow_redirects=False,
        ) as response:
            assert response.status == 303
        async with session.get(
            api.info.console_url + "/api/v1/devices",
            ssl=api.info.trusting_context(),
            allow_redirects=False,
        ) as response:
            assert response.status == 403


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=1001",
        "limit=-1",
        "limit=ten",
        "after=not-a-cursor!",
        "after=" + base64.urlsafe_b64encode(b'["x"]').decode(),  # another list's key
        "after=" + base64.urlsafe_b64encode(b'{"id": 1}').decode(),
        "after=" + "A" * 600,
    ],
)
async def test_bad_paging_parameters_answer_400(api: Api, query: str) -> None:
    token = api.make_token("pager", "--customer", "Acme Ltd", "--scope", "devices:read")
    status, _, body = await api.get(f"/api/v1/devices?{query}", token)
    assert status == 400
    assert set(body) == {"error"}


async def test_a_token_needs_a_scope_and_one_customer_choice(api: Api) -> None:
    home = str(api.info.settings.home)
    for args in (
        ["t", "--scope", "devices:read"],  # neither --customer nor --all-customers
        ["t", "--customer", "Acme Ltd", "--all-customers", "--scope", "devices:read"],
        ["t", "--customer", "No Such Co", "--scope", "devices:read"],
        ["t", "--customer", "Acme Ltd"],  # no scope
        ["t", "--customer", "Acme Ltd", "--scope", "everything"],
    ):
        result = center_command("api-tokens", "create", "--home", home, *args, check=False)
        assert result.returncode != 0, args
        assert "rct_" not in result.stdout
