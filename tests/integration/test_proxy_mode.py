"""Proxy mode: a real nginx terminates mutual TLS in front of the center.

nginx checks the client certificate against the center's CA and passes it in a header over
plain HTTP on loopback; the center believes that header only from its trusted proxies.
"""

from __future__ import annotations

import json
import ssl
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.fleet.tables import reports
from remotecare.center.nginx import nginx_config
from remotecare.pki.ca import CertificateAuthority
from remotecare.pki.keys import generate_private_key
from tests.support.centers import (
    CenterInfo,
    init_center,
    remotecare,
    running_center,
)
from tests.support.contracts import issue_token
from tests.support.nginx import find_nginx, running_nginx
from tests.support.ports import free_tcp_port

UNTRUSTED_SOURCE = "127.0.0.3"  # also loopback, but not in trusted_proxies


@dataclass
class Proxied:
    info: CenterInfo
    nginx_url: str
    proxy_url: str
    agents: dict[str, tuple[ssl.SSLContext, AgentPaths, str]]  # name -> (tls, paths, endpoint)


@pytest.fixture
async def proxied(tmp_path: Path, database_url: str) -> AsyncIterator[Proxied]:
    if find_nginx() is None:
        pytest.fail("nginx is missing: `make test` installs Debian's nginx-light")
    info = init_center(
        tmp_path / "center",
        database_url,
        proxy_port=free_tcp_port(),
        trusted_proxies=("127.0.0.1",),
    )
    nginx_port = free_tcp_port()
    async with running_center(info) as running:
        agents = {}
        for name in ("a", "b"):
            issued = issue_token(running, "Acme Ltd")
            paths = AgentPaths(tmp_path / f"agent-{name}")
            identity = await enrol(paths, info.console_url, issued.token, info.ca_fingerprint)
            agents[name] = (agent_tls_context(paths), paths, identity.endpoint_id)
        server = nginx_config(info.settings, listen=f"127.0.0.1:{nginx_port}")
        with running_nginx(tmp_path / "nginx", server, nginx_port):
            yield Proxied(
                info,
                f"https://localhost:{nginx_port}",
                f"http://127.0.0.1:{info.settings.proxy_port}",
                agents,
            )


def a_report(serial: str = "NGX-1") -> dict[str, Any]:
    return {
        "report_id": str(uuid.uuid4()),
        "agent_time": datetime.now(UTC).isoformat(),
        "printer_address": "snmp://192.0.2.9:161",
        "reading": {
            "serial": serial,
            "serial_source": "prtGeneralSerialNumber",
            "model": "Acme Laser 9000",
            "status": {"device_status": "running", "error_conditions": []},
            "counters": [{"name": "total", "value": 1234, "unit": "impressions"}],
        },
    }


async def post(
    url: str,
    body: dict[str, Any],
    *,
    context: ssl.SSLContext | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
) -> tuple[int, str]:
    connector = aiohttp.TCPConnector(local_addr=(source, 0) if source else None)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(
            url + "/api/v1/reports",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
            ssl=context if context is not None else False,
        ) as response,
    ):
        return response.status, await response.text()


def stored_endpoints(info: CenterInfo) -> list[str]:
    with info.read_engine().connect() as conn:
        return list(conn.execute(select(reports.c.endpoint_id)).scalars())


def forged_headers(certificate_pem: str) -> dict[str, str]:
    return {
        "X-Client-Cert": urllib.parse.quote(certificate_pem, safe=""),
        "X-Client-Verify": "SUCCESS",
    }


async def test_an_enrolled_agents_report_goes_through_nginx(proxied: Proxied) -> None:
    context, _, endpoint_id = proxied.agents["a"]
    status, answer = await post(proxied.nginx_url, a_report(), context=context)
    assert (status, json.loads(answer)["accepted"]) == (201, 1)
    assert stored_endpoints(proxied.info) == [endpoint_id]


async def test_nginx_refuses_a_client_without_a_certificate(proxied: Proxied) -> None:
    status, _ = await post(proxied.nginx_url, a_report(), context=proxied.info.trusting_context())
    assert status == 400  # nginx: "No required SSL certificate was sent"
    assert stored_endpoints(proxied.info) == []


async def test_the_proxy_port_refuses_forged_headers_from_an_untrusted_address(
    proxied: Proxied,
) -> None:
    _, paths, _ = proxied.agents["a"]
    status, answer = await post(
        proxied.proxy_url,
        a_report(),
        headers=forged_headers(paths.certificate.read_text()),
        source=UNTRUSTED_SOURCE,
    )
    assert status == 403
    assert json.loads(answer)["error"].startswith("not a trusted proxy")
    assert stored_endpoints(proxied.info) == []


async def test_a_forwarded_certificate_must_come_from_the_centers_ca(
    proxied: Proxied, tmp_path: Path
) -> None:
    rogue = CertificateAuthority.create(tmp_path / "rogue", "Rogue CA")
    _, _, endpoint_id = proxied.agents["a"]  # the rogue names a real endpoint
    issued = rogue.issue_device_certificate(generate_private_key().public_key(), endpoint_id)
    status, _ = await post(proxied.proxy_url, a_report(), headers=forged_headers(issued.pem))
    assert status == 401
    assert stored_endpoints(proxied.info) == []


async def test_the_mutual_tls_port_ignores_the_header(proxied: Proxied) -> None:
    _, paths_a, _ = proxied.agents["a"]
    context_b, _, endpoint_b = proxied.agents["b"]
    status, _ = await post(
        proxied.info.device_url,
        a_report("B-OWN"),
        context=context_b,
        headers=forged_headers(paths_a.certificate.read_text()),
    )
    assert status == 201
    assert stored_endpoints(proxied.info) == [endpoint_b]


async def test_the_cli_prints_the_shipped_configuration(proxied: Proxied) -> None:
    printed = remotecare(
        "center", "proxy-config", "--home", str(proxied.info.settings.home), "--listen", "443"
    ).stdout
    assert printed == nginx_config(proxied.info.settings, listen="443")
    assert "ssl_verify_client       on;" in printed
    assert f"server 127.0.0.1:{proxied.info.settings.proxy_port};" in printed
