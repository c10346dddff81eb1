"""Failed enrolment attempts are limited per client address and overall (429, Retry-After)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from remotecare.center.attempts.log import SqlFailureLog
from remotecare.center.attempts.rules import FailureLimit
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.identity.enrolment_limit import EnrolmentLimiter
from remotecare.center.identity.tables import endpoints
from remotecare.center.identity.tables import enrolment_tokens as enrollment_tokens
from remotecare.pki.certificates import build_csr
from remotecare.pki.keys import generate_private_key
from tests.support.centers import CenterInfo, init_center, serving
from tests.support.contracts import issue_token
from tests.support.device_calls import count_rows


@dataclass
class Fixture:
    info: CenterInfo
    center: Center


def _wired(info: CenterInfo, limit: FailureLimit | None) -> Center:
    center = bootstrap(info.settings)
    if limit is None:
        return center
    log = SqlFailureLog(center.transactions, "enrolment")
    return replace(center, enrolment_limiter=EnrolmentLimiter(log, center.clock, limit))


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[Fixture]:
    info = init_center(tmp_path / "center", database_url)
    async with serving(_wired(info, None)) as running:
        yield Fixture(info, running)


@pytest.fixture
async def small_center(tmp_path: Path) -> AsyncIterator[Fixture]:
    info = init_center(tmp_path / "center")
    async with serving(_wired(info, FailureLimit(per_client=100, overall=3))) as running:
        yield Fixture(info, running)


def _csr() -> str:
    return build_csr(generate_private_key(), "agent").public_bytes(Encoding.PEM).decode()


async def _enrol(info: CenterInfo, token: str) -> tuple[int, dict[str, Any], str | None]:
    body = json.dumps({"token": token, "csr_pem": _csr()}).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            info.console_url + "/.well-known/est/simpleenroll",
            data=body,
            headers={"Content-Type": "application/json"},
            ssl=info.trusting_context(),
        ) as response,
    ):
        answer = await response.json(content_type=None)
        return response.status, answer, response.headers.get("Retry-After")


def _tokens_used(info: CenterInfo) -> int:
    engine = info.read_engine()
    with engine.connect() as conn:
        used = int(sum(conn.execute(select(enrollment_tokens.c.used_endpoints)).scalars()))
    engine.dispose()
    return used


async def test_five_failures_from_one_address_make_it_wait(center: Fixture) -> None:
    for _ in range(5):
        status, answer, _ = await _enrol(center.info, "x" * 43)
        assert (status, answer) == (403, {"error": "unknown enrolment token"})
    good = issue_token(center.center, "Acme Ltd")

    status, answer, retry_after = await _enrol(center.info, good.token)

    assert status == 429
    assert retry_after is not None
    assert 1 <= int(retry_after) <= 60
    assert answer == {
        "error": f"too many failed enrolment attempts from 127.0.0.1; retry in {retry_after} s"
    }
    assert count_rows(center.info, endpoints) == 0
    assert _tokens_used(center.info) == 0  # the good token was not even looked at


async def test_malformed_requests_count_as_failures(center: Fixture) -> None:
    for _ in range(5):
        status, _, _ = await _enrol(center.info, "short")
        assert status == 422
    status, _, retry_after = await _enrol(center.info, "y" * 43)
    assert (status, retry_after is not None) == (429, True)


async def test_successful_enrolments_do_not_count(center: Fixture) -> None:
    for _ in range(4):
        await _enrol(center.info, "x" * 43)
    for _ in range(3):
        token = issue_token(center.center, "Acme Ltd").token
        assert (await _enrol(center.info, token))[0] == 201
    assert count_rows(center.info, endpoints) == 3


async def test_the_overall_limit_holds_everyone_back(small_center: Fixture) -> None:
    for _ in range(3):
        assert (await _enrol(small_center.info, "x" * 43))[0] == 403
    good = issue_token(small_center.center, "Acme Ltd")

    status, answer, retry_after = await _enrol(small_center.info, good.token)

    assert (status, retry_after) == (429, "60")
    assert answer == {"error": "too many failed enrolment attempts at this center; retry in 60 s"}
    assert count_rows(small_center.info, endpoints) == 0
