"""Every state-changing console form carries a token bound to the browser's session
(or, before login, to its login-form cookie): without it, or with another browser's, the
console answers 403 and changes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from remotecare.center.bootstrap import Center
from remotecare.center.web.actors import SESSION_COOKIE
from remotecare.center.web.csrf import REFUSAL
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.console_login import form_token
from tests.support.device_calls import call, enrol, report_body


@dataclass
class Console:
    info: CenterInfo
    center: Center
    printer_id: int

    async def post(
        self, session: aiohttp.ClientSession, path: str, form: dict[str, str]
    ) -> tuple[int, str]:
        async with session.post(
            self.info.console_url + path,
            data=form,
            ssl=self.info.trusting_context(),
            allow_redirects=False,
        ) as response:
            return response.status, response.headers.get("Location") or await response.text()

    async def log_in(self, session: aiohttp.ClientSession) -> None:
        form = {"username": "operator", "password": OPERATOR_PASSWORD}
        token = await form_token(session, self.info)
        assert await self.post(session, "/login", {**form, "csrf_token": token}) == (
            303,
            "/overview",  # the operator's home
        )

    async def status_of(self, session: aiohttp.ClientSession, path: str) -> int:
        async with session.get(
            self.info.console_url + path, ssl=self.info.trusting_context(), allow_redirects=False
        ) as response:
            return response.status

    def binding(self) -> str:
        pending = {p.printer_id for p in self.center.admin.pending_printers()}
        return "pending" if self.printer_id in pending else "bound"


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    info = init_center(tmp_path / "center")
    settings = dataclasses.replace(info.settings, printer_binding="confirm")
    settings.save()
    info = CenterInfo(settings, info.ca_fingerprint)
    async with running_center(info) as center:
        agent, _ = await enrol(info, center, tmp_path / "agent")
        await call(info.device_url + "/api/v1/reports", agent, report_body("P-1"))
        [pending] = center.admin.pending_printers()
        yield Console(info, center, pending.printer_id)


def _refused(answer: tuple[int, str]) -> bool:
    return answer[0] == 403 and REFUSAL in answer[1]


async def test_confirming_a_printer_needs_this_sessions_token(console: Console) -> None:
    path = f"/printers/{console.printer_id}/confirm"
    async with aiohttp.ClientSession() as mine, aiohttp.ClientSession() as other:
        await console.log_in(mine)
        await console.log_in(other)
        others_token = await form_token(other, console.info)

        assert _refused(await console.post(mine, path, {}))
        assert _refused(await console.post(mine, path, {"csrf_token": ""}))
        assert _refused(await console.post(mine, path, {"csrf_token": others_token}))
        assert console.binding() == "pending"

        token = await form_token(mine, console.info)
        assert token != others_token
        assert await console.post(mine, path, {"csrf_token": token}) == (303, "/devices")
        assert console.binding() == "bound"


async def test_logging_out_needs_the_token_and_without_it_the_session_stays(
    console: Console,
) -> None:
    async with aiohttp.ClientSession() as mine, aiohttp.ClientSession() as other:
        await console.log_in(mine)
        await console.log_in(other)
        assert _refused(await console.post(mine, "/logout", {}))
        others_token = await form_token(other, console.info)
        assert _refused(await console.post(mine, "/logout", {"csrf_token": others_token}))
        assert await console.status_of(mine, "/devices") == 200

        token = await form_token(mine, console.info)
        assert await console.post(mine, "/logout", {"csrf_token": token}) == (303, "/login")
        assert await console.status_of(mine, "/devices") == 303


async def test_the_login_form_needs_its_pre_session_token(console: Console) -> None:
    form = {"username": "operator", "password": OPERATOR_PASSWORD}
    async with aiohttp.ClientSession() as mine, aiohttp.ClientSession() as other:
        others_token = await form_token(other, console.info)
        assert _refused(await console.post(mine, "/login", form))
        assert _refused(await console.post(mine, "/login", {**form, "csrf_token": others_token}))
        assert SESSION_COOKIE not in {cookie.key for cookie in mine.cookie_jar}

        token = await form_token(mine, console.info)
        assert await console.post(mine, "/login", {**form, "csrf_token": token}) == (
            303,
            "/overview",  # the operator's home
        )
        assert await console.status_of(mine, "/devices") == 200


async def test_the_login_page_sets_an_http_only_strict_form_cookie(console: Console) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            console.info.console_url + "/login", ssl=console.info.trusting_context()
        ) as response,
    ):
        cookie = response.cookies["rc_form"]
        assert cookie["httponly"]
        assert cookie["secure"]
        assert cookie["samesite"] == "Strict"
        assert 'name="csrf_token"' in await response.text()


async def test_pages_without_forms_and_static_files_set_no_form_cookie(console: Console) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/static/console.css", "/.well-known/est/cacerts", "/"):
            async with session.get(
                console.info.console_url + path,
                ssl=console.info.trusting_context(),
                allow_redirects=False,
            ) as response:
                assert "rc_form" not in response.cookies, path
