"""Renewal over mutual TLS, the overlap, expiry and revocation, and the published CRL."""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import select, update

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.renewal import renew_certificate
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.fleet.tables import commands, reports
from remotecare.center.identity.rules import RENEWAL_OVERLAP
from remotecare.center.identity.tables import endpoints
from remotecare.errors import EnrolmentRejected
from remotecare.pki.certificates import endpoint_id_of, load_certificate
from remotecare.pki.keys import load_private_key
from remotecare.protocol.messages import CommandKind
from tests.support.centers import CenterInfo, init_center, serving
from tests.support.clock import FakeClock
from tests.support.device_calls import call, count_rows, enrol, report_body


@dataclass
class Fixture:
    info: CenterInfo
    center: Center
    clock: FakeClock
    agent: AgentPaths
    endpoint_id: str

    @property
    def identity(self) -> AgentIdentity:
        return AgentIdentity.load(self.agent.identity)

    def row(self) -> dict[str, object]:
        engine = self.info.read_engine()
        with engine.connect() as conn:
            found = conn.execute(select(endpoints).where(endpoints.c.id == self.endpoint_id))
            row = dict(found.one()._mapping)
        engine.dispose()
        return row


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[Fixture]:
    info = init_center(tmp_path / "center", database_url)
    clock = FakeClock()
    async with serving(bootstrap(info.settings, clock=clock)) as running:
        paths, endpoint_id = await enrol(info, running, tmp_path / "agent")
        yield Fixture(info, running, clock, paths, endpoint_id)


def _serial(path: Path) -> str:
    return f"{load_certificate(path.read_bytes()).serial_number:x}"


def _keep_copy(paths: AgentPaths, where: Path) -> AgentPaths:
    """A copy of the agent's current key and certificate, as an agent that has not
    switched yet would still use them."""
    copy = AgentPaths(where)
    where.mkdir()
    for name in ("agent.key", "agent.pem", "ca.pem"):
        (where / name).write_bytes((paths.home / name).read_bytes())
    (where / "agent.key").chmod(0o600)
    return copy


async def test_an_agent_renews_for_a_new_key_and_keeps_its_endpoint(center: Fixture) -> None:
    old_serial = _serial(center.agent.certificate)
    old_key = center.agent.key.read_bytes()

    await renew_certificate(center.agent, center.identity, AgentSettings())

    cert = load_certificate(center.agent.certificate.read_bytes())
    assert endpoint_id_of(cert) == center.endpoint_id
    assert f"{cert.serial_number:x}" != old_serial
    assert center.agent.key.read_bytes() != old_key
    assert stat.S_IMODE(center.agent.key.stat().st_mode) == 0o600
    assert cert.public_key() == load_private_key(center.agent.key).public_key()
    assert not list(center.agent.home.glob("*.next"))
    row = center.row()
    assert row["certificate_serial"] == f"{cert.serial_number:x}"
    assert row["previous_certificate_serial"] == old_serial
    assert row["certificate_not_after"] == cert.not_valid_after_utc
    status, _ = await call(
        center.info.device_url + "/api/v1/reports", center.agent, report_body("R-1")
    )
    assert status == 201


async def test_the_replaced_certificate_works_during_the_overlap_only(
    center: Fixture, tmp_path: Path
) -> None:
    before = _keep_copy(center.agent, tmp_path / "before")
    await renew_certificate(center.agent, center.identity, AgentSettings())
    url = center.info.device_url + "/api/v1/reports"

    assert (await call(url, before, report_body("O-1")))[0] == 201

    center.clock.offset = RENEWAL_OVERLAP + timedelta(seconds=1)
    status, answer = await call(url, before, report_body("O-2"))
    assert (status, answer) == (403, {"error": "certificate superseded by a newer one"})
    assert count_rows(center.info, reports) == 1
    assert (await call(url, center.agent, report_body("O-3")))[0] == 201


async def test_renewal_completes_a_queued_renew_certificate_command(center: Fixture) -> None:
    queued = center.center.admin.queue_command(
        center.endpoint_id, CommandKind.RENEW_CERTIFICATE, {}
    )
    await renew_certificate(center.agent, center.identity, AgentSettings())
    engine = center.info.read_engine()
    with engine.connect() as conn:
        status, detail = conn.execute(
            select(commands.c.status, commands.c.detail).where(
                commands.c.id == str(queued.command_id)
            )
        ).one()
    engine.dispose()
    assert status == "done"
    assert detail == f"renewed: certificate {_serial(center.agent.certificate)}"


async def test_a_revoked_endpoint_cannot_renew_and_keeps_nothing_new(center: Fixture) -> None:
    before = center.row()
    key, cert = center.agent.key.read_bytes(), center.agent.certificate.read_bytes()
    center.center.admin.revoke(center.endpoint_id, "stolen")

    with pytest.raises(EnrolmentRejected) as refused:
        await renew_certificate(center.agent, center.identity, AgentSettings())

    assert str(refused.value) == "center refused renewal (403): endpoint certificate revoked"
    assert (center.agent.key.read_bytes(), center.agent.certificate.read_bytes()) == (key, cert)
    assert not list(center.agent.home.glob("*.next"))
    after = center.row()
    assert after["certificate_serial"] == before["certificate_serial"]
    assert after["previous_certificate_serial"] is None


async def test_an_expired_certificate_is_refused_with_a_clear_reason(
    center: Fixture, tmp_path: Path
) -> None:
    # The endpoint's certificate as it is a year later: the same key, past its end.
    key = load_private_key(center.agent.key)
    expired = center.center.ca.issue_device_certificate(
        key.public_key(), center.endpoint_id, validity=timedelta(seconds=-60)
    )
    engine = center.info.read_engine()
    with engine.begin() as conn:
        conn.execute(
            update(endpoints)
            .where(endpoints.c.id == center.endpoint_id)
            .values(certificate_serial=expired.serial_hex)
        )
    engine.dispose()
    old = _keep_copy(center.agent, tmp_path / "expired")
    old.certificate.write_text(expired.pem)
    reason = {"error": "endpoint certificate expired: enrol again with a new token"}

    report = await call(center.info.device_url + "/api/v1/reports", old, report_body())
    renewal = await call(
        center.info.device_url + "/api/v1/renew",
        old,
        json.dumps({"csr_pem": "-" * 64}).encode(),
    )
    check_in = await call(center.info.device_url + "/api/v1/commands", old)

    assert report == (403, reason)
    assert renewal == (403, reason)
    assert check_in == (403, reason)
    assert count_rows(center.info, reports) == 0
    assert center.row()["certificate_serial"] == expired.serial_hex


async def test_renewal_refuses_what_is_not_a_csr(center: Fixture) -> None:
    url = center.info.device_url + "/api/v1/renew"
    before = center.row()

    short = await call(url, center.agent, json.dumps({"csr_pem": "x"}).encode())
    garbage = await call(url, center.agent, json.dumps({"csr_pem": "x" * 80}).encode())
    broken = await call(url, center.agent, b'{"csr_pem": ')

    assert short == (422, {"error": "csr_pem: String should have at least 64 characters"})
    assert garbage[0] == 400
    assert garbage[1]["error"].startswith("not a PEM certificate signing request")
    assert broken == (400, {"error": "body is not valid JSON"})
    assert center.row() == before


async def test_renewal_is_also_served_under_the_est_name(center: Fixture) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from remotecare.pki.certificates import build_csr
    from remotecare.pki.keys import generate_private_key

    csr = build_csr(generate_private_key(), "agent").public_bytes(Encoding.PEM).decode()
    status, answer = await call(
        center.info.device_url + "/.well-known/est/simplereenroll",
        center.agent,
        json.dumps({"csr_pem": csr}).encode(),
    )
    assert status == 201
    issued = load_certificate(answer["certificate_pem"].encode())
    assert endpoint_id_of(issued) == center.endpoint_id
    assert answer["ca_certificate_pem"] == center.center.ca.pem
    assert center.row()["certificate_serial"] == f"{issued.serial_number:x}"


async def test_the_crl_lists_revoked_certificates_signed_by_the_ca(center: Fixture) -> None:
    url = center.info.console_url + "/.well-known/est/crl"
    context = center.info.trusting_context()

    async def crl() -> x509.CertificateRevocationList:
        import aiohttp

        async with (
            aiohttp.ClientSession() as session,
            session.get(url, ssl=context) as response,
        ):
            assert response.status == 200
            assert response.content_type == "application/pkix-crl"
            return x509.load_der_x509_crl(await response.read())

    serial = int(_serial(center.agent.certificate), 16)
    empty = await crl()
    assert len(empty) == 0
    center.center.admin.revoke(center.endpoint_id, "lost")
    listed = await crl()

    ca = center.center.ca.certificate
    assert listed.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert listed.issuer == ca.subject
    assert listed.get_revoked_certificate_by_serial_number(serial) is not None
    now = datetime.now(UTC)
    assert listed.last_update_utc <= now < listed.next_update_utc  # type: ignore[operator]
