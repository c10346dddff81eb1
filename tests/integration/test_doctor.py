"""`remotecare agent doctor`: each step in order, with plain advice where one fails."""

from __future__ import annotations

from pathlib import Path

from remotecare.agent.config import AgentPaths
from remotecare.agent.doctor import Check, Outcome, diagnose, healthy, render
from remotecare.demo.snmpsim import free_udp_port, running_snmpsim
from tests.support.centers import init_center, running_center
from tests.support.connect_proxy import connect_proxy
from tests.support.recordings import recordings_dir
from tests.support.reports import enrolled_agent

STEPS = [
    "configuration",
    "DNS",
    "proxy",
    "TCP",
    "center certificate",
    "agent certificate",
    "clock",
    "center answer",
]


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


async def test_a_healthy_agent_passes_every_step_in_order(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    community = "hp_laserjet-mfp-m130nw"
    with running_snmpsim(recordings_dir(), probe_community=community) as simulator:
        async with running_center(info) as center:
            paths, _ = await enrolled_agent(center, info, tmp_path / "agent")
            silent = f"snmp://public@127.0.0.1:{free_udp_port()}"
            paths.config.write_text(
                "snmp_timeout_seconds = 0.5\nsnmp_retries = 0\n"
                f'printers = ["{simulator.url(community)}", "{silent}"]\n'
            )
            checks = await diagnose(paths)
    assert [c.name for c in checks[: len(STEPS)]] == STEPS
    assert all(c.outcome is Outcome.OK for c in checks[: len(STEPS)]), render(checks)
    printers = checks[len(STEPS) :]
    assert [c.outcome for c in printers] == [Outcome.OK, Outcome.FAIL]
    assert "community" in printers[1].advice
    assert "public" not in render(checks)  # the community is never shown
    assert not healthy(checks)


async def test_a_stopped_center_fails_the_tcp_step_with_advice(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        paths, _ = await enrolled_agent(center, info, tmp_path / "agent")
    checks = by_name(await diagnose(paths, check_printers=False))
    assert checks["DNS"].outcome is Outcome.OK
    tcp = checks["TCP"]
    assert tcp.outcome is Outcome.FAIL
    assert "connection refused" in tcp.detail
    assert "center is running" in tcp.advice
    assert "firewall" in tcp.advice
    assert checks["center certificate"].outcome is Outcome.SKIP
    assert checks["clock"].outcome is Outcome.SKIP
    assert checks["agent certificate"].outcome is Outcome.OK  # checked from the file
    text = render(list(checks.values()))
    assert "what to do:" in text
    assert "check(s) failed" in text


async def test_a_proxy_refusing_credentials_fails_the_proxy_step(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    async with (
        running_center(info) as center,
        connect_proxy(username="agent", password="right") as proxy,
    ):
        paths, _ = await enrolled_agent(center, info, tmp_path / "agent")
        paths.config.write_text(
            f'proxy_url = "{proxy.url}"\nproxy_username = "agent"\nproxy_password = "wrong"\n'
        )
        wrong = by_name(await diagnose(paths, check_printers=False))
        paths.config.write_text(
            f'proxy_url = "{proxy.url}"\nproxy_username = "agent"\nproxy_password = "right"\n'
        )
        right = by_name(await diagnose(paths, check_printers=False))
    assert wrong["proxy"].outcome is Outcome.FAIL
    assert "proxy_password" in wrong["proxy"].advice
    assert wrong["TCP"].outcome is Outcome.SKIP
    assert all(c.outcome is not Outcome.FAIL for c in right.values()), render(list(right.values()))
    assert "tunnel through the proxy" in right["TCP"].detail


async def test_an_agent_never_enrolled_fails_the_configuration_step(tmp_path: Path) -> None:
    checks = await diagnose(AgentPaths(tmp_path / "nowhere"))
    assert checks[0].outcome is Outcome.FAIL
    assert "enroll" in checks[0].advice
    assert all(c.outcome is Outcome.SKIP for c in checks[1:])
