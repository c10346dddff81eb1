"""The device API, served only over mutual TLS: agents push reports here, pick up the
commands queued for them, and renew their certificates.

Every request is attributed to the endpoint named by the verified client certificate,
never to anything in the body, and checked against the endpoint's record on every
request (also on keep-alive connections): a revocation is refused within a second.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import BaseModel, ValidationError

from remotecare.center.adapters.group_commit import GroupCommitter
from remotecare.center.clock import Clock
from remotecare.center.domain.binding import BindingPolicy
from remotecare.center.services.agent_status import record_agent_status
from remotecare.center.services.bundles import BundleService
from remotecare.center.services.certificates import CertificateService
from remotecare.center.services.commands import CommandService, acknowledge, check_in
from remotecare.center.services.endpoints import (
    EndpointDirectory,
    EndpointRecord,
    PresentedCertificate,
    refusal_for,
)
from remotecare.center.services.ingest import Caller, IngestOutcome, IngestRequest, ingest_many
from remotecare.center.web.bundles import add_bundle_routes
from remotecare.center.web.identity import Identify, identify_caller
from remotecare.center.web.metrics import Metrics
from remotecare.center.web.openapi import OPENAPI_PATH, build_openapi
from remotecare.center.web.responses import refuse
from remotecare.errors import EnrollmentError, PayloadTooLarge, ProtocolError
from remotecare.protocol.codec import describe_validation_error, inflate
from remotecare.protocol.messages import (
    AgentStatus,
    CommandAck,
    CommandList,
    IngestResult,
    RenewRequest,
    RenewResponse,
    Report,
    ReportBatch,
)

__all__ = ["create_device_app"]

logger = logging.getLogger(__name__)

_CALLER = web.RequestKey("caller", Caller)
_PEER = web.RequestKey("peer", PresentedCertificate)
_PENDING_COMMANDS = web.RequestKey("pending_commands", bool)
_CERTIFICATES = web.AppKey("certificates", CertificateService)
_COMMANDS = web.AppKey("commands", CommandService)
_BINDING = web.AppKey("binding", BindingPolicy)
_CARE_FEED = web.AppKey("care_feed", bool)
_BODY_LIMIT = web.AppKey("body_limit", int)
_DIRECTORY = web.AppKey("directory", EndpointDirectory)
_COMMITTER = web.AppKey("committer", GroupCommitter)
_CLOCK = web.AppKey("clock", Clock)
_INFLATED_LIMIT = web.AppKey("inflated_limit", int)
_IDENTIFY: web.AppKey[Identify] = web.AppKey("identify")
_METRICS = web.AppKey("metrics", Metrics)
_OPENAPI = web.AppKey("openapi", dict[str, bytes])
_REPORT_PATHS = frozenset({"/api/v1/reports", "/api/v1/report-batches"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)


@web.middleware
async def _identify_endpoint(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == OPENAPI_PATH:  # the contract is no secret (TLS still applies)
        return await handler(request)
    peer = request.app[_IDENTIFY](request)
    if isinstance(peer, web.Response):
        return peer
    if peer is None:
        return refuse(401, "a client certificate issued by this center is required")
    record = await request.app[_DIRECTORY].lookup(peer.endpoint_id, peer.serial_hex)
    reason = refusal_for(record, peer, request.app[_CLOCK].now())
    if reason is not None:
        logger.info("refused endpoint %s: %s", peer.endpoint_id, reason)
        return refuse(403, reason)
    assert isinstance(record, EndpointRecord)
    request[_CALLER] = Caller(record.endpoint_id, record.customer_id)
    request[_PEER] = peer
    request[_PENDING_COMMANDS] = record.pending_commands
    return await handler(request)


async def _read_body(request: web.Request) -> bytes | web.Response:
    if request.content_type != "application/json":
        return refuse(415, "content type must be application/json")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return refuse(413, f"body exceeds {request.app[_BODY_LIMIT]} bytes")
    encoding = request.headers.get("Content-Encoding", "identity").lower()
    if encoding == "gzip":
        try:
            body = inflate(body, limit=request.app[_INFLATED_LIMIT])
        except PayloadTooLarge as exc:
            return refuse(413, str(exc))
        except ProtocolError as exc:
            return refuse(400, str(exc))
    elif encoding != "identity":
        return refuse(415, f"unsupported content encoding {encoding!r}")
    where = _nul_in_text(body)
    if where is not None:
        return refuse(422, f"{where}: text must not contain NUL characters")
    return body


def _nul_in_text(body: bytes) -> str | None:
    """Where the JSON body has a string with a NUL character, or None.

    Nothing a printer says needs one (the agent strips SNMP's padding), and PostgreSQL
    cannot store one in text or jsonb: refused alike on every backend.
    """
    if b"\\u0000" not in body:
        return None
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # not JSON: the parser says so
    stack: list[tuple[str, object]] = [("body", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return where
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return where
                stack.append((key if where == "body" else f"{where}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}", item) for i, item in enumerate(value))
    return None


def _parse(body: bytes, batch: bool) -> tuple[list[Report], AgentStatus | None] | web.Response:
    try:
        if batch:
            parsed = ReportBatch.model_validate_json(body)
            return parsed.reports, parsed.agent_status
        return [Report.model_validate_json(body)], None
    except ValidationError as exc:
        if exc.errors(include_url=False)[0]["type"] == "json_invalid":
            return refuse(400, "body is not valid JSON")
        return refuse(422, describe_validation_error(exc))


async def _ingest(request: web.Request, batch: bool) -> web.Response:
    body = await _read_body(request)
    if isinstance(body, web.Response):
        return body
    parsed = _parse(body, batch)
    if isinstance(parsed, web.Response):
        return parsed
    parsed_reports, status = parsed
    caller = request[_CALLER]
    now = request.app[_CLOCK].now()
    committer = request.app[_COMMITTER]
    ingesting = committer.submit_batched(
        ingest_many,
        IngestRequest(
            caller,
            parsed_reports,
            now,
            request.app[_BINDING],
            care_feed=request.app[_CARE_FEED],
        ),
    )
    if status is None:
        outcome: IngestOutcome = await ingesting
    else:  # both join the same group commit
        outcome, _ = await asyncio.gather(
            ingesting,
            committer.submit(
                lambda conn: record_agent_status(conn, caller.endpoint_id, status, now)
            ),
        )
    if _METRICS in request.app:
        request.app[_METRICS].count(outcome.accepted, outcome.duplicates)
    if outcome.refused:
        return refuse(
            403,
            outcome.refused[0].reason,
            refused=[{"report_id": r.report_id, "reason": r.reason} for r in outcome.refused],
        )
    http_status = 201 if outcome.accepted else 200
    if not request[_PENDING_COMMANDS]:  # known from the endpoint's record: no query
        answer = _no_commands_answer(outcome.accepted, outcome.duplicates)
        return web.Response(body=answer, status=http_status, content_type="application/json")
    commands = await asyncio.to_thread(request.app[_COMMANDS].pending, caller.endpoint_id)
    result = IngestResult(
        accepted=outcome.accepted, duplicates=outcome.duplicates, commands=commands
    )
    return web.json_response(text=result.model_dump_json(), status=http_status)


@functools.lru_cache(maxsize=1024)
def _no_commands_answer(accepted: int, duplicates: int) -> bytes:
    """The answer when no command waits, the same few bodies over and over: made once."""
    result = IngestResult(accepted=accepted, duplicates=duplicates, commands=[])
    return result.model_dump_json().encode()


async def post_report(request: web.Request) -> web.Response:
    """Store one report (idempotent by report_id)."""
    return await _ingest(request, batch=False)


async def post_report_batch(request: web.Request) -> web.Response:
    """Store up to 500 reports in one request (idempotent by report_id)."""
    return await _ingest(request, batch=True)


async def get_openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 description of this API, built from the wire models."""
    cache = request.app[_OPENAPI]
    if "json" not in cache:
        cache["json"] = json.dumps(build_openapi(request.app)).encode()
    return web.Response(body=cache["json"], content_type="application/json")


async def get_commands(request: web.Request) -> web.Response:
    """Check in without reports: the commands waiting for this endpoint."""
    endpoint_id = request[_CALLER].endpoint_id
    now = request.app[_CLOCK].now()
    commands = await request.app[_COMMITTER].submit(lambda conn: check_in(conn, endpoint_id, now))
    return web.json_response(text=CommandList(commands=commands).model_dump_json())


async def post_command_ack(request: web.Request) -> web.Response:
    """Record the endpoint's answer to one of its commands; 404 for anyone else's."""
    try:
        command_id = str(uuid.UUID(request.match_info["command_id"]))
    except ValueError:
        return refuse(404, "unknown command")
    ack = await _message(request, CommandAck)
    if isinstance(ack, web.Response):
        return ack
    endpoint_id = request[_CALLER].endpoint_id
    now = request.app[_CLOCK].now()
    found = await request.app[_COMMITTER].submit(
        lambda conn: acknowledge(conn, endpoint_id, command_id, ack, now)
    )
    if not found:
        return refuse(404, "unknown command")
    return web.Response(status=204)


async def post_renew(request: web.Request) -> web.Response:
    """Simple re-enrol (RFC 7030 shape): a new certificate for the caller's new key."""
    renewal = await _message(request, RenewRequest)
    if isinstance(renewal, web.Response):
        return renewal
    peer = request[_PEER]
    service = request.app[_CERTIFICATES]
    try:
        issued = await asyncio.to_thread(service.renew, peer, renewal.csr_pem)
    except EnrollmentError as exc:
        logger.info("renewal refused for endpoint %s: %s", peer.endpoint_id, exc.reason)
        return refuse(exc.status, exc.reason)
    request.app[_DIRECTORY].forget(peer.endpoint_id)
    logger.info("endpoint %s renewed: certificate %s", peer.endpoint_id, issued.serial_hex)
    response = RenewResponse(certificate_pem=issued.pem, ca_certificate_pem=service.ca.pem)
    return web.json_response(text=response.model_dump_json(), status=201)


async def _message(request: web.Request, model: type[M]) -> M | web.Response:
    body = await _read_body(request)
    if isinstance(body, web.Response):
        return body
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        if exc.errors(include_url=False)[0]["type"] == "json_invalid":
            return refuse(400, "body is not valid JSON")
        return refuse(422, describe_validation_error(exc))


def create_device_app(
    directory: EndpointDirectory,
    committer: GroupCommitter,
    clock: Clock,
    *,
    max_body_bytes: int,
    max_inflated_bytes: int,
    identify: Identify | None = None,
    metrics: Metrics | None = None,
    certificates: CertificateService,
    commands: CommandService,
    binding: BindingPolicy = BindingPolicy.AUTOMATIC,
    bundles: BundleService | None = None,
    care_feed: bool = True,
) -> web.Application:
    middlewares: list[Middleware] = [_identify_endpoint]
    if metrics is not None:
        middlewares.insert(0, metrics.middleware(_REPORT_PATHS))
    app = web.Application(middlewares=middlewares, client_max_size=max_body_bytes)
    app[_IDENTIFY] = identify or identify_caller(None)
    app[_OPENAPI] = {}
    if metrics is not None:
        app[_METRICS] = metrics
    app[_DIRECTORY] = directory
    app[_COMMITTER] = committer
    app[_CLOCK] = clock
    app[_INFLATED_LIMIT] = max_inflated_bytes
    app[_BODY_LIMIT] = max_body_bytes
    app[_CERTIFICATES] = certificates
    app[_COMMANDS] = commands
    app[_BINDING] = binding
    app[_CARE_FEED] = care_feed
    app.router.add_post("/api/v1/reports", post_report)
    app.router.add_post("/api/v1/report-batches", post_report_batch)
    app.router.add_get("/api/v1/commands", get_commands)
    app.router.add_post("/api/v1/commands/{command_id}/ack", post_command_ack)
    app.router.add_post("/api/v1/renew", post_renew)
    # The same, under EST's name (RFC 7030, 4.2.2), for clients that expect it.
    app.router.add_post("/.well-known/est/simplereenroll", post_renew)
    app.router.add_get(OPENAPI_PATH, get_openapi)
    if bundles is not None:
        add_bundle_routes(app, bundles, lambda request: request[_CALLER].endpoint_id)
    return app
