"""The incidents' JSON API for dealers' systems: list them (paged), read one with its
timeline, acknowledge or resolve one with a note. Scopes ``incidents:read`` and
``incidents:write``; a token sees its customer's incidents only."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from remotecare.center.access.rules import ApiScope, allow, api_clients
from remotecare.center.care.incidents.service import IncidentRow, IncidentService
from remotecare.center.care.incidents.tables import NOTE_MAX_LENGTH
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.api import InvalidQuery, json_response, page_request, page_response
from remotecare.center.web.bodies import read_message

__all__ = ["IncidentApiDeps", "IncidentNote", "add_api_routes"]

_SEVERITIES = {"critical", "warning", "info"}
_RESPONDERS = {"customer", "field_service", "operator"}


@dataclass(frozen=True, slots=True)
class IncidentApiDeps:
    transactions: Transactions
    incidents: IncidentService


_DEPS = web.AppKey("incident_api_deps", IncidentApiDeps)


class IncidentNote(BaseModel):
    """``POST .../ack`` and ``.../resolve``: an optional note for the timeline."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    note: Annotated[str, Field(max_length=NOTE_MAX_LENGTH)] | None = None


def add_api_routes(app: web.Application, deps: IncidentApiDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/api/v1/incidents", get_incidents)
    app.router.add_get("/api/v1/incidents/{incident_id:[0-9]+}", get_incident)
    app.router.add_post("/api/v1/incidents/{incident_id:[0-9]+}/ack", post_ack)
    app.router.add_post("/api/v1/incidents/{incident_id:[0-9]+}/resolve", post_resolve)


def _item(row: IncidentRow) -> dict[str, Any]:
    item = dataclasses.asdict(row)
    del item["customer_id"]  # the customer by name, not by our id (as the orders API)
    return item


def _choice(request: web.Request, name: str, allowed: set[str]) -> str | None:
    value = request.query.get(name)
    if value is not None and value not in allowed:
        raise InvalidQuery(f"{name} must be one of {', '.join(sorted(allowed))}")
    return value


@allow(api_clients(ApiScope.INCIDENTS_READ))
async def get_incidents(request: web.Request) -> web.Response:
    """The incidents the token may see, by id: ``?state=open|all&severity=&responder=``
    ``&limit=&after=``."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    page = page_request(request)
    state = _choice(request, "state", {"open", "all"}) or "open"
    severity = _choice(request, "severity", _SEVERITIES)
    responder = _choice(request, "responder", _RESPONDERS)
    after = page.after(int)
    rows = await deps.transactions.read_async(
        lambda conn: deps.incidents.listing(
            conn,
            actor,
            open_only=state == "open",
            severity=severity,
            responder=responder,
            after_id=None if after is None else after[0],
            limit=page.fetch,
        )
    )
    return page_response(request, page, rows, item=_item, key=lambda row: [row.id])


@allow(api_clients(ApiScope.INCIDENTS_READ))
async def get_incident(request: web.Request) -> web.Response:
    """One incident and its timeline (404 for another customer's)."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    incident_id = int(request.match_info["incident_id"])

    def read(conn: Any) -> dict[str, Any]:
        row = deps.incidents.one(conn, actor, incident_id)
        timeline = deps.incidents.timeline(conn, actor, incident_id)
        return {**_item(row), "timeline": [dataclasses.asdict(e) for e in timeline]}

    return json_response(request, await deps.transactions.read_async(read))


async def _act(request: web.Request, resolve: bool) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    incident_id = int(request.match_info["incident_id"])
    # Whose it is first: another customer's incident is 404 whatever the body says.
    await deps.transactions.read_async(lambda conn: deps.incidents.one(conn, actor, incident_id))
    note = None
    if request.can_read_body:  # the note is optional, and so is the body
        body = await read_message(request, IncidentNote)
        if isinstance(body, web.Response):
            return body
        note = body.note
    act = deps.incidents.resolve if resolve else deps.incidents.acknowledge
    await deps.transactions.run_async(lambda conn: act(conn, actor, incident_id, note))
    return web.Response(status=204)


@allow(api_clients(ApiScope.INCIDENTS_WRITE))
async def post_ack(request: web.Request) -> web.Response:
    """Acknowledge the incident: ``{"note": ...}`` (optional), 204."""
    return await _act(request, resolve=False)


@allow(api_clients(ApiScope.INCIDENTS_WRITE))
async def post_resolve(request: web.Request) -> web.Response:
    """Resolve the incident by hand: ``{"note": ...}`` (optional), 204."""
    return await _act(request, resolve=True)
