"""A printer's reading travels agent → mutual TLS → center → database → console.

The center and the agent run as separate processes of the `remotecare` command; the
printers are real recordings served by snmpsim over UDP on loopback. Expected values were
read by hand from the .snmprec files with RFC 3805 / RFC 2790 at hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import ssl
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from remotecare.center.fleet.tables import printers, reports
from remotecare.center.identity.tables import endpoints
from remotecare.demo.snmpsim import SnmpSimulator, free_udp_port, running_snmpsim
from tests.support.centers import (
    OPERATOR_PASSWORD,
    CenterInfo,
    accept_by_command_line,
    center_process,
    remotecare,
)
from tests.support.console_login import form_token
from tests.support.ports import free_tcp_port
from tests.support.processes import started
from tests.support.recordings import EXPECTED as RECORDED
from tests.support.recordings import recordings_dir

# Six of the recordings; what each must read as is stated once, in tests.support.recordings.
EXPECTED = {
    name: RECORDED[name]
    for name in (
        "ricoh_aficio-mp-c3002",
        "utax_p-4532dn",
        "hp_laserjet-mfp-m130nw",
        "konicaminolta_bizhub-c250i",
        "epson_wf-c5790",
        "sharp_mx-3570n",
    )
}


@dataclass(frozen=True)
class System:
    info: CenterInfo
    agent_home: Path
    simulator: SnmpSimulator
    silent_printer: str


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> Iterator[System]:
    root = tmp_path_factory.mktemp("e2e")
    home = root / "center"
    console_port, device_port = free_tcp_port(), free_tcp_port()
    remotecare(
        "center", "init", "--home", str(home), "--hostname", "localhost",
        "--listen", "127.0.0.1", "--console-port", str(console_port),
        "--device-port", str(device_port), "--password", OPERATOR_PASSWORD,
        "--database-url", module_database_url,
    )  # fmt: skip
    from remotecare.center.config import CenterSettings
    from remotecare.center.setup import ca_fingerprint_of

    settings = CenterSettings.load(home)
    info = CenterInfo(settings, ca_fingerprint_of(settings))
    accept_by_command_line(home, "Acme Ltd")
    with (
        running_snmpsim(recordings_dir(), probe_community="ricoh_aficio-mp-c3002") as simulator,
        center_process(info, root / "center.log"),
    ):
        created = remotecare(
            "center", "token", "create", "--home", str(home), "--customer", "Acme Ltd", "--json"
        )  # fmt: skip
        token = json.loads(created.stdout)
        assert token["ca_fingerprint"] == info.ca_fingerprint
        agent_home = root / "agent"
        remotecare(
            "agent", "enroll", "--home", str(agent_home), "--center", info.console_url,
            "--token", token["token"], "--ca-fingerprint", token["ca_fingerprint"],
        )  # fmt: skip
        silent = f"snmp://public@127.0.0.1:{free_udp_port()}"
        urls = [simulator.url(community) for community in EXPECTED] + [silent]
        (agent_home / "agent.toml").write_text(
            "snmp_timeout_seconds = 1.0\nsnmp_retries = 0\nprinters = [\n"
            + "".join(f'  "{u}",\n' for u in urls)
            + "]\n"
        )
        result = remotecare("agent", "run", "--home", str(agent_home), "--once")
        assert "sent 7 report(s), 0 waiting" in result.stdout
        yield System(info, agent_home, simulator, silent)


def stored_readings(info: CenterInfo) -> dict[str, dict[str, Any]]:
    with info.read_engine().connect() as conn:
        rows = conn.execute(select(printers.c.serial, printers.c.latest_reading))
        return {serial: reading for serial, reading in rows}


@pytest.mark.parametrize("community", list(EXPECTED))
def test_the_center_stores_what_the_printer_said(system: System, community: str) -> None:
    expected = EXPECTED[community]
    reading = stored_readings(system.info)[expected.serial]
    total = next((c for c in reading["counters"] if c["name"] == "total"), None)
    if expected.total is None:
        assert total is None
    else:
        assert total is not None
        assert (total["value"], total.get("unit")) == expected.total
    got = [
        (s["description"], s.get("level"), s.get("max_capacity"), s.get("percent"), s["state"])
        for s in reading["supplies"]
    ]
    for want in expected.supplies:
        assert (want.description, want.level, want.max_capacity, want.percent, want.state) in got


def test_each_report_is_attributed_to_the_enrolled_endpoint(system: System) -> None:
    identity = json.loads((system.agent_home / "identity.json").read_text())
    with system.info.read_engine().connect() as conn:
        owners = set(conn.execute(select(reports.c.endpoint_id)).scalars())
        assert owners == {identity["endpoint_id"]}
        assert conn.execute(select(func.count()).select_from(endpoints)).scalar_one() == 1


def test_a_silent_printer_is_reported_as_not_answering(system: System) -> None:
    with system.info.read_engine().connect() as conn:
        row = conn.execute(
            select(reports.c.payload).where(reports.c.reachable.is_(False))
        ).scalar_one()
    assert row["printer_address"] == system.silent_printer.replace("public@", "")
    assert "did not answer" in row["unreachable_reason"]


def test_a_second_cycle_adds_history_without_new_devices(system: System) -> None:
    with system.info.read_engine().connect() as conn:
        before = conn.execute(select(func.count()).select_from(reports)).scalar_one()
    remotecare("agent", "run", "--home", str(system.agent_home), "--once")
    with system.info.read_engine().connect() as conn:
        after = conn.execute(select(func.count()).select_from(reports)).scalar_one()
        devices = conn.execute(select(func.count()).select_from(printers)).scalar_one()
    assert after == before + 7
    assert devices == len(EXPECTED)


async def _get(
    url: str, context: ssl.SSLContext, cookies: dict[str, str] | None = None
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession(cookies=cookies) as session,
        session.get(url, ssl=context, allow_redirects=False) as response,
    ):
        return response.status, await response.text()


async def test_the_console_shows_nothing_without_a_login(system: System) -> None:
    status, page = await _get(system.info.console_url + "/devices", system.info.trusting_context())
    assert status == 303
    assert EXPECTED["ricoh_aficio-mp-c3002"].serial not in page


async def test_the_console_lists_devices_after_login(system: System) -> None:
    context = system.info.trusting_context()
    async with aiohttp.ClientSession() as session:
        form = {
            "username": "operator",
            "password": OPERATOR_PASSWORD,
            "csrf_token": await form_token(session, system.info),
        }
        async with session.post(
            system.info.console_url + "/login", data=form, ssl=context
        ) as response:
            assert response.status == 200  # the operator's home, the overview
        async with session.get(system.info.console_url + "/devices", ssl=context) as response:
            assert response.status == 200
            page = await response.text()
    for expected in EXPECTED.values():
        assert expected.serial in page
    assert "Acme Ltd" in page
    assert re.search(r"271,871\s*<small>sheets</small>", page)
    assert "some remaining" in page


def _listening_socket_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[3] == "0A":  # TCP_LISTEN
                    inodes.add(fields[9])
    return inodes


def _socket_inodes_of(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    return inodes


def test_the_running_agent_listens_on_no_port(system: System) -> None:
    """Terms, article 6(3): the center never initiates access, so the agent accepts none."""
    with system.info.read_engine().connect() as conn:
        before = conn.execute(select(func.count()).select_from(reports)).scalar_one()
    config = system.agent_home / "agent.toml"
    original = config.read_text()
    config.write_text("poll_interval_seconds = 2.0\n" + original)
    try:
        with started(
            [sys.executable, "-m", "remotecare", "agent", "run", "--home", str(system.agent_home)],
            system.agent_home / "run.log",
            what="the agent",
        ) as agent:
            deadline = time.monotonic() + 60
            sockets_seen: set[str] = set()
            while time.monotonic() < deadline:
                sockets_seen |= _socket_inodes_of(agent.pid)
                assert not sockets_seen & _listening_socket_inodes()
                with system.info.read_engine().connect() as conn:
                    stored = conn.execute(select(func.count()).select_from(reports)).scalar_one()
                if stored > before:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError("the agent sent nothing within 60 s")
            assert sockets_seen, "the agent was seen with no socket at all: the check saw nothing"
    finally:
        config.write_text(original)
