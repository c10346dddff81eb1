"""ssl.SSLContext builders: the center's server sides and the agent's client side."""

from __future__ import annotations

import ssl
from pathlib import Path

__all__ = ["SERVER_TLS12_CIPHERS", "client_context", "server_context"]

# TLS 1.2 suites a server offers: forward secrecy (ECDHE) and AEAD only. CBC suites (open to
# LUCKY13-style timing attacks), static RSA key exchange and SHA-1 MACs are not offered;
# TLS 1.3's suites are all AEAD with forward secrecy and are configured apart by OpenSSL.
SERVER_TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL"

# OpenSSL's X509_V_FLAG_NO_CHECK_TIME (1.1.0+); Python's ssl module has no name for it.
_NO_CHECK_TIME = 0x200000


def _base(protocol: int) -> ssl.SSLContext:
    # A bare context loads no system CAs: each side trusts exactly what it is given.
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def server_context(
    cert_file: Path,
    key_file: Path,
    client_ca_file: Path | None,
    *,
    client_validity_checked_by_application: bool = False,
) -> ssl.SSLContext:
    """Server side; with ``client_ca_file`` a client certificate from that CA is demanded.

    With ``client_validity_checked_by_application`` the handshake checks the client's
    chain and signature but not the validity period, so that the application can refuse
    an expired certificate with a reason the agent can show, instead of a handshake that
    just closes. The application must then check the dates on every request.
    """
    context = _base(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.set_ciphers(SERVER_TLS12_CIPHERS)
    # No TLS 1.3 session tickets: agents keep their connection alive rather than resume
    # one, so every new connection proves its key again, and a ticket (two per handshake
    # by default) costs the server a copy of the session with the client's certificate
    # decoded again (bench/ingest.py, new connection per report: 617-636 -> 702-733/s).
    # The console's browsers then make a full handshake per connection too; they keep
    # their connections alive as well.
    context.num_tickets = 0
    if client_ca_file is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(client_ca_file))
        if client_validity_checked_by_application:
            context.verify_flags |= _NO_CHECK_TIME
    return context


def client_context(
    ca_pem: str | None = None,
    *,
    ca_file: Path | None = None,
    cert_file: Path | None = None,
    key_file: Path | None = None,
) -> ssl.SSLContext:
    """Client side trusting only the given CA, optionally presenting a client certificate."""
    context = _base(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the host name
    if ca_pem is None and ca_file is None:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    else:
        context.load_verify_locations(
            cafile=str(ca_file) if ca_file else None, cadata=ca_pem if ca_pem else None
        )
    if cert_file is not None:
        context.load_cert_chain(cert_file, key_file)
    return context
