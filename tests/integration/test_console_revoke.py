"""An operator revokes an agent's endpoint from the console: asked for a reason and a
confirmation, then the agent is refused at once; a form without either, a customer's
person, and an unknown endpoint change nothing (real center, real TLS)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from remotecare.center.access.rules import Role
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.identity.directory import read_endpoint
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.console_login import form_token, log_in_session
from tests.support.device_calls import call, enrol, report_body

PASSWORD = "a customer administrator's passphrase"


async def _revoke(
    session: aiohttp.ClientSession, info: CenterInfo, endpoint: str, form: dict[str, str]
) -> tuple[int, str]:
    data = {**form, "csrf_token": await form_token(session, info)}
    async with session.post(
        f"{info.console_url}/endpoints/{endpoint}/revoke",
        data=data,
        ssl=info.trusting_context(),
        allow_redirects=False,
    ) as response:
        return response.status, response.headers.get("Location", "")


async def test_an_operator_revokes_with_a_reason_and_a_confirmation(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        agent, endpoint = await enrol(info, center, tmp_path / "agent")
        status, _ = await call(info.device_url + "/api/v1/reports", agent, report_body("R-1"))
        assert status == 201
        with center.transactions.begin() as conn:
            acme = customer_by_name(conn, "Acme Ltd")
            center.accounts.create_user(conn, "acme-admin", PASSWORD, Role.CUSTOMER_ADMIN, acme)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:
            await log_in_session(browser, info, "acme-admin", PASSWORD)
            form = {"reason": "stolen laptop", "confirm": "yes"}
            assert (await _revoke(browser, info, endpoint, form))[0] == 403

            await log_in_session(browser, info, "operator", OPERATOR_PASSWORD)
            bad_forms = (
                {"reason": "stolen laptop"},  # not confirmed
                {"confirm": "yes"},  # no reason
                {"reason": "x" * 257, "confirm": "yes"},
            )
            for bad in bad_forms:
                assert (await _revoke(browser, info, endpoint, bad))[0] == 422
            with center.transactions.read() as conn:
                record = read_endpoint(conn, endpoint)
                assert record is not None
                assert not record.revoked
            unknown = "00000000-0000-4000-8000-000000000000"
            assert (await _revoke(browser, info, unknown, form))[0] == 404

            status, location = await _revoke(browser, info, endpoint, form)
            assert (status, location) == (303, f"/endpoints?revoked={endpoint}")
            async with browser.get(
                info.console_url + location, ssl=info.trusting_context()
            ) as page:
                assert f"Endpoint {endpoint} is revoked" in await page.text()
        with center.transactions.read() as conn:
            record = read_endpoint(conn, endpoint)
            assert record is not None
            assert record.revoked
        for _ in range(50):  # every center sees a revocation within a second (5 s at most)
            status, _ = await call(info.device_url + "/api/v1/reports", agent, report_body("R-1"))
            if status in (401, 403):
                break
            await asyncio.sleep(0.1)
        assert status in (401, 403)
