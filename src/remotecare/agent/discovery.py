"""Find the printers on a network by SNMP (and, optionally, IPP over mDNS).

Usage::

    result = await scan_network("192.0.2.0/24", community="public", rate_pps=50)
    for printer in result.printers:
        print(printer.address, printer.model, printer.serial)
    printers, added = merge_printers(settings.printers, [p.url for p in result.printers])

Each address of the range gets one SNMP v2c GET asking for sysDescr.0 and, at the
printer's usual hrDeviceIndex 1, hrDeviceType, hrDeviceDescr, prtGeneralSerialNumber
and prtMarkerLifeCount. An address that answers is a printer when the Host Resources
MIB types device 1 as hrDevicePrinter or the Printer-MIB answers; anything else that
answers SNMP (a switch, a server) is not. A printer whose Printer-MIB rows live at
another hrDeviceIndex than 1 is not recognised (every recorded printer uses 1).

Packets leave at no more than ``rate_pps`` per second, evenly spaced, with at most
``concurrency`` requests waiting for an answer; a silent address is asked ``retries``
more times, each time through the same pacing. Ranges larger than a /16 (65,536
addresses) are refused. The community goes into the printers' URLs (for agent.toml)
and nowhere else: no log line or message carries it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote

from remotecare.agent.octets import decode_text
from remotecare.agent.probes.snmp import Oid, SnmpTarget, SnmpValue, get
from remotecare.agent.rfc3805 import HR_DEVICE_PRINTER
from remotecare.errors import ConfigError, ProbeError, ProbeTimeout

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_RATE_PPS",
    "DEFAULT_SNMP_PORT",
    "MAX_RATE_PPS",
    "MAX_SCAN_ADDRESSES",
    "MDNS_LISTEN_SECONDS",
    "PROBE_OIDS",
    "FoundPrinter",
    "Pacer",
    "ScanProgress",
    "ScanResult",
    "browse_ipp",
    "classify",
    "ipp_url_from_service",
    "merge_printers",
    "scan_hosts",
    "scan_network",
]

logger = logging.getLogger(__name__)

MAX_SCAN_ADDRESSES: Final = 2**16  # an IPv4 /16
DEFAULT_RATE_PPS: Final = 50.0
MAX_RATE_PPS: Final = 1000.0
DEFAULT_CONCURRENCY: Final = 32
DEFAULT_SNMP_PORT: Final = 161
_IPV6: Final = 6

_SYS_DESCR_0: Final = (1, 3, 6, 1, 2, 1, 1, 1, 0)
_HR_DEVICE_TYPE_1: Final = (1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2, 1)
_HR_DEVICE_DESCR_1: Final = (1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3, 1)
_PRT_GENERAL_SERIAL_1: Final = (1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17, 1)
_PRT_MARKER_LIFE_COUNT_1_1: Final = (1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1)
PROBE_OIDS: Final[tuple[Oid, ...]] = (
    _SYS_DESCR_0,
    _HR_DEVICE_TYPE_1,
    _HR_DEVICE_DESCR_1,
    _PRT_GENERAL_SERIAL_1,
    _PRT_MARKER_LIFE_COUNT_1_1,
)

_IPP_SERVICES: Final = ("_ipp._tcp.local.", "_ipps._tcp.local.")
_IPPS_SERVICE: Final = "_ipps._tcp.local."
_DEFAULT_RESOURCE: Final = "ipp/print"
_MDNS_INFO_TIMEOUT_MS: Final = 3000
MDNS_LISTEN_SECONDS: Final = 3.0  # a few rounds of mDNS queries and answers


@dataclass(frozen=True, slots=True)
class FoundPrinter:
    """A printer discovery found; ``url`` (for agent.toml) may carry the community."""

    host: str
    port: int
    model: str
    serial: str | None
    url: str = field(repr=False)

    @property
    def address(self) -> str:
        """``HOST:PORT`` (IPv6 in brackets): safe to show and log."""
        host = f"[{self.host}]" if _is_ipv6(self.host) else self.host
        return f"{host}:{self.port}"

    @property
    def protocol(self) -> str:
        """``snmp``, ``ipp`` or ``ipps``: the URL's scheme, without what follows it."""
        return self.url.partition("://")[0]


@dataclass(frozen=True, slots=True)
class ScanProgress:
    scanned: int
    total: int
    printers: int

    def __str__(self) -> str:
        return f"scanned {self.scanned}/{self.total}, {self.printers} printers"


@dataclass(frozen=True, slots=True)
class ScanResult:
    printers: list[FoundPrinter]
    scanned: int
    packets: int  # SNMP requests sent, retries included
    elapsed_s: float


# --- pure parts ------------------------------------------------------------------------------


def scan_hosts(network: str) -> list[str]:
    """The host addresses of ``network`` (CIDR, or one address), refusing absurd ranges."""
    try:
        parsed = ipaddress.ip_network(network.strip(), strict=False)
    except ValueError:
        raise ConfigError(
            f"{network!r} is not a network: give CIDR notation such as 192.168.1.0/24"
        ) from None
    if parsed.num_addresses > MAX_SCAN_ADDRESSES:
        raise ConfigError(
            f"refusing to scan {parsed}: {parsed.num_addresses:,} addresses is more than a "
            f"/16 ({MAX_SCAN_ADDRESSES:,}); scan the subnets the printers are on"
        )
    if parsed.is_multicast:
        raise ConfigError(f"{parsed} is a multicast range, not hosts")
    return [str(host) for host in parsed.hosts()]


def classify(values: Mapping[Oid, SnmpValue]) -> tuple[str, str | None] | None:
    """(model, serial) when the answer to :data:`PROBE_OIDS` is a printer's, else None.

    A printer: hrDeviceType.1 is hrDevicePrinter, or prtGeneralSerialNumber.1 or
    prtMarkerLifeCount.1.1 exists. The model is hrDeviceDescr.1, else sysDescr.
    """
    printer_type = values.get(_HR_DEVICE_TYPE_1) == HR_DEVICE_PRINTER
    printer_mib = _PRT_GENERAL_SERIAL_1 in values or _PRT_MARKER_LIFE_COUNT_1_1 in values
    if not (printer_type or printer_mib):
        return None
    model = decode_text(values.get(_HR_DEVICE_DESCR_1)) or decode_text(values.get(_SYS_DESCR_0))
    return model or "", decode_text(values.get(_PRT_GENERAL_SERIAL_1))


def merge_printers(
    configured: Sequence[str], found: Iterable[str]
) -> tuple[tuple[str, ...], list[str]]:
    """(the new printers list, the URLs added): found URLs whose host and port are not
    configured yet, whatever the protocol, community or credentials in the configuration."""
    known = {_host_port(url) for url in configured}
    added = []
    for url in found:
        key = _host_port(url)
        if key not in known:
            known.add(key)
            added.append(url)
    return (*configured, *added), added


def ipp_url_from_service(
    service_type: str, address: str, port: int, properties: Mapping[bytes, bytes | None]
) -> str:
    """The IPP URL of an mDNS-advertised printer: its ``rp`` TXT key is the resource path."""
    resource = (properties.get(b"rp") or _DEFAULT_RESOURCE.encode()).decode("utf-8", "replace")
    scheme = "ipps" if service_type == _IPPS_SERVICE else "ipp"
    host = f"[{address}]" if _is_ipv6(address) else address
    return f"{scheme}://{host}:{port}/{quote(resource.strip('/'), safe='/')}"


def _host_port(url: str) -> tuple[str, int | None]:
    rest = url.partition("://")[2]
    hostport = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = hostport.partition(":")
    return host.lower(), int(port) if port.isdigit() else None


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == _IPV6
    except ValueError:
        return False


# --- the scan --------------------------------------------------------------------------------


class Pacer:
    """Space requests at least 1/rate apart (the first goes at once) and count them.

    Usage::

        pacer = Pacer(rate_pps=50)
        await pacer.wait_turn()   # then send one packet
    """

    def __init__(self, rate_pps: float) -> None:
        self.interval_s = 1.0 / rate_pps
        self.packets = 0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = time.monotonic()
            self._next = max(now, self._next) + self.interval_s
            self.packets += 1


async def scan_network(
    network: str,
    *,
    community: str,
    port: int = DEFAULT_SNMP_PORT,
    rate_pps: float = DEFAULT_RATE_PPS,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout_s: float = 1.0,
    retries: int = 1,
    progress: Callable[[ScanProgress], None] | None = None,
) -> ScanResult:
    """Ask every host of ``network`` whether it is a printer; see the module docstring."""
    hosts = scan_hosts(network)
    if not 0 < rate_pps <= MAX_RATE_PPS:
        raise ConfigError(f"--rate must be between 1 and {MAX_RATE_PPS:g} packets per second")
    if concurrency < 1 or timeout_s <= 0 or retries < 0:
        raise ConfigError("concurrency and timeout must be positive, retries not negative")
    if not community:
        raise ConfigError("no SNMP community given")
    pacer = Pacer(rate_pps)
    gate = asyncio.Semaphore(concurrency)
    printers: list[FoundPrinter] = []
    scanned = 0
    started = time.monotonic()

    async def one(host: str) -> None:
        nonlocal scanned
        target = SnmpTarget(host=host, port=port, community=community)
        async with gate:
            found = await _ask(target, pacer, timeout_s=timeout_s, retries=retries)
        scanned += 1
        if found is not None:
            printers.append(found)
            logger.info("printer at %s: %s", found.address, found.model)
        if progress is not None:
            progress(ScanProgress(scanned, len(hosts), len(printers)))

    await asyncio.gather(*(one(host) for host in hosts))
    order = {host: position for position, host in enumerate(hosts)}
    printers.sort(key=lambda printer: order[printer.host])
    return ScanResult(printers, scanned, pacer.packets, time.monotonic() - started)


async def _ask(
    target: SnmpTarget, pacer: Pacer, *, timeout_s: float, retries: int
) -> FoundPrinter | None:
    """One GET per try, each through the pacer; None for silence, errors and non-printers."""
    for _ in range(retries + 1):
        await pacer.wait_turn()
        try:
            values = await get(target, PROBE_OIDS, timeout_s=timeout_s, retries=0)
        except ProbeTimeout:
            continue
        except ProbeError as exc:
            logger.debug("%s:%s answered with an error: %s", target.host, target.port, exc)
            return None
        if _SYS_DESCR_0 not in values:
            return None
        identified = classify(values)
        if identified is None:
            logger.debug("%s:%s answers SNMP but is not a printer", target.host, target.port)
            return None
        model, serial = identified
        return FoundPrinter(target.host, target.port, model, serial, url=_snmp_url(target))
    return None


def _snmp_url(target: SnmpTarget) -> str:
    host = f"[{target.host}]" if _is_ipv6(target.host) else target.host
    return f"snmp://{quote(target.community, safe='')}@{host}:{target.port}"


# --- mDNS ------------------------------------------------------------------------------------


async def browse_ipp(seconds: float) -> list[FoundPrinter]:
    """IPP printers advertised over mDNS (``_ipp._tcp``, ``_ipps._tcp``) within ``seconds``.

    Needs the optional ``zeroconf`` package (``pip install 'remotecare[mdns]'``).
    """
    try:
        from zeroconf import ServiceStateChange, Zeroconf
        from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf
    except ImportError:
        raise ConfigError(
            "--mdns needs the zeroconf package: pip install 'remotecare[mdns]'"
        ) from None
    seen: dict[str, str] = {}

    def changed(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is ServiceStateChange.Added:
            seen.setdefault(name, service_type)

    zc = AsyncZeroconf()
    browser = AsyncServiceBrowser(zc.zeroconf, list(_IPP_SERVICES), handlers=[changed])
    try:
        await asyncio.sleep(seconds)
        found = []
        for name, service_type in sorted(seen.items()):
            info = AsyncServiceInfo(service_type, name)
            if not await info.async_request(zc.zeroconf, _MDNS_INFO_TIMEOUT_MS):
                continue
            addresses = info.parsed_addresses()
            if not addresses or info.port is None:
                continue
            properties = info.properties or {}
            url = ipp_url_from_service(service_type, addresses[0], info.port, properties)
            model = (properties.get(b"ty") or b"").decode("utf-8", "replace")
            found.append(FoundPrinter(addresses[0], info.port, model, None, url=url))
        return found
    finally:
        await browser.async_cancel()
        await zc.async_close()
