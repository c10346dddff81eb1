"""Identity over HTTP (terms, article 6), in the shape of EST (RFC 7030):

- console port, public: ``GET /.well-known/est/cacerts`` (the CA, pinned by fingerprint),
  ``POST /.well-known/est/simpleenroll`` (a one-time token and a CSR for a certificate),
  ``GET /.well-known/est/crl`` (the CRL, fresh);
- device port, mutual TLS: ``POST /api/v1/renew`` (also ``/.well-known/est/simplereenroll``):
  a new certificate for the caller's new key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from remotecare.center.access.rules import DEVICES, PUBLIC, allow
from remotecare.center.attempts.rules import Wait
from remotecare.center.identity.certificates import CertificateService
from remotecare.center.identity.directory import EndpointDirectory
from remotecare.center.identity.enrolment import EnrolmentService
from remotecare.center.identity.enrolment_limit import EnrolmentLimiter
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import PEER
from remotecare.center.web.bodies import read_message
from remotecare.center.web.errors import refusal
from remotecare.center.web.responses import refuse
from remotecare.errors import EnrolmentError, ProtocolError
from remotecare.protocol.codec import decode
from remotecare.protocol.messages import (
    EnrolRequest,
    EnrolResponse,
    RenewRequest,
    RenewResponse,
)

__all__ = ["IdentityDeps", "add_device_routes", "add_public_routes"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IdentityDeps:
    transactions: Transactions
    enrolment: EnrolmentService
    certificates: CertificateService
    directory: EndpointDirectory
    enrolment_limiter: EnrolmentLimiter
    ca_pem: str
    device_api_url: str


_DEPS = web.AppKey("identity_deps", IdentityDeps)


def add_public_routes(app: web.Application, deps: IdentityDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/.well-known/est/cacerts", get_ca_certificates)
    app.router.add_post("/.well-known/est/simpleenroll", post_simple_enrol)
    app.router.add_get("/.well-known/est/crl", get_crl)


def add_device_routes(app: web.Application, deps: IdentityDeps) -> None:
    app[_DEPS] = deps
    app.router.add_post("/api/v1/renew", post_renew)
    # The same, under EST's name (RFC 7030, 4.2.2), for clients that expect it.
    app.router.add_post("/.well-known/est/simplereenroll", post_renew)


@allow(PUBLIC)
async def get_ca_certificates(request: web.Request) -> web.Response:
    """The CA certificate, which the agent checks against the fingerprint it was given."""
    pem = request.app[_DEPS].ca_pem
    return web.Response(text=pem, content_type="application/pem-certificate-chain")


@allow(PUBLIC)
async def get_crl(request: web.Request) -> web.Response:
    """The CA's current certificate revocation list (DER, RFC 5280), fresh on each call."""
    deps = request.app[_DEPS]
    der = await deps.transactions.read_async(deps.certificates.crl_der)
    return web.Response(body=der, content_type="application/pkix-crl")


def _too_many_failures(client: str, wait: Wait) -> web.Response:
    source = f"from {client}" if wait.scope == "client" else "at this center"
    seconds = wait.seconds
    response = refuse(429, f"too many failed enrolment attempts {source}; retry in {seconds} s")
    response.headers["Retry-After"] = str(wait.seconds)
    return response


@allow(PUBLIC)
async def post_simple_enrol(request: web.Request) -> web.Response:
    """Exchange a one-time token and a CSR for a device certificate.

    Failed attempts are counted per client address and overall, by every center process
    together; past the limit the center answers 429 with Retry-After without looking at
    the request.
    """
    client = request.remote or "unknown"
    async with request.app[_DEPS].enrolment_limiter.attempt(client) as attempt:
        if attempt.wait is not None:
            logger.warning("enrolment attempt from %s refused: too many failures", client)
            return _too_many_failures(client, attempt.wait)
        response = await _enrol(request)
        attempt.failed = response.status >= 400
        return response


async def _enrol(request: web.Request) -> web.Response:
    try:
        enrol_request = decode(EnrolRequest, await request.read())
    except web.HTTPRequestEntityTooLarge:
        return refuse(413, "enrolment request too large")
    except ProtocolError as exc:  # 422 whatever is wrong, as enrolment always answered
        return refuse(422, str(exc))
    deps = request.app[_DEPS]
    try:
        enrolled = await deps.transactions.run_async(
            lambda conn: deps.enrolment.enrol(conn, enrol_request.token, enrol_request.csr_pem)
        )
    except EnrolmentError as exc:
        logger.info("enrolment refused: %s", exc)
        return refusal(exc)
    logger.info("endpoint %s enrolled", enrolled.endpoint_id)
    response = EnrolResponse(
        endpoint_id=enrolled.endpoint_id,
        certificate_pem=enrolled.certificate.pem,
        ca_certificate_pem=deps.ca_pem,
        device_api_url=deps.device_api_url,
    )
    return web.json_response(text=response.model_dump_json(), status=201)


@allow(DEVICES)
async def post_renew(request: web.Request) -> web.Response:
    """Simple re-enrol (RFC 7030 shape): a new certificate for the caller's new key."""
    renewal = await read_message(request, RenewRequest)
    if isinstance(renewal, web.Response):
        return renewal
    peer = request[PEER]
    deps = request.app[_DEPS]
    try:
        issued = await deps.transactions.run_async(
            lambda conn: deps.certificates.renew(conn, peer, renewal.csr_pem)
        )
    except EnrolmentError as exc:
        logger.info("renewal refused for endpoint %s: %s", peer.endpoint_id, exc)
        return refusal(exc)
    deps.directory.forget(peer.endpoint_id)
    logger.info("endpoint %s renewed: certificate %s", peer.endpoint_id, issued.serial_hex)
    response = RenewResponse(certificate_pem=issued.pem, ca_certificate_pem=deps.ca_pem)
    return web.json_response(text=response.model_dump_json(), status=201)
