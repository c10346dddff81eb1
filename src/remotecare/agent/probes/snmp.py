"""Walk SNMP subtrees of one printer: GETBULK (v2c, v3) or GETNEXT (v1), bounded and timed.

Usage::

    target = parse_printer_url("snmp://public@192.0.2.10")
    values = await walk(target, [(1, 3, 6, 1, 2, 1, 43, 11)], timeout_s=2.0, retries=1)
    values = await get(target, [(1, 3, 6, 1, 2, 1, 1, 1, 0)], timeout_s=2.0, retries=1)

SNMPv3 (USM) targets name the user and the protocols in the URL and take the keys from
the agent's settings, never from the URL::

    users = usm_users({"monitor": {"auth_key": "env:PRINTER_AUTH", "priv_key": "..."}})
    target = parse_printer_url("snmpv3://monitor@192.0.2.10?auth=sha&priv=aes", users)

Values come out as plain Python so the mapping code never sees the wire: ``int`` for
INTEGER, Counter32/64, Gauge32 and TimeTicks; ``bytes`` for OCTET STRING (and IpAddress,
Opaque, BITS); ``str`` in dotted form for OBJECT IDENTIFIER. Every transport failure is
translated here, once, into :class:`ProbeError` or :class:`ProbeTimeout`.

SNMP v1 and v2c messages are encoded and decoded by :mod:`snmp_wire` and sent over a UDP
socket of the walk's own: pysnmp's generic BER decoder was most of the agent's CPU in a
poll cycle, and pysnmp is then not even imported. SNMPv3 needs the USM of a full pysnmp
``SnmpEngine``; creating one (and its MIB view) is slow, so one engine is shared by every
SNMPv3 walk of the process. pysnmp binds it to the event loop it first ran on, so it is
replaced when a different loop asks for it (tests run one loop per test); the agent runs
a single loop. Not thread-safe: use it from one event loop at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import ipaddress
import itertools
import logging
import os
import random
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from remotecare.agent.probes.snmp_wire import (
    END_OF_MIB_VIEW,
    PduKind,
    Response,
    WireError,
    WireValue,
    decode_response,
    encode_request,
)
from remotecare.errors import ConfigError, ProbeError, ProbeTimeout, SnmpAuthError

__all__ = [
    "AUTH_PROTOCOLS",
    "BULK_MAX_VARBINDS",
    "DEFAULT_PORT",
    "MAX_ROWS_PER_SUBTREE",
    "PRIV_PROTOCOLS",
    "BulkRead",
    "Oid",
    "SnmpTarget",
    "SnmpValue",
    "SnmpVersion",
    "UsmCredentials",
    "UsmKeys",
    "bulk_read",
    "check_usm_users",
    "close_engine",
    "get",
    "parse_printer_url",
    "usm_users",
    "walk",
]

logger = logging.getLogger(__name__)

Oid = tuple[int, ...]
SnmpValue = int | bytes | str
SnmpVersion = Literal["1", "2c", "3"]

DEFAULT_PORT: Final = 161
MAX_ROWS_PER_SUBTREE: Final = 5000  # varbinds; a printer table larger than this is broken
_MAX_PORT: Final = 65535
_BULK_REPETITIONS: Final = 25
BULK_MAX_VARBINDS: Final = 60  # per GETBULK response of bulk_read: about 2-4 KB
_TIMER_SLACK_S: Final = 0.5  # pysnmp checks its timeouts on a 0.1 s timer
_URL_FORM: Final = (
    "snmp://COMMUNITY@HOST[:PORT] (or snmp+v1://...) or "
    "snmpv3://USER@HOST[:PORT]?auth=PROTOCOL&priv=PROTOCOL[&context=NAME]"
)
_SCHEMES: Final[dict[str, SnmpVersion]] = {
    "snmp": "2c",
    "snmp+v2c": "2c",
    "snmp+v1": "1",
    "snmpv3": "3",
}
_V3_QUERY_KEYS: Final = frozenset({"auth", "priv", "context"})
AUTH_PROTOCOLS: Final[dict[str, str]] = {  # pysnmp's names, looked up for SNMPv3 only
    "md5": "USM_AUTH_HMAC96_MD5",
    "sha": "USM_AUTH_HMAC96_SHA",
    "sha224": "USM_AUTH_HMAC128_SHA224",
    "sha256": "USM_AUTH_HMAC192_SHA256",
    "sha384": "USM_AUTH_HMAC256_SHA384",
    "sha512": "USM_AUTH_HMAC384_SHA512",
}
PRIV_PROTOCOLS: Final[dict[str, str]] = {
    "none": "USM_PRIV_NONE",  # authNoPriv: authenticated, not encrypted
    "des": "USM_PRIV_CBC56_DES",
    "aes": "USM_PRIV_CFB128_AES",
    "aes128": "USM_PRIV_CFB128_AES",
    "aes192": "USM_PRIV_CFB192_AES",
    "aes256": "USM_PRIV_CFB256_AES",
}
_MIN_KEY_CHARS: Final = 8  # RFC 3414: a passphrase has at least 8 octets
_SECRET_REFERENCES: Final = ("env:", "file:")
_USM_FAILURES: Final = (  # pysnmp's error indications of refused SNMPv3 credentials
    "WrongDigest",
    "UnknownUserName",
    "DecryptionError",
    "UnsupportedSecurityLevel",
    "UnknownSecurityName",
    "AuthenticationError",
    "AuthenticationFailure",
)
_REQUEST_IDS: Final = itertools.count(random.randrange(1, 1 << 30))
_REQUEST_ID_MASK: Final = (1 << 31) - 1
_HOSTNAME: Final = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$")
_IPV6: Final = 6


@dataclass(frozen=True, slots=True)
class UsmKeys:
    """The passphrases of one SNMPv3 user (``[snmpv3.USER]`` in agent.toml); never shown."""

    auth_key: str = field(repr=False)
    priv_key: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class UsmCredentials:
    """An SNMPv3 user with protocols and keys; only the user name appears in ``repr``."""

    user: str
    auth: str
    priv: str
    keys: UsmKeys = field(repr=False)
    context: str = ""

    def __post_init__(self) -> None:
        if self.auth not in AUTH_PROTOCOLS:
            raise ConfigError(
                f"SNMPv3 user {self.user}: auth={self.auth!r} is not one of "
                f"{', '.join(AUTH_PROTOCOLS)}"
            )
        if self.priv not in PRIV_PROTOCOLS:
            raise ConfigError(
                f"SNMPv3 user {self.user}: priv={self.priv!r} is not one of "
                f"{', '.join(PRIV_PROTOCOLS)}"
            )
        if len(self.keys.auth_key) < _MIN_KEY_CHARS:
            raise ConfigError(
                f"SNMPv3 user {self.user}: auth_key needs at least {_MIN_KEY_CHARS} characters"
            )
        if self.priv != "none" and len(self.keys.priv_key) < _MIN_KEY_CHARS:
            raise ConfigError(
                f"SNMPv3 user {self.user}: priv={self.priv} needs a priv_key of at least "
                f"{_MIN_KEY_CHARS} characters"
            )

    def auth_data(self) -> Any:
        v3 = _pysnmp_v3()
        return v3.UsmUserData(
            self.user,
            authKey=self.keys.auth_key,
            privKey=self.keys.priv_key if self.priv != "none" else None,
            authProtocol=getattr(v3, AUTH_PROTOCOLS[self.auth]),
            privProtocol=getattr(v3, PRIV_PROTOCOLS[self.priv]),
        )


def usm_users(table: Mapping[str, Mapping[str, str]]) -> dict[str, UsmKeys]:
    """Keys per SNMPv3 user from agent.toml's ``[snmpv3.USER]`` tables.

    A value may be the passphrase itself, ``env:NAME`` (read from that environment
    variable) or ``file:PATH`` (the file's first line), so agent.toml need not hold it.
    Errors name the user and the setting, never a key.
    """
    users = {}
    for user, entry in table.items():
        unknown = set(entry) - {"auth_key", "priv_key"}
        if unknown:
            raise ConfigError(f"[snmpv3.{user}]: unknown settings {sorted(unknown)}")
        if "auth_key" not in entry:
            raise ConfigError(f"[snmpv3.{user}]: auth_key is missing")
        users[user] = UsmKeys(
            auth_key=_resolve_secret(entry["auth_key"], f"[snmpv3.{user}] auth_key"),
            priv_key=_resolve_secret(entry.get("priv_key", ""), f"[snmpv3.{user}] priv_key"),
        )
    return users


def check_usm_users(targets: Iterable[SnmpTarget]) -> None:
    """Refuse one SNMPv3 user name with two different protocol pairs.

    The process shares one SNMP engine, whose USM table holds one entry per user name:
    two printers asking for ``monitor`` with SHA and with MD5 would overwrite each other.
    """
    seen: dict[str, tuple[str, str]] = {}
    for target in targets:
        if target.usm is None:
            continue
        protocols = (target.usm.auth, target.usm.priv)
        first = seen.setdefault(target.usm.user, protocols)
        if first != protocols:
            raise ConfigError(
                f"SNMPv3 user {target.usm.user!r} is used with auth/priv {first[0]}/{first[1]} "
                f"and {protocols[0]}/{protocols[1]}: use one pair per user name"
            )


def _resolve_secret(value: str, name: str) -> str:
    if value.startswith("env:"):
        variable = value.removeprefix("env:")
        found = os.environ.get(variable)
        if not found:
            raise ConfigError(f"{name}: environment variable {variable} is not set")
        return found
    if value.startswith("file:"):
        path = Path(value.removeprefix("file:")).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read {path}: {exc.strerror}") from None
        return lines[0].strip() if lines else ""
    return value


class _ErrorStatus(enum.IntEnum):
    """PDU error-status values the walk reacts to (RFC 3416)."""

    TOO_BIG = 1
    NO_SUCH_NAME = 2  # SNMPv1's way to say "end of the MIB view"


@dataclass(frozen=True, slots=True)
class SnmpTarget:
    """One printer's SNMP agent; the community and keys never appear in ``repr``.

    Usage::

        SnmpTarget("192.0.2.10", 161, "public")            # SNMP v2c
        SnmpTarget("::1", 1161, "ricoh", version="1")        # SNMP v1 over IPv6
        SnmpTarget("192.0.2.10", 161, version="3", usm=credentials)
    """

    host: str
    port: int
    community: str = field(default="", repr=False)
    version: SnmpVersion = "2c"
    usm: UsmCredentials | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not 0 < self.port <= _MAX_PORT:
            raise ConfigError(f"SNMP port {self.port} of {self.host} is out of range")
        if self.version not in _SCHEMES.values():
            raise ConfigError(f"SNMP version {self.version!r} is not supported (use 1, 2c or 3)")
        if self.version == "3":
            if self.usm is None or self.community:
                raise ConfigError(f"SNMPv3 for {self.host} needs a user and no community")
        elif not self.community or self.usm is not None:
            raise ConfigError(f"no SNMP community given for {self.host}")

    @property
    def address(self) -> str:
        """``HOST:PORT`` for messages, with IPv6 hosts in brackets."""
        host = f"[{self.host}]" if _is_ipv6(self.host) else self.host
        return f"{host}:{self.port}"


def parse_printer_url(url: str, users: Mapping[str, UsmKeys] | None = None) -> SnmpTarget:
    """Parse ``snmp://COMMUNITY@HOST[:PORT]`` (v2c), ``snmp+v1://...`` or
    ``snmpv3://USER@HOST[:PORT]?auth=sha&priv=aes[&context=NAME]`` into a target.

    The community or user may be percent-encoded; an IPv6 host is written in brackets
    (``snmp://public@[::1]:1161``); the port defaults to 161. An SNMPv3 user's keys come
    from ``users`` (see :func:`usm_users`), never from the URL. Anything else raises
    :class:`ConfigError`, whose message never contains the community or a key.
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
        raise ConfigError(f"printer address {shown!r} has no community or user: {_URL_FORM}")
    if parts.path not in ("", "/") or parts.fragment or (parts.query and version != "3"):
        raise ConfigError(f"printer address {shown!r} must not have a path or query")
    host = _checked_host(parts.hostname, shown)
    if port == 0:
        raise ConfigError(f"printer address {shown!r} has port 0")
    if version != "3":
        return SnmpTarget(
            host=host, port=port or DEFAULT_PORT, community=community, version=version
        )
    usm = _usm_credentials(community, parts.query, users or {}, shown)
    return SnmpTarget(host=host, port=port or DEFAULT_PORT, version="3", usm=usm)


def _usm_credentials(
    user: str, query: str, users: Mapping[str, UsmKeys], shown: str
) -> UsmCredentials:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ConfigError(f"printer address {shown!r} has a malformed query") from None
    options = dict(pairs)
    unknown = set(options) - _V3_QUERY_KEYS
    if unknown or len(options) != len(pairs):
        raise ConfigError(
            f"printer address {shown!r}: SNMPv3 takes only auth=, priv= and context= "
            "(keys belong in agent.toml [snmpv3.USER])"
        )
    if "auth" not in options or "priv" not in options:
        raise ConfigError(
            f"printer address {shown!r}: SNMPv3 needs auth= and priv= (e.g. ?auth=sha&priv=aes)"
        )
    keys = users.get(user)
    if keys is None:
        raise ConfigError(
            f"printer address {shown!r}: no keys for SNMPv3 user {user!r}: "
            f"add [snmpv3.{user}] auth_key and priv_key to agent.toml"
        )
    return UsmCredentials(
        user=user,
        auth=options["auth"].lower(),
        priv=options["priv"].lower(),
        keys=keys,
        context=options.get("context", ""),
    )


def _checked_host(host: str | None, shown: str) -> str:
    if not host:
        raise ConfigError(f"printer address {shown!r} has no host: {_URL_FORM}")
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(host))
    if ":" in host or not _HOSTNAME.match(host):
        raise ConfigError(f"printer address {shown!r} has an invalid host")
    return host


def _redact(url: str) -> str:
    """Return ``url`` with any community or user replaced by ``***``, fit for messages.

    The query is dropped as well: it holds nothing secret by design, but a key pasted
    there by mistake must not end up in a log.
    """
    scheme, sep, rest = url.partition("://")
    rest = (rest if sep else url).split("?", 1)[0]
    _, at, hostpart = rest.rpartition("@")
    if not at:
        return f"{scheme}://{hostpart}" if sep else hostpart
    return f"{scheme}://***@{hostpart}" if sep else f"***@{hostpart}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == _IPV6
    except ValueError:
        return False


def _pysnmp_v3() -> Any:
    """pysnmp's v3arch API, imported on first use: only SNMPv3 printers need it."""
    from pysnmp.hlapi.v3arch import asyncio as v3  # several MB: SNMPv3 only

    return v3


class _SharedEngine:
    """Hold the process's one ``SnmpEngine`` (SNMPv3), replaced only when the event loop
    changes."""

    def __init__(self) -> None:
        self._engine: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self.close()
            self._loop = loop
        if self._engine is None:
            self._engine = _pysnmp_v3().SnmpEngine()
        return self._engine

    def close(self) -> None:
        engine = self._engine
        self._engine, self._loop = None, None
        # Closing sockets of an event loop that is already closed raises; they are
        # released with the loop anyway.
        if engine is not None:
            from pysnmp.error import PySnmpError

            with contextlib.suppress(RuntimeError, PySnmpError, OSError):
                engine.close_dispatcher()


_ENGINE = _SharedEngine()


def close_engine() -> None:
    """Release the shared SNMPv3 engine and its sockets (at agent shutdown)."""
    _ENGINE.close()


class _Exchange(asyncio.DatagramProtocol):
    """One v1/v2c session's UDP socket: hands each response to the request waiting for it.

    Like pysnmp's dispatcher it takes answers from any source address (some printers
    answer from another of their addresses) and drops what is not an answer to one of
    its requests: a malformed datagram, another request id, another community.
    """

    def __init__(self, version: int, community: bytes) -> None:
        self.version = version
        self.community = community
        self.waiting: dict[int, asyncio.Future[Response]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            response = decode_response(data)
        except WireError as exc:
            logger.debug("dropped a datagram from %s: %s", addr[0], exc)
            return
        future = self.waiting.get(response.request_id)
        if (
            future is None
            or future.done()
            or response.version != self.version
            or response.community != self.community
        ):
            return
        future.set_result(response)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error is no answer: as with pysnmp, the request runs into its timeout.
        logger.debug("SNMP socket error: %s", exc)


@dataclass(frozen=True, slots=True)
class _Session:
    """What one walk needs to send requests: credentials, transport, budget.

    SNMP v1/v2c (``exchange`` set) go over a socket of the session's own with
    :mod:`~remotecare.agent.probes.snmp_wire`; SNMPv3 through pysnmp's shared engine.
    """

    target: SnmpTarget
    timeout_s: float
    retries: int
    address: tuple[Any, ...] = ()
    exchange: _Exchange | None = None
    engine: Any = None
    auth: Any = None
    context: Any = None
    transport: Any = None

    @property
    def budget_s(self) -> float:
        return self.timeout_s * (self.retries + 1)

    def close(self) -> None:
        if self.exchange is not None and self.exchange.transport is not None:
            self.exchange.transport.close()

    async def fetch(self, cursor: Oid, repetitions: int) -> tuple[int, list[tuple[Oid, Any]]]:
        """Send one GETBULK (v2c, v3) or GETNEXT (v1) after ``cursor``: (status, varbinds)."""
        if self.exchange is not None:
            if self.target.version == "1":
                status, _index, var_binds = await self._request(PduKind.GETNEXT, [cursor])
            else:
                status, _index, var_binds = await self._request(
                    PduKind.GETBULK, [cursor], max_repetitions=repetitions
                )
            return status, var_binds
        v3 = _pysnmp_v3()
        request = v3.ObjectType(v3.ObjectIdentity(_dotted(cursor)))
        command = v3.bulk_cmd(
            self.engine,
            self.auth,
            self.transport,
            self.context,
            0,
            repetitions,
            request,
            lookupMib=False,
        )
        status, _index, var_binds = await self._send_v3(command)
        return status, var_binds

    async def bulk(
        self, scalars: Sequence[Oid], cursors: Sequence[Oid], repetitions: int
    ) -> tuple[int, list[tuple[Oid, Any]]]:
        """One GETBULK: GETNEXT once for each of ``scalars``, ``repetitions`` times for each
        of ``cursors`` (RFC 3416 non-repeaters and repeaters): (error status, varbinds)."""
        if self.exchange is not None:
            status, _index, var_binds = await self._request(
                PduKind.GETBULK,
                [*scalars, *cursors],
                non_repeaters=len(scalars),
                max_repetitions=repetitions,
            )
            return status, var_binds
        v3 = _pysnmp_v3()
        requests = [v3.ObjectType(v3.ObjectIdentity(_dotted(oid))) for oid in (*scalars, *cursors)]
        command = v3.bulk_cmd(
            self.engine,
            self.auth,
            self.transport,
            self.context,
            len(scalars),
            repetitions,
            *requests,
            lookupMib=False,
        )
        status, _index, var_binds = await self._send_v3(command)
        return status, var_binds

    async def get(self, oids: Sequence[Oid]) -> tuple[int, int, list[tuple[Oid, Any]]]:
        """Send one GET of ``oids``: (error status, error index, varbinds)."""
        if self.exchange is not None:
            return await self._request(PduKind.GET, oids)
        v3 = _pysnmp_v3()
        requests = [v3.ObjectType(v3.ObjectIdentity(_dotted(oid))) for oid in oids]
        command = v3.get_cmd(
            self.engine, self.auth, self.transport, self.context, *requests, lookupMib=False
        )
        return await self._send_v3(command)

    async def _request(
        self,
        kind: PduKind,
        oids: Sequence[Oid],
        *,
        non_repeaters: int = 0,
        max_repetitions: int = 0,
    ) -> tuple[int, int, list[tuple[Oid, Any]]]:
        """Send one v1/v2c request, again after each ``timeout_s`` up to ``retries`` times
        (same request id, so a late answer to an earlier try counts)."""
        exchange = self.exchange
        assert exchange is not None
        assert exchange.transport is not None
        request_id = next(_REQUEST_IDS) & _REQUEST_ID_MASK
        message = encode_request(
            kind,
            self.target.version,
            self.target.community,
            request_id,
            oids,
            non_repeaters=non_repeaters,
            max_repetitions=max_repetitions,
        )
        answer: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        exchange.waiting[request_id] = answer
        try:
            for _try in range(self.retries + 1):
                try:
                    exchange.transport.sendto(message, self.address)
                except OSError as exc:
                    raise ProbeError(
                        f"SNMP request to {self.target.address} failed: {exc}"
                    ) from exc
                done, _ = await asyncio.wait((answer,), timeout=self.timeout_s)
                if done:
                    response = answer.result()
                    return response.error_status, response.error_index, response.var_binds
            raise self._timeout()
        finally:
            del exchange.waiting[request_id]

    async def _send_v3(self, command: Any) -> tuple[int, int, list[tuple[Oid, Any]]]:
        from pysnmp.error import PySnmpError
        from pysnmp.proto import errind

        try:
            async with asyncio.timeout(self.budget_s + _TIMER_SLACK_S):
                response = await command
        except TimeoutError:
            raise self._timeout() from None
        except (PySnmpError, OSError) as exc:
            raise ProbeError(f"SNMP request to {self.target.address} failed: {exc}") from exc
        indication, status, index, var_binds = response
        if isinstance(indication, errind.RequestTimedOut):
            raise self._timeout()
        if isinstance(indication, tuple(getattr(errind, name) for name in _USM_FAILURES)):
            user = self.target.usm.user if self.target.usm else "?"
            raise SnmpAuthError(
                f"{self.target.address} refused SNMPv3 user {user!r}: {indication} "
                "(check the user, auth/priv protocols and keys)"
            )
        if indication:
            raise ProbeError(f"SNMP request to {self.target.address} failed: {indication}")
        try:
            return (
                int(status),
                int(index),
                [(tuple(oid), _from_pysnmp(value)) for oid, value in var_binds],
            )
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
    try:
        for root in subtrees:
            values.update(await _walk_subtree(session, tuple(root), max_rows))
    finally:
        session.close()
    return values


async def get(
    target: SnmpTarget, oids: Sequence[Oid], *, timeout_s: float, retries: int
) -> dict[Oid, SnmpValue]:
    """GET ``oids`` (instances) in one request; objects the printer lacks are left out.

    SNMPv1 answers a missing object with noSuchName for the whole request: that object
    is dropped and the rest asked again (at most once per object).
    """
    if timeout_s <= 0 or retries < 0:
        raise ValueError("timeout_s must be positive and retries not negative")
    pending = [tuple(oid) for oid in oids]
    values: dict[Oid, SnmpValue] = {}
    if not pending:
        return values
    session = await _open_session(target, timeout_s=timeout_s, retries=retries)
    try:
        while pending:
            status, index, var_binds = await session.get(pending)
            if status == _ErrorStatus.NO_SUCH_NAME and 0 < index <= len(pending):
                del pending[index - 1]
                continue
            if status:
                raise ProbeError(f"{target.address} answered error status {status} to a GET")
            for oid, value in var_binds:
                plain = _plain(value)
                if plain is not None and oid in pending:
                    values[oid] = plain
            return values
    finally:
        session.close()
    return values


@dataclass(slots=True)
class BulkRead:
    """What :func:`bulk_read` got: values, the subtrees read to their end, and why it stopped.

    ``finished`` holds every subtree whose end was seen; the others (with ``error`` set)
    were not read completely and should be walked one by one.
    """

    scalars: dict[Oid, SnmpValue] = field(default_factory=dict)
    values: dict[Oid, SnmpValue] = field(default_factory=dict)
    finished: set[Oid] = field(default_factory=set)
    error: ProbeError | None = None
    requests: int = 0


async def bulk_read(
    target: SnmpTarget,
    scalars: Sequence[Oid],
    subtrees: Sequence[Oid],
    *,
    timeout_s: float,
    retries: int,
    max_rows: int = MAX_ROWS_PER_SUBTREE,
    max_varbinds: int = BULK_MAX_VARBINDS,
) -> BulkRead:
    """Walk several subtrees side by side, each GETBULK carrying a cursor per open subtree.

    The first request also asks once for the object after each of ``scalars`` (non-
    repeaters: ``sysDescr`` gives ``sysDescr.0``). Repetitions are spread so that one
    response holds about ``max_varbinds`` variables; a subtree leaves the request as soon
    as its end is seen, so a printer is read in two or three round trips instead of one
    walk per subtree. SNMPv1 has no GETBULK: use :func:`walk`.

    Refused SNMPv3 credentials raise :class:`SnmpAuthError`. Any other trouble (a timeout,
    even of the first request: some agents drop a request whose answer would be large;
    an error status that fewer repetitions do not cure; OIDs out of order; too many rows)
    ends the bulk read with ``error`` set and the unfinished subtrees left for one-by-one
    walks, which then name the culprit.
    """
    if target.version == "1":
        raise ValueError("SNMPv1 has no GETBULK")
    session = await _open_session(target, timeout_s=timeout_s, retries=retries)
    try:
        return await _bulk_read(session, scalars, subtrees, max_rows, max_varbinds)
    finally:
        session.close()


async def _bulk_read(
    session: _Session,
    scalars: Sequence[Oid],
    subtrees: Sequence[Oid],
    max_rows: int,
    max_varbinds: int,
) -> BulkRead:
    target = session.target
    result = BulkRead()
    cursors = {tuple(root): tuple(root) for root in subtrees}
    counts = dict.fromkeys(cursors, 0)
    pending_scalars = [tuple(oid) for oid in scalars]
    shrink = 1
    while cursors or pending_scalars:
        repetitions = max(1, (max_varbinds - len(pending_scalars)) // max(1, len(cursors)))
        repetitions = max(1, repetitions // shrink)
        try:
            status, var_binds = await session.bulk(
                pending_scalars, list(cursors.values()), repetitions
            )
        except SnmpAuthError:
            raise
        except ProbeError as exc:
            result.error = exc
            return result
        result.requests += 1
        if status:
            if repetitions > 1:
                shrink *= 2
                continue
            result.error = ProbeError(
                f"{target.address} answered error status {status} to a GETBULK"
            )
            return result
        try:
            _take_bulk(result, pending_scalars, cursors, counts, var_binds, max_rows, target)
        except ProbeError as exc:
            result.error = exc
            return result
        pending_scalars = []
        shrink = 1
    return result


def _take_bulk(
    result: BulkRead,
    scalars: Sequence[Oid],
    cursors: dict[Oid, Oid],
    counts: dict[Oid, int],
    var_binds: Sequence[tuple[Oid, Any]],
    max_rows: int,
    target: SnmpTarget,
) -> None:
    """Sort one GETBULK response into scalars and per-subtree rows; advance the cursors."""
    for scalar, (oid, value) in zip(scalars, var_binds, strict=False):
        plain = _plain(value)
        if plain is not None and oid > scalar and oid[: len(scalar)] == scalar:
            result.scalars[oid] = plain
    repeated = var_binds[len(scalars) :]
    roots = list(cursors)
    if roots and not repeated:
        raise ProbeError(f"{target.address} answered a GETBULK without the repeated variables")
    done: set[Oid] = set()
    for position, (oid, value) in enumerate(repeated):
        root = roots[position % len(roots)]
        if root in done:
            continue
        if value is END_OF_MIB_VIEW or oid[: len(root)] != root:
            done.add(root)
            continue
        if oid <= cursors[root]:
            raise ProbeError(
                f"{target.address} returned OIDs out of order "
                f"({_dotted(oid)} after {_dotted(cursors[root])})"
            )
        counts[root] += 1
        if counts[root] > max_rows:
            raise ProbeError(
                f"{target.address} returned more than {max_rows} variables below {_dotted(root)}"
            )
        plain = _plain(value)
        if plain is not None:
            result.values[oid] = plain
        cursors[root] = oid
    for root in done:
        result.finished.add(root)
        del cursors[root]


async def _open_session(target: SnmpTarget, *, timeout_s: float, retries: int) -> _Session:
    if target.usm is None:
        return await _open_lean_session(target, timeout_s=timeout_s, retries=retries)
    v3 = _pysnmp_v3()
    from pysnmp.error import PySnmpError

    engine = _ENGINE.get()
    transport_class = v3.Udp6TransportTarget if _is_ipv6(target.host) else v3.UdpTransportTarget
    try:
        async with asyncio.timeout(timeout_s * (retries + 1)):
            transport = await transport_class.create(
                (target.host, target.port), timeout=timeout_s, retries=retries
            )
    except TimeoutError:
        raise ProbeTimeout(f"could not resolve {target.host} in time") from None
    except (PySnmpError, OSError) as exc:
        raise ProbeError(f"cannot reach {target.address}: {exc}") from exc
    return _Session(
        target,
        timeout_s,
        retries,
        engine=engine,
        auth=target.usm.auth_data(),
        context=v3.ContextData(contextName=target.usm.context.encode()),
        transport=transport,
    )


async def _open_lean_session(target: SnmpTarget, *, timeout_s: float, retries: int) -> _Session:
    """A v1/v2c session: the printer's address resolved, a UDP socket of its own."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout_s * (retries + 1)):
            if _is_ip(target.host):
                family = socket.AF_INET6 if _is_ipv6(target.host) else socket.AF_INET
                address: tuple[Any, ...] = (target.host, target.port)
            else:
                [(family, _type, _proto, _name, address), *_] = await loop.getaddrinfo(
                    target.host, target.port, type=socket.SOCK_DGRAM
                )
            version = 0 if target.version == "1" else 1
            _, exchange = await loop.create_datagram_endpoint(
                lambda: _Exchange(version, target.community.encode()), family=family
            )
    except TimeoutError:
        raise ProbeTimeout(f"could not resolve {target.host} in time") from None
    except OSError as exc:
        raise ProbeError(f"cannot reach {target.address}: {exc}") from exc
    return _Session(target, timeout_s, retries, address=address, exchange=exchange)


async def _walk_subtree(session: _Session, root: Oid, max_rows: int) -> dict[Oid, SnmpValue]:
    values: dict[Oid, SnmpValue] = {}
    cursor, repetitions, seen = root, _BULK_REPETITIONS, 0
    while True:
        status, var_binds = await session.fetch(cursor, repetitions)
        if status == _ErrorStatus.NO_SUCH_NAME and session.target.version == "1":
            return values
        if status and repetitions > 1:
            # tooBig, or a broken object somewhere in the repetitions (genErr): ask for
            # fewer, so the rows before a broken one are still read.
            repetitions //= 2
            continue
        if status:
            raise ProbeError(
                f"{session.target.address} answered error status {status} "
                f"when walking {_dotted(root)}"
            )
        if not var_binds:
            return values
        for oid, value in var_binds:
            if value is END_OF_MIB_VIEW:
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


def _plain(value: WireValue) -> SnmpValue | None:
    """The value as handed on; None for "no value" markers (noSuchObject, endOfMibView)."""
    return None if value is END_OF_MIB_VIEW else value


def _from_pysnmp(value: Any) -> WireValue:
    """A pysnmp value (SNMPv3) as :mod:`snmp_wire` decodes it (int, bytes, str, markers)."""
    from pyasn1.type import univ
    from pysnmp.proto.rfc1905 import EndOfMibView

    if isinstance(value, EndOfMibView):
        return END_OF_MIB_VIEW
    if isinstance(value, univ.Null):  # noSuchObject/noSuchInstance: Null is an OctetString
        return None
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return _dotted(tuple(value))
    return None


def _dotted(oid: Oid) -> str:
    return ".".join(str(part) for part in oid)
