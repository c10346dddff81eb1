"""An agent killed with SIGKILL in the middle of a poll cycle keeps what it had read: the
readings of the printers already done are in an intact outbox (a real `agent run --once`
process, printers served by snmpsim, one printer that never answers)."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import sys
import time
from pathlib import Path

from remotecare.agent.config import AgentIdentity, AgentPaths
from remotecare.demo.snmpsim import free_udp_port, running_snmpsim
from tests.support.processes import started
from tests.support.recordings import recordings_dir

FAST = ("hp_laserjet-mfp-m130nw", "ricoh_aficio-mp-c3002", "canon_lbp6670")
SILENT_TIMEOUT_S = 20  # long enough that the cycle is surely still going when killed


def queued(outbox: Path) -> list[str]:
    """The outbox's report bodies, oldest first; none while it is being created."""
    if not outbox.exists():
        return []
    with contextlib.closing(sqlite3.connect(outbox, timeout=10)) as db:
        try:
            return [body for (body,) in db.execute("SELECT body FROM outbox ORDER BY seq")]
        except sqlite3.OperationalError:
            return []


def test_an_agent_killed_mid_cycle_keeps_the_readings_it_had_taken(tmp_path: Path) -> None:
    paths = AgentPaths(tmp_path / "agent")
    paths.home.mkdir(mode=0o700)
    # Not enrolled with a real center: the cycle is killed before it would send anything.
    AgentIdentity(
        "00000000-0000-4000-8000-000000000002", "https://127.0.0.1:9/", "https://127.0.0.1:9/"
    ).save(paths.identity)
    with running_snmpsim(recordings_dir(), probe_community=FAST[0]) as simulator:
        urls = [f"snmp://public@127.0.0.1:{free_udp_port()}"]
        urls += [simulator.url(name) for name in FAST]
        paths.config.write_text(
            f"snmp_timeout_seconds = {SILENT_TIMEOUT_S}\nsnmp_retries = 0\n"
            "printers = [" + ", ".join(f'"{url}"' for url in urls) + "]\n"
        )
        log = tmp_path / "agent.log"
        run_once = ("agent", "run", "--once", "--home", str(paths.home))
        with started(
            [sys.executable, "-m", "remotecare", *run_once], log, what="the agent"
        ) as agent:
            deadline = time.monotonic() + SILENT_TIMEOUT_S / 2
            while len(queued(paths.outbox)) < len(FAST):
                assert agent.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the readings were not queued"
                time.sleep(0.05)
            assert agent.poll() is None, "the cycle ended before it was killed"
            agent.send_signal(signal.SIGKILL)
            agent.wait(10)
    with contextlib.closing(sqlite3.connect(paths.outbox)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    bodies = [json.loads(body) for body in queued(paths.outbox)]
    assert len(bodies) == len(FAST)
    assert all(body.get("reading") for body in bodies)
    assert {body["printer_address"] for body in bodies} == {
        url.replace(f"{name}@", "") for url, name in zip(urls[1:], FAST, strict=True)
    }
