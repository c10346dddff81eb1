"""The caller of the device API, read from the TLS layer's verified certificate only."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from aiohttp import web

from remotecare.errors import PkiError
from remotecare.pki.certificates import endpoint_id_of, load_certificate

__all__ = ["PeerCertificate", "peer_certificate"]


@dataclass(frozen=True, slots=True)
class PeerCertificate:
    endpoint_id: str
    serial_hex: str


@functools.lru_cache(maxsize=4096)
def _parse(der: bytes) -> PeerCertificate:
    cert = load_certificate(der)
    return PeerCertificate(endpoint_id_of(cert), f"{cert.serial_number:x}")


def peer_certificate(request: web.Request) -> PeerCertificate | None:
    """The verified client certificate of this connection, or None.

    The TLS handshake already checked the chain to our CA; a certificate without our
    endpoint identity counts as none.
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
