"""`remotecare center unlock-login` clears the failed logins against a login name (and,
with ``--address``, from one address) while the center runs, so the operator can log in
again at once instead of waiting out the 15 minutes.

The center runs in this process; the command runs as a separate process on the same
database, as an administrator would run it next to the center's workers. Logins come
from different loopback source addresses (127.0.0.2, ...) so that the center sees
several clients.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from remotecare.center.adapters.attempts import failed_attempts
from remotecare.center.bootstrap import bootstrap
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, remotecare

WRONG_PASSWORD = "Tr0ub4dor&3 is not it"


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[CenterInfo]:
    info = init_center(tmp_path / "center", database_url)
    running = bootstrap(info.settings)
    await running.start()
    try:
        yield info
    finally:
        await running.stop()


async def _log_in(info: CenterInfo, name: str, password: str, *, source: str) -> int:
    """POST the login form from ``source`` on a new connection; the status (303 when
    logged in, 401 for a wrong password, 429 when refused by a limit)."""
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
        return response.status


async def _fail(info: CenterInfo, name: str, source: str, times: int) -> None:
    for _ in range(times):
        assert await _log_in(info, name, WRONG_PASSWORD, source=source) == 401


async def _unlock(info: CenterInfo, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line in its own process; in a thread, so that the center in this
    process keeps serving meanwhile."""
    home = str(info.settings.home)
    return await asyncio.to_thread(remotecare, "center", "unlock-login", "--home", home, *args)


def _failures(info: CenterInfo) -> dict[tuple[str, str], int]:
    """Failed attempts recorded, per purpose and subject."""
    t = failed_attempts
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(t.c.purpose, t.c.subject, func.count()).group_by(t.c.purpose, t.c.subject)
            ).all()
    finally:
        engine.dispose()
    return {(purpose, subject): count for purpose, subject, count in rows}


async def test_unlocking_a_name_locked_from_several_addresses_lets_it_log_in_at_once(
    center: CenterInfo,
) -> None:
    # Ten failures for the name from three addresses, none of them at its own limit of 5.
    await _fail(center, "operator", "127.0.0.2", 4)
    await _fail(center, "operator", "127.0.0.3", 4)
    await _fail(center, "operator", "127.0.0.4", 2)
    assert await _log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.5") == 429

    done = await _unlock(center, "operator")

    assert done.stdout == "cleared 10 failed logins against 'operator'\n"
    assert "failed logins against 'operator' cleared by an administrator: 10" in done.stderr
    assert await _log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.5") == 303
    # Only the name was cleared: each address keeps its failures.
    assert _failures(center) == {
        ("login-address", "127.0.0.2"): 4,
        ("login-address", "127.0.0.3"): 4,
        ("login-address", "127.0.0.4"): 2,
    }


async def test_a_name_without_failures_is_said_so_and_is_no_error(center: CenterInfo) -> None:
    await _fail(center, "operator", "127.0.0.2", 1)

    done = await _unlock(center, "nobody")

    assert done.returncode == 0
    assert done.stdout == "no failed logins against 'nobody': nothing to clear\n"
    assert _failures(center) == {
        ("login-address", "127.0.0.2"): 1,
        ("login-name", "operator"): 1,
    }


async def test_the_address_option_clears_that_address_and_no_other(center: CenterInfo) -> None:
    # Both addresses reach their limit of 5; each name has 5 failures of its 10.
    await _fail(center, "operator", "127.0.0.2", 5)
    await _fail(center, "someone", "127.0.0.3", 5)
    assert await _log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.2") == 429
    assert await _log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.3") == 429

    done = await _unlock(center, "operator", "--address", "127.0.0.2")

    assert done.stdout == (
        "cleared 5 failed logins against 'operator'\ncleared 5 failed logins from 127.0.0.2\n"
    )
    assert await _log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.2") == 303
    assert await _log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.3") == 429
    assert _failures(center) == {
        ("login-address", "127.0.0.3"): 5,
        ("login-name", "someone"): 5,
    }
