"""Discovery over real SNMP: snmpsim on several loopback addresses of 127.0.0.0/29.

The /29 has six host addresses, 127.0.0.1 to 127.0.0.6; at one UDP port:

- 127.0.0.2: a printer (hrDeviceType.1 hrDevicePrinter, hrDeviceDescr, serial ACM0001);
- 127.0.0.3: an SNMP agent with the system group only (a file server): not a printer;
- 127.0.0.4: a printer with no Host Resources MIB and no serial, only prtMarkerLifeCount;
- 127.0.0.1, .5, .6: nothing listens.

Packets, by hand: each answering address takes one GET (3), each silent one 1 + retries
GETs (3 x 2 = 6 with retries=1): 9 in all.
"""

from __future__ import annotations

import logging
import os
import stat
import time
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from remotecare.agent.config import AgentSettings
from remotecare.agent.discovery import ScanProgress, scan_network
from remotecare.cli import main
from remotecare.demo.snmpsim import free_udp_port, running_snmpsim
from remotecare.errors import ConfigError

pytestmark = pytest.mark.timeout(120)
on_module_loop = pytest.mark.asyncio(loop_scope="module")

COMMUNITY = "s3cret-community"
NETWORK = "127.0.0.0/29"
TIMEOUT_S = 1.0  # loopback answers in milliseconds; generous for a loaded machine
RETRIES = 1
EXPECTED_PACKETS = 3 * 1 + 3 * (1 + RETRIES)

PRINTER = """\
1.3.6.1.2.1.1.1.0|4|Acme PX-9000 firmware 1.2
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1
1.3.6.1.2.1.25.3.2.1.2.1|6|1.3.6.1.2.1.25.3.1.5
1.3.6.1.2.1.25.3.2.1.3.1|4|Acme PX-9000
1.3.6.1.2.1.43.5.1.1.17.1|4|ACM0001
1.3.6.1.2.1.43.10.2.1.4.1.1|65|12345
"""
FILE_SERVER = """\
1.3.6.1.2.1.1.1.0|4|Linux fileserver 6.1.0-18-amd64
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10
1.3.6.1.2.1.1.3.0|67|8640000
1.3.6.1.2.1.1.5.0|4|files
"""
BARE_PRINTER = """\
1.3.6.1.2.1.1.1.0|4|Brother HL-L2350DW series
1.3.6.1.2.1.43.10.2.1.4.1.1|65|777
"""
DEVICES = {"127.0.0.2": PRINTER, "127.0.0.3": FILE_SERVER, "127.0.0.4": BARE_PRINTER}


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One snmpsim per address, all on the same UDP port."""
    chosen = free_udp_port()
    with ExitStack() as stack:
        for host, records in DEVICES.items():
            data = tmp_path_factory.mktemp(f"snmp-{host}")
            (data / f"{COMMUNITY}.snmprec").write_text(records)
            stack.enter_context(
                running_snmpsim(data, probe_community=COMMUNITY, ports=[chosen], host=host)
            )
        yield chosen


@on_module_loop
async def test_finds_exactly_the_printers_and_not_the_other_snmp_agent(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[ScanProgress] = []

    result = await scan_network(
        NETWORK,
        community=COMMUNITY,
        port=port,
        rate_pps=200,
        timeout_s=TIMEOUT_S,
        retries=RETRIES,
        progress=seen.append,
    )

    assert [(p.host, p.port, p.model, p.serial) for p in result.printers] == [
        ("127.0.0.2", port, "Acme PX-9000", "ACM0001"),
        ("127.0.0.4", port, "Brother HL-L2350DW series", None),  # sysDescr, no serial
    ]
    assert [p.url for p in result.printers] == [
        f"snmp://{COMMUNITY}@127.0.0.2:{port}",
        f"snmp://{COMMUNITY}@127.0.0.4:{port}",
    ]
    assert result.scanned == 6
    assert result.packets == EXPECTED_PACKETS
    assert result.elapsed_s < 8.0  # silent addresses cost 2 x 1 s, in parallel
    assert str(seen[-1]) == "scanned 6/6, 2 printers"
    assert len(seen) == 6
    assert COMMUNITY not in caplog.text
    assert COMMUNITY not in repr(result)


@on_module_loop
async def test_sends_no_more_packets_per_second_than_the_rate(port: int) -> None:
    rate = 5.0
    started = time.monotonic()

    result = await scan_network(
        NETWORK, community=COMMUNITY, port=port, rate_pps=rate, timeout_s=TIMEOUT_S, retries=1
    )
    elapsed = time.monotonic() - started

    # 9 packets evenly spaced at 5 per second: the last leaves 8 / 5 = 1.6 s after the first.
    assert result.packets == EXPECTED_PACKETS
    assert elapsed >= (EXPECTED_PACKETS - 1) / rate - 0.05
    assert elapsed < (EXPECTED_PACKETS - 1) / rate + 3.0
    assert len(result.printers) == 2


@on_module_loop
async def test_refuses_ranges_larger_than_a_slash_16_before_sending_anything() -> None:
    started = time.monotonic()

    with pytest.raises(ConfigError, match=r"more than a /16"):
        await scan_network("10.0.0.0/8", community=COMMUNITY)

    assert time.monotonic() - started < 2.0


# --- the command -----------------------------------------------------------------------------


def write_settings(home: Path, port: int) -> None:
    AgentSettings(
        printers=(f"snmp://old-community@127.0.0.2:{port}",),
        snmpv3={"monitor": {"auth_key": "env:AUTH", "priv_key": "env:PRIV"}},
        poll_interval_seconds=60.0,
        snmp_timeout_seconds=TIMEOUT_S,
        proxy_url="http://proxy.example:3128",
        metered_line=True,
    ).save(home / "agent.toml")


def discover(home: Path, port: int, *extra: str, answer: str | None = None) -> Result:
    runner = CliRunner()
    return runner.invoke(
        main,
        [
            *("agent", "discover", NETWORK, "--home", str(home), "--port", str(port)),
            *("--community", COMMUNITY, "--rate", "200", *extra),
        ],
        input=answer,
        catch_exceptions=False,
    )


def test_discover_adds_new_printers_and_keeps_every_other_setting(
    port: int, tmp_path: Path
) -> None:
    write_settings(tmp_path, port)

    result = discover(tmp_path, port, "--yes")

    assert result.exit_code == 0, result.output
    out, err = result.stdout, result.stderr
    assert f"127.0.0.2:{port}" in out
    assert "Acme PX-9000" in out
    assert "serial ACM0001  (already in agent.toml)" in out
    assert f"127.0.0.4:{port}" in out
    assert "Brother HL-L2350DW series  serial -" in out
    assert "added 1 printer(s)" in out
    assert "scanned 6/6, 2 printers" in err
    assert COMMUNITY not in out + err
    config = tmp_path / "agent.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    saved = tomllib.loads(config.read_text())
    assert saved["printers"] == [
        f"snmp://old-community@127.0.0.2:{port}",
        f"snmp://{COMMUNITY}@127.0.0.4:{port}",
    ]
    assert saved["poll_interval_seconds"] == 60.0
    assert saved["proxy_url"] == "http://proxy.example:3128"
    assert saved["metered_line"] is True
    assert saved["snmpv3"] == {"monitor": {"auth_key": "env:AUTH", "priv_key": "env:PRIV"}}
    assert AgentSettings.load(config).snmp_timeout_seconds == TIMEOUT_S


def test_discover_asks_first_and_adds_nothing_when_told_no(port: int, tmp_path: Path) -> None:
    AgentSettings(snmp_timeout_seconds=TIMEOUT_S).save(tmp_path / "agent.toml")

    result = discover(tmp_path, port, answer="n\n")

    assert result.exit_code == 0
    assert "add 2 printer(s)" in result.stdout
    assert "nothing added" in result.stdout
    assert AgentSettings.load(tmp_path / "agent.toml").printers == ()

    result = discover(tmp_path, port, answer="y\n")

    assert "added 2 printer(s)" in result.stdout
    assert len(AgentSettings.load(tmp_path / "agent.toml").printers) == 2

    again = discover(tmp_path, port, "--yes")

    assert "every printer found is already in" in again.stdout
    assert len(AgentSettings.load(tmp_path / "agent.toml").printers) == 2


def test_discover_refuses_an_absurd_range_with_a_clear_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["agent", "discover", "10.0.0.0/8", "--home", str(tmp_path), "--yes"]
    )

    assert result.exit_code != 0
    assert "refusing to scan 10.0.0.0/8" in result.output
    assert "more than a /16" in result.output
    assert not os.listdir(tmp_path)
