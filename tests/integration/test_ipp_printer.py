"""Read a real IPP printer (CUPS's ippeveprinter on loopback) with the agent's IPP probe.

Expected values are worked out by hand from what each test sets: the attribute file's
printer-supply levels, and ippeveprinter's ``/supplies`` form, which rewrites
printer-supply from fixed templates (index 1 wasteToner, 2 black toner, 3 cyan toner, all
maxcapacity=100) and sets marker-waste-almost-full above 90 (full at 100) for the waste
box and toner-low below 10 (toner-empty at 0) for the others, with the -report suffix.
A printer-supply level is prtMarkerSuppliesLevel (RFC 3805): a receptacle's level is
its free space, so its percent full is (max - level) / max * 100; ippeveprinter counts
how full the box is instead, which its own waste reasons expose (see ipp_attributes).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from aiohttp import web

from remotecare.agent.config import AgentSettings
from remotecare.agent.poller import poll_once, public_address, read_any
from remotecare.agent.probes.ipp import get_printer_attributes, parse_ipp_url
from remotecare.errors import ConfigError, ProbeError, ProbeTimeout
from remotecare.protocol.messages import (
    Counter,
    PrinterReading,
    SerialSource,
    SupplyClass,
    SupplyState,
)
from tests.support.ippeveprinter import (
    IppEvePrinter,
    IppEveUnavailable,
    running_ippeveprinter,
)
from tests.support.ports import free_tcp_port

pytestmark = pytest.mark.timeout(60)

TIMEOUT_S = 3.0
SETTINGS = AgentSettings(ipp_timeout_seconds=TIMEOUT_S)
OK, LOW, EMPTY = SupplyState.OK, SupplyState.LOW, SupplyState.EMPTY
FULL, NEARLY_FULL = SupplyState.FULL, SupplyState.NEARLY_FULL

SUPPLY = "index={};class={};type={};unit=percent;maxcapacity=100;level={};colorantname={};"
ATTRIBUTES = "\n".join(
    [
        'ATTR text printer-make-and-model "Acme PX-9000"',
        'ATTR text printer-device-id "MFG:Acme;MDL:PX-9000;CMD:PWG;SN:ACM123456;"',
        "ATTR octetString printer-supply "
        + ",".join(
            f'"{SUPPLY.format(*fields)}"'
            for fields in (
                (1, "receptacleThatIsFilled", "wasteToner", 40, "unknown"),
                (2, "supplyThatIsConsumed", "toner", 60, "black"),
                (3, "supplyThatIsConsumed", "toner", 8, "cyan"),
            )
        ),
        'ATTR text printer-supply-description "Waste Toner Box","Black Toner","Cyan Toner"',
        "ATTR integer printer-impressions-completed 12345",
        "ATTR collection printer-impressions-completed-col "
        "{MEMBER integer monochrome 10000 MEMBER integer full-color 2345}",
        "ATTR integer printer-media-sheets-completed 9000",
        "ATTR integer printer-pages-completed 13000",
        "ATTR mimeMediaType document-format-supported text/plain,application/octet-stream",
        "",
    ]
)


def _missing(what: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, where `make test` installs it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what}: CI must have it", pytrace=False)
    pytest.skip(what)


def _start(*, attributes: str, command: Path | None = None) -> Iterator[IppEvePrinter]:
    try:
        with running_ippeveprinter(attributes=attributes, command=command) as printer:
            yield printer
    except IppEveUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"ippeveprinter is required in CI: {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def printer() -> Iterator[IppEvePrinter]:
    yield from _start(attributes=ATTRIBUTES)


def supplies_of(reading: PrinterReading) -> list[tuple[object, ...]]:
    return [
        (s.index, s.type, s.supply_class, s.level, s.percent, s.state) for s in reading.supplies
    ]


async def test_reads_identity_supplies_and_counters_from_a_real_ipp_printer(
    printer: IppEvePrinter,
) -> None:
    reading = await read_any(printer.url, SETTINGS)

    assert reading.serial == "ACM123456"
    assert reading.serial_source is SerialSource.IPP
    assert reading.model == "Acme PX-9000"
    assert reading.status.device_status == "running"
    assert reading.status.printer_status == "idle"
    assert reading.status.error_conditions == []
    assert [(s.description, s.colour) for s in reading.supplies] == [
        ("Waste Toner Box", None),
        ("Black Toner", "black"),
        ("Cyan Toner", "cyan"),
    ]
    assert supplies_of(reading) == [
        (1, "wasteToner", SupplyClass.RECEPTACLE, 40, 60.0, OK),  # 40 free of 100: 60 % full
        (2, "toner", SupplyClass.CONSUMED, 60, 60.0, OK),
        (3, "toner", SupplyClass.CONSUMED, 8, 8.0, LOW),  # at or below 10 % left
    ]
    assert reading.counters == [
        Counter(name="total", value=12345, unit="impressions"),
        Counter(name="mono", value=10000, unit="impressions"),
        Counter(name="colour", value=2345, unit="impressions"),
        Counter(name="sheets", value=9000, unit="sheets"),
        Counter(name="pages", value=13000, unit="pages"),
    ]
    assert reading.partial_reason is None


async def test_follows_supply_levels_and_state_reasons_changed_live(
    printer: IppEvePrinter,
) -> None:
    printer.set_supply_levels([95, 3, 50])
    reading = await read_any(printer.url, SETTINGS)

    # The printer says the box is almost full (it counts 95 as 95 % full); by RFC 3805 the
    # level would mean 5 % full. Its own reason wins and the percent is withheld.
    assert supplies_of(reading) == [
        (1, "wasteToner", SupplyClass.RECEPTACLE, 95, None, NEARLY_FULL),
        (2, "toner", SupplyClass.CONSUMED, 3, 3.0, LOW),
        (3, "toner", SupplyClass.CONSUMED, 50, 50.0, OK),
    ]
    assert reading.status.error_conditions == ["marker-waste-almost-full", "lowToner"]
    assert reading.status.device_status == "running"  # -report reasons only

    printer.set_supply_levels([100, 0, 50])
    reading = await read_any(printer.url, SETTINGS)

    assert supplies_of(reading)[:2] == [
        (1, "wasteToner", SupplyClass.RECEPTACLE, 100, None, FULL),
        (2, "toner", SupplyClass.CONSUMED, 0, 0.0, EMPTY),
    ]
    assert reading.status.error_conditions == ["marker-waste-full", "noToner"]

    # Without a waste reason the standard reading holds: 20 free of 100 is 80 % full.
    printer.set_supply_levels([20, 60, 5])
    reading = await read_any(printer.url, SETTINGS)

    assert supplies_of(reading) == [
        (1, "wasteToner", SupplyClass.RECEPTACLE, 20, 80.0, OK),
        (2, "toner", SupplyClass.CONSUMED, 60, 60.0, OK),
        (3, "toner", SupplyClass.CONSUMED, 5, 5.0, LOW),
    ]
    assert reading.status.error_conditions == ["lowToner"]


async def test_maps_state_reasons_a_print_command_reports(tmp_path: Path) -> None:
    ipptool = shutil.which("ipptool")
    if ipptool is None:
        _missing("ipptool is not installed (Debian: cups-ipp-utils)")
    command = tmp_path / "jam.sh"
    command.write_text(
        "#!/bin/sh\necho 'STATE: +media-jam,cover-open' >&2\ncat >/dev/null\nexit 0\n"
    )
    command.chmod(0o755)
    document = tmp_path / "page.txt"
    document.write_text("hello\n")
    for printer in _start(attributes=ATTRIBUTES, command=command):
        submitted = await asyncio.to_thread(
            subprocess.run,
            [
                ipptool,
                "-f",
                str(document),
                "-d",
                "filetype=text/plain",
                printer.url,
                "print-job.test",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
        deadline = time.monotonic() + 15
        conditions: list[str] = []
        while time.monotonic() < deadline and conditions != ["doorOpen", "jammed"]:
            reading = await read_any(printer.url, SETTINGS)
            conditions = reading.status.error_conditions
            await asyncio.sleep(0.1)

        assert conditions == ["doorOpen", "jammed"]  # cover-open and media-jam


async def test_falls_back_to_the_printer_uuid_without_a_serial_number() -> None:
    ipptool = shutil.which("ipptool")
    if ipptool is None:
        _missing("ipptool is not installed (Debian: cups-ipp-utils)")
    for printer in _start(attributes='ATTR text printer-make-and-model "Acme PX-1"\n'):
        described = await asyncio.to_thread(
            subprocess.run,
            [ipptool, "-tv", printer.url, "get-printer-attributes.test"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        uuid = re.search(r"printer-uuid \(uri\) = urn:uuid:([0-9a-f-]+)", described.stdout)
        assert uuid is not None, described.stdout

        reading = await read_any(printer.url, SETTINGS)

        assert reading.serial == f"uuid:{uuid.group(1)}"
        assert reading.serial_source is SerialSource.IPP
        assert reading.model == "Acme PX-1"


async def test_reads_the_same_printer_over_ipps(printer: IppEvePrinter) -> None:
    reading = await read_any(printer.tls_url, SETTINGS)

    assert reading.serial == "ACM123456"


async def test_poll_once_reports_ipp_printers_and_names_the_silent_one(
    printer: IppEvePrinter,
) -> None:
    dead = f"ipp://127.0.0.1:{free_tcp_port()}/ipp/print"
    settings = AgentSettings(printers=(printer.url, dead), ipp_timeout_seconds=TIMEOUT_S)

    answered, silent = await poll_once(settings)

    assert answered.printer_address == f"ipp://127.0.0.1:{printer.port}/ipp/print"
    assert answered.reading is not None
    assert answered.reading.serial == "ACM123456"
    assert silent.reading is None
    assert silent.printer_address == dead
    assert silent.unreachable_reason is not None
    assert "connection refused" in silent.unreachable_reason


# --- things that are not IPP printers --------------------------------------------------------


@pytest.fixture
async def http_server() -> AsyncIterator[tuple[str, list[str]]]:
    """An HTTP server on loopback: /html answers a web page, /garbage IPP-typed junk."""
    seen: list[str] = []

    async def html(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(text="<html><body>Router login</body></html>", content_type="text/html")

    async def garbage(request: web.Request) -> web.Response:
        seen.append(request.path)
        # A version byte of 2, then a value length of 0xFFFB (pyipp loops on this one).
        body = bytes([2, 0, 0, 0, 0, 0, 0, 1, 0x01, 0x47, 0, 0, 0xFF, 0xFB, 0x03])
        return web.Response(body=body, content_type="application/ipp")

    app = web.Application()
    app.router.add_post("/html", html)
    app.router.add_post("/garbage", garbage)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_tcp_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"ipp://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_a_web_server_that_is_not_a_printer_gives_a_clear_probe_error(
    http_server: tuple[str, list[str]],
) -> None:
    base, seen = http_server

    with pytest.raises(ProbeError, match="answered text/html, not application/ipp"):
        await get_printer_attributes(parse_ipp_url(f"{base}/html"), timeout_s=TIMEOUT_S)
    with pytest.raises(ProbeError, match="HTTP 404"):
        await get_printer_attributes(parse_ipp_url(f"{base}/ipp/print"), timeout_s=TIMEOUT_S)
    # The error says it was read and refused, not waited out (that would be ProbeTimeout).
    with pytest.raises(ProbeError, match="malformed IPP answer"):
        await get_printer_attributes(parse_ipp_url(f"{base}/garbage"), timeout_s=TIMEOUT_S)
    assert seen == ["/html", "/garbage"]


async def test_nothing_listening_is_a_probe_error_at_once() -> None:
    target = parse_ipp_url(f"ipp://127.0.0.1:{free_tcp_port()}/ipp/print")
    # A refused connection, not a timeout: ProbeTimeout would say "within".
    with pytest.raises(ProbeError, match="failed") as caught:
        await get_printer_attributes(target, timeout_s=TIMEOUT_S)

    assert not isinstance(caught.value, ProbeTimeout)


async def test_a_printer_that_never_answers_times_out_within_the_budget() -> None:
    connections: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)  # accept, read nothing back, answer nothing

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    started = time.monotonic()
    try:
        with pytest.raises(ProbeTimeout, match=r"within 0\.5 s"):
            await get_printer_attributes(
                parse_ipp_url(f"ipp://127.0.0.1:{port}/ipp/print"), timeout_s=0.5
            )
        assert time.monotonic() - started < 0.5 + 3.0  # its budget, room for a loaded CI
        assert connections  # it did connect: the timeout is the answer's, not the connect's
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


# --- addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("ipp://192.0.2.10", "ipp://192.0.2.10:631/ipp/print"),
        ("IPPS://printer.example:8443/ipp/print/2", "ipps://printer.example:8443/ipp/print/2"),
        ("ipp://[::1]:8631/ipp/print", "ipp://[::1]:8631/ipp/print"),
    ],
)
def test_ipp_urls_parse_with_defaults_and_give_their_printer_uri(url: str, public: str) -> None:
    assert public_address(parse_ipp_url(url)) == public


@pytest.mark.parametrize(
    "url",
    [
        "ipp://admin:secret@192.0.2.10/ipp/print",
        "ipp://192.0.2.10/ipp/print?x=1",
        "ipp:///ipp/print",
        "ipp://192.0.2.10:0/ipp/print",
        "ipp://bad host/ipp/print",
    ],
)
def test_refuses_ipp_urls_with_credentials_queries_or_no_usable_host(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_ipp_url(url)

    assert "secret" not in str(refused.value)
