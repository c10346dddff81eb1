"""The whole way over IPv6, with real processes: `remotecare center init` and `serve` on
::1 only, the agent enrolled with ``--center https://[::1]:PORT``, `remotecare agent run
--once` reading a printer served by snmpsim, and the reading stored at the center.

Skipped when the kernel has no IPv6 loopback, except in CI (``CI=true``), where that fails.
"""

from __future__ import annotations

import json
import os
import re
import socket
from ipaddress import IPv6Address
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from remotecare.agent.config import AgentIdentity, AgentPaths
from remotecare.center.config import CenterSettings
from remotecare.center.fleet.tables import printers, reports
from remotecare.center.identity.tables import endpoints
from remotecare.demo.snmpsim import running_snmpsim
from remotecare.pki.certificates import load_certificate
from tests.support.centers import (
    OPERATOR_PASSWORD,
    accept_by_command_line,
    remotecare,
    serving_center,
)
from tests.support.ports import answers, free_tcp_port
from tests.support.recordings import recordings_dir

PRINTER = "ricoh_aficio-mp-c3002"
_READY_TIMEOUT_S = 30.0


def ipv6_loopback() -> None:
    """Skip the test (fail it in CI) when ::1 cannot be bound."""
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError as exc:
        reason = f"no IPv6 loopback on this machine: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def test_an_agent_reports_to_a_center_listening_on_ipv6_loopback_only(tmp_path: Path) -> None:
    ipv6_loopback()
    recordings = recordings_dir()
    home = tmp_path / "center"
    console_port, device_port = free_tcp_port(also_ipv6=True), free_tcp_port(also_ipv6=True)
    init = remotecare(
        "center", "init", "--home", str(home), "--hostname", "::1", "--listen", "::1",
        "--console-port", str(console_port), "--device-port", str(device_port),
        "--password", OPERATOR_PASSWORD,
    )  # fmt: skip
    found = re.search(r"CA fingerprint \(SHA-256\): (\S+)", init.stdout)
    assert found, init.stdout
    settings = CenterSettings.load(home)
    assert settings.listen_host == "::1"
    server = load_certificate(settings.server_cert_file.read_bytes())
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert IPv6Address("::1") in san.get_values_for_type(x509.IPAddress)

    agent = AgentPaths(tmp_path / "agent")
    accept_by_command_line(home, "Acme Ltd")
    with (
        running_snmpsim(recordings, probe_community=PRINTER) as printer,
        serving_center(home, tmp_path / "center.log", (console_port, device_port), host="::1"),
    ):
        # on ::1 only: whatever reaches the center came over IPv6
        assert not answers("127.0.0.1", console_port)
        assert not answers("127.0.0.1", device_port)
        token = json.loads(
            remotecare(
                "center", "token", "create", "--home", str(home), "--customer", "Acme Ltd",
                "--json",
            ).stdout
        )  # fmt: skip
        assert token["ca_fingerprint"] == found.group(1)
        remotecare(
            "agent", "enroll", "--home", str(agent.home),
            "--center", f"https://[::1]:{console_port}",
            "--token", token["token"], "--ca-fingerprint", token["ca_fingerprint"],
        )  # fmt: skip
        identity = AgentIdentity.load(agent.identity)
        assert identity.device_api_url == f"https://[::1]:{device_port}"
        agent.config.write_text(
            "snmp_timeout_seconds = 2\n"
            "http_timeout_seconds = 10\n"
            "auto_diagnostics = false\n"
            f'printers = ["{printer.url(PRINTER)}"]\n'
        )
        ran = remotecare("agent", "run", "--once", "--home", str(agent.home), timeout=60)
        assert "0 not answering; sent 1 report(s), 0 waiting" in ran.stdout, ran.stdout

    engine = create_engine(settings.effective_database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                select(reports.c.endpoint_id, reports.c.reachable, printers.c.serial).join(
                    printers, reports.c.printer_id == printers.c.id
                )
            ).all()
            seen = conn.execute(
                select(endpoints.c.last_seen_at).where(endpoints.c.id == identity.endpoint_id)
            ).scalar_one()
    finally:
        engine.dispose()
    assert len(stored) == 1
    endpoint_id, reachable, serial = stored[0]
    assert (endpoint_id, reachable) == (identity.endpoint_id, True)
    assert serial
    assert seen is not None
