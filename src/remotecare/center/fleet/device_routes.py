"""The fleet's part of the device API (mutual TLS; the caller is the endpoint of the
verified certificate, resolved to an ``Actor`` before any handler runs):

- ``POST /api/v1/reports``, ``POST /api/v1/report-batches``: store reports (idempotent by
  report_id) through the group committer; the answer carries the commands waiting;
- ``GET /api/v1/commands``: check in without reports;
- ``POST /api/v1/commands/{id}/ack``: the endpoint's answer to one of its commands.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from dataclasses import dataclass

from aiohttp import web

from remotecare.center.access.rules import DEVICES, Actor, allow
from remotecare.center.fleet.agent_status import record_agent_status
from remotecare.center.fleet.commands import acknowledge, check_in, pending_commands
from remotecare.center.fleet.ingest import (
    Caller,
    IngestOutcome,
    IngestRequest,
    ReadingsFeed,
    ingest_many,
)
from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.group_commit import GroupCommitter
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import PENDING_COMMANDS, actor_of
from remotecare.center.web.bodies import read_body, read_message
from remotecare.center.web.errors import refusal
from remotecare.center.web.metrics import Metrics
from remotecare.center.web.responses import refuse
from remotecare.errors import ProtocolError
from remotecare.protocol.codec import decode
from remotecare.protocol.messages import (
    AgentStatus,
    CommandAck,
    CommandList,
    IngestResult,
    RefusedReport,
    Report,
    ReportBatch,
)

__all__ = ["REPORT_PATHS", "DeviceRouteDeps", "add_device_routes"]

REPORT_PATHS = frozenset({"/api/v1/reports", "/api/v1/report-batches"})


@dataclass(frozen=True, slots=True)
class DeviceRouteDeps:
    committer: GroupCommitter
    transactions: Transactions
    clock: Clock
    binding: BindingPolicy = BindingPolicy.AUTOMATIC
    metrics: Metrics | None = None
    feed: ReadingsFeed | None = None  # where stored readings go next (the care feed)


_DEPS = web.AppKey("fleet_device_deps", DeviceRouteDeps)


def add_device_routes(app: web.Application, deps: DeviceRouteDeps) -> None:
    """Register the fleet's device API routes on ``app``."""
    app[_DEPS] = deps
    app.router.add_post("/api/v1/reports", post_report)
    app.router.add_post("/api/v1/report-batches", post_report_batch)
    app.router.add_get("/api/v1/commands", get_commands)
    app.router.add_post("/api/v1/commands/{command_id}/ack", post_command_ack)


def _caller(actor: Actor) -> Caller:
    assert actor.endpoint_id is not None
    assert actor.customer_ids is not None
    (customer_id,) = actor.customer_ids
    return Caller(actor.endpoint_id, customer_id)


def _parse(body: bytes, batch: bool) -> tuple[list[Report], AgentStatus | None] | web.Response:
    try:
        if batch:
            parsed = decode(ReportBatch, body)
            return parsed.reports, parsed.agent_status
        return [decode(Report, body)], None
    except ProtocolError as exc:  # not JSON (400), a field the contract refuses (422)
        return refusal(exc)


async def _ingest(request: web.Request, batch: bool) -> web.Response:
    body = await read_body(request)
    if isinstance(body, web.Response):
        return body
    parsed = _parse(body, batch)
    if isinstance(parsed, web.Response):
        return parsed
    parsed_reports, status = parsed
    deps = request.app[_DEPS]
    caller = _caller(actor_of(request))
    now = deps.clock.now()
    committer = deps.committer
    ingesting = committer.submit_batched(
        ingest_many, IngestRequest(caller, parsed_reports, now, deps.binding, deps.feed)
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
    if deps.metrics is not None:
        deps.metrics.count(outcome.accepted, outcome.duplicates)
    if outcome.refused:
        return refuse(
            403,
            outcome.refused[0].reason,
            refused=[
                RefusedReport(report_id=r.report_id, reason=r.reason) for r in outcome.refused
            ],
        )
    http_status = 201 if outcome.accepted else 200
    if not request.get(PENDING_COMMANDS, False):  # known from the endpoint's record: no query
        answer = _no_commands_answer(outcome.accepted, outcome.duplicates)
        return web.Response(body=answer, status=http_status, content_type="application/json")
    commands = await deps.transactions.read_async(
        lambda conn: pending_commands(conn, caller.endpoint_id)
    )
    result = IngestResult(
        accepted=outcome.accepted, duplicates=outcome.duplicates, commands=commands
    )
    return web.json_response(text=result.model_dump_json(), status=http_status)


@functools.lru_cache(maxsize=1024)
def _no_commands_answer(accepted: int, duplicates: int) -> bytes:
    """The answer when no command waits, the same few bodies over and over: made once."""
    result = IngestResult(accepted=accepted, duplicates=duplicates, commands=[])
    return result.model_dump_json().encode()


@allow(DEVICES)
async def post_report(request: web.Request) -> web.Response:
    """Store one report (idempotent by report_id)."""
    return await _ingest(request, batch=False)


@allow(DEVICES)
async def post_report_batch(request: web.Request) -> web.Response:
    """Store up to 500 reports in one request (idempotent by report_id)."""
    return await _ingest(request, batch=True)


@allow(DEVICES)
async def get_commands(request: web.Request) -> web.Response:
    """Check in without reports: the commands waiting for this endpoint."""
    deps = request.app[_DEPS]
    endpoint_id = _caller(actor_of(request)).endpoint_id
    now = deps.clock.now()
    commands = await deps.committer.submit(lambda conn: check_in(conn, endpoint_id, now))
    return web.json_response(text=CommandList(commands=commands).model_dump_json())


@allow(DEVICES)
async def post_command_ack(request: web.Request) -> web.Response:
    """Record the endpoint's answer to one of its commands; 404 for anyone else's."""
    try:
        command_id = str(uuid.UUID(request.match_info["command_id"]))
    except ValueError:
        return refuse(404, "unknown command")
    ack = await read_message(request, CommandAck)
    if isinstance(ack, web.Response):
        return ack
    deps = request.app[_DEPS]
    endpoint_id = _caller(actor_of(request)).endpoint_id
    now = deps.clock.now()
    found = await deps.committer.submit(
        lambda conn: acknowledge(conn, endpoint_id, command_id, ack, now)
    )
    if not found:
        return refuse(404, "unknown command")
    return web.Response(status=204)
