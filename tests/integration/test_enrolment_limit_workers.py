"""Two center processes on one database hold one limit on failed enrolments together.

On PostgreSQL the processes are ``center serve --workers 2``; SQLite refuses
``--workers``, so there two ``center serve --worker`` processes (what the supervisor
starts) share the center's SQLite file and its ports.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from remotecare.center.attempts.rules import FAILURES_PER_CLIENT
from remotecare.pki.certificates import build_csr
from remotecare.pki.keys import generate_private_key
from tests.support.centers import CenterInfo, center_process, init_center

JSON_LOGS = ["--log-format", "json"]
READY_TIMEOUT_S = 30.0
MAX_REFUSED_ATTEMPTS = 40  # connections spread at random: 2 ** -39 that one worker gets all
BAD_TOKEN = "x" * 43


def _messages(logs: list[Path]) -> list[tuple[int, str]]:
    """(pid, message) of every JSON log line the processes wrote so far."""
    found = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and "pid" in entry and "message" in entry:
                    found.append((int(entry["pid"]), str(entry["message"])))
    return found


def _pids_saying(logs: list[Path], start: str) -> list[int]:
    return [pid for pid, message in _messages(logs) if message.startswith(start)]


def _wait_until_both_listen(logs: list[Path]) -> set[int]:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while len(listening := set(_pids_saying(logs, "center listening"))) < 2:
        assert time.monotonic() < deadline, f"not two workers listening: {_messages(logs)}"
        time.sleep(0.1)
    return listening


@pytest.fixture
def workers(tmp_path: Path, database_url: str) -> Iterator[tuple[CenterInfo, list[Path], set[int]]]:
    """A center home and two processes serving it: (info, their logs, their pids)."""
    info = init_center(tmp_path / "center", database_url)
    with contextlib.ExitStack() as stack:
        if info.on_sqlite:
            logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
            for log in logs:
                stack.enter_context(
                    center_process(info, log, global_args=JSON_LOGS, serve_args=["--worker"])
                )
        else:
            logs = [tmp_path / "center.log"]
            stack.enter_context(
                center_process(info, logs[0], global_args=JSON_LOGS, serve_args=["--workers", "2"])
            )
        yield info, logs, _wait_until_both_listen(logs)


async def _enrol(info: CenterInfo, csr_pem: str) -> tuple[int, str | None]:
    """One attempt with an unknown token, on a new connection (the kernel picks a worker)."""
    body = json.dumps({"token": BAD_TOKEN, "csr_pem": csr_pem})
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=20)) as s,
        s.post(
            info.console_url + "/.well-known/est/simpleenroll",
            data=body,
            headers={"Content-Type": "application/json"},
            ssl=info.trusting_context(),
        ) as response,
    ):
        await response.read()
        return response.status, response.headers.get("Retry-After")


async def test_after_the_limit_of_failures_every_process_refuses(
    workers: tuple[CenterInfo, list[Path], set[int]],
) -> None:
    info, logs, pids = workers
    csr_pem = build_csr(generate_private_key(), "agent").public_bytes(Encoding.PEM).decode()
    for _ in range(FAILURES_PER_CLIENT):
        assert (await _enrol(info, csr_pem))[0] == 403
    failed_in = _pids_saying(logs, "enrolment refused: unknown enrolment token")
    assert len(failed_in) == FAILURES_PER_CLIENT

    refused_by: set[int] = set()
    for _ in range(MAX_REFUSED_ATTEMPTS):
        status, retry_after = await _enrol(info, csr_pem)
        assert status == 429, f"failures seen by {failed_in}, refusals by {refused_by}"
        assert retry_after is not None
        assert 1 <= int(retry_after) <= 60
        refused_by = set(_pids_saying(logs, "enrolment attempt from 127.0.0.1 refused"))
        if refused_by == pids:
            break

    # Both refused, including any process that saw none of the failures itself.
    assert refused_by == pids, f"failures seen by {failed_in}"
    assert len(_pids_saying(logs, "enrolment refused")) == FAILURES_PER_CLIENT
