"""The agent's key and certificate change only together, even across a crash."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from remotecare.agent.config import AgentIdentity, AgentPaths
from remotecare.agent.renewal import _checked, finish_interrupted_renewal
from remotecare.errors import PkiError
from remotecare.pki.ca import CertificateAuthority
from remotecare.pki.keys import generate_private_key, write_private_key
from remotecare.protocol.messages import RenewResponse

ENDPOINT = str(uuid.uuid4())


def _pair(ca: CertificateAuthority, paths: AgentPaths, suffix: str = "") -> str:
    """Write a key and a certificate for it (``suffix`` ".next" for a renewal's files)."""
    key = generate_private_key()
    key_path = paths.key.with_name(paths.key.name + suffix)
    write_private_key(key_path, key)
    issued = ca.issue_device_certificate(key.public_key(), ENDPOINT)
    paths.certificate.with_name(paths.certificate.name + suffix).write_text(issued.pem)
    return issued.pem


@pytest.fixture
def setup(tmp_path: Path) -> tuple[CertificateAuthority, AgentPaths, str]:
    ca = CertificateAuthority.create(tmp_path / "ca", "Test CA")
    paths = AgentPaths(tmp_path / "agent")
    paths.home.mkdir()
    paths.ca_certificate.write_text(ca.pem)
    return ca, paths, _pair(ca, paths)


def _files(paths: AgentPaths) -> list[str]:
    return sorted(p.name for p in paths.home.iterdir())


def test_a_renewal_stopped_before_the_renames_is_completed(
    setup: tuple[CertificateAuthority, AgentPaths, str],
) -> None:
    ca, paths, _ = setup
    new_pem = _pair(ca, paths, ".next")
    new_key = (paths.home / "agent.key.next").read_bytes()
    finish_interrupted_renewal(paths)
    assert paths.certificate.read_text() == new_pem
    assert paths.key.read_bytes() == new_key
    assert _files(paths) == ["agent.key", "agent.pem", "ca.pem"]


def test_a_renewal_stopped_between_the_renames_is_completed(
    setup: tuple[CertificateAuthority, AgentPaths, str],
) -> None:
    ca, paths, _ = setup
    new_pem = _pair(ca, paths, ".next")
    (paths.home / "agent.key.next").replace(paths.key)  # the first rename happened
    finish_interrupted_renewal(paths)
    assert paths.certificate.read_text() == new_pem
    assert _files(paths) == ["agent.key", "agent.pem", "ca.pem"]


def test_a_key_made_for_an_answer_that_never_came_is_removed(
    setup: tuple[CertificateAuthority, AgentPaths, str],
) -> None:
    _, paths, old_pem = setup
    write_private_key(paths.home / "agent.key.next", generate_private_key())
    finish_interrupted_renewal(paths)
    assert paths.certificate.read_text() == old_pem
    assert _files(paths) == ["agent.key", "agent.pem", "ca.pem"]


def test_a_certificate_for_no_key_we_have_is_removed(
    setup: tuple[CertificateAuthority, AgentPaths, str],
) -> None:
    ca, paths, old_pem = setup
    stranger = ca.issue_device_certificate(generate_private_key().public_key(), ENDPOINT)
    (paths.home / "agent.pem.next").write_text(stranger.pem)
    finish_interrupted_renewal(paths)
    assert paths.certificate.read_text() == old_pem
    assert _files(paths) == ["agent.key", "agent.pem", "ca.pem"]


def test_an_answer_for_another_key_endpoint_or_ca_is_refused(
    setup: tuple[CertificateAuthority, AgentPaths, str], tmp_path: Path
) -> None:
    ca, paths, _ = setup
    key = generate_private_key()
    identity = AgentIdentity(ENDPOINT, "https://center:8444", "https://center:8443")
    rogue = CertificateAuthority.create(tmp_path / "rogue", "Rogue CA")

    def answer(issuer: CertificateAuthority, public_key: object, endpoint: str) -> RenewResponse:
        issued = issuer.issue_device_certificate(public_key, endpoint)  # type: ignore[arg-type]
        return RenewResponse(certificate_pem=issued.pem, ca_certificate_pem=issuer.pem)

    other_key = generate_private_key().public_key()
    with pytest.raises(PkiError, match="not for the key made for it"):
        _checked(answer(ca, other_key, ENDPOINT), key, identity, paths)
    with pytest.raises(PkiError, match="names another endpoint"):
        _checked(answer(ca, key.public_key(), str(uuid.uuid4())), key, identity, paths)
    with pytest.raises(PkiError, match="not issued by our CA"):
        _checked(answer(rogue, key.public_key(), ENDPOINT), key, identity, paths)
    assert _checked(answer(ca, key.public_key(), ENDPOINT), key, identity, paths)
