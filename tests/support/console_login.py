"""Console logins as a browser makes them, from a chosen loopback source address, so that
the center sees several clients (127.0.0.2, 127.0.0.3, ... all reach 127.0.0.1)."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass

import aiohttp

from remotecare.center.web.actors import SESSION_COOKIE
from tests.support.centers import CenterInfo

__all__ = ["WRONG_PASSWORD", "Answer", "fail", "form_token", "log_in", "log_in_session"]

WRONG_PASSWORD = "Tr0ub4dor&3 is not it"


@dataclass
class Answer:
    status: int
    retry_after: str | None
    location: str | None
    logged_in: bool
    page: str


async def form_token(session: aiohttp.ClientSession, info: CenterInfo) -> str:
    """The form token the console hands this browser session now (from the login page,
    which every browser may read: anonymous, it is bound to the pre-session cookie, logged
    in, to the session)."""
    context: ssl.SSLContext = info.trusting_context()
    async with session.get(info.console_url + "/login", ssl=context) as response:
        page = await response.text()
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def log_in(
    info: CenterInfo, name: str, password: str, *, source: str = "127.0.0.1"
) -> Answer:
    """Load the login page and POST its form from ``source`` on new connections, without
    following redirects."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=20)
    ) as s:
        token = await form_token(s, info)
        return await _post_login(
            s, info, {"username": name, "password": password, "csrf_token": token}
        )


async def _post_login(s: aiohttp.ClientSession, info: CenterInfo, form: dict[str, str]) -> Answer:
    async with (
        s.post(
            info.console_url + "/login",
            data=form,
            ssl=info.trusting_context(),
            allow_redirects=False,
        ) as response,
    ):
        return Answer(
            response.status,
            response.headers.get("Retry-After"),
            response.headers.get("Location"),
            SESSION_COOKIE in response.cookies,
            await response.text(),
        )


async def fail(info: CenterInfo, name: str, source: str, times: int) -> None:
    """``times`` logins as ``name`` with a wrong password, each refused as such."""
    for _ in range(times):
        answer = await log_in(info, name, WRONG_PASSWORD, source=source)
        assert (answer.status, answer.logged_in) == (401, False)
        assert "Wrong user name or password." in answer.page


async def log_in_session(
    session: aiohttp.ClientSession, info: CenterInfo, name: str, password: str
) -> None:
    """Log ``session`` (a browser's cookie jar) in as ``name``."""
    token = await form_token(session, info)
    async with session.post(
        info.console_url + "/login",
        data={"username": name, "password": password, "csrf_token": token},
        ssl=info.trusting_context(),
        allow_redirects=False,
    ) as response:
        assert response.status == 303, f"{name} could not log in"
