"""`remotecare agent show-payload`: exactly what would leave the site, and nothing sent."""

from __future__ import annotations

from pathlib import Path

from remotecare.agent.privacy import Pseudonymizer
from remotecare.demo.snmpsim import running_snmpsim
from remotecare.protocol.messages import ReportBatch
from tests.support.centers import remotecare
from tests.support.recordings import EXPECTED, recordings_dir

COMMUNITY = "sharp_mx-3570n"


def test_show_payload_prints_the_filtered_report_and_sends_nothing(tmp_path: Path) -> None:
    home = tmp_path / "agent"
    home.mkdir()
    key = bytes(range(32))
    (home / "privacy.key").write_bytes(key)
    with running_snmpsim(recordings_dir(), probe_community=COMMUNITY) as simulator:
        (home / "agent.toml").write_text(
            f'printers = ["snmp://{COMMUNITY}@localhost:{simulator.port}"]\n'
        )
        result = remotecare("agent", "show-payload", "--home", str(home))
    batch = ReportBatch.model_validate_json(result.stdout)  # the wire contract, as sent
    [report] = batch.reports
    assert report.reading is not None
    assert report.reading.serial == EXPECTED[COMMUNITY].serial
    pseudonym = Pseudonymizer(key).pseudonym("localhost")
    assert report.printer_address == f"snmp://{pseudonym}:{simulator.port}"
    assert "localhost" not in result.stdout
    assert COMMUNITY not in result.stdout
    assert not (home / "outbox.sqlite").exists()  # nothing queued, nothing sent
