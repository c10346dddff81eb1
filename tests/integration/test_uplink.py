"""The agent's uplink against a real mutual-TLS center on loopback: batches, refusals,
busy answers, proxies, extra trust anchors and IPv6."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.outbox import DROP_REJECTED, Outbox
from remotecare.agent.uplink import Uplink, agent_tls_context, drain, open_uplink
from remotecare.center.bootstrap import Center
from remotecare.center.fleet.tables import reports
from remotecare.center.identity.tables import endpoints
from remotecare.pki.ca import CertificateAuthority
from remotecare.pki.keys import generate_private_key, write_private_key
from tests.support.centers import (
    CenterInfo,
    init_center,
    running_center,
    serve_again,
    stop_serving,
)
from tests.support.connect_proxy import connect_proxy
from tests.support.contracts import issue_token
from tests.support.ports import free_tcp_port
from tests.support.reports import a_history, a_report, enrolled_agent


@dataclass
class Site:
    info: CenterInfo
    center: Center
    paths: AgentPaths
    identity: AgentIdentity


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
        yield Site(info, center, paths, identity)


def stored_ids(info: CenterInfo) -> list[str]:
    with info.read_engine().connect() as conn:
        return list(
            conn.execute(select(reports.c.report_id).order_by(reports.c.agent_time)).scalars()
        )


def _insert_raw(outbox_path: Path, body: dict[str, object]) -> None:
    # A row as an older agent version might have left it: a field this center refuses.
    with sqlite3.connect(outbox_path) as db:
        db.execute(
            "INSERT INTO outbox (report_id, body, agent_time) VALUES (?, ?, ?)",
            (body["report_id"], json.dumps(body).encode(), body["agent_time"]),
        )


async def test_a_report_the_center_will_never_take_is_dropped_counted_and_the_rest_sent(
    site: Site,
) -> None:
    history = a_history("SER-1", 9)
    outbox = Outbox(site.paths.outbox)
    outbox.put(history[:4])
    bad = a_report("SER-1").model_dump(mode="json", exclude_none=True)
    bad["owner_email"] = "anna@example.com"
    _insert_raw(site.paths.outbox, bad)
    outbox.put(history[4:])
    async with Uplink(site.identity.device_api_url, agent_tls_context(site.paths), 30) as uplink:
        result = await drain(outbox, uplink, batch_size=200)
    assert result.sent == 9
    assert result.rejected == 1
    assert result.remaining == 0
    assert stored_ids(site.info) == [str(r.report_id) for r in history]
    assert outbox.dropped() == {DROP_REJECTED: 1}
    summary = outbox.drop_summary()
    assert summary[0].first_agent_time is not None


async def test_a_second_drain_of_the_same_reports_stores_none_twice(site: Site) -> None:
    history = a_history("SER-1", 5)
    first, second = Outbox(site.paths.outbox), Outbox(site.paths.outbox.with_suffix(".copy"))
    first.put(history)
    second.put(history)  # as if the agent died after the center stored them
    async with Uplink(site.identity.device_api_url, agent_tls_context(site.paths), 30) as uplink:
        one = await drain(first, uplink, 2)
        two = await drain(second, uplink, 2)
    assert (one.accepted, one.duplicates) == (5, 0)
    assert (two.accepted, two.duplicates) == (0, 5)
    assert len(stored_ids(site.info)) == 5


async def test_a_busy_center_pauses_sending_for_its_retry_after(tmp_path: Path) -> None:
    hits: list[str] = []

    async def busy(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response({"error": "busy"}, status=429, headers={"Retry-After": "7"})

    app = web.Application()
    app.router.add_post("/api/v1/report-batches", busy)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_tcp_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        outbox = Outbox(tmp_path / "outbox.sqlite")
        outbox.put(a_history("SER-1", 3))
        async with Uplink(f"http://127.0.0.1:{port}", ssl.create_default_context(), 5) as uplink:
            result = await drain(outbox, uplink, 200)
    finally:
        await runner.cleanup()
    assert hits == ["/api/v1/report-batches"]
    assert result.retry_after_s == 7
    assert result.remaining == 3
    assert "busy (429)" in result.errors[0]


async def test_the_center_stores_the_agents_drop_counts(tmp_path: Path, database_url: str) -> None:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as center:
        paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
        await _drain_with_drops(Site(info, center, paths, identity))


async def _drain_with_drops(site: Site) -> None:
    outbox = Outbox(site.paths.outbox, max_reports=3)
    outbox.put(a_history("SER-1", 5))  # two dropped for lack of room
    async with Uplink(site.identity.device_api_url, agent_tls_context(site.paths), 30) as uplink:
        result = await drain(outbox, uplink, 200)
    assert result.sent == 3
    with site.info.read_engine().connect() as conn:
        status = conn.execute(
            select(endpoints.c.agent_status).where(endpoints.c.id == site.identity.endpoint_id)
        ).scalar_one()
    assert status is not None
    assert status["queued_reports"] == 3  # as it was when the batch left
    assert status["dropped"][0]["reason"] == "outbox full"
    assert status["dropped"][0]["count"] == 2


async def test_reports_go_through_an_authenticating_connect_proxy(site: Site) -> None:
    async with connect_proxy(username="agent", password="s3cret") as proxy:
        settings = AgentSettings(
            proxy_url=proxy.url, proxy_username="agent", proxy_password="s3cret"
        )
        outbox = Outbox(site.paths.outbox)
        outbox.put(a_history("SER-1", 3))
        async with open_uplink(site.paths, settings, site.identity.device_api_url) as uplink:
            result = await drain(outbox, uplink, 200)
    assert result.sent == 3
    port = site.info.settings.device_port
    assert proxy.tunnels == [f"localhost:{port}"]


async def test_proxy_credentials_may_sit_in_the_proxy_url(site: Site) -> None:
    async with connect_proxy(username="agent", password="p@ss word") as proxy:
        url = proxy.url.replace("http://", "http://agent:p%40ss%20word@")
        settings = AgentSettings(proxy_url=url)
        outbox = Outbox(site.paths.outbox)
        outbox.put(a_history("SER-1", 1))
        async with open_uplink(site.paths, settings, site.identity.device_api_url) as uplink:
            result = await drain(outbox, uplink, 200)
    assert result.sent == 1


async def test_a_proxy_refusing_the_credentials_pauses_sending_and_says_so(site: Site) -> None:
    async with connect_proxy(username="agent", password="s3cret") as proxy:
        settings = AgentSettings(proxy_url=proxy.url, proxy_username="agent", proxy_password="no")
        outbox = Outbox(site.paths.outbox)
        outbox.put(a_history("SER-1", 2))
        async with open_uplink(site.paths, settings, site.identity.device_api_url) as uplink:
            result = await drain(outbox, uplink, 200)
    assert result.remaining == 2
    assert proxy.refused == 1
    assert "proxy" in result.errors[0]
    assert "407" in result.errors[0]
    assert "s3cret" not in result.errors[0]


async def test_a_tls_front_with_another_ca_is_trusted_only_with_the_ca_bundle(
    tmp_path: Path,
) -> None:
    # The center sits behind a front whose certificate comes from a "public" CA the
    # agent does not know; the agent still proves itself with its own certificate.
    info = init_center(tmp_path / "center")
    public_ca = CertificateAuthority.create(tmp_path / "public-ca", "Public Test CA")
    key = generate_private_key()
    server_key = tmp_path / "front.key"
    write_private_key(server_key, key)
    cert_pem = public_ca.issue_server_certificate(key, ["localhost"]).pem
    async with running_center(info) as center:
        paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
        await stop_serving(center)
        info.settings.server_cert_file.write_text(cert_pem)
        info.settings.server_key_file.write_bytes(server_key.read_bytes())
        await serve_again(center)
        outbox = Outbox(paths.outbox)
        outbox.put(a_history("SER-1", 2))
        async with open_uplink(paths, AgentSettings(), identity.device_api_url) as uplink:
            refused = await drain(outbox, uplink, 200)
        bundle = tmp_path / "public-ca" / "ca.pem"
        settings = AgentSettings(ca_bundle=str(bundle))
        async with open_uplink(paths, settings, identity.device_api_url) as uplink:
            trusted = await drain(outbox, uplink, 200)
    assert refused.remaining == 2
    assert "certificate" in refused.errors[0].lower()
    assert trusted.sent == 2


async def test_the_agent_reaches_a_center_on_ipv6_loopback(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    info = dataclasses.replace(info, settings=dataclasses.replace(info.settings, listen_host="::1"))
    async with running_center(info) as center:
        issued = issue_token(center, "Acme Ltd")
        from remotecare.agent.enrolment import enrol

        port = info.settings.console_port
        paths = AgentPaths(tmp_path / "agent")
        await enrol(paths, f"https://[::1]:{port}", issued.token, info.ca_fingerprint)
        outbox = Outbox(paths.outbox)
        outbox.put(a_history("SER-6", 2))
        url = f"https://[::1]:{info.settings.device_port}"
        async with open_uplink(paths, AgentSettings(), url) as uplink:
            result = await drain(outbox, uplink, 200)
    assert result.sent == 2
    assert len(stored_ids(info)) == 2
