"""An enrolled endpoint's certificates after enrolment: renewal, revocation and the CRL.

Renewal is EST's *simple re-enrol* (RFC 7030, 4.2.2) over the device API's mutual TLS:
the caller is the endpoint named by the certificate the TLS layer verified, the CSR brings
a key made on the device, and the new certificate keeps the endpoint id. Revocation takes
effect in every center process within a second (the endpoint directory re-reads the row at
most every second and the device API checks it on every request); the CRL is published
for TLS terminators and auditors that want the standard form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Engine, select, update

from remotecare.center.fleet.commands import cancel_pending, finish_pending
from remotecare.center.identity.directory import (
    PresentedCertificate,
    read_endpoint,
    refusal_for,
)
from remotecare.center.identity.rules import RENEWAL_OVERLAP, rotate
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.clock import Clock
from remotecare.errors import EnrollmentError, OperatorError, PkiError
from remotecare.pki.ca import CertificateAuthority, IssuedCertificate, RevokedSerial
from remotecare.pki.certificates import load_csr
from remotecare.protocol.messages import CommandKind

__all__ = ["CertificateService", "Revocation"]


@dataclass(frozen=True, slots=True)
class Revocation:
    endpoint_id: str
    already_revoked: bool
    cancelled_commands: int


@dataclass(frozen=True, slots=True)
class CertificateService:
    """Renew and revoke endpoint certificates; publish the CRL.

    Usage::

        issued = service.renew(presented, csr_pem)   # raises EnrollmentError with a status
        service.revoke(endpoint_id, "device stolen")
    """

    engine: Engine
    ca: CertificateAuthority
    clock: Clock
    overlap: timedelta = RENEWAL_OVERLAP

    def renew(self, presented: PresentedCertificate, csr_pem: str) -> IssuedCertificate:
        """Sign a certificate for the CSR's new key, for the endpoint that presented one."""
        public_key = _public_key(csr_pem)
        now = self.clock.now()
        endpoint_id = presented.endpoint_id
        with self.engine.begin() as conn:
            record = read_endpoint(conn, endpoint_id, for_update=True)
            # Checked again on fresh data: the device API's check may be a second old.
            reason = refusal_for(record, presented, now)
            if reason is not None:
                raise EnrollmentError(reason, status=403)
            assert record is not None
            current = record.certificates
            issued = self.ca.issue_device_certificate(public_key, endpoint_id)
            after = rotate(current, presented.serial_hex, issued.serial_hex, now, self.overlap)
            changed = conn.execute(
                update(endpoints)
                .where(
                    endpoints.c.id == endpoint_id,
                    endpoints.c.certificate_serial == current.current_serial,
                )
                .values(
                    certificate_serial=after.current_serial,
                    certificate_not_after=issued.not_after,
                    previous_certificate_serial=after.previous_serial,
                    previous_certificate_valid_until=after.previous_valid_until,
                )
            ).rowcount
            if changed != 1:
                raise EnrollmentError("another renewal of this endpoint won; try again", 409)
            finish_pending(
                conn,
                endpoint_id,
                CommandKind.RENEW_CERTIFICATE,
                now,
                f"renewed: certificate {issued.serial_hex}",
            )
        return issued

    def revoke(self, endpoint_id: str, reason: str | None = None) -> Revocation:
        """Revoke the endpoint's certificates for good and cancel its pending commands."""
        now = self.clock.now()
        with self.engine.begin() as conn:
            revoked = conn.execute(
                select(endpoints.c.revoked).where(endpoints.c.id == endpoint_id)
            ).scalar()
            if revoked is None:
                raise OperatorError(f"unknown endpoint {endpoint_id}")
            if revoked:
                return Revocation(endpoint_id, already_revoked=True, cancelled_commands=0)
            conn.execute(
                update(endpoints)
                .where(endpoints.c.id == endpoint_id)
                .values(
                    revoked=True,
                    revoked_at=now,
                    revocation_reason=(reason or "")[:256] or None,
                )
            )
            cancelled = cancel_pending(conn, endpoint_id, now, "endpoint revoked")
        return Revocation(endpoint_id, already_revoked=False, cancelled_commands=cancelled)

    def crl_der(self) -> bytes:
        """A fresh CRL of every revoked endpoint's certificates, signed by the CA (DER)."""
        query = select(
            endpoints.c.certificate_serial,
            endpoints.c.previous_certificate_serial,
            endpoints.c.revoked_at,
            endpoints.c.enrolled_at,
        ).where(endpoints.c.revoked.is_(True))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        entries = [
            RevokedSerial(serial, row.revoked_at or row.enrolled_at)
            for row in rows
            for serial in (row.certificate_serial, row.previous_certificate_serial)
            if serial
        ]
        return self.ca.issue_crl(entries, self.clock.now()).public_bytes(Encoding.DER)


def _public_key(csr_pem: str) -> ec.EllipticCurvePublicKey:
    try:
        key = load_csr(csr_pem).public_key()
    except PkiError as exc:
        raise EnrollmentError(str(exc), status=400) from exc
    assert isinstance(key, ec.EllipticCurvePublicKey)  # load_csr accepts EC keys only
    return key
