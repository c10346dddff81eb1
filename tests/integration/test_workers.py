"""Scale-out: `center serve --workers 2` on one database (PostgreSQL, or one SQLite file
whose writers take turns on a lock file); every report stored once."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import ssl
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.fleet.tables import reports
from tests.support.centers import (
    CenterInfo,
    center_process,
    init_center,
    remotecare,
)
from tests.support.contracts import accept_customer_at
from tests.support.ports import free_tcp_port

CLIENTS = 4
REPORTS_PER_CLIENT = 30


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def a_report(serial: str) -> dict[str, Any]:
    return {
        "report_id": str(uuid.uuid4()),
        "agent_time": datetime.now(UTC).isoformat(),
        "printer_address": f"snmp://192.0.2.{len(serial)}:161",
        "reading": {
            "serial": serial,
            "serial_source": "prtGeneralSerialNumber",
            "model": "Acme Laser 9000",
            "status": {"device_status": "running"},
            "counters": [{"name": "total", "value": 7, "unit": "impressions"}],
        },
    }


async def post_all(url: str, context: ssl.SSLContext, bodies: list[dict[str, Any]]) -> list[int]:
    """Each report on a new connection, so that the kernel spreads them over the workers."""
    statuses = []
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        for body in bodies:
            async with session.post(
                url + "/api/v1/reports",
                data=json.dumps(body),
                headers={"Content-Type": "application/json"},
                ssl=context,
            ) as response:
                statuses.append(response.status)
    return statuses


def scrape(port: int) -> str:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        return str(answer.read().decode())


async def test_two_workers_share_the_ports_and_store_every_report_once(
    tmp_path: Path, database_url: str
) -> None:
    info: CenterInfo = init_center(tmp_path / "center", database_url, metrics_port=free_tcp_port())
    accept_customer_at(info.settings, "Acme Ltd")
    with center_process(info, tmp_path / "center.log", serve_args=["--workers", "2"]) as process:
        workers = children_of(process.pid)
        assert len(workers) == 2
        contexts = []
        for n in range(CLIENTS):
            created = remotecare(
                "center", "token", "create", "--home", str(info.settings.home),
                "--customer", "Acme Ltd", "--json",
            )  # fmt: skip
            paths = AgentPaths(tmp_path / f"agent-{n}")
            await enrol(
                paths, info.console_url, json.loads(created.stdout)["token"], info.ca_fingerprint
            )
            contexts.append(agent_tls_context(paths))
        sent = [
            [a_report(f"W{n}-{i % 3}") for i in range(REPORTS_PER_CLIENT)] for n in range(CLIENTS)
        ]
        first = await asyncio.gather(
            *(post_all(info.device_url, c, b) for c, b in zip(contexts, sent, strict=True))
        )
        again = await asyncio.gather(
            *(post_all(info.device_url, c, b[:5]) for c, b in zip(contexts, sent, strict=True))
        )
        assert {s for statuses in first for s in statuses} == {201}
        assert {s for statuses in again for s in statuses} == {200}
        text = scrape(info.settings.metrics_port)  # whichever worker answers adds up both
        assert re.search(
            rf"^remotecare_reports_accepted_total {CLIENTS * REPORTS_PER_CLIENT}\.0$", text, re.M
        )
        assert re.search(rf"^remotecare_reports_duplicates_total {CLIENTS * 5}\.0$", text, re.M)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid)
    with info.read_engine().connect() as conn:
        stored = conn.execute(select(func.count()).select_from(reports)).scalar_one()
        distinct = conn.execute(select(func.count(reports.c.report_id.distinct()))).scalar_one()
    assert stored == distinct == CLIENTS * REPORTS_PER_CLIENT


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
