"""The agent's logs never contain keys, tokens, SNMP communities or proxy passwords, even
at DEBUG, through enrolment, a cycle through an authenticating proxy, the doctor and
show-payload (all run as `remotecare -v agent ...` processes)."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from remotecare.demo.snmpsim import running_snmpsim
from tests.support.centers import (
    center_process,
    enrolment_token,
    init_center,
    remotecare,
)
from tests.support.connect_proxy import ConnectProxy, connect_proxy
from tests.support.recordings import recordings_dir

COMMUNITY = "ricoh_aficio-mp-c3002"
PROXY_PASSWORD = "pr0xy-S3cret-42"


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    """The test CONNECT proxy, on its own event loop in a thread (the agent is a process)."""
    loop = asyncio.new_event_loop()
    started: list[ConnectProxy] = []
    ready, stop = threading.Event(), asyncio.Event()

    async def serve() -> None:
        async with connect_proxy(username="agent", password=PROXY_PASSWORD) as running:
            started.append(running)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield started[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)


def test_debug_logs_carry_no_secret(tmp_path: Path, proxy: ConnectProxy) -> None:
    info = init_center(tmp_path / "center")
    home = tmp_path / "agent"
    token = enrolment_token(info)
    outputs: list[str] = []
    with (
        running_snmpsim(recordings_dir(), probe_community=COMMUNITY) as simulator,
        center_process(info, tmp_path / "center.log"),
    ):
        enrolled = remotecare(
            "-v", "agent", "enroll", "--home", str(home), "--center", info.console_url,
            "--token", token, "--ca-fingerprint", info.ca_fingerprint,
        )  # fmt: skip
        outputs.append(enrolled.stdout + enrolled.stderr)
        (home / "agent.toml").write_text(
            f'proxy_url = "{proxy.url}"\nproxy_username = "agent"\n'
            f'proxy_password = "{PROXY_PASSWORD}"\n'
            f'printers = ["{simulator.url(COMMUNITY)}"]\n'
        )
        for command in (
            ("agent", "run", "--home", str(home), "--once"),
            ("agent", "doctor", "--home", str(home)),
            ("agent", "show-payload", "--home", str(home)),
        ):
            result = remotecare("-v", *command, check=False)
            assert result.returncode == 0, result.stdout + result.stderr
            outputs.append(result.stdout + result.stderr)
    assert proxy.tunnels  # the cycle really went through the authenticating proxy
    logs = "\n".join(outputs)
    assert "DEBUG" in logs  # really at debug level
    key_pem = (home / "agent.key").read_text()
    key_body = "".join(key_pem.strip().splitlines()[1:-1])
    privacy_key = (home / "privacy.key").read_bytes()
    secrets = {
        "SNMP community": COMMUNITY,
        "enrolment token": token,
        "proxy password": PROXY_PASSWORD,
        "proxy credentials": base64.b64encode(f"agent:{PROXY_PASSWORD}".encode()).decode(),
        "private key": key_body[:40],
        "pseudonym key (hex)": privacy_key.hex(),
        "pseudonym key (base64)": base64.b64encode(privacy_key).decode()[:20],
    }
    for what, secret in secrets.items():
        assert secret not in logs, f"the {what} appears in the logs"
