"""Commands the center queues are picked up by the agent on its own check-in, carried out
once and acknowledged (terms, article 6(3)); a real center and real SNMP on loopback."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from remotecare.agent.config import AgentSettings
from remotecare.agent.runner import Agent
from remotecare.agent.state import AgentState
from remotecare.center.fleet.tables import commands, diagnostic_bundles
from remotecare.demo.snmpsim import running_snmpsim
from remotecare.pki.certificates import load_certificate
from remotecare.protocol.messages import CommandKind
from tests.support.centers import (
    CenterInfo,
    init_center,
    running_center,
    serve_again,
    stop_serving,
)
from tests.support.recordings import recordings_dir
from tests.support.reports import enrolled_agent

COMMUNITY = "hp_laserjet-mfp-m130nw"
SERIAL = "VNCRC48198"


def command_rows(info: CenterInfo) -> dict[str, tuple[str, str | None]]:
    with info.read_engine().connect() as conn:
        rows = conn.execute(select(commands.c.kind, commands.c.status, commands.c.detail)).all()
    return {kind: (status, detail) for kind, status, detail in rows}


async def test_queued_commands_are_carried_out_once_and_acknowledged(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    with running_snmpsim(recordings_dir(), probe_community=COMMUNITY) as simulator:
        async with running_center(info) as center:
            paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
            settings = AgentSettings(
                printers=(simulator.url(COMMUNITY),),
                snmp_timeout_seconds=5,  # snmpsim answers slowly on a loaded machine
                diagnostics_walk_seconds=20,
            )
            agent = Agent(paths, settings, identity)
            first = await agent.cycle()  # binds the printer
            assert first.delivery.sent == 1
            old_serial = load_certificate(paths.certificate.read_bytes()).serial_number
            endpoint = identity.endpoint_id
            center.admin.queue_command(endpoint, CommandKind.SET_POLL_INTERVAL, {"seconds": 600})
            center.admin.queue_command(
                endpoint, CommandKind.COLLECT_DIAGNOSTICS, {"printer": SERIAL}
            )
            center.admin.queue_command(endpoint, CommandKind.RENEW_CERTIFICATE, {})
            center.admin.queue_command(endpoint, CommandKind.REDISCOVER, {})
            second = await agent.cycle()
            assert second.commands_done == 4
            third = await agent.cycle()  # nothing is done twice
            assert third.commands_done == 0
    rows = command_rows(info)
    assert rows["set_poll_interval"] == ("done", "poll interval is now 600 s")
    assert agent.poll_interval_seconds == 600
    assert AgentState.load(paths.state).poll_interval_seconds == 600
    status, detail = rows["collect_diagnostics"]
    assert status == "done"
    assert "bundle" in str(detail)
    assert second.bundles.uploaded == 1
    with info.read_engine().connect() as conn:
        bundle = conn.execute(select(diagnostic_bundles)).one()
    assert (bundle.printer_serial, bundle.reason, bundle.status) == (
        SERIAL,
        "center_request",
        "complete",
    )
    stored = info.settings.bundles_dir / endpoint / f"{bundle.id}.tar.gz"
    assert stored.stat().st_size == bundle.size_bytes
    assert rows["renew_certificate"][0] == "done"
    assert load_certificate(paths.certificate.read_bytes()).serial_number != old_serial
    assert rows["rediscover"][0] == "failed"  # no discovery_networks: see the tests below
    assert COMMUNITY not in json.dumps(rows)


FAULTS = Path(__file__).resolve().parents[1] / "fixtures" / "snmp"


async def test_a_service_call_brings_one_diagnostic_bundle_a_day(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    community = "fault_service-call"
    with running_snmpsim(FAULTS, probe_community=community) as simulator:
        async with running_center(info) as center:
            paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
            settings = AgentSettings(
                printers=(simulator.url(community),),
                snmp_timeout_seconds=5,  # snmpsim answers slowly on a loaded machine
                diagnostics_walk_seconds=20,
            )
            agent = Agent(paths, settings, identity)
            first = await agent.cycle()
            second = await agent.cycle()
    assert first.delivery.sent == 1
    assert first.bundles.uploaded == 1
    assert second.bundles.uploaded == 0  # the same fault again: not another bundle today
    with info.read_engine().connect() as conn:
        bundle = conn.execute(select(diagnostic_bundles)).one()
    assert bundle.reason == "service_requested"
    assert bundle.status == "complete"
    assert bundle.command_id is None


async def test_a_service_call_counts_as_handled_only_once_its_bundle_is_on_disk(
    tmp_path: Path,
) -> None:
    info = init_center(tmp_path / "center")
    community, serial = "fault_service-call", "FAULT-SC-1"
    with running_snmpsim(FAULTS, probe_community=community) as simulator:
        async with running_center(info) as center:
            paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
            await stop_serving(center)  # down until the last cycle
            settings = AgentSettings(
                printers=(simulator.url(community),),
                snmp_timeout_seconds=5,  # snmpsim answers slowly on a loaded machine
                diagnostics_walk_seconds=20,
            )
            agent = Agent(paths, settings, identity)
            paths.bundles.write_bytes(b"")  # a file where the folder goes: nowhere to write
            blocked = await agent.cycle()
            marked_when_blocked = dict(AgentState.load(paths.state).auto_bundles)
            paths.bundles.unlink()
            written = await agent.cycle()
            queued = agent.bundles.pending()
            data = [q.path.read_bytes() for q in queued]
            marked = dict(AgentState.load(paths.state).auto_bundles)
            await serve_again(center)
            delivered = await agent.cycle()
    assert (blocked.delivery.failed, written.delivery.failed) == (True, True)  # center down
    assert marked_when_blocked == {}  # not written, so asked again by the next poll
    assert [q.declaration.printer_serial for q in queued] == [serial]
    assert list(marked) == [serial]
    assert (delivered.bundles.uploaded, delivered.bundles.waiting) == (1, 0)
    stored = info.settings.bundles_dir / identity.endpoint_id / queued[0].path.name
    assert [stored.read_bytes()] == data


async def test_rediscover_scans_the_configured_networks_and_adds_new_printers(
    tmp_path: Path,
) -> None:
    info = init_center(tmp_path / "center")
    with running_snmpsim(recordings_dir(), probe_community=COMMUNITY) as simulator:
        async with running_center(info) as center:
            paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
            paths.config.write_text(
                "snmp_timeout_seconds = 1\nsnmp_retries = 0\n"
                'discovery_networks = ["127.0.0.1/32"]\n'
                f'discovery_community = "{COMMUNITY}"\ndiscovery_port = {simulator.port}\n'
                "printers = []\n"
            )
            agent = Agent(paths, AgentSettings.load(paths.config), identity)
            center.admin.queue_command(identity.endpoint_id, CommandKind.REDISCOVER, {})
            first = await agent.cycle()
            second = await agent.cycle()
    assert (first.polled, first.commands_done) == (0, 1)
    assert second.delivery.sent == 1  # the printer found is read from the next cycle on
    status, detail = command_rows(info)["rediscover"]
    assert status == "done"
    assert detail == "1 printer(s) answered, 1 new added to agent.toml"
    saved = AgentSettings.load(paths.config)
    assert saved.printers == (simulator.url(COMMUNITY),)
    assert saved.discovery_networks == ("127.0.0.1/32",)


async def test_rediscover_without_networks_fails_with_a_plain_reason(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
        agent = Agent(paths, AgentSettings(), identity)
        center.admin.queue_command(identity.endpoint_id, CommandKind.REDISCOVER, {})
        result = await agent.cycle()
    assert result.commands_done == 1
    status, detail = command_rows(info)["rediscover"]
    assert status == "failed"
    assert "discovery_networks" in str(detail)


async def test_a_certificate_close_to_expiry_is_renewed_without_being_asked(
    tmp_path: Path,
) -> None:
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
        before = load_certificate(paths.certificate.read_bytes()).serial_number
        calm = Agent(paths, AgentSettings(), identity)
        await calm.cycle()
        assert load_certificate(paths.certificate.read_bytes()).serial_number == before
        eager = Agent(paths, AgentSettings(renew_before_days=400), identity)  # 365-day certs
        result = await eager.cycle()
        after = load_certificate(paths.certificate.read_bytes()).serial_number
        again = await Agent(paths, AgentSettings(), identity).cycle()  # the new one works
    assert not result.delivery.failed
    assert after != before
    assert not again.delivery.failed
