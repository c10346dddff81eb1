"""Calls an enrolled agent makes to the device API, and what the center then stored."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import Table, func, select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol as enrol_agent
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.bootstrap import Center
from remotecare.protocol.codec import encode
from tests.support.centers import CenterInfo
from tests.support.contracts import issue_token
from tests.support.reports import a_plain_report

__all__ = ["call", "count_rows", "enrol", "report_body"]


async def enrol(
    info: CenterInfo,
    center: Center,
    home: Path,
    customer: str = "Acme Ltd",
) -> tuple[AgentPaths, str]:
    """Enrol an agent in ``home`` for ``customer``; its paths and endpoint id."""
    issued = issue_token(center, customer)
    paths = AgentPaths(home)
    identity = await enrol_agent(paths, info.console_url, issued.token, info.ca_fingerprint)
    return paths, identity.endpoint_id


def report_body(serial: str = "SER-1", address: str = "snmp://192.0.2.7:161") -> bytes:
    return encode(a_plain_report(serial, address=address))


async def call(
    url: str,
    context: ssl.SSLContext | AgentPaths,
    body: bytes | None = None,
    *,
    method: str | None = None,
    session: aiohttp.ClientSession | None = None,
) -> tuple[int, Any]:
    """One request: POST when there is a body, else GET; the status and the JSON answer
    (None when there is no body). ``session`` reuses its keep-alive connections."""
    tls = agent_tls_context(context) if isinstance(context, AgentPaths) else context
    verb = method or ("POST" if body is not None else "GET")
    headers = {"Content-Type": "application/json"} if body is not None else {}
    own = session is None
    active = session or aiohttp.ClientSession()
    try:
        async with active.request(verb, url, data=body, headers=headers, ssl=tls) as response:
            payload = await response.read()
            return response.status, json.loads(payload) if payload else None
    finally:
        if own:
            await active.close()


def count_rows(info: CenterInfo, table: Table, *where: Any) -> int:
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(table)
            if where:
                query = query.where(*where)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()
