"""Real counters become an actual meter read: recordings of real printers served by
snmpsim over UDP, read by a real agent, sent over mutual TLS to a real center process
whose care feed fills the compact history; the period is closed and exported with the
`remotecare center meters` commands.

The cut-off is set (in UTC) to the minute after the agent's reading, and the test waits
for it to pass (at most a minute), so that the reading is the nearest one before it.
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from remotecare.center.care.history.tables import counter_samples
from remotecare.center.care.meters.tables import meter_sightings
from remotecare.demo.snmpsim import running_snmpsim
from tests.support.centers import (
    OPERATOR_PASSWORD,
    CenterInfo,
    accept_by_command_line,
    center_process,
    remotecare,
)
from tests.support.ports import free_tcp_port
from tests.support.recordings import EXPECTED, recordings_dir

WITH_TOTALS = ("ricoh_aficio-mp-c3002", "utax_p-4532dn", "sharp_mx-3570n")
WITHOUT_COUNTERS = "brother_mfc-l2710dw"  # no prtMarkerTable: listed, with a missing read


def _wait_for(condition: object, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_recorded_counters_give_an_actual_read(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "center"
    remotecare(
        "center", "init", "--home", str(home), "--hostname", "localhost",
        "--listen", "127.0.0.1", "--console-port", str(free_tcp_port()),
        "--device-port", str(free_tcp_port()), "--password", OPERATOR_PASSWORD,
        "--database-url", database_url,
    )  # fmt: skip
    from remotecare.center.config import CenterSettings
    from remotecare.center.setup import ca_fingerprint_of

    settings = CenterSettings.load(home)
    info = CenterInfo(settings, ca_fingerprint_of(settings))
    accept_by_command_line(home, "Acme Ltd")
    names = (*WITH_TOTALS, WITHOUT_COUNTERS)
    with (
        running_snmpsim(recordings_dir(), probe_community=names[0]) as simulator,
        center_process(info, tmp_path / "center.log"),
    ):
        token = json.loads(
            remotecare(
                "center", "token", "create", "--home", str(home), "--customer", "Acme Ltd",
                "--json",
            ).stdout
        )  # fmt: skip
        agent_home = tmp_path / "agent"
        remotecare(
            "agent", "enroll", "--home", str(agent_home), "--center", info.console_url,
            "--token", token["token"], "--ca-fingerprint", token["ca_fingerprint"],
        )  # fmt: skip
        (agent_home / "agent.toml").write_text(
            "printers = [\n" + "".join(f'  "{simulator.url(n)}",\n' for n in names) + "]\n"
        )
        remotecare("agent", "run", "--home", str(agent_home), "--once")
        read_at = datetime.now(UTC)
        engine = info.read_engine()

        def fed() -> bool:
            with engine.connect() as conn:
                samples = conn.execute(select(func.count()).select_from(counter_samples))
                sightings = conn.execute(select(func.count()).select_from(meter_sightings))
                return bool(samples.scalar_one() and sightings.scalar_one() >= len(WITH_TOTALS))

        _wait_for(fed, "the care feed to reach the history and the meters")
        engine.dispose()

        cutoff = (read_at + timedelta(minutes=1)).replace(second=0, microsecond=0)
        period = f"{cutoff:%Y-%m}"
        remotecare(
            "center", "meters", "settings", "--home", str(home), "--customer", "Acme Ltd",
            "--zone", "UTC", "--cutoff-day", str(cutoff.day),
            "--cutoff-time", f"{cutoff:%H:%M}", "--counters", "total",
        )  # fmt: skip
        time.sleep(max(0.0, (cutoff - datetime.now(UTC)).total_seconds()) + 0.5)

        closed = remotecare(
            "center", "meters", "close", "--home", str(home), "--customer", "Acme Ltd",
            "--period", period,
        )  # fmt: skip
        assert f"closed {period} of Acme Ltd: {len(names)} reads" in closed.stdout
        again = remotecare(
            "center", "meters", "close", "--home", str(home), "--customer", "Acme Ltd",
            "--period", period,
        )  # fmt: skip
        assert "already closed" in again.stdout

        exported = remotecare(
            "center", "meters", "export", "--home", str(home), "--customer", "Acme Ltd",
            "--period", period,
        )  # fmt: skip
    assert exported.stdout.startswith("\ufeff")
    rows = {row["serial"]: row for row in csv.DictReader(io.StringIO(exported.stdout[1:]))}
    for name in WITH_TOTALS:
        expected = EXPECTED[name]
        assert expected.total is not None
        row = rows[expected.serial]
        value, unit = expected.total
        label = "total" if unit == "impressions" else f"total ({unit})"
        assert (row["counter"], row["this_read"]) == (label, str(value))
        assert (row["read_type"], row["customer"], row["closed"]) == ("actual", "Acme Ltd", "yes")
        assert row["usage"] == "0"  # a first read counts from the first reading
        assert datetime.fromisoformat(row["read_time"]) <= cutoff
    missing = rows[EXPECTED[WITHOUT_COUNTERS].serial]
    assert (missing["this_read"], missing["read_type"]) == ("", "missing")
