"""Console logins as a browser makes them, from a chosen loopback source address, so that
the center sees several clients (127.0.0.2, 127.0.0.3, ... all reach 127.0.0.1)."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from remotecare.center.web.actors import SESSION_COOKIE
from tests.support.centers import CenterInfo

__all__ = ["WRONG_PASSWORD", "Answer", "fail", "log_in"]

WRONG_PASSWORD = "Tr0ub4dor&3 is not it"


@dataclass
class Answer:
    status: int
    retry_after: str | None
    location: str | None
    logged_in: bool
    page: str


async def log_in(
    info: CenterInfo, name: str, password: str, *, source: str = "127.0.0.1"
) -> Answer:
    """POST the login form from ``source`` on a new connection, without following redirects."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=20)) as s,
        s.post(
            info.console_url + "/login",
            data={"username": name, "password": password},
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
