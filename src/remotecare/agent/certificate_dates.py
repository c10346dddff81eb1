"""The serial number and validity of the agent's certificate, read from its DER.

The agent checks its certificate's expiry on every delivery; a full X.509 parser
(cryptography, about 10 MB resident) is loaded only when it actually renews. The fields
read here sit at fixed places of every certificate (RFC 5280, 4.1)::

    Certificate ::= SEQUENCE { tbsCertificate SEQUENCE {
        version [0] EXPLICIT OPTIONAL, serialNumber INTEGER, signature SEQUENCE,
        issuer SEQUENCE, validity SEQUENCE { notBefore Time, notAfter Time }, ... }, ... }

Usage::

    facts = certificate_facts(paths.certificate.read_bytes())
    facts.not_valid_after  # an aware UTC datetime
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from remotecare.errors import PkiError

__all__ = ["CertificateFacts", "certificate_facts"]

_SEQUENCE: Final = 0x30
_INTEGER: Final = 0x02
_VERSION: Final = 0xA0  # [0] EXPLICIT
_UTC_TIME: Final = 0x17
_GENERALIZED_TIME: Final = 0x18
_LONG_LENGTH: Final = 0x80
_MAX_LENGTH_BYTES: Final = 4
_UTC_TIME_PIVOT: Final = 50  # RFC 5280 4.1.2.5.1: YY >= 50 is 19YY, else 20YY
_PEM_BEGIN: Final = b"-----BEGIN CERTIFICATE-----"
_PEM_END: Final = b"-----END CERTIFICATE-----"


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    serial_number: int
    not_valid_before: datetime
    not_valid_after: datetime


def certificate_facts(data: bytes) -> CertificateFacts:
    """Serial and validity of the first certificate in ``data`` (PEM or DER); a clear
    :class:`PkiError` for anything that is not a certificate."""
    der = _der_of(data)
    try:
        tag, start, end = _element(der, 0)
        _expect(tag, _SEQUENCE, "certificate")
        tag, position, tbs_end = _element(der, start)
        _expect(tag, _SEQUENCE, "tbsCertificate")
        tag, start, end = _element(der, position)
        if tag == _VERSION:
            tag, start, end = _element(der, end)
        _expect(tag, _INTEGER, "serialNumber")
        serial = int.from_bytes(der[start:end], "big", signed=True)
        for what in ("signature", "issuer"):
            tag, _, end = _element(der, end)
            _expect(tag, _SEQUENCE, what)
        tag, start, end = _element(der, end)
        _expect(tag, _SEQUENCE, "validity")
        if end > tbs_end:
            raise PkiError("not a certificate: the validity runs past its tbsCertificate")
        not_before_tag, before_start, before_end = _element(der, start)
        not_after_tag, after_start, after_end = _element(der, before_end)
        not_before = _time(not_before_tag, der[before_start:before_end])
        not_after = _time(not_after_tag, der[after_start:after_end])
    except IndexError:
        raise PkiError("not a certificate: the DER ends too early") from None
    return CertificateFacts(serial, not_before, not_after)


def _der_of(data: bytes) -> bytes:
    stripped = data.strip()
    if not stripped.startswith(_PEM_BEGIN):
        return data
    body, found, _ = stripped[len(_PEM_BEGIN) :].partition(_PEM_END)
    if not found:
        raise PkiError("not a certificate: the PEM block has no end line")
    try:
        return base64.b64decode(b"".join(body.split()), validate=True)
    except binascii.Error as exc:
        raise PkiError(f"not a certificate: bad base64 in the PEM block ({exc})") from exc


def _element(der: bytes, position: int) -> tuple[int, int, int]:
    """(tag, where the content starts, where it ends) of the element at ``position``."""
    tag, length = der[position], der[position + 1]
    start = position + 2
    if length & _LONG_LENGTH:
        count = length & ~_LONG_LENGTH
        if not 0 < count <= _MAX_LENGTH_BYTES:
            raise PkiError("not a certificate: unsupported DER length")
        length = int.from_bytes(der[start : start + count], "big")
        start += count
    end = start + length
    if end > len(der):
        raise IndexError(end)
    return tag, start, end


def _expect(tag: int, expected: int, what: str) -> None:
    if tag != expected:
        raise PkiError(f"not a certificate: {what} has tag 0x{tag:02x}, not 0x{expected:02x}")


def _time(tag: int, content: bytes) -> datetime:
    text = content.decode("ascii", "replace")
    if tag == _UTC_TIME:
        year = int(text[:2]) if text[:2].isdigit() else 0
        text = ("19" if year >= _UTC_TIME_PIVOT else "20") + text
    elif tag != _GENERALIZED_TIME:
        raise PkiError(f"not a certificate: a validity time has tag 0x{tag:02x}")
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise PkiError(f"not a certificate: bad validity time {text!r}") from exc
