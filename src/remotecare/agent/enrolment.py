"""First run: make a key here, trade a one-time token and a CSR for a certificate.

The CA is pinned by the fingerprint the operator gave: the agent fetches the CA
certificate, refuses it unless its SHA-256 matches, and only then sends the token, over
TLS that trusts that CA alone.
"""

from __future__ import annotations

import os
import ssl
import uuid
from pathlib import Path

import aiohttp
from cryptography.hazmat.primitives.serialization import Encoding

from remotecare.agent.config import AgentIdentity, AgentPaths
from remotecare.agent.privacy import install_key, load_or_create_key
from remotecare.errors import EnrolmentRejected, ProtocolError, UplinkError
from remotecare.pki.certificates import (
    build_csr,
    certificate_pem,
    fingerprint,
    load_certificate,
    normalize_fingerprint,
)
from remotecare.pki.keys import generate_private_key, load_private_key, write_private_key
from remotecare.pki.tls import client_context
from remotecare.protocol.codec import answer_fields, decode, encode
from remotecare.protocol.messages import EnrolRequest, EnrolResponse

__all__ = ["enrol"]

_TIMEOUT = aiohttp.ClientTimeout(total=30)


def _unverified_context() -> ssl.SSLContext:
    # Used only to download the CA certificate, which is then checked against the pinned
    # fingerprint; no secret travels on this connection.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _fetch_pinned_ca(center_url: str, expected_fingerprint: str) -> str:
    url = center_url.rstrip("/") + "/.well-known/est/cacerts"
    try:
        async with (
            aiohttp.ClientSession(timeout=_TIMEOUT) as session,
            session.get(url, ssl=_unverified_context()) as response,
        ):
            if response.status != 200:
                raise UplinkError(f"{url} answered {response.status}")
            pem = await response.read()
    except aiohttp.ClientError as exc:
        raise UplinkError(f"cannot reach the center at {center_url}: {exc}") from exc
    ca = load_certificate(pem)
    seen = fingerprint(ca)
    if seen != expected_fingerprint:
        raise EnrolmentRejected(
            f"the center's CA fingerprint is {seen}, not the {expected_fingerprint} you were "
            "given: not enrolling (wrong center, or someone in between)"
        )
    return certificate_pem(ca)


async def enrol(
    paths: AgentPaths,
    center_url: str,
    token: str,
    ca_fingerprint: str,
    *,
    privacy_key_file: Path | None = None,
) -> AgentIdentity:
    """Enrol this agent; afterwards ``paths`` hold the key, certificate, CA and identity.

    ``privacy_key_file`` is the customer's pseudonymization key, shared by all its agents;
    without it this site makes its own.
    """
    if paths.identity.exists():
        raise EnrolmentRejected(f"already enrolled ({paths.identity}); remove the home to redo")
    expected = normalize_fingerprint(ca_fingerprint)
    paths.home.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.home, 0o700)
    if privacy_key_file is not None:  # before the token is spent: a bad file costs nothing
        install_key(privacy_key_file, paths.privacy_key)
    ca_pem = await _fetch_pinned_ca(center_url, expected)

    # A key left by an interrupted enrolment is reused: it never left this machine.
    if paths.key.exists():
        key = load_private_key(paths.key)
    else:
        key = generate_private_key()
        write_private_key(paths.key, key)
    csr = build_csr(key, f"remotecare-agent-{uuid.uuid4()}")
    body = encode(EnrolRequest(token=token, csr_pem=csr.public_bytes(Encoding.PEM).decode()))
    url = center_url.rstrip("/") + "/.well-known/est/simpleenroll"
    try:
        async with (
            aiohttp.ClientSession(timeout=_TIMEOUT) as session,
            session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json"},
                ssl=client_context(ca_pem),
            ) as response,
        ):
            payload = await response.read()
            if response.status != 201:
                raise EnrolmentRejected(_error_text(payload, response.status))
    except aiohttp.ClientError as exc:
        raise UplinkError(f"enrolment request to {center_url} failed: {exc}") from exc
    try:
        answer = decode(EnrolResponse, payload)
    except ProtocolError as exc:
        raise UplinkError(f"the center's enrolment answer is not understood: {exc}") from exc
    _write_public(paths.certificate, answer.certificate_pem)
    _write_public(paths.ca_certificate, ca_pem)
    identity = AgentIdentity(answer.endpoint_id, answer.device_api_url, center_url)
    identity.save(paths.identity)
    load_or_create_key(paths.privacy_key)  # the pseudonym key: 0600, never sent
    return identity


def _write_public(path: Path, text: str) -> None:
    path.write_text(text)
    os.chmod(path, 0o644)


def _error_text(payload: bytes, status: int) -> str:
    reason = answer_fields(payload).get("error")
    if reason is None:
        return f"center refused enrolment ({status})"
    return f"center refused enrolment ({status}): {reason}"
