"""Two instances of one center (separate homes, one PostgreSQL, one CA) behind nginx as
load balancer and mutual-TLS front: they take ingest together, losing and doubling
nothing, and both refuse a revoked endpoint within a second."""

from __future__ import annotations

import asyncio
import re
import ssl
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.config import CenterSettings
from remotecare.center.fleet.tables import reports
from remotecare.protocol.codec import encode, encode_batch
from tests.support.centers import (
    CenterInfo,
    enrolment_token,
    init_center,
    remotecare,
    serving_center,
)
from tests.support.device_calls import call, count_rows
from tests.support.nginx import find_nginx, running_nginx
from tests.support.ports import free_tcp_port
from tests.support.postgres import PostgresCluster
from tests.support.reports import a_plain_report

pytestmark = pytest.mark.postgres

AGENTS = 3
BATCHES = 8  # per agent, each of REPORTS reports
REPORTS = 5
REFUSED = (403, {"error": "endpoint certificate revoked"})
_BOUND_S = 1.0  # the promise: refused within a second of the revocation
_LATENCY_ALLOWANCE_S = 0.25  # a round trip on a loaded test machine


@pytest.fixture
def database(postgres_cluster: PostgresCluster) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield postgres_cluster.create_database(name)
    postgres_cluster.drop_database(name)


def _join(first: CenterInfo, home: Path) -> CenterInfo:
    """`remotecare center init --join FIRST --home SECOND` with ports of its own."""
    remotecare(
        "center", "init", "--join", str(first.settings.home), "--home", str(home),
        "--console-port", str(free_tcp_port()), "--device-port", str(free_tcp_port()),
        "--proxy-port", str(free_tcp_port()), "--metrics-port", str(free_tcp_port()),
    )  # fmt: skip
    return CenterInfo(CenterSettings.load(home), first.ca_fingerprint)


def _ports(info: CenterInfo) -> list[int]:
    s = info.settings
    return [s.console_port, s.device_port, s.proxy_port, s.metrics_port]


async def _accepted_by(info: CenterInfo) -> int:
    url = f"http://127.0.0.1:{info.settings.metrics_port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
    found = re.search(r"^remotecare_reports_accepted_total (\S+)$", text, re.MULTILINE)
    assert found is not None, text
    return int(float(found.group(1)))


async def _send_all(url: str, tls: ssl.SSLContext, serial: str) -> list[tuple[int, int, int]]:
    """BATCHES batches through nginx on one kept-alive connection, then the first again
    (a retry); each answer's (status, accepted, duplicates)."""
    batches = [
        [a_plain_report(serial, address=f"snmp://192.0.2.{i}:161") for i in range(REPORTS)]
        for _ in range(BATCHES)
    ]
    answers = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        for batch in [*batches, batches[0]]:
            body = encode_batch([encode(r) for r in batch])
            status, answer = await call(url, tls, body, session=session)
            answers.append((status, answer["accepted"], answer["duplicates"]))
    return answers


def test_joining_refuses_a_center_whose_database_lives_in_its_home(tmp_path: Path) -> None:
    first = init_center(tmp_path / "first")  # SQLite
    joined = remotecare(
        "center", "init", "--join", str(first.settings.home), "--home", str(tmp_path / "second"),
        "--console-port", str(free_tcp_port()), "--device-port", str(free_tcp_port()),
        check=False,
    )  # fmt: skip
    assert joined.returncode == 1
    assert "only a center on a shared database (PostgreSQL) can be joined" in joined.stderr
    assert not (tmp_path / "second" / "center.toml").exists()


def test_joining_refuses_the_first_centers_ports_and_an_existing_home(
    tmp_path: Path, database: str
) -> None:
    first = init_center(tmp_path / "first", database, proxy_port=free_tcp_port())
    base = ["center", "init", "--join", str(first.settings.home)]
    own = ["--device-port", str(free_tcp_port()), "--proxy-port", str(free_tcp_port())]
    clash = remotecare(
        *base, "--home", str(tmp_path / "second"),
        "--console-port", str(first.settings.console_port), *own, check=False,
    )  # fmt: skip
    assert clash.returncode == 1
    assert f"port {first.settings.console_port} is the first center's already" in clash.stderr
    no_proxy = remotecare(
        *base, "--home", str(tmp_path / "second"), "--console-port", str(free_tcp_port()),
        "--device-port", str(free_tcp_port()), check=False,
    )  # fmt: skip
    assert "the first center serves a proxy port: give this one its own" in no_proxy.stderr
    assert not (tmp_path / "second").exists()
    onto_itself = remotecare(
        *base, "--home", str(first.settings.home), "--console-port", str(free_tcp_port()),
        *own, check=False,
    )  # fmt: skip
    assert "already holds a center; refusing to overwrite it" in onto_itself.stderr


async def test_two_instances_share_ingest_and_a_revocation(tmp_path: Path, database: str) -> None:
    if find_nginx() is None:
        pytest.fail("nginx is missing: `make test` installs Debian's nginx-light")
    first = init_center(
        tmp_path / "first",
        database,
        proxy_port=free_tcp_port(),
        trusted_proxies=("127.0.0.1",),
        metrics_port=free_tcp_port(),
    )
    second = _join(first, tmp_path / "second")
    pki = second.settings.pki_dir
    assert {p.name: p.stat().st_mode & 0o777 for p in pki.glob("*.key")} == {
        "ca.key": 0o600,
        "server.key": 0o600,
    }
    assert (pki / "ca.pem").read_bytes() == first.settings.ca_cert_file.read_bytes()
    assert second.settings.database_url == database

    nginx_port = free_tcp_port()
    config = remotecare(
        "center", "proxy-config", "--home", str(first.settings.home),
        "--also", str(second.settings.home), "--listen", f"127.0.0.1:{nginx_port}",
    ).stdout  # fmt: skip
    with (
        serving_center(first.settings.home, tmp_path / "first.log", _ports(first)),
        serving_center(second.settings.home, tmp_path / "second.log", _ports(second)),
        running_nginx(tmp_path / "nginx", config, nginx_port),
    ):
        agents: list[tuple[ssl.SSLContext, str]] = []
        for n in range(AGENTS):
            paths = AgentPaths(tmp_path / f"agent-{n}")
            token = enrolment_token(first)
            enrolled_at = first.console_url if n % 2 == 0 else second.console_url
            identity = await enrol(paths, enrolled_at, token, first.ca_fingerprint)
            agents.append((agent_tls_context(paths), identity.endpoint_id))

        nginx_url = f"https://localhost:{nginx_port}"
        answers = await asyncio.gather(
            *(
                _send_all(nginx_url + "/api/v1/report-batches", tls, f"SER-{n}")
                for n, (tls, _) in enumerate(agents)
            )
        )
        for per_agent in answers:
            assert per_agent[:-1] == [(201, REPORTS, 0)] * BATCHES
            assert per_agent[-1] == (200, 0, REPORTS)  # the retry: every report a duplicate
        stored = AGENTS * BATCHES * REPORTS
        assert count_rows(first, reports) == stored
        by_instance = [await _accepted_by(first), await _accepted_by(second)]
        assert sum(by_instance) == stored
        assert min(by_instance) > 0, by_instance  # nginx spread them over both

        tls, endpoint_id = agents[0]
        refused_in = await _revoked_everywhere(tls, endpoint_id, [first, second])
        for instance, delay in refused_in.items():
            assert delay <= _BOUND_S + _LATENCY_ALLOWANCE_S, (instance, delay)
        through_nginx = await call(
            nginx_url + "/api/v1/reports", tls, encode(a_plain_report("SER-0"))
        )
        assert through_nginx == REFUSED
        assert count_rows(first, reports) == stored


async def _revoked_everywhere(
    tls: ssl.SSLContext, endpoint_id: str, instances: list[CenterInfo]
) -> dict[str, float]:
    """Revoke the endpoint through the second home's command line while it checks in at
    every instance on kept-alive connections; per instance, how long after the revocation
    was committed it was first refused."""
    refused_at: dict[str, float] = {}
    sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for _ in instances]
    try:
        for session, instance in zip(sessions, instances, strict=True):
            answer = await call(instance.device_url + "/api/v1/commands", tls, session=session)
            assert answer != REFUSED
        revoking = asyncio.create_task(_revoke(str(instances[-1].settings.home), endpoint_id))
        deadline = time.monotonic() + 30 * _BOUND_S
        while len(refused_at) < len(instances) and time.monotonic() < deadline:
            for session, instance in zip(sessions, instances, strict=True):
                url = instance.device_url + "/api/v1/commands"
                if url not in refused_at and await call(url, tls, session=session) == REFUSED:
                    refused_at[url] = time.monotonic()
            await asyncio.sleep(0.02)
        revoked_at = await revoking
        assert len(refused_at) == len(instances), refused_at
        return {url: max(0.0, at - revoked_at) for url, at in refused_at.items()}
    finally:
        for session in sessions:
            await session.close()


async def _revoke(home: str, endpoint_id: str) -> float:
    """Run `remotecare center revoke`; the moment it exited (the revocation is committed)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remotecare", "center", "revoke", "--home", home, endpoint_id,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await process.wait() == 0
    return time.monotonic()
