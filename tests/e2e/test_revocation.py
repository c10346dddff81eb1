"""`remotecare center revoke` in one process; a center serving in another refuses the
endpoint within a second, on its open keep-alive connection and on a new one."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import aiohttp

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.fleet.tables import reports
from tests.support.centers import accept_by_command_line, center_process, init_center, remotecare
from tests.support.device_calls import call, count_rows, report_body

REFUSED = (403, {"error": "endpoint certificate revoked"})
_BOUND_S = 1.0  # the promise: refused within a second of the revocation
_LATENCY_ALLOWANCE_S = 0.25  # one request's round trip on a loaded test machine


async def test_a_revoked_endpoint_is_refused_within_a_second_everywhere(
    tmp_path: Path, database_url: str
) -> None:
    info = init_center(tmp_path / "center", database_url)
    home = str(info.settings.home)
    connections = SimpleNamespace(opened=0)

    async def _opened(*_: object) -> None:
        connections.opened += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(_opened)

    accept_by_command_line(info.settings.home, "Acme Ltd")
    with center_process(info, tmp_path / "center.log"):
        created = remotecare(
            "center", "token", "create", "--home", home, "--customer", "Acme Ltd", "--json"
        )
        paths = AgentPaths(tmp_path / "agent")
        token = json.loads(created.stdout)["token"]
        identity = await enrol(paths, info.console_url, token, info.ca_fingerprint)
        tls = agent_tls_context(paths)
        reports_url = info.device_url + "/api/v1/reports"
        check_in_url = info.device_url + "/api/v1/commands"

        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1), trace_configs=[trace]
        ) as kept_alive:
            assert (await call(reports_url, tls, report_body(), session=kept_alive))[0] == 201
            assert connections.opened == 1

            # The agent keeps checking in (keeping the center's cache warm) while the
            # operator revokes it from another process.
            revoking = asyncio.create_task(_revoke(home, identity.endpoint_id))
            answer = await call(check_in_url, tls, session=kept_alive)
            while answer != REFUSED and not _past_bound(revoking):
                await asyncio.sleep(0.02)
                answer = await call(check_in_url, tls, session=kept_alive)
            refused_at = time.monotonic()
            revoked_at = await revoking

            assert answer == REFUSED
            assert refused_at - revoked_at <= _BOUND_S + _LATENCY_ALLOWANCE_S
            on_open = await call(reports_url, tls, report_body(), session=kept_alive)
            assert on_open == REFUSED
            assert connections.opened == 1  # all of that on the one kept-alive connection

        on_new = await call(reports_url, tls, report_body())
        assert on_new == REFUSED
        assert count_rows(info, reports) == 1  # only the report sent before the revocation

        listed = remotecare("center", "endpoints", "--home", home)
        assert f"{identity.endpoint_id}  revoked" in listed.stdout
        again = remotecare("center", "revoke", "--home", home, identity.endpoint_id)
        assert again.stdout.strip() == f"endpoint {identity.endpoint_id} was already revoked"


async def _revoke(home: str, endpoint_id: str) -> float:
    """Run `remotecare center revoke`; the moment it exited (the revocation is committed)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remotecare", "center", "revoke", "--home", home, endpoint_id,
        "--reason", "lost",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await process.wait() == 0
    return time.monotonic()


def _past_bound(revoking: asyncio.Task[float]) -> bool:
    if not revoking.done():
        return False
    return time.monotonic() - revoking.result() > _BOUND_S + _LATENCY_ALLOWANCE_S


def test_revoking_an_unknown_endpoint_fails(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    result = remotecare(
        "center", "revoke", "--home", str(info.settings.home), "nobody", check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "Error: unknown endpoint nobody"
