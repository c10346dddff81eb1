"""A diagnostic bundle's upload survives the agent being killed (SIGKILL) while a chunk is
on its way, with real processes: the center as `remotecare center serve`, the agent as
`remotecare agent run --once`, between them a CONNECT proxy that lets the third chunk
trickle in so the kill lands in the middle of it. A new agent process resumes; the center
ends with the one bundle, byte for byte, and the agent with nothing left to send.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from remotecare.agent.config import AgentIdentity, AgentPaths
from remotecare.agent.diagnostics import BundleQueue, MonthlyBudget
from remotecare.center.fleet.tables import diagnostic_bundles
from remotecare.demo.snmpsim import free_udp_port
from remotecare.protocol.messages import BundleReason
from tests.support.centers import center_process, enroll_process, init_center, remotecare
from tests.support.processes import started, wait_for
from tests.support.slow_proxy import slow_connect_proxy

CHUNK = 64 * 1024
SIZE = 8 * CHUNK + 1234  # the last chunk a short one
# Full speed for two and a half chunks' worth (the report, the command poll, the
# declaration and TLS cost a few KiB), then a trickle: the third chunk is on its way.
FAST_BYTES = 2 * CHUNK + CHUNK // 2
RATE_BPS = 16 * 1024


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else -1


def test_an_agent_killed_in_the_middle_of_a_chunk_resumes_and_the_bundle_arrives_whole(
    tmp_path: Path,
) -> None:
    info = init_center(tmp_path / "center")
    paths = AgentPaths(tmp_path / "agent")
    data = os.urandom(SIZE)
    with center_process(info, tmp_path / "center.log"):
        enroll_process(info, paths.home)
        endpoint_id = AgentIdentity.load(paths.identity).endpoint_id
        declaration = BundleQueue(paths.bundles).add(data, BundleReason.CENTER_REQUEST).declaration
        stored = info.settings.bundles_dir / endpoint_id / f"{declaration.bundle_id}.tar.gz"
        partial = stored.with_name(stored.name + ".part")
        with slow_connect_proxy(fast_bytes=FAST_BYTES, rate_bps=RATE_BPS) as proxy:
            paths.config.write_text(
                "snmp_timeout_seconds = 0.5\n"
                "snmp_retries = 0\n"
                "http_timeout_seconds = 30\n"  # longer than the test waits: no agent-side give-up
                "auto_diagnostics = false\n"
                f"bundle_chunk_bytes = {CHUNK}\n"
                f'proxy_url = "{proxy.url}"\n'
                f'printers = ["snmp://public@127.0.0.1:{free_udp_port()}"]\n'
            )
            with started(
                [sys.executable, "-m", "remotecare", "agent", "run", "--once",
                 "--home", str(paths.home)],
                tmp_path / "agent-1.log",
                what="the agent",
            ) as first:  # fmt: skip
                proxy.wait_slow(RATE_BPS // 2, timeout_s=30)  # half a second of trickle
                assert first.poll() is None, "the agent finished before it was killed"
                at_kill = _size(partial)
                first.send_signal(signal.SIGKILL)
                first.wait(10)
            # Two chunks taken, the third cut off part-way: a few KiB of it reached the center.
            assert at_kill == 2 * CHUNK, at_kill
            assert 0 < proxy.slow_forwarded < CHUNK
            wait_for(lambda: proxy.cut >= 1, 10, "the proxy to cut the dead agent's tunnel")
            # What the center got of the third chunk is not kept, not even in part.
            center_log = tmp_path / "center.log"
            wait_for(lambda: "cut off" in center_log.read_text(), 10, "the center to notice")
            assert _size(partial) == 2 * CHUNK
            assert not stored.exists()

            proxy.release()
            second = remotecare("agent", "run", "--once", "--home", str(paths.home), timeout=60)
            assert "0 waiting" in second.stdout, second.stdout

    assert "Traceback" not in center_log.read_text()  # a cut-off chunk is no error
    assert BundleQueue(paths.bundles).pending() == []
    assert sorted(p.name for p in paths.bundles.iterdir()) == ["budget.json"]
    budget = MonthlyBudget(paths.bundles / "budget.json", 1)
    assert budget.used(datetime.now(UTC)) == SIZE  # each chunk counted once: none sent twice
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(diagnostic_bundles)).all()
    finally:
        engine.dispose()
    assert len(rows) == 1
    row = rows[0]
    assert (row.id, row.status, row.size_bytes, row.received_bytes) == (
        str(declaration.bundle_id),
        "complete",
        SIZE,
        SIZE,
    )
    assert sorted(p.name for p in stored.parent.iterdir()) == [stored.name]  # no .part left
    received = stored.read_bytes()
    assert hashlib.sha256(received).hexdigest() == declaration.sha256 == row.sha256
    assert received == data
