"""Enrolment: customers' one-time tokens, and signing a device's CSR in exchange for one.

Functions take the caller's open connection; everything an enrolment changes commits or
rolls back together (``kernel/transactions.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, insert, select, update

from remotecare.center.access.rules import Actor
from remotecare.center.contracts.rules import why_not_active
from remotecare.center.contracts.service import active_customer_id, customer_statuses
from remotecare.center.identity.tables import endpoints, enrolment_tokens
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.secrets import hash_token, new_token
from remotecare.errors import CsrRejected, EnrolmentError, OperatorError, PkiError
from remotecare.pki.ca import CertificateAuthority, IssuedCertificate
from remotecare.pki.certificates import load_csr

__all__ = ["DEFAULT_TOKEN_TTL", "EnrolledEndpoint", "EnrolmentService", "IssuedToken"]

DEFAULT_TOKEN_TTL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # shown once; only its hash is stored
    customer: str
    expires_in: timedelta
    max_endpoints: int


@dataclass(frozen=True, slots=True)
class EnrolledEndpoint:
    endpoint_id: str
    certificate: IssuedCertificate


@dataclass(frozen=True, slots=True)
class EnrolmentService:
    """Usage::

    with transactions.begin() as conn:
        issued = service.create_token(conn, operator, "Acme Ltd")
    with transactions.begin() as conn:
        enrolled = service.enrol(conn, issued.token, csr_pem)   # EnrolmentError if refused
    """

    ca: CertificateAuthority
    clock: Clock

    def create_token(
        self,
        conn: Connection,
        actor: Actor,
        customer: str,
        *,
        ttl: timedelta = DEFAULT_TOKEN_TTL,
        max_endpoints: int = 1,
    ) -> IssuedToken:
        """Issue a single-use token for ``customer``, whose application must have been
        accepted and whose service is active (``ContractRefused`` otherwise). Only
        operators, who see every customer, issue tokens."""
        if not actor.sees_every_customer:
            raise OperatorError(f"{actor.name} ({actor.role}) may not issue enrolment tokens")
        if ttl <= timedelta(0) or max_endpoints < 1:
            raise ValueError("a token needs a positive lifetime and at least one endpoint")
        customer_id = active_customer_id(conn, customer)
        token = new_token()
        now = self.clock.now()
        conn.execute(
            insert(enrolment_tokens).values(
                token_hash=hash_token(token),
                customer_id=customer_id,
                max_endpoints=max_endpoints,
                used_endpoints=0,
                created_at=now,
                expires_at=now + ttl,
            )
        )
        return IssuedToken(token, customer, ttl, max_endpoints)

    def enrol(self, conn: Connection, token: str, csr_pem: str) -> EnrolledEndpoint:
        """Spend one use of ``token`` and sign the CSR. Raises ``EnrolmentError`` when
        refused; the caller's transaction then rolls back, so nothing changes."""
        try:
            csr = load_csr(csr_pem)
        except PkiError as exc:
            raise CsrRejected(str(exc)) from exc
        token_hash = hash_token(token)
        now = self.clock.now()
        # One conditional UPDATE spends the token, so two agents racing with the same
        # token cannot both win, on SQLite or PostgreSQL.
        spent = conn.execute(
            update(enrolment_tokens)
            .where(
                enrolment_tokens.c.token_hash == token_hash,
                enrolment_tokens.c.used_endpoints < enrolment_tokens.c.max_endpoints,
                enrolment_tokens.c.expires_at > now,
            )
            .values(used_endpoints=enrolment_tokens.c.used_endpoints + 1)
            .returning(enrolment_tokens.c.customer_id)
        ).first()
        if spent is None:
            raise EnrolmentError(_why_refused(conn, token_hash))
        customer_id = spent.customer_id
        status = customer_statuses(conn, [customer_id]).get(customer_id, "unknown")
        refusal = why_not_active(status)
        if refusal is not None:
            raise EnrolmentError(refusal)
        endpoint_id = str(uuid.uuid4())
        public_key = csr.public_key()
        issued = self.ca.issue_device_certificate(public_key, endpoint_id)  # type: ignore[arg-type]
        conn.execute(
            insert(endpoints).values(
                id=endpoint_id,
                customer_id=customer_id,
                certificate_serial=issued.serial_hex,
                certificate_not_after=issued.not_after,
                revoked=False,
                enrolled_at=now,
            )
        )
        return EnrolledEndpoint(endpoint_id, issued)


def _why_refused(conn: Connection, token_hash: str) -> str:
    row = conn.execute(
        select(enrolment_tokens).where(enrolment_tokens.c.token_hash == token_hash)
    ).first()
    if row is None:
        return "unknown enrolment token"
    if row.used_endpoints >= row.max_endpoints:
        return "enrolment token already used"
    return "enrolment token expired"
