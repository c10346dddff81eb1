"""Enrolment: one-time, expiring tokens stored as hashes; a pinned CA; keys that stay home."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.privacy import create_key_file
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.identity.enrolment import EnrolmentService
from remotecare.center.identity.tables import endpoints
from remotecare.center.identity.tables import enrolment_tokens as enrollment_tokens
from remotecare.errors import ConfigError, EnrolmentRejected
from remotecare.pki.certificates import endpoint_id_of, load_certificate
from tests.support.centers import CenterInfo, init_center, running_center
from tests.support.clock import FakeClock
from tests.support.contracts import accept_customer, issue_token


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[tuple[CenterInfo, Center]]:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as running:
        yield info, running


def endpoint_count(info: CenterInfo) -> int:
    with info.read_engine().connect() as conn:
        return int(conn.execute(select(func.count()).select_from(endpoints)).scalar_one())


async def test_enrolment_gives_a_client_certificate_for_a_key_made_here(
    center: tuple[CenterInfo, Center], tmp_path: Path
) -> None:
    info, running = center
    issued = issue_token(running, "Acme Ltd")
    paths = AgentPaths(tmp_path / "agent")
    identity = await enrol(paths, info.console_url, issued.token, info.ca_fingerprint)

    assert stat.S_IMODE(paths.key.stat().st_mode) == 0o600
    cert = load_certificate(paths.certificate.read_bytes())
    assert endpoint_id_of(cert) == identity.endpoint_id
    assert identity.device_api_url == info.device_url
    assert endpoint_count(info) == 1


async def test_tokens_are_stored_only_as_hashes(center: tuple[CenterInfo, Center]) -> None:
    info, running = center
    issued = issue_token(running, "Acme Ltd")
    with info.read_engine().connect() as conn:
        stored = conn.execute(select(enrollment_tokens.c.token_hash)).scalars().all()
    assert issued.token not in stored
    if info.on_sqlite:
        raw = (info.settings.home / "center.db").read_bytes()
        assert issued.token.encode() not in raw


async def test_refuses_a_used_token(center: tuple[CenterInfo, Center], tmp_path: Path) -> None:
    info, running = center
    issued = issue_token(running, "Acme Ltd")
    await enrol(AgentPaths(tmp_path / "first"), info.console_url, issued.token, info.ca_fingerprint)
    with pytest.raises(EnrolmentRejected, match=r"\(403\): enrolment token already used$"):
        await enrol(
            AgentPaths(tmp_path / "second"), info.console_url, issued.token, info.ca_fingerprint
        )
    assert endpoint_count(info) == 1
    assert not (tmp_path / "second" / "agent.pem").exists()


async def test_refuses_an_expired_token(center: tuple[CenterInfo, Center], tmp_path: Path) -> None:
    info, running = center
    past = EnrolmentService(running.ca, FakeClock(offset=timedelta(days=-1)))
    accept_customer(running, "Acme Ltd")
    with running.transactions.begin() as conn:
        issued = past.create_token(conn, ADMINISTRATOR, "Acme Ltd", ttl=timedelta(hours=1))
    with pytest.raises(EnrolmentRejected, match=r"\(403\): enrolment token expired$"):
        await enrol(AgentPaths(tmp_path / "a"), info.console_url, issued.token, info.ca_fingerprint)
    assert endpoint_count(info) == 0


async def test_refuses_an_unknown_token(center: tuple[CenterInfo, Center], tmp_path: Path) -> None:
    info, _ = center
    with pytest.raises(EnrolmentRejected, match=r"\(403\): unknown enrolment token$"):
        await enrol(AgentPaths(tmp_path / "a"), info.console_url, "x" * 43, info.ca_fingerprint)
    assert endpoint_count(info) == 0


async def test_will_not_send_the_token_to_a_center_with_another_ca(
    center: tuple[CenterInfo, Center], tmp_path: Path
) -> None:
    info, running = center
    issued = issue_token(running, "Acme Ltd")
    wrong = "AB:" * 31 + "AB"
    with pytest.raises(EnrolmentRejected, match="not enrolling"):
        await enrol(AgentPaths(tmp_path / "a"), info.console_url, issued.token, wrong)
    # The token was never presented, so it still works.
    await enrol(AgentPaths(tmp_path / "b"), info.console_url, issued.token, info.ca_fingerprint)
    assert endpoint_count(info) == 1


async def test_an_agent_enrolled_with_the_customers_key_uses_it(
    center: tuple[CenterInfo, Center], tmp_path: Path
) -> None:
    info, running = center
    create_key_file(tmp_path / "acme.key")
    issued = issue_token(running, "Acme Ltd")
    paths = AgentPaths(tmp_path / "agent")
    await enrol(
        paths,
        info.console_url,
        issued.token,
        info.ca_fingerprint,
        privacy_key_file=tmp_path / "acme.key",
    )
    assert paths.privacy_key.read_bytes() == (tmp_path / "acme.key").read_bytes()
    assert stat.S_IMODE(paths.privacy_key.stat().st_mode) == 0o600


async def test_a_bad_customer_key_fails_before_the_token_is_spent(
    center: tuple[CenterInfo, Center], tmp_path: Path
) -> None:
    info, running = center
    (tmp_path / "bad.key").write_bytes(b"short")
    issued = issue_token(running, "Acme Ltd")
    with pytest.raises(ConfigError, match="not a pseudonymization key"):
        await enrol(
            AgentPaths(tmp_path / "a"),
            info.console_url,
            issued.token,
            info.ca_fingerprint,
            privacy_key_file=tmp_path / "bad.key",
        )
    await enrol(AgentPaths(tmp_path / "b"), info.console_url, issued.token, info.ca_fingerprint)
    assert endpoint_count(info) == 1
