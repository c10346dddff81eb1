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

import pytest
from sqlalchemy import func, select

from remotecare.center.attempts.log import failed_attempts
from tests.support.centers import (
    OPERATOR_PASSWORD,
    CenterInfo,
    init_center,
    remotecare,
    running_center,
)
from tests.support.console_login import fail, log_in


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[CenterInfo]:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info):
        yield info


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
    await fail(center, "operator", "127.0.0.2", 4)
    await fail(center, "operator", "127.0.0.3", 4)
    await fail(center, "operator", "127.0.0.4", 2)
    assert (await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.5")).status == 429

    done = await _unlock(center, "operator")

    assert done.stdout == "cleared 10 failed logins against 'operator'\n"
    assert "failed logins against 'operator' cleared by an administrator: 10" in done.stderr
    assert (await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.5")).status == 303
    # Only the name was cleared: each address keeps its failures.
    assert _failures(center) == {
        ("login-address", "127.0.0.2"): 4,
        ("login-address", "127.0.0.3"): 4,
        ("login-address", "127.0.0.4"): 2,
    }


async def test_a_name_without_failures_is_said_so_and_is_no_error(center: CenterInfo) -> None:
    await fail(center, "operator", "127.0.0.2", 1)

    done = await _unlock(center, "nobody")

    assert done.returncode == 0
    assert done.stdout == "no failed logins against 'nobody': nothing to clear\n"
    assert _failures(center) == {
        ("login-address", "127.0.0.2"): 1,
        ("login-name", "operator"): 1,
    }


async def test_the_address_option_clears_that_address_and_no_other(center: CenterInfo) -> None:
    # Both addresses reach their limit of 5; each name has 5 failures of its 10.
    await fail(center, "operator", "127.0.0.2", 5)
    await fail(center, "someone", "127.0.0.3", 5)
    assert (await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.2")).status == 429
    assert (await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.3")).status == 429

    done = await _unlock(center, "operator", "--address", "127.0.0.2")

    assert done.stdout == (
        "cleared 5 failed logins against 'operator'\ncleared 5 failed logins from 127.0.0.2\n"
    )
    assert (await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.2")).status == 303
    assert (await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.3")).status == 429
    assert _failures(center) == {
        ("login-address", "127.0.0.3"): 5,
        ("login-name", "someone"): 5,
    }
