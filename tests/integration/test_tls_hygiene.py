"""TLS and HTTP hygiene of both ports: TLS 1.2 only with AEAD suites and forward secrecy
(no CBC suite a LUCKY13-style attack could time), TLS 1.3 kept, and no answer naming the
server software in a ``Server`` header."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from remotecare.agent.config import AgentPaths
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.bootstrap import Center
from tests.support.centers import CenterInfo, init_center, running_center
from tests.support.device_calls import enrol
from tests.support.ports import free_tcp_port

CBC_ONLY = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA"
AEAD = "ECDHE-ECDSA-AES128-GCM-SHA256"


@dataclass
class Served:
    info: CenterInfo
    center: Center
    agent: AgentPaths


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    info = init_center(tmp_path / "center", metrics_port=free_tcp_port())
    async with running_center(info) as center:
        agent, _ = await enrol(info, center, tmp_path / "agent")
        yield Served(info, center, agent)


def _tls12_client(served: Served, ciphers: str, *, with_certificate: bool) -> ssl.SSLContext:
    context = (
        agent_tls_context(served.agent) if with_certificate else served.info.trusting_context()
    )
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(ciphers)
    return context


async def _handshake(port: int, context: ssl.SSLContext) -> str:
    """The negotiated cipher; the server refuses by alert (``ssl.SSLError``) or reset."""
    _, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="localhost"), 10
    )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        assert isinstance(ssl_object, ssl.SSLObject)
        cipher = ssl_object.cipher()
        assert cipher is not None
        return cipher[0]
    finally:
        writer.close()


@pytest.mark.parametrize("port_name", ["console_port", "device_port"])
async def test_a_cbc_only_tls12_client_is_refused_and_an_aead_one_connects(
    served: Served, port_name: str
) -> None:
    port = getattr(served.info.settings, port_name)
    with_certificate = port_name == "device_port"
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        await _handshake(port, _tls12_client(served, CBC_ONLY, with_certificate=with_certificate))
    aead = _tls12_client(served, AEAD, with_certificate=with_certificate)
    assert await _handshake(port, aead) == AEAD


async def test_tls13_is_still_offered_on_both_ports(served: Served) -> None:
    settings = served.info.settings
    for port, context in [
        (settings.console_port, served.info.trusting_context()),
        (settings.device_port, agent_tls_context(served.agent)),
    ]:
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        assert await _handshake(port, context) == "TLS_AES_256_GCM_SHA384"


async def _answers(
    url: str, context: ssl.SSLContext | None, method: str = "GET"
) -> tuple[int, list[str]]:
    """Status and every ``Server`` header of one answer (redirects not followed)."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, ssl=context or False, allow_redirects=False) as response,
    ):
        await response.read()
        return response.status, response.headers.getall("Server", [])


async def test_no_answer_names_the_server_software(served: Served) -> None:
    info = served.info
    console = info.trusting_context()
    device = agent_tls_context(served.agent)
    metrics = f"http://127.0.0.1:{info.settings.metrics_port}"
    expected = [
        (info.console_url + "/login", console, "GET", 200),
        (info.console_url + "/static/console.css", console, "GET", 200),
        (info.console_url + "/", console, "GET", 303),
        (info.console_url + "/no-such-page", console, "GET", 404),
        (info.console_url + "/login", console, "DELETE", 405),
        (info.device_url + "/api/v1/openapi.json", device, "GET", 200),
        (info.device_url + "/api/v1/commands", device, "GET", 200),
        (info.device_url + "/no-such-route", device, "GET", 404),
        (metrics + "/metrics", None, "GET", 200),
        (metrics + "/nothing", None, "GET", 404),
    ]
    for url, context, method, status in expected:
        assert await _answers(url, context, method) == (status, []), (method, url)
