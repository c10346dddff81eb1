"""Failed console logins are limited per client address and per login name (429,
Retry-After, the wait on the page), by every center process together.

Requests come from different loopback source addresses (127.0.0.2, ...) to the center
on 127.0.0.1, so that the center sees several clients.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from remotecare.center.attempts.log import failed_attempts
from remotecare.center.attempts.rules import LOGIN_WINDOW
from remotecare.center.bootstrap import bootstrap
from tests.support.centers import (
    OPERATOR_PASSWORD,
    CenterInfo,
    init_center,
    running_center,
    serving,
)
from tests.support.console_login import WRONG_PASSWORD, Answer, fail, log_in
from tests.support.ports import free_tcp_port

WINDOW_SECONDS = int(LOGIN_WINDOW.total_seconds())


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[CenterInfo]:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info):
        yield info


def _assert_refused(answer: Answer) -> None:
    """429 with Retry-After within the window, and the wait said on the page."""
    assert (answer.status, answer.logged_in, answer.location) == (429, False, None)
    assert answer.retry_after is not None
    seconds = int(answer.retry_after)
    assert 1 <= seconds <= WINDOW_SECONDS
    minutes = math.ceil(seconds / 60)
    assert WINDOW_SECONDS - seconds < 60  # the failures were just now
    assert minutes == 15
    assert "Too many failed logins. Please wait 15 minutes and try again." in answer.page
    assert "Wrong user name or password." not in answer.page
    assert 'name="password"' in answer.page  # the form is still there, for later


def _assert_logged_in(answer: Answer) -> None:
    assert (answer.status, answer.location, answer.logged_in) == (303, "/overview", True)


def _tokenless(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', page)


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.INFO and "refused: too many failed logins" in r.getMessage()
    ]


async def test_five_failures_from_one_address_make_it_wait_even_with_the_right_password(
    center: CenterInfo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="remotecare.center.access.pages")
    await fail(center, "operator", "127.0.0.2", 5)

    refused = await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.2")
    other_name = await log_in(center, "someone", WRONG_PASSWORD, source="127.0.0.2")

    _assert_refused(refused)
    _assert_refused(other_name)
    [first, second] = _refusals(caplog)
    assert first == (
        "console login for 'operator' from 127.0.0.2 refused: too many failed logins"
        f" (per address); retry in {refused.retry_after} s"
    )
    assert second.startswith("console login for 'someone' from 127.0.0.2 refused")
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert OPERATOR_PASSWORD not in messages
    assert WRONG_PASSWORD not in messages
    # Another address is not held back: the name has 5 failures of its 10.
    _assert_logged_in(await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.3"))


async def test_ten_failures_for_one_name_make_it_wait_from_every_address(
    center: CenterInfo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="remotecare.center.access.pages")
    await fail(center, "operator", "127.0.0.2", 4)
    await fail(center, "operator", "127.0.0.3", 4)
    await fail(center, "operator", "127.0.0.4", 2)

    refused = await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.5")

    _assert_refused(refused)
    assert _refusals(caplog) == [
        "console login for 'operator' from 127.0.0.5 refused: too many failed logins"
        f" (per login name); retry in {refused.retry_after} s"
    ]


async def test_a_name_nobody_has_is_refused_in_the_same_words(center: CenterInfo) -> None:
    # Five failures from each of two addresses per name (the addresses reach their own
    # limits too); then a new address tries both names.
    for name, sources in (("operator", (2, 3)), ("nobody", (4, 5))):
        for source in sources:
            await fail(center, name, f"127.0.0.{source}", 5)

    existing = await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.6")
    unknown = await log_in(center, "nobody", OPERATOR_PASSWORD, source="127.0.0.6")

    _assert_refused(existing)
    _assert_refused(unknown)
    # The same words; only the form token differs (each browser session has its own).
    assert (existing.status, _tokenless(existing.page)) == (
        unknown.status,
        _tokenless(unknown.page),
    )


async def test_a_correct_password_within_the_limits_logs_in_and_clears_no_failures(
    center: CenterInfo,
) -> None:
    await fail(center, "operator", "127.0.0.2", 4)

    _assert_logged_in(await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.3"))
    _assert_logged_in(await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.2"))

    # Neither login forgot 127.0.0.2's four failures: one more and it must wait.
    await fail(center, "operator", "127.0.0.2", 1)
    _assert_refused(await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.2"))


async def test_two_center_processes_hold_one_limit(center: CenterInfo) -> None:
    """A second center on the same database (its own limiter, its own ports) counts the
    first one's failures, and the other way round."""
    settings = dataclasses.replace(
        center.settings, console_port=free_tcp_port(), device_port=free_tcp_port()
    )
    other_info = CenterInfo(settings, center.ca_fingerprint)
    async with serving(bootstrap(settings)):
        await fail(center, "operator", "127.0.0.2", 3)
        await fail(other_info, "operator", "127.0.0.2", 2)

        _assert_refused(await log_in(center, "operator", OPERATOR_PASSWORD, source="127.0.0.2"))
        _assert_refused(await log_in(other_info, "operator", OPERATOR_PASSWORD, source="127.0.0.2"))

    engine = center.read_engine()
    with engine.connect() as conn:
        rows = conn.execute(
            select(failed_attempts.c.purpose, func.count()).group_by(failed_attempts.c.purpose)
        ).all()
    engine.dispose()
    assert dict(rows) == {"login-address": 5, "login-name": 5}
