"""`remotecare agent doctor` warns about a printer that only a weak identity names."""

from __future__ import annotations

from pathlib import Path

from remotecare.agent.doctor import Outcome, diagnose, healthy, render
from remotecare.demo.snmpsim import running_snmpsim
from remotecare.protocol.identity import weak_serial
from tests.support.centers import init_center, running_center
from tests.support.recordings import SYS_OBJECT_IDS, recordings_dir, without_identity
from tests.support.reports import enrolled_agent

KONICA = "konicaminolta_bizhub-c3110"
NAMED = "sharp_mx-3570n"


async def test_doctor_warns_about_a_printer_without_identity(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    without_identity(KONICA, tmp_path / "recordings", "hidden")
    with (
        running_snmpsim(tmp_path / "recordings", probe_community="hidden") as hidden,
        running_snmpsim(recordings_dir(), probe_community=NAMED) as named,
    ):
        async with running_center(info) as center:
            paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
            paths.config.write_text(
                f'printers = ["{hidden.url("hidden")}", "{named.url(NAMED)}"]\n'
            )
            checks = await diagnose(paths)
    weak, real = checks[-2:]
    serial = weak_serial(
        identity.endpoint_id, f"snmp://127.0.0.1:{hidden.port}", SYS_OBJECT_IDS[KONICA]
    )
    assert weak.outcome is Outcome.WARN, render(checks)
    assert f"weak identity {serial}" in weak.detail
    assert "printers confirm" in weak.advice
    assert real.outcome is Outcome.OK
    assert healthy(checks)  # a warning, not a failure: the printer is monitored
