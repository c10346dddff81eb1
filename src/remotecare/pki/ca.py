"""The center's certificate authority: one self-signed ECDSA P-256 root that issues
the center's server certificate and short-lived device (client) certificates."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from remotecare.pki.certificates import ENDPOINT_URI_PREFIX, certificate_pem, load_certificate
from remotecare.pki.keys import generate_private_key, load_private_key, write_private_key

__all__ = [
    "CRL_VALIDITY",
    "DEVICE_CERT_VALIDITY",
    "CertificateAuthority",
    "IssuedCertificate",
    "RevokedSerial",
]

_CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)
CA_VALIDITY = timedelta(days=3650)
# Not longer than the CA/Browser Forum's 825 days from notBefore (which TLS scanners check),
# counting the clock-skew allowance that notBefore is backdated by.
SERVER_CERT_VALIDITY = timedelta(days=825) - _CLOCK_SKEW_ALLOWANCE
DEVICE_CERT_VALIDITY = timedelta(days=365)
CRL_VALIDITY = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    certificate: x509.Certificate
    serial_hex: str
    not_after: datetime

    @property
    def pem(self) -> str:
        return certificate_pem(self.certificate)


@dataclass(frozen=True, slots=True)
class RevokedSerial:
    serial_hex: str
    revoked_at: datetime


def _random_serial() -> int:
    # RFC 5280: positive, at most 20 octets; 159 random bits.
    return secrets.randbits(159) | 1


class CertificateAuthority:
    """Issue certificates from the CA stored at ``ca.pem`` / ``ca.key``.

    Usage::

        ca = CertificateAuthority.create(home / "pki", "Remote Care CA")
        issued = ca.issue_device_certificate(csr, endpoint_id="…")
    """

    def __init__(self, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self.certificate = certificate
        self._key = key

    @property
    def pem(self) -> str:
        return certificate_pem(self.certificate)

    @classmethod
    def create(cls, directory: Path, common_name: str) -> CertificateAuthority:
        directory.mkdir(parents=True, exist_ok=True)
        key = generate_private_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(_random_serial())
            .not_valid_before(now - _CLOCK_SKEW_ALLOWANCE)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        write_private_key(directory / "ca.key", key)
        (directory / "ca.pem").write_text(certificate_pem(cert))
        return cls(cert, key)

    @classmethod
    def load(cls, directory: Path) -> CertificateAuthority:
        cert = load_certificate((directory / "ca.pem").read_bytes())
        return cls(cert, load_private_key(directory / "ca.key"))

    def _builder(
        self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey, validity: timedelta
    ) -> x509.CertificateBuilder:
        now = datetime.now(UTC)
        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(_random_serial())
            .not_valid_before(now - _CLOCK_SKEW_ALLOWANCE)
            .not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False,
            )
        )

    def issue_server_certificate(
        self,
        key: ec.EllipticCurvePrivateKey,
        hostnames: list[str],
        crl_url: str | None = None,
    ) -> IssuedCertificate:
        """A serverAuth certificate for ``hostnames`` (DNS names or IP addresses).

        With ``crl_url`` the certificate says where this CA's CRL is published, so that a
        client (or a scanner) can tell that its revocation can be checked.
        """
        names: list[x509.GeneralName] = []
        for host in dict.fromkeys(hostnames):
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])])
        builder = (
            self._builder(subject, key.public_key(), SERVER_CERT_VALIDITY)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(_leaf_key_usage(), critical=True)
        )
        if crl_url is not None:
            point = x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(crl_url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
            builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
        return _issued(builder.sign(self._key, hashes.SHA256()))

    def issue_device_certificate(
        self,
        public_key: ec.EllipticCurvePublicKey,
        endpoint_id: str,
        validity: timedelta = DEVICE_CERT_VALIDITY,
    ) -> IssuedCertificate:
        """A clientAuth-only certificate whose URI SAN names the endpoint.

        The subject comes from the center, never from the CSR: a device cannot choose
        whom it claims to be.
        """
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"endpoint {endpoint_id}")])
        san = x509.SubjectAlternativeName(
            [x509.UniformResourceIdentifier(ENDPOINT_URI_PREFIX + endpoint_id)]
        )
        cert = (
            self._builder(subject, public_key, validity)
            .add_extension(san, critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(_leaf_key_usage(), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        return _issued(cert)

    def issue_crl(
        self, revoked: Iterable[RevokedSerial], now: datetime, validity: timedelta = CRL_VALIDITY
    ) -> x509.CertificateRevocationList:
        """A CRL listing ``revoked``, valid from ``now`` (whole seconds) for ``validity``.

        The CRL number is ``now`` in seconds since the epoch: later CRLs have larger
        numbers (RFC 5280, 5.2.3). A consumer that reloads CRLs needs a strictly newer
        lastUpdate, so do not issue two different CRLs within the same second.
        """
        this_update = now.astimezone(UTC).replace(microsecond=0)
        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(this_update)
            .next_update(this_update + validity)
            .add_extension(x509.CRLNumber(int(this_update.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False,
            )
        )
        for entry in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(int(entry.serial_hex, 16))
                .revocation_date(entry.revoked_at.astimezone(UTC).replace(microsecond=0))
                .build()
            )
        return builder.sign(self._key, hashes.SHA256())


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _issued(cert: x509.Certificate) -> IssuedCertificate:
    return IssuedCertificate(
        certificate=cert, serial_hex=f"{cert.serial_number:x}", not_after=cert.not_valid_after_utc
    )
