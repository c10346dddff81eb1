"""Discovery's pure parts: ranges, classification, merging, mDNS URLs, pacing; and the
settings file discovery rewrites."""

from __future__ import annotations

import asyncio
import stat
import time
from pathlib import Path

import pytest

from remotecare.agent.config import AgentSettings
from remotecare.agent.discovery import (
    PROBE_OIDS,
    Pacer,
    classify,
    ipp_url_from_service,
    merge_printers,
    scan_hosts,
)
from remotecare.agent.probes.snmp import Oid, SnmpValue
from remotecare.errors import ConfigError

SYS_DESCR, HR_TYPE, HR_DESCR, SERIAL, LIFE_COUNT = PROBE_OIDS
HR_DEVICE_PRINTER = "1.3.6.1.2.1.25.3.1.5"
HR_DEVICE_NETWORK = "1.3.6.1.2.1.25.3.1.4"


def test_lists_the_host_addresses_of_a_network() -> None:
    assert scan_hosts("192.0.2.0/29") == [f"192.0.2.{n}" for n in range(1, 7)]
    assert scan_hosts("192.0.2.77/30") == ["192.0.2.77", "192.0.2.78"]  # host bits allowed
    assert scan_hosts("192.0.2.9") == ["192.0.2.9"]
    assert len(scan_hosts("10.1.0.0/16")) == 65534


@pytest.mark.parametrize(
    ("network", "message"),
    [
        ("10.0.0.0/15", r"refusing to scan 10\.0\.0\.0/15: 131,072 addresses"),
        ("2001:db8::/64", "more than a /16"),
        ("printers", "not a network"),
        ("224.0.0.0/24", "multicast"),
    ],
)
def test_refuses_absurd_or_wrong_ranges(network: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        scan_hosts(network)


def test_a_printer_is_typed_hrdeviceprinter_or_answers_the_printer_mib() -> None:
    typed: dict[Oid, SnmpValue] = {
        SYS_DESCR: b"HP ETHERNET",
        HR_TYPE: HR_DEVICE_PRINTER,
        HR_DESCR: b"HP LaserJet",
    }
    serial_only: dict[Oid, SnmpValue] = {SYS_DESCR: b"Sharp MX-3570N", SERIAL: b"05012345"}
    counter_only: dict[Oid, SnmpValue] = {SYS_DESCR: b"Brother HL", LIFE_COUNT: 777}

    assert classify(typed) == ("HP LaserJet", None)
    assert classify(serial_only) == ("Sharp MX-3570N", "05012345")
    assert classify(counter_only) == ("Brother HL", None)


def test_an_snmp_agent_without_printer_evidence_is_not_a_printer() -> None:
    assert classify({SYS_DESCR: b"Linux fileserver"}) is None
    assert classify({SYS_DESCR: b"Switch", HR_TYPE: HR_DEVICE_NETWORK}) is None


def test_merging_adds_only_hosts_not_configured_in_any_form() -> None:
    configured = (
        "snmp://old@192.0.2.10:161",
        "snmpv3://monitor@192.0.2.11?auth=sha&priv=aes",
        "ipp://192.0.2.12:631/ipp/print",
    )
    found = [
        "snmp://public@192.0.2.10:161",  # same host and port, other community
        "snmp://public@192.0.2.11:161",  # snmpv3 URL without a port: another key
        "snmp://public@192.0.2.12:161",
        "snmp://public@192.0.2.13:161",
        "snmp://public@192.0.2.13:161",
    ]

    printers, added = merge_printers(configured, found)

    assert added == [
        "snmp://public@192.0.2.11:161",
        "snmp://public@192.0.2.12:161",
        "snmp://public@192.0.2.13:161",
    ]
    assert printers == (*configured, *added)


def test_builds_ipp_urls_from_mdns_services() -> None:
    assert (
        ipp_url_from_service("_ipp._tcp.local.", "192.0.2.5", 631, {b"rp": b"ipp/print"})
        == "ipp://192.0.2.5:631/ipp/print"
    )
    assert (
        ipp_url_from_service("_ipps._tcp.local.", "fe80::1", 443, {b"rp": None, b"ty": b"X"})
        == "ipps://[fe80::1]:443/ipp/print"
    )
    assert (
        ipp_url_from_service("_ipp._tcp.local.", "192.0.2.6", 631, {b"rp": b"printers/Front Desk"})
        == "ipp://192.0.2.6:631/printers/Front%20Desk"
    )


async def test_the_pacer_spaces_packets_by_the_rate() -> None:
    pacer = Pacer(rate_pps=20.0)
    started = time.monotonic()

    await asyncio.gather(*(pacer.wait_turn() for _ in range(5)))

    assert pacer.packets == 5
    assert time.monotonic() - started >= 4 / 20.0 - 0.01  # the first goes at once


def test_saving_settings_keeps_every_setting_and_snmpv3_tables_in_a_private_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "agent.toml"
    settings = AgentSettings(
        printers=('snmp://com"munity@192.0.2.10:161', "ipp://192.0.2.11:631/ipp/print"),
        snmpv3={"monitor": {"auth_key": "env:AUTH"}, "odd user": {"priv_key": "file:/k"}},
        poll_interval_seconds=60.0,
        ipp_timeout_seconds=2.5,
        proxy_url="http://proxy.example:3128",
        metered_line=True,
        batch_size=50,
    )

    settings.save(path)

    assert AgentSettings.load(path) == settings
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "http_timeout_seconds" not in path.read_text()  # defaults stay implicit
