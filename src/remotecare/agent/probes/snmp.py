"""Walk SNMP subtrees of one printer: GETBULK (v2c) or GETNEXT (v1), bounded and timed.

Usage::

    target = parse_printer_url("snmp://public@192.0.2.10")
    values = await walk(target, [(1, 3, 6, 1, 2, 1, 43, 11)], timeout_s=2.0, retries=1)

Values come out as plain Python so the mapping code never sees pysnmp: ``int`` for
INTEGER, Counter32/64, Gauge32 and TimeTicks; ``bytes`` for OCTET STRING (and IpAddress,
Opaque, BITS); ``str`` in dotted form for OBJECT IDENTIFIER. Every pysnmp failure is
translated here, once, into :class:`ProbeError` or :class:`ProbeTimeout`.

Creating an ``SnmpEngine`` (and its MIB view) is slow, so one engine is shared by every
walk of the process. pysnmp binds an engine to the event loop it first ran on, so the
engine is replaced when a different loop asks for it (tests run one loop per test); the
agent runs a single loop. Not thread-safe: use it from one event loop at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import ipaddress
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import unquote, urlsplit

from pyasn1.type import univ
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    bulk_cmd,
    next_cmd,
)
from pysnmp.proto import errind
from pysnmp.proto.rfc1905 import EndOfMibView

from remotecare.errors import ConfigError, ProbeError, ProbeTimeout

__all__ = [
    "DEFAULT_PORT",
    "MAX_ROWS_PER_SUBTREE",
    "Oid",
    "SnmpTarget",
    "SnmpValue",
    "SnmpVersion",
    "close_engine",
    "parse_printer_url",
    "walk",
]

logger = logging.getLogger(__name__)

Oid = tuple[int, ...]
SnmpValue = int | bytes | str
SnmpVersion = Literal["1", "2c"]

DEFAULT_PORT: Final = 161
MAX_ROWS_PER_SUBTREE: Final = 5000  # varbinds; a printer table larger than this is broken
_MAX_PORT: Final = 65535
_BULK_REPETITIONS: Final = 25
_TIMER_SLACK_S: Final = 0.5  # pysnmp checks its timeouts on a 0.1 s timer
_URL_FORM: Final = "snmp://COMMUNITY@HOST[:PORT] (or snmp+v1://...)"
_SCHEMES: Final[dict[str, SnmpVersion]] = {"snmp": "2c", "snmp+v2c": "2c", "snmp+v1": "1"}
_HOSTNAME: Final = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$")
_IPV6: Final = 6
_MP_MODEL: Final[dict[SnmpVersion, int]] = {"1": 0, "2c": 1}  # pysnmp's message processing models


class _ErrorStatus(enum.IntEnum):
    """PDU error-status values the walk reacts to (RFC 3416)."""

    TOO_BIG = 1
    NO_SUCH_NAME = 2  # SNMPv1's way to say "end of the MIB view"


@dataclass(frozen=True, slots=True)
class SnmpTarget:
    """One printer's SNMP agent; the community never appears in ``repr``.

    Usage::

        SnmpTarget("192.0.2.10", 161, "public")            # SNMP v2c
        SnmpTarget("::1", 1161, "ricoh", version="1")        # SNMP v1 over IPv6
    """

    host: str
    port: int
    community: str = field(repr=False)
    version: SnmpVersion = "2c"

    def __post_init__(self) -> None:
        if not 0 < self.port <= _MAX_PORT:
            raise ConfigError(f"SNMP port {self.port} of {self.host} is out of range")
        if not self.community:
            raise ConfigError(f"no SNMP community given for {self.host}")
        if self.version not in _SCHEMES.values():
            raise ConfigError(f"SNMP version {self.version!r} is not supported (use 1 or 2c)")

    @property
    def address(self) -> str:
        """``HOST:PORT`` for messages, with IPv6 hosts in brackets."""
        host = f"[{self.host}]" if _is_ipv6(self.host) else self.host
        return f"{host}:{self.port}"


def parse_printer_url(url: str) -> SnmpTarget:
    """Parse ``snmp://COMMUNITY@HOST[:PORT]`` (v2c) or ``snmp+v1://...`` into a target.

    The community may be percent-encoded; an IPv6 host is written in brackets
    (``snmp://public@[::1]:1161``); the port defaults to 161. Anything else raises
    :class:`ConfigError`, whose message never contains the community.
    """
    shown = _redact(url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(f"printer address {shown!r} is not a valid URL: {_URL_FORM}") from None
    version = _SCHEMES.get(parts.scheme.lower())
    if version is None:
        raise ConfigError(f"printer address {shown!r} must use {_URL_FORM}")
    userinfo, at, _ = parts.netloc.rpartition("@")
    community = unquote(userinfo)
    if not at or not community:
        raise ConfigError(f"printer address {shown!r} has no community: {_URL_FORM}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"printer address {shown!r} must not have a path or query")
    host = _checked_host(parts.hostname, shown)
    if port == 0:
        raise ConfigError(f"printer address {shown!r} has port 0")
    return SnmpTarget(host=host, port=port or DEFAULT_PORT, community=community, version=version)


def _checked_host(host: str | None, shown: str) -> str:
    if not host:
        raise ConfigError(f"printer address {shown!r} has no host: {_URL_FORM}")
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(host))
    if ":" in host or not _HOSTNAME.match(host):
        raise ConfigError(f"printer address {shown!r} has an invalid host")
    return host


def _redact(url: str) -> str:
    """Return ``url`` with any community replaced by ``***``, fit for messages and logs."""
    scheme, sep, rest = url.partition("://")
    _, at, hostpart = (rest if sep else url).rpartition("@")
    if not at:
        return url
    return f"{scheme}://***@{hostpart}" if sep else f"***@{hostpart}"


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == _IPV6
    except ValueError:
        return False


class _SharedEngine:
    """Hold the process's one ``SnmpEngine``, replaced only when the event loop changes."""

    def __init__(self) -> None:
        self._engine: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._engine is None or self._loop is not loop:
            self.close()
            self._engine = SnmpEngine()
            self._loop = loop
        return self._engine

    def close(self) -> None:
        engine, self._engine, self._loop = self._engine, None, None
        if engine is not None:
            # Closing sockets of an event loop that is already closed raises; they are
            # released with the loop anyway.
            with contextlib.suppress(RuntimeError, PySnmpError, OSError):
                engine.close_dispatcher()


_ENGINE = _SharedEngine()


def close_engine() -> None:
    """Release the shared SNMP engine and its sockets (at agent shutdown)."""
    _ENGINE.close()


@dataclass(frozen=True, slots=True)
class _Session:
    """What one walk needs to send requests: engine, credentials, transport, budget."""

    target: SnmpTarget
    engine: Any
    auth: Any
    transport: Any
    timeout_s: float
    retries: int

    @property
    def budget_s(self) -> float:
        return self.timeout_s * (self.retries + 1)

    async def fetch(self, cursor: Oid, repetitions: int) -> tuple[int, list[tuple[Oid, Any]]]:
        """Send one GETBULK (v2c) or GETNEXT (v1) after ``cursor``: (error status, varbinds)."""
        request = ObjectType(ObjectIdentity(".".join(map(str, cursor))))
        try:
            async with asyncio.timeout(self.budget_s + _TIMER_SLACK_S):
                if self.target.version == "1":
                    response = await next_cmd(
                        self.engine,
                        self.auth,
                        self.transport,
                        ContextData(),
                        request,
                        lookupMib=False,
                    )
                else:
                    response = await bulk_cmd(
                        self.engine,
                        self.auth,
                        self.transport,
                        ContextData(),
                        0,
                        repetitions,
                        request,
                        lookupMib=False,
                    )
        except TimeoutError:
            raise self._timeout() from None
        except (PySnmpError, OSError) as exc:
            raise ProbeError(f"SNMP request to {self.target.address} failed: {exc}") from exc
        indication, status, _index, var_binds = response
        if isinstance(indication, errind.RequestTimedOut):
            raise self._timeout()
        if indication:
            raise ProbeError(f"SNMP request to {self.target.address} failed: {indication}")
        try:
            return int(status), [(tuple(oid), value) for oid, value in var_binds]
        except (TypeError, ValueError) as exc:
            raise ProbeError(f"{self.target.address} sent a malformed response: {exc}") from exc

    def _timeout(self) -> ProbeTimeout:
        return ProbeTimeout(
            f"no SNMP answer from {self.target.address} within {self.budget_s:g} s "
            f"({self.retries + 1} tries of {self.timeout_s:g} s)"
        )


async def walk(
    target: SnmpTarget,
    subtrees: Iterable[Oid],
    *,
    timeout_s: float,
    retries: int,
    max_rows: int = MAX_ROWS_PER_SUBTREE,
) -> dict[Oid, SnmpValue]:
    """Return every OID below each of ``subtrees`` with its value.

    Each request waits ``timeout_s`` and is sent ``retries`` more times before the walk
    raises :class:`ProbeTimeout`. A subtree with more than ``max_rows`` variables, an
    agent whose OIDs do not increase, or an error status raise :class:`ProbeError`.
    Variables without a value (noSuchObject, noSuchInstance) are left out.
    """
    if timeout_s <= 0 or retries < 0:
        raise ValueError("timeout_s must be positive and retries not negative")
    session = await _open_session(target, timeout_s=timeout_s, retries=retries)
    values: dict[Oid, SnmpValue] = {}
    for root in subtrees:
        values.update(await _walk_subtree(session, tuple(root), max_rows))
    return values


async def _open_session(target: SnmpTarget, *, timeout_s: float, retries: int) -> _Session:
    engine = _ENGINE.get()
    transport_class = Udp6TransportTarget if _is_ipv6(target.host) else UdpTransportTarget
    try:
        async with asyncio.timeout(timeout_s * (retries + 1)):
            transport = await transport_class.create(
                (target.host, target.port), timeout=timeout_s, retries=retries
            )
    except TimeoutError:
        raise ProbeTimeout(f"could not resolve {target.host} in time") from None
    except (PySnmpError, OSError) as exc:
        raise ProbeError(f"cannot reach {target.address}: {exc}") from exc
    auth = CommunityData(target.community, mpModel=_MP_MODEL[target.version])
    return _Session(target, engine, auth, transport, timeout_s, retries)


async def _walk_subtree(session: _Session, root: Oid, max_rows: int) -> dict[Oid, SnmpValue]:
    values: dict[Oid, SnmpValue] = {}
    cursor, repetitions, seen = root, _BULK_REPETITIONS, 0
    while True:
        status, var_binds = await session.fetch(cursor, repetitions)
        if status == _ErrorStatus.TOO_BIG and repetitions > 1:
            repetitions //= 2
            continue
        if status == _ErrorStatus.NO_SUCH_NAME and session.target.version == "1":
            return values
        if status:
            raise ProbeError(
                f"{session.target.address} answered error status {status} "
                f"when walking {_dotted(root)}"
            )
        if not var_binds:
            return values
        for oid, value in var_binds:
            if isinstance(value, EndOfMibView):
                return values
            if oid <= cursor:
                raise ProbeError(
                    f"{session.target.address} returned OIDs out of order "
                    f"({_dotted(oid)} after {_dotted(cursor)})"
                )
            if oid[: len(root)] != root:
                return values
            seen += 1
            if seen > max_rows:
                raise ProbeError(
                    f"{session.target.address} returned more than {max_rows} variables "
                    f"below {_dotted(root)}"
                )
            plain = _plain(value)
            if plain is not None:
                values[oid] = plain
            cursor = oid


def _plain(value: Any) -> SnmpValue | None:
    """Convert a pysnmp value to int, bytes or dotted str; None for "no value" markers."""
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return _dotted(tuple(value))
    return None


def _dotted(oid: Oid) -> str:
    return ".".join(str(part) for part in oid)
