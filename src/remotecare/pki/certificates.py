"""Read certificates and CSRs: fingerprints, endpoint identities, validity."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from remotecare.errors import PkiError

__all__ = [
    "ENDPOINT_URI_PREFIX",
    "build_csr",
    "certificate_pem",
    "endpoint_id_of",
    "fingerprint",
    "load_certificate",
    "load_csr",
    "normalize_fingerprint",
]

ENDPOINT_URI_PREFIX = "urn:remotecare:endpoint:"


def load_certificate(data: bytes) -> x509.Certificate:
    """Load one certificate from PEM or DER."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise PkiError(f"not a certificate: {exc}") from exc


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER encoding, as upper-case hex pairs joined by colons."""
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def normalize_fingerprint(text: str) -> str:
    """Accept ``AB:CD..``, ``abcd..`` or ``sha256:abcd..`` and return the colon form."""
    cleaned = text.strip().removeprefix("sha256:").replace(":", "").replace(" ", "").upper()
    if len(cleaned) != 64 or any(c not in "0123456789ABCDEF" for c in cleaned):
        raise PkiError("a SHA-256 fingerprint is 64 hexadecimal digits")
    return ":".join(cleaned[i : i + 2] for i in range(0, 64, 2))


def endpoint_id_of(cert: x509.Certificate) -> str:
    """The endpoint identity a device certificate carries in its URI SAN."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as exc:
        raise PkiError("certificate has no subjectAltName") from exc
    for uri in san.get_values_for_type(x509.UniformResourceIdentifier):
        if uri.startswith(ENDPOINT_URI_PREFIX):
            return uri.removeprefix(ENDPOINT_URI_PREFIX)
    raise PkiError("certificate names no Remote Care endpoint")


def build_csr(key: ec.EllipticCurvePrivateKey, common_name: str) -> x509.CertificateSigningRequest:
    """A CSR for ``key``; the center decides the identity, so only a CN is proposed."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def load_csr(pem: str) -> x509.CertificateSigningRequest:
    """Load a PEM CSR and check its self-signature and key type."""
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except ValueError as exc:
        raise PkiError(f"not a PEM certificate signing request: {exc}") from exc
    if not csr.is_signature_valid:
        raise PkiError("the CSR's signature does not verify")
    if not isinstance(csr.public_key(), ec.EllipticCurvePublicKey):
        raise PkiError("the CSR's key must be an EC key")
    return csr


def is_valid_now(cert: x509.Certificate, now: datetime | None = None) -> bool:
    moment = now or datetime.now(UTC)
    return cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc
