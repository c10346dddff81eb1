"""The caller of the device API: the TLS layer's verified certificate, or in proxy mode the
certificate a trusted TLS-terminating proxy (nginx) verified and passed in a header."""

from __future__ import annotations

import functools
import ipaddress
import urllib.parse
from collections.abc import Callable, Iterable

from aiohttp import web
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from remotecare.center.identity.rules import PresentedCertificate
from remotecare.center.web.responses import refuse
from remotecare.errors import PkiError
from remotecare.pki.certificates import endpoint_id_of, load_certificate

__all__ = [
    "CLIENT_CERT_HEADER",
    "CLIENT_VERIFY_HEADER",
    "ForwardedCertificates",
    "Identify",
    "PeerCertificate",
    "identify_caller",
    "peer_certificate",
]

CLIENT_CERT_HEADER = "X-Client-Cert"  # nginx: $ssl_client_escaped_cert (URL-encoded PEM)
CLIENT_VERIFY_HEADER = "X-Client-Verify"  # nginx: $ssl_client_verify, "SUCCESS" when verified

PeerCertificate = PresentedCertificate


@functools.lru_cache(maxsize=4096)
def _parse(der: bytes) -> PeerCertificate:
    cert = load_certificate(der)
    return PeerCertificate(
        endpoint_id_of(cert),
        f"{cert.serial_number:x}",
        cert.not_valid_before_utc,
        cert.not_valid_after_utc,
    )


def peer_certificate(request: web.Request) -> PeerCertificate | None:
    """The verified client certificate of this connection, or None.

    The TLS handshake already checked the chain to our CA (but not the validity period,
    so that an expired certificate gets a clear refusal from ``refusal_for``); a
    certificate without our endpoint identity counts as none.
    """
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    try:
        return _parse(der)
    except PkiError:
        return None


class ForwardedCertificates:
    """Read the client certificate a trusted TLS-terminating proxy verified and forwarded.

    The headers are believed only on a connection from an address in ``trusted_proxies``
    (addresses or networks); from anywhere else the request is refused, so a client that
    reaches the proxy port directly cannot name itself. The certificate must also be
    signed by the center's CA: a misconfigured proxy cannot let a stranger's through.

    Usage::

        forwarded = ForwardedCertificates(["127.0.0.1"], ca_certificate)
        identify = identify_caller(forwarded)
    """

    def __init__(self, trusted_proxies: Iterable[str], ca_certificate: x509.Certificate) -> None:
        self._networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
        self._ca = ca_certificate
        self._parse_header = functools.lru_cache(maxsize=4096)(self._parse_uncached)

    def trusts(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def __call__(self, request: web.Request) -> PeerCertificate | web.Response | None:
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        address = peer[0] if isinstance(peer, tuple) and peer else None
        if not self.trusts(address):
            return refuse(403, "not a trusted proxy: this port serves the TLS proxy only")
        if request.headers.get(CLIENT_VERIFY_HEADER) != "SUCCESS":
            return None
        escaped = request.headers.get(CLIENT_CERT_HEADER, "")
        return self._parse_header(escaped) if escaped else None

    def _parse_uncached(self, escaped: str) -> PeerCertificate | None:
        try:
            cert = load_certificate(urllib.parse.unquote(escaped).encode())
            cert.verify_directly_issued_by(self._ca)
            return _parse(cert.public_bytes(Encoding.DER))
        except (PkiError, ValueError, TypeError, InvalidSignature):
            return None


Identify = Callable[[web.Request], "PeerCertificate | web.Response | None"]


def identify_caller(forwarded: ForwardedCertificates | None) -> Identify:
    """The caller of a request: from the TLS layer on a TLS connection; on plain HTTP (the
    proxy port) from the proxy's headers when ``forwarded`` is set, else nobody."""

    def identify(request: web.Request) -> PeerCertificate | web.Response | None:
        transport = request.transport
        if transport is not None and transport.get_extra_info("ssl_object") is not None:
            return peer_certificate(request)
        return forwarded(request) if forwarded is not None else None

    return identify
