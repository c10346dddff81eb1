"""The agent reads its certificate's serial and validity without cryptography, and reads
them exactly as cryptography does."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from remotecare.agent.certificate_dates import certificate_facts
from remotecare.errors import PkiError
from remotecare.pki.ca import CertificateAuthority
from remotecare.pki.certificates import load_certificate
from remotecare.pki.keys import generate_private_key


def test_reads_a_device_certificate_our_ca_issued_as_cryptography_does(tmp_path: Path) -> None:
    ca = CertificateAuthority.create(tmp_path / "ca", "Test CA")
    issued = ca.issue_device_certificate(generate_private_key().public_key(), str(uuid.uuid4()))
    expected = load_certificate(issued.pem.encode())

    for data in (issued.pem.encode(), expected.public_bytes(Encoding.DER)):
        facts = certificate_facts(data)
        assert facts.serial_number == expected.serial_number
        assert facts.not_valid_before == expected.not_valid_before_utc
        assert facts.not_valid_after == expected.not_valid_after_utc
    assert certificate_facts(ca.pem.encode()).not_valid_after == (
        load_certificate(ca.pem.encode()).not_valid_after_utc
    )


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [
        (datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2049, 12, 31, tzinfo=UTC)),
        # From 2050 on RFC 5280 writes GeneralizedTime instead of UTCTime.
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2051, 6, 7, 8, 9, 10, tzinfo=UTC)),
    ],
)
def test_reads_utc_time_and_generalized_time(not_before: datetime, not_after: datetime) -> None:
    key = generate_private_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dates")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(2**150 + 7)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    facts = certificate_facts(certificate.public_bytes(Encoding.PEM))
    assert (facts.not_valid_before, facts.not_valid_after) == (not_before, not_after)
    assert facts.serial_number == 2**150 + 7


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a certificate at all",
        b"-----BEGIN CERTIFICATE-----\nMIIB\n",  # no end line
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        b"\x30\x82\x01\x00\x30",  # a SEQUENCE that claims more than there is
        b"\x30\x03\x02\x01\x01",  # a SEQUENCE holding an INTEGER, no tbsCertificate
        b"-----BEGIN CERTIFICATE-----\n"
        + base64.b64encode(b"\x30\x05\x30\x03\x02\x01\x01")
        + b"\n-----END CERTIFICATE-----\n",  # a tbsCertificate cut after the serial
    ],
)
def test_anything_else_is_a_clear_pki_error(data: bytes) -> None:
    with pytest.raises(PkiError, match="not a certificate"):
        certificate_facts(data)
