"""Renew the agent's certificate before it expires (EST simple re-enrol over mutual TLS).

A new key is made here and never sent; the CSR goes to the device API's ``/api/v1/renew``
on a connection authenticated by the current certificate. The files change only after the
center answered with a certificate that is for the new key, names this endpoint and was
issued by the pinned CA, and then by atomic renames::

    agent.key.next (0600, written before the request)   agent.pem.next (after the answer)
            └── rename → agent.key                               └── rename → agent.pem

A crash between the two renames leaves ``agent.pem.next`` behind:
:func:`finish_interrupted_renewal` (called by :func:`renew_certificate`, and to be called
when the agent starts) completes it. The center keeps accepting the replaced certificate
for a short overlap, so connections opened with it are not cut off.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.http11 import HttpClient, HttpError
from remotecare.agent.schedule import parse_retry_after
from remotecare.agent.uplink import ProxySettings, agent_tls_context
from remotecare.errors import EnrolmentRejected, PkiError, ProtocolError, RetryLater, UplinkError
from remotecare.protocol.codec import answer_fields, decode, encode
from remotecare.protocol.messages import RenewRequest, RenewResponse

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

# cryptography (about 10 MB resident) is imported inside the functions below: the agent
# loads it only when it renews, or finishes a renewal, never for its everyday work.

__all__ = ["finish_interrupted_renewal", "renew_certificate"]

logger = logging.getLogger(__name__)

_RENEW_PATH = "/api/v1/renew"


def _next(path: Path) -> Path:
    return path.with_name(path.name + ".next")


async def renew_certificate(
    paths: AgentPaths, identity: AgentIdentity, settings: AgentSettings
) -> None:
    """Get a new certificate for a new key; the old ones stay if anything fails.

    Raises :class:`EnrolmentRejected` when the center refuses (revoked, expired: enrol
    again), :class:`RetryLater` when it is busy, :class:`UplinkError` when it cannot be
    reached, :class:`PkiError` when its answer is not a certificate for us.
    """
    from remotecare.pki.certificates import build_csr, certificate_pem
    from remotecare.pki.keys import generate_private_key, write_private_key

    finish_interrupted_renewal(paths)
    key_next = _next(paths.key)
    key_next.unlink(missing_ok=True)
    key = generate_private_key()
    write_private_key(key_next, key)  # 0600 from the start, on disk before it is used
    try:
        csr = build_csr(key, f"remotecare-agent-{identity.endpoint_id}")
        answer = await _request_certificate(paths, identity, settings, csr)
        certificate = _checked(answer, key, identity, paths)
    except BaseException:
        key_next.unlink(missing_ok=True)
        raise
    _write_durably(_next(paths.certificate), certificate_pem(certificate).encode(), 0o644)
    _install(paths)
    logger.info(
        "certificate renewed: serial %x, valid until %s",
        certificate.serial_number,
        certificate.not_valid_after_utc.isoformat(),
    )


def finish_interrupted_renewal(paths: AgentPaths) -> None:
    """Complete a renewal that stopped between writing the new files and renaming them,
    or remove what an unfinished one left. Safe to call at any time."""
    cert_next, key_next = _next(paths.certificate), _next(paths.key)
    if not cert_next.exists():
        key_next.unlink(missing_ok=True)  # the center's answer never arrived: nothing to do
        return
    from remotecare.pki.certificates import load_certificate
    from remotecare.pki.keys import load_private_key

    try:
        pending = load_certificate(cert_next.read_bytes())
        key_path = key_next if key_next.exists() else paths.key
        complete = _same_key(pending, load_private_key(key_path))
    except PkiError:
        complete = False
    if complete:
        _install(paths)
        logger.info("finished an interrupted certificate renewal")
        return
    cert_next.unlink()
    key_next.unlink(missing_ok=True)


async def _request_certificate(
    paths: AgentPaths,
    identity: AgentIdentity,
    settings: AgentSettings,
    csr: x509.CertificateSigningRequest,
) -> RenewResponse:
    from cryptography.hazmat.primitives.serialization import Encoding

    body = encode(RenewRequest(csr_pem=csr.public_bytes(Encoding.PEM).decode()))
    proxy = ProxySettings.from_settings(settings)
    url = identity.device_api_url.rstrip("/") + _RENEW_PATH
    try:
        async with HttpClient(
            tls=agent_tls_context(paths, settings.ca_bundle or None),
            timeout_s=settings.http_timeout_seconds,
            proxy=proxy.tunnel if proxy else None,  # only the configured one
        ) as http:
            response = await http.request(
                "POST", url, body=body, headers={"Content-Type": "application/json"}
            )
    except (HttpError, TimeoutError) as exc:
        raise UplinkError(f"cannot reach the center to renew: {exc or type(exc)}") from exc
    payload, status = response.body, response.status
    retry_after = response.headers.get("Retry-After")
    if status in (429, 503):
        seconds = parse_retry_after(retry_after, datetime.now(UTC))
        raise RetryLater(f"the center is busy ({status})", seconds)
    if status != 201:
        raise EnrolmentRejected(f"center refused renewal ({status}): {_error(payload)}")
    try:
        return decode(RenewResponse, payload)
    except ProtocolError as exc:
        raise UplinkError(f"the center's renewal answer is not understood: {exc}") from exc


def _checked(
    answer: RenewResponse,
    key: ec.EllipticCurvePrivateKey,
    identity: AgentIdentity,
    paths: AgentPaths,
) -> x509.Certificate:
    from cryptography.exceptions import InvalidSignature

    from remotecare.pki.certificates import endpoint_id_of, load_certificate

    certificate = load_certificate(answer.certificate_pem.encode())
    ca = load_certificate(paths.ca_certificate.read_bytes())
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise PkiError("the renewed certificate is not issued by our CA") from exc
    if not _same_key(certificate, key):
        raise PkiError("the renewed certificate is not for the key made for it")
    if endpoint_id_of(certificate) != identity.endpoint_id:
        raise PkiError("the renewed certificate names another endpoint")
    return certificate


def _same_key(certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    def spki(public: object) -> bytes:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        return public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)

    return spki(certificate.public_key()) == spki(key.public_key())


def _install(paths: AgentPaths) -> None:
    """Rename the new key, then the new certificate, into place (each atomic)."""
    key_next = _next(paths.key)
    if key_next.exists():
        os.replace(key_next, paths.key)
    os.replace(_next(paths.certificate), paths.certificate)
    _sync_directory(paths.home)


def _write_durably(path: Path, data: bytes, mode: int) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # not every file system syncs directories
            os.fsync(fd)
    finally:
        os.close(fd)


def _error(payload: bytes) -> str:
    reason = answer_fields(payload).get("error")
    return "no reason given" if reason is None else str(reason)
