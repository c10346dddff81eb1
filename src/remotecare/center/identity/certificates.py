"""An enrolled endpoint's certificates after enrolment: renewal, revocation and the CRL.

Renewal is EST's *simple re-enrol* (RFC 7030, 4.2.2) over the device API's mutual TLS:
the caller is the endpoint named by the certificate the TLS layer verified, the CSR brings
a key made on the device, and the new certificate keeps the endpoint id. Revocation takes
effect in every center process within a second (the endpoint directory re-reads the row at
most every second and the device API checks it on every request); the CRL is published
for TLS terminators and auditors that want the standard form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Connection, select, update

from remotecare.center.access.rules import Actor
from remotecare.center.identity.directory import read_endpoint
from remotecare.center.identity.rules import (
    RENEWAL_OVERLAP,
    PresentedCertificate,
    refusal_for,
    rotate,
)
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.clock import Clock
from remotecare.errors import (
    CsrRejected,
    EnrolmentError,
    OperatorError,
    PkiError,
    RenewalConflict,
)
from remotecare.pki.ca import CertificateAuthority, IssuedCertificate, RevokedSerial
from remotecare.pki.certificates import load_csr

__all__ = ["CertificateService", "EndpointEvents", "Revocation"]


@dataclass(frozen=True, slots=True)
class Revocation:
    endpoint_id: str
    already_revoked: bool
    cancelled_commands: int


class EndpointEvents(Protocol):
    """What other packages do, in the same transaction, when an endpoint's certificate
    changes (the fleet finishes or cancels the commands waiting for it)."""

    def renewed(self, conn: Connection, endpoint_id: str, serial_hex: str, now: datetime) -> None:
        """The endpoint has a new certificate ``serial_hex``."""

    def revoked(self, conn: Connection, endpoint_id: str, now: datetime) -> int:
        """The endpoint is revoked for good; returns how many waiting commands it cancelled."""


@dataclass(frozen=True, slots=True)
class CertificateService:
    """Renew and revoke endpoint certificates; publish the CRL.

    Usage::

        with transactions.begin() as conn:
            issued = service.renew(conn, presented, csr_pem)   # EnrolmentError if refused
        with transactions.begin() as conn:
            service.revoke(conn, actor, endpoint_id, "device stolen")
    """

    ca: CertificateAuthority
    clock: Clock
    events: Sequence[EndpointEvents] = field(default=())
    overlap: timedelta = RENEWAL_OVERLAP

    def renew(
        self, conn: Connection, presented: PresentedCertificate, csr_pem: str
    ) -> IssuedCertificate:
        """Sign a certificate for the CSR's new key, for the endpoint that presented one."""
        public_key = _public_key(csr_pem)
        now = self.clock.now()
        endpoint_id = presented.endpoint_id
        record = read_endpoint(conn, endpoint_id, for_update=True)
        # Checked again on fresh data: the device API's check may be a second old.
        reason = refusal_for(record, presented, now)
        if reason is not None:
            raise EnrolmentError(reason)
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
            raise RenewalConflict("another renewal of this endpoint won; try again")
        for events in self.events:
            events.renewed(conn, endpoint_id, issued.serial_hex, now)
        return issued

    def revoke(
        self, conn: Connection, actor: Actor, endpoint_id: str, reason: str | None = None
    ) -> Revocation:
        """Revoke the endpoint's certificates for good and cancel its pending commands."""
        now = self.clock.now()
        row = conn.execute(
            select(endpoints.c.revoked, endpoints.c.customer_id).where(
                endpoints.c.id == endpoint_id
            )
        ).first()
        if row is None or not actor.may_see(row.customer_id):
            raise OperatorError(f"unknown endpoint {endpoint_id}")
        if row.revoked:
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
        cancelled = sum(events.revoked(conn, endpoint_id, now) for events in self.events)
        return Revocation(endpoint_id, already_revoked=False, cancelled_commands=cancelled)

    def crl_der(self, conn: Connection) -> bytes:
        """A fresh CRL of every revoked endpoint's certificates, signed by the CA (DER)."""
        query = select(
            endpoints.c.certificate_serial,
            endpoints.c.previous_certificate_serial,
            endpoints.c.revoked_at,
            endpoints.c.enrolled_at,
        ).where(endpoints.c.revoked.is_(True))
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
        raise CsrRejected(str(exc)) from exc
    assert isinstance(key, ec.EllipticCurvePublicKey)  # load_csr accepts EC keys only
    return key
