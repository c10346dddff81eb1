"""A printer that gives no serial number, vendor serial or MAC address is still monitored,
through a real agent and a real center: named by its weak identity, held pending until an
operator confirms it, never merged with another, and joined to its real serial once it
reports one.

The recordings are made at test time from shared ones with the serial number and MAC
address rows removed, into the test's temporary folder (the shared folder is only read).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from remotecare.center.care.history.tables import (
    counter_samples,
    counter_series,
    supply_series,
)
from remotecare.center.fleet.tables import held_reports, printers, reports, weak_identities
from remotecare.demo.snmpsim import free_udp_port, running_snmpsim
from remotecare.protocol.identity import weak_serial
from remotecare.protocol.messages import SerialSource
from tests.support.centers import (
    CenterInfo,
    center_process,
    enroll_process,
    init_center,
    remotecare,
)
from tests.support.recordings import EXPECTED, SYS_OBJECT_IDS, recordings_dir, without_identity

KONICA = "konicaminolta_bizhub-c3110"  # a colour MFP whose only identity is its MAC address
SHARP = "sharp_mx-3570n"  # prtGeneralSerialNumber 6509415X00, MAC 24:31:84:c8:46:6a
HISTORY_WAIT_S = 30.0


@pytest.fixture(scope="module")
def center(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[CenterInfo]:
    root = tmp_path_factory.mktemp("weak-center")
    info = init_center(root / "center", module_database_url)  # printer_binding "automatic"
    with center_process(info, root / "center.log"):
        yield info


def enrolled_agent(info: CenterInfo, home: Path, urls: list[str]) -> str:
    """Enrol an agent in ``home`` polling ``urls``; its endpoint id."""
    enroll_process(info, home)
    configure(home, urls)
    return str(json.loads((home / "identity.json").read_text())["endpoint_id"])


def configure(home: Path, urls: list[str]) -> None:
    (home / "agent.toml").write_text(
        "snmp_timeout_seconds = 2.0\nsnmp_retries = 1\nprinters = ["
        + ", ".join(f'"{url}"' for url in urls)
        + "]\n"
    )


def cycle(home: Path, sent: int) -> None:
    result = remotecare("agent", "run", "--home", str(home), "--once")
    assert f"sent {sent} report(s), 0 waiting" in result.stdout, result.stdout


def printer_rows(info: CenterInfo, endpoint_id: str) -> list[dict[str, object]]:
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(printers)
                .where(printers.c.endpoint_id == endpoint_id)
                .order_by(printers.c.id)
            ).mappings()
            return [dict(row) for row in rows]
    finally:
        engine.dispose()


def report_printers(info: CenterInfo, endpoint_id: str) -> list[int | None]:
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            query = select(reports.c.printer_id).where(reports.c.endpoint_id == endpoint_id)
            return list(conn.execute(query.order_by(reports.c.agent_time)).scalars())
    finally:
        engine.dispose()


def held_count(info: CenterInfo, printer_id: int) -> int:
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            query = select(held_reports.c.report_id).where(held_reports.c.printer_id == printer_id)
            return len(conn.execute(query).all())
    finally:
        engine.dispose()


def series_of(info: CenterInfo, printer_id: int, want_supplies: int) -> tuple[set[str], set[str]]:
    """(supply descriptions, counter names) of the printer's history, once the center's
    care feed has stored at least ``want_supplies`` supply series (bounded wait)."""
    engine = info.read_engine()
    deadline = time.monotonic() + HISTORY_WAIT_S
    try:
        while True:
            with engine.connect() as conn:
                supplies = set(
                    conn.execute(
                        select(supply_series.c.description).where(
                            supply_series.c.printer_id == printer_id
                        )
                    ).scalars()
                )
                counters = set(
                    conn.execute(
                        select(counter_series.c.name).where(
                            counter_series.c.printer_id == printer_id
                        )
                    ).scalars()
                )
            if len(supplies) >= want_supplies or time.monotonic() > deadline:
                return supplies, counters
            time.sleep(0.2)
    finally:
        engine.dispose()


def test_a_printer_without_identity_waits_pending_and_is_stored_once_confirmed(
    center: CenterInfo, tmp_path: Path
) -> None:
    without_identity(KONICA, tmp_path / "recordings", "hidden")
    with running_snmpsim(tmp_path / "recordings", probe_community="hidden") as simulator:
        home = tmp_path / "agent"
        url = simulator.url("hidden")
        endpoint_id = enrolled_agent(center, home, [url])
        address = f"snmp://127.0.0.1:{simulator.port}"
        expected_serial = weak_serial(endpoint_id, address, SYS_OBJECT_IDS[KONICA])

        probed = remotecare("agent", "probe", url, "--home", str(home))
        assert f"serial         {expected_serial} (from weak:address+sysObjectID)" in probed.stdout
        assert "warning        the printer gave no serial number" in probed.stdout
        assert "Toner (Cyan)" in probed.stdout  # the reading is shown, not refused
        unenrolled = remotecare("agent", "probe", url, "--json")
        assert json.loads(unenrolled.stdout)["serial_source"] == "weak:address+sysObjectID"
        assert "the agent's own will differ" in unenrolled.stderr

        cycle(home, sent=1)

    [row] = printer_rows(center, endpoint_id)
    assert (row["serial"], row["serial_source"], row["binding"]) == (
        expected_serial,
        SerialSource.WEAK.value,
        "pending",  # whatever the binding policy ("automatic" here)
    )
    assert row["address"] == address
    assert report_printers(center, endpoint_id) == [None]  # held, attached to no device
    printer_id = int(str(row["id"]))
    assert held_count(center, printer_id) == 1

    pending = remotecare("center", "printers", "pending", "--home", str(center.settings.home))
    assert expected_serial in pending.stdout
    assert "weak identity (weak:address+sysObjectID)" in pending.stdout

    confirmed = remotecare(
        "center", "printers", "confirm", "--home", str(center.settings.home), expected_serial
    )
    assert "1 held report(s) attached" in confirmed.stdout
    assert report_printers(center, endpoint_id) == [printer_id]

    wanted = {supply.description for supply in EXPECTED[KONICA].supplies}
    stored_supplies, stored_counters = series_of(center, printer_id, len(wanted))
    assert wanted <= stored_supplies
    reading = printer_rows(center, endpoint_id)[0]["latest_reading"]
    assert isinstance(reading, dict)
    assert stored_counters == {counter["name"] for counter in reading["counters"]}


def test_two_weak_printers_at_different_addresses_are_never_merged(
    center: CenterInfo, tmp_path: Path
) -> None:
    # The very same recording on two ports: alike in everything but the address.
    without_identity(KONICA, tmp_path / "recordings", "hidden")
    ports = (free_udp_port(), free_udp_port())
    with running_snmpsim(tmp_path / "recordings", probe_community="hidden", ports=ports) as sim:
        home = tmp_path / "agent"
        endpoint_id = enrolled_agent(center, home, [sim.url("hidden", port) for port in ports])
        cycle(home, sent=2)
        cycle(home, sent=2)

    rows = printer_rows(center, endpoint_id)
    assert sorted(str(row["serial"]) for row in rows) == sorted(
        weak_serial(endpoint_id, f"snmp://127.0.0.1:{port}", SYS_OBJECT_IDS[KONICA])
        for port in ports
    )
    assert [row["binding"] for row in rows] == ["pending", "pending"]
    assert [held_count(center, int(str(row["id"]))) for row in rows] == [2, 2]


def test_a_serial_that_appears_after_a_firmware_update_joins_the_weak_printer(
    center: CenterInfo, tmp_path: Path
) -> None:
    without_identity(SHARP, tmp_path / "recordings", "before-update")
    port = free_udp_port()
    home = tmp_path / "agent"
    with running_snmpsim(
        tmp_path / "recordings", probe_community="before-update", ports=[port]
    ) as simulator:
        endpoint_id = enrolled_agent(center, home, [simulator.url("before-update")])
        cycle(home, sent=1)
        [weak] = printer_rows(center, endpoint_id)
        remotecare(
            "center",
            "printers",
            "confirm",
            "--home",
            str(center.settings.home),
            str(weak["serial"]),
        )
        cycle(home, sent=1)
    # The firmware update: the same address now answers with its serial number and MAC.
    with running_snmpsim(recordings_dir(), probe_community=SHARP, ports=[port]) as simulator:
        configure(home, [simulator.url(SHARP)])
        cycle(home, sent=1)
        cycle(home, sent=1)

    [joined] = printer_rows(center, endpoint_id)  # no duplicate printer
    assert joined["id"] == weak["id"]
    assert (joined["serial"], joined["serial_source"], joined["binding"]) == (
        "6509415X00",
        SerialSource.PRINTER_MIB.value,
        "bound",  # the operator's confirmation carries over
    )
    assert report_printers(center, endpoint_id) == [weak["id"]] * 4  # history kept
    engine = center.read_engine()
    try:
        with engine.connect() as conn:
            closed = conn.execute(select(weak_identities)).mappings().all()
            first_read = (
                conn.execute(
                    select(reports.c.agent_time)
                    .where(reports.c.endpoint_id == endpoint_id)
                    .order_by(reports.c.agent_time)
                )
                .scalars()
                .first()
            )
    finally:
        engine.dispose()
    [record] = [row for row in closed if row["serial"] == weak["serial"]]
    assert (record["printer_id"], record["joined_serial"], record["address"]) == (
        weak["id"],
        "6509415X00",
        f"snmp://127.0.0.1:{port}",
    )
    # The history from before the update is the joined printer's history.
    printer_id = int(str(weak["id"]))
    series_of(center, printer_id, len(EXPECTED[SHARP].supplies))
    engine = center.read_engine()
    try:
        with engine.connect() as conn:
            earliest = (
                conn.execute(
                    select(counter_samples.c.sampled_at)
                    .join(counter_series, counter_series.c.id == counter_samples.c.series_id)
                    .where(
                        counter_series.c.printer_id == printer_id, counter_series.c.name == "total"
                    )
                    .order_by(counter_samples.c.sampled_at)
                )
                .scalars()
                .first()
            )
    finally:
        engine.dispose()
    assert earliest is not None
    assert first_read is not None
    assert abs((earliest - first_read).total_seconds()) < 0.01
