"""Which of an endpoint's certificates the center accepts, what renewal changes, and
whether a presented certificate may be used now.

Renewal gives the endpoint a new certificate (same endpoint id, new key, new serial). The
certificate it replaces stays accepted for :data:`RENEWAL_OVERLAP`, so requests already on
their way (a keep-alive connection, an outbox retry) are not cut off while the agent
switches files; after that it is *superseded* and refused. Revocation has no overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from remotecare.center.contracts.rules import ServiceStatus, why_not_active

__all__ = [
    "RENEWAL_OVERLAP",
    "EndpointCertificates",
    "EndpointRecord",
    "PresentedCertificate",
    "refusal_for",
    "rotate",
]

RENEWAL_OVERLAP = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class EndpointCertificates:
    """The endpoint's current certificate and the one it replaced, while that overlaps."""

    current_serial: str
    previous_serial: str | None = None
    previous_valid_until: datetime | None = None

    def accepts(self, serial: str, now: datetime) -> bool:
        """True for the current certificate, and for the replaced one during the overlap."""
        if serial == self.current_serial:
            return True
        return (
            serial == self.previous_serial
            and self.previous_valid_until is not None
            and now < self.previous_valid_until
        )


def rotate(
    certificates: EndpointCertificates,
    presented_serial: str,
    new_serial: str,
    now: datetime,
    overlap: timedelta = RENEWAL_OVERLAP,
) -> EndpointCertificates:
    """The certificates after a renewal made with ``presented_serial``.

    Renewing with the current certificate starts a new overlap for it. Renewing again
    with the replaced one (the agent never received the answer to its first renewal)
    replaces the unused new certificate and keeps the original overlap: retrying can
    never stretch the life of an old certificate.

    Usage::

        rotate(EndpointCertificates("a1"), "a1", "b2", now).previous_serial  # "a1"
    """
    if not certificates.accepts(presented_serial, now):
        raise ValueError("only an accepted certificate can be renewed")
    if presented_serial == certificates.current_serial:
        return EndpointCertificates(new_serial, presented_serial, now + overlap)
    return EndpointCertificates(
        new_serial, certificates.previous_serial, certificates.previous_valid_until
    )


@dataclass(frozen=True, slots=True)
class PresentedCertificate:
    """The client certificate the TLS layer verified (chain only: time is checked here)."""

    endpoint_id: str
    serial_hex: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    """What the center knows of an endpoint when it calls."""

    endpoint_id: str
    customer_id: int
    certificates: EndpointCertificates
    revoked: bool
    customer_status: str
    pending_commands: bool = False


def refusal_for(
    record: EndpointRecord | None, presented: PresentedCertificate, now: datetime
) -> str | None:
    """Why this certificate may not be used now, or None when it may."""
    if record is None:
        return "unknown endpoint"
    if record.customer_status == ServiceStatus.TERMINATED:
        # Before "revoked": termination revokes every endpoint, and the agent should
        # learn why (``agent doctor`` explains this refusal).
        return why_not_active(record.customer_status)
    if record.revoked:
        return "endpoint certificate revoked"
    if now > presented.not_after:
        return "endpoint certificate expired: enrol again with a new token"
    if now < presented.not_before:
        return "endpoint certificate not yet valid: check the agent's clock"
    if not record.certificates.accepts(presented.serial_hex, now):
        return "certificate superseded by a newer one"
    return why_not_active(record.customer_status)
