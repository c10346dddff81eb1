"""`remotecare agent doctor`: check, in order, everything the agent needs and say in plain
words what is wrong and what to do (terms, article 7: the customer prepares the network).

The steps: configuration, DNS, proxy, TCP, the center's certificate, the agent's own
certificate, clock skew, the center's answer, and each printer. A step that cannot run
because an earlier one failed is skipped, not failed again.

Usage::

    checks = await diagnose(paths)
    print(render(checks)); sys.exit(0 if healthy(checks) else 1)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import enum
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlsplit

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.poller import (
    UNENROLLED,
    PrinterTarget,
    Site,
    printer_targets,
    public_address,
    read_any,
)
from remotecare.agent.privacy import Pseudonymizer, load_or_create_key
from remotecare.agent.probes.ipp import IppTarget, get_printer_attributes
from remotecare.agent.probes.snmp import walk
from remotecare.agent.uplink import ProxySettings, agent_tls_context, open_uplink
from remotecare.errors import ProbeError, RemoteCareError, UplinkError
from remotecare.pki.certificates import load_certificate
from remotecare.protocol.messages import PrinterReading, SerialSource

__all__ = [
    "SERVICE_TERMINATED",
    "Check",
    "Outcome",
    "assess_clock",
    "diagnose",
    "healthy",
    "render",
]

_TIMEOUT_S: Final = 10.0
_MAX_SKEW_S: Final = 300.0
_EXPIRY_WARNING_DAYS: Final = 30
_SYS_DESCR: Final = (1, 3, 6, 1, 2, 1, 1, 1)


class Outcome(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    advice: str = ""


def healthy(checks: Sequence[Check]) -> bool:
    return not any(c.outcome is Outcome.FAIL for c in checks)


def render(checks: Sequence[Check]) -> str:
    """One line per step, with advice under each failure or warning."""
    lines = []
    for check in checks:
        lines.append(f"[{check.outcome.value:>4}] {check.name}: {check.detail}")
        if check.advice and check.outcome in (Outcome.FAIL, Outcome.WARN):
            lines.append(f"       what to do: {check.advice}")
    failed = sum(1 for c in checks if c.outcome is Outcome.FAIL)
    lines.append("all checks passed" if not failed else f"{failed} check(s) failed")
    return "\n".join(lines)


@dataclass(slots=True)
class _Context:
    paths: AgentPaths
    settings: AgentSettings | None = None
    identity: AgentIdentity | None = None
    host: str = ""
    port: int = 443
    proxy: ProxySettings | None = None
    tunnel_ok: bool = False
    tls_ok: bool = False
    answer: tuple[int, str, dict[str, str]] | None = None
    answer_error: str = ""
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, outcome: Outcome, detail: str, advice: str = "") -> None:
        self.checks.append(Check(name, outcome, detail, advice))


async def diagnose(paths: AgentPaths, *, check_printers: bool = True) -> list[Check]:
    """Run every step in order and return what each found."""
    ctx = _Context(paths)
    _check_configuration(ctx)
    if ctx.settings is None or ctx.identity is None:
        for name in _NETWORK_STEPS:
            ctx.add(name, Outcome.SKIP, "needs a valid configuration")
        return ctx.checks
    await _check_dns(ctx)
    await _check_proxy_and_tcp(ctx)
    await _check_center_certificate(ctx)
    if ctx.tls_ok:
        await _ask_center(ctx)
    _check_own_certificate(ctx)
    _check_clock(ctx)
    _check_answer(ctx)
    if check_printers:
        await _check_printers(ctx)
    return ctx.checks


_NETWORK_STEPS: Final = (
    "DNS",
    "proxy",
    "TCP",
    "center certificate",
    "agent certificate",
    "clock",
    "center answer",
)


def _check_configuration(ctx: _Context) -> None:
    paths = ctx.paths
    try:
        settings = AgentSettings.load(paths.config)
        identity = AgentIdentity.load(paths.identity)
        missing = [
            p.name for p in (paths.key, paths.certificate, paths.ca_certificate) if not p.exists()
        ]
        if missing:
            raise RemoteCareError(f"missing {', '.join(missing)} in {paths.home}")
        printer_targets(settings)
    except RemoteCareError as exc:
        ctx.add(
            "configuration",
            Outcome.FAIL,
            str(exc),
            f"fix {paths.config}, or enrol again with `remotecare agent enroll --home "
            f"{paths.home}` if the agent was never enrolled",
        )
        return
    ctx.settings, ctx.identity = settings, identity
    center = urlsplit(identity.device_api_url)
    ctx.host, ctx.port = center.hostname or "", center.port or 443
    ctx.proxy = ProxySettings.from_settings(settings)
    printers = len(settings.printers)
    ctx.add(
        "configuration",
        Outcome.OK if printers else Outcome.WARN,
        f"enrolled as endpoint {identity.endpoint_id}; center {identity.device_api_url}; "
        f"{printers} printer(s)",
        f'list the printers in {paths.config} (printers = ["snmp://COMMUNITY@HOST"])',
    )


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), _TIMEOUT_S
    )
    return sorted({str(info[4][0]) for info in infos})


async def _check_dns(ctx: _Context) -> None:
    names = [(ctx.host, ctx.port, "the center")]
    if ctx.proxy is not None:
        proxy_url = urlsplit(ctx.proxy.url)
        names.insert(0, (proxy_url.hostname or "", proxy_url.port or 8080, "the proxy"))
    found = []
    for host, port, what in names:
        try:
            addresses = await _resolve(host, port)
        except (OSError, TimeoutError) as exc:
            if what == "the center" and ctx.proxy is not None:
                found.append(f"{host}: not resolved here, the proxy resolves it")
                continue
            ctx.add(
                "DNS",
                Outcome.FAIL,
                f"cannot resolve {what}'s name {host}: {exc}",
                f"check the DNS server of this machine, or that {host} is spelt right",
            )
            return
        found.append(f"{host} is {', '.join(addresses)}")
    ctx.add("DNS", Outcome.OK, "; ".join(found))


async def _open(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection(host, port), _TIMEOUT_S)


async def _check_proxy_and_tcp(ctx: _Context) -> None:
    target = f"[{ctx.host}]" if ":" in ctx.host else ctx.host
    if ctx.proxy is None:
        ctx.add("proxy", Outcome.OK, "no proxy configured: the agent connects directly")
        try:
            _, writer = await _open(ctx.host, ctx.port)
        except (OSError, TimeoutError) as exc:
            ctx.add(
                "TCP",
                Outcome.FAIL,
                f"cannot open a connection to {target}:{ctx.port}: {_why(exc)}",
                f"make sure the center is running, and that the firewall lets this machine "
                f"open outbound TCP {ctx.port} to {ctx.host}; if the site needs a proxy, "
                "set proxy_url in agent.toml",
            )
            return
        writer.close()
        ctx.tunnel_ok = True
        ctx.add("TCP", Outcome.OK, f"connected to {target}:{ctx.port}")
        return
    proxy = urlsplit(ctx.proxy.url)
    try:
        reader, writer = await _open(proxy.hostname or "", proxy.port or 8080)
    except (OSError, TimeoutError) as exc:
        ctx.add(
            "proxy",
            Outcome.FAIL,
            f"cannot reach the proxy {ctx.proxy.url}: {_why(exc)}",
            "check proxy_url in agent.toml with the site's network administrator",
        )
        ctx.add("TCP", Outcome.SKIP, "needs the proxy")
        return
    try:
        status = await _connect_through(reader, writer, ctx.proxy, f"{target}:{ctx.port}")
    except (OSError, TimeoutError, ValueError) as exc:
        status = 0
        reason = _why(exc)
    else:
        reason = f"HTTP {status}"
    finally:
        writer.close()
    if status == 407:
        ctx.add(
            "proxy",
            Outcome.FAIL,
            "the proxy wants credentials or refused the ones given (407)",
            "set proxy_username and proxy_password in agent.toml (Basic authentication)",
        )
        ctx.add("TCP", Outcome.SKIP, "needs the proxy")
        return
    ctx.add("proxy", Outcome.OK, f"{ctx.proxy.url} accepts this agent")
    if status != 200:
        ctx.add(
            "TCP",
            Outcome.FAIL,
            f"the proxy could not open a tunnel to {target}:{ctx.port} ({reason})",
            f"ask the network administrator to allow CONNECT to {ctx.host}:{ctx.port}, and "
            "make sure the center is running",
        )
        return
    ctx.tunnel_ok = True
    ctx.add("TCP", Outcome.OK, f"tunnel through the proxy to {target}:{ctx.port}")


async def _connect_through(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    proxy: ProxySettings,
    target: str,
) -> int:
    request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
    if proxy.username:
        token = base64.b64encode(f"{proxy.username}:{proxy.password}".encode()).decode()
        request += f"Proxy-Authorization: Basic {token}\r\n"
    writer.write((request + "\r\n").encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), _TIMEOUT_S)
    while (await asyncio.wait_for(reader.readline(), _TIMEOUT_S)).strip():
        pass
    return int(status_line.split()[1])


async def _check_center_certificate(ctx: _Context) -> None:
    name = "center certificate"
    if not ctx.tunnel_ok:
        ctx.add(name, Outcome.SKIP, "needs the TCP step")
        return
    assert ctx.settings is not None
    try:
        context = agent_tls_context(ctx.paths, ctx.settings.ca_bundle or None)
    except (OSError, ssl.SSLError) as exc:
        ctx.add(name, Outcome.FAIL, f"cannot load the agent's TLS files: {exc}", _REENROL)
        return
    try:
        peer = await _handshake(ctx, context)
    except ssl.SSLCertVerificationError as exc:
        ctx.add(
            name,
            Outcome.FAIL,
            f"the server at {ctx.host}:{ctx.port} is not trusted: {exc.verify_message}",
            "if the center sits behind a TLS front with a public or corporate CA, put that "
            "CA's certificate in a file and set ca_bundle in agent.toml; otherwise the agent "
            "is not talking to your center (a proxy inspecting TLS must let this host pass)",
        )
        return
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        ctx.add(
            name,
            Outcome.FAIL,
            f"TLS handshake with {ctx.host}:{ctx.port} failed: {_why(exc)}",
            "a proxy or firewall may be inspecting TLS: let this host pass untouched",
        )
        return
    ctx.tls_ok = True
    ctx.add(name, Outcome.OK, peer)


async def _handshake(ctx: _Context, context: ssl.SSLContext) -> str:
    target = f"[{ctx.host}]" if ":" in ctx.host else ctx.host
    if ctx.proxy is None:
        reader, writer = await _open(ctx.host, ctx.port)
    else:
        proxy = urlsplit(ctx.proxy.url)
        reader, writer = await _open(proxy.hostname or "", proxy.port or 8080)
        await _connect_through(reader, writer, ctx.proxy, f"{target}:{ctx.port}")
    try:
        await asyncio.wait_for(writer.start_tls(context, server_hostname=ctx.host), _TIMEOUT_S)
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    if not der:
        return "trusted"
    cert = load_certificate(der)
    days = (cert.not_valid_after_utc - datetime.now(UTC)).days
    return (
        f"trusted: {cert.subject.rfc4514_string()}, issued by "
        f"{cert.issuer.rfc4514_string()}, valid {days} more days"
    )


async def _ask_center(ctx: _Context) -> None:
    assert ctx.settings is not None
    assert ctx.identity is not None
    try:
        async with open_uplink(ctx.paths, ctx.settings, ctx.identity.device_api_url) as uplink:
            ctx.answer = await uplink.probe()
    except UplinkError as exc:
        ctx.answer_error = str(exc)


def _check_own_certificate(ctx: _Context) -> None:
    name = "agent certificate"
    try:
        cert = load_certificate(ctx.paths.certificate.read_bytes())
    except (OSError, RemoteCareError) as exc:
        ctx.add(name, Outcome.FAIL, f"cannot read {ctx.paths.certificate}: {exc}", _REENROL)
        return
    now = datetime.now(UTC)
    days = (cert.not_valid_after_utc - now).days
    serial = f"{cert.serial_number:x}"
    if cert.not_valid_after_utc <= now:
        ctx.add(name, Outcome.FAIL, f"expired on {cert.not_valid_after_utc:%Y-%m-%d}", _REENROL)
        return
    if cert.not_valid_before_utc > now:
        ctx.add(
            name,
            Outcome.FAIL,
            f"not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC",
            "this machine's clock is behind: set it right (enable NTP)",
        )
        return
    if ctx.answer is not None and ctx.answer[0] == 403:
        reason = ctx.answer[1]
        if reason.startswith(SERVICE_TERMINATED):
            ctx.add(name, Outcome.FAIL, f"the center says: {reason}", _CONTRACT_ENDED)
            return
        if "revoked" in reason or "superseded" in reason:
            ctx.add(
                name,
                Outcome.FAIL,
                f"the center says: {reason} (serial {serial})",
                "ask the service operator; a revoked agent must be enrolled again with a new token",
            )
            return
    if ctx.answer is None and "certificate" in ctx.answer_error.lower():
        ctx.add(name, Outcome.FAIL, f"the center did not accept it: {ctx.answer_error}", _REENROL)
        return
    outcome = Outcome.WARN if days < _EXPIRY_WARNING_DAYS else Outcome.OK
    ctx.add(
        name,
        outcome,
        f"serial {serial}, valid until {cert.not_valid_after_utc:%Y-%m-%d} ({days} days)",
        "it expires soon: the center renews it on request; otherwise enrol again",
    )


def _check_clock(ctx: _Context) -> None:
    if ctx.answer is None:
        ctx.add("clock", Outcome.SKIP, "needs an answer from the center")
        return
    ctx.checks.append(assess_clock(ctx.answer[2].get("Date"), datetime.now(UTC)))


def assess_clock(date_header: str | None, now: datetime) -> Check:
    """Compare this machine's clock (``now``) with the center's HTTP ``Date`` header."""
    name = "clock"
    if not date_header:
        return Check(name, Outcome.WARN, "the center's answer carries no Date header to compare")
    try:
        center_time = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return Check(
            name, Outcome.WARN, f"the center's Date header {date_header!r} is not understood"
        )
    if center_time.tzinfo is None:
        center_time = center_time.replace(tzinfo=UTC)
    skew = (now - center_time).total_seconds()
    direction = "ahead of" if skew > 0 else "behind"
    detail = f"this machine's clock is {abs(skew):.0f} s {direction} the center's"
    if abs(skew) > _MAX_SKEW_S:
        return Check(
            name,
            Outcome.FAIL,
            detail,
            "set the clock right and keep it so (enable NTP): certificates and the time of "
            "each reading depend on it",
        )
    return Check(name, Outcome.OK, detail)


def _check_answer(ctx: _Context) -> None:
    name = "center answer"
    if ctx.answer is None:
        if ctx.tls_ok:
            ctx.add(name, Outcome.FAIL, ctx.answer_error or "no answer", _ASK_OPERATOR)
        else:
            ctx.add(name, Outcome.SKIP, "needs the center's certificate step")
        return
    status, error, _ = ctx.answer
    if status in (200, 204):
        ctx.add(name, Outcome.OK, "the center accepts this agent's reports and commands")
    elif status == 404:
        ctx.add(name, Outcome.OK, "the center accepts this agent (it offers no commands)")
    elif status == 403:
        advice = _CONTRACT_ENDED if error.startswith(SERVICE_TERMINATED) else _ASK_OPERATOR
        ctx.add(name, Outcome.FAIL, f"the center refuses this agent: {error}", advice)
    elif status == 401:
        ctx.add(name, Outcome.FAIL, "the center saw no client certificate", _REENROL)
    else:
        ctx.add(name, Outcome.FAIL, f"the center answered {status}: {error}", _ASK_OPERATOR)


async def _check_printers(ctx: _Context) -> None:
    assert ctx.settings is not None
    settings = ctx.settings
    targets = printer_targets(settings)
    results = await asyncio.gather(*(_ask_printer(t, settings) for t in targets))
    weak = await _weakly_identified(ctx, targets, results)
    for position, (target, problem) in enumerate(zip(targets, results, strict=True)):
        name = f"printer {public_address(target)}"
        if problem is None and position in weak:
            ctx.add(
                name,
                Outcome.WARN,
                "answers SNMP (sysDescr) but gives no serial number, vendor serial or MAC "
                f"address: it is reported under the weak identity {weak[position]} (its "
                "address and sysObjectID)",
                "the center holds it until an operator confirms it (`remotecare center "
                "printers confirm`); keep its address fixed (a DHCP reservation), as at "
                "another address it becomes a new printer",
            )
        elif problem is None:
            answered = "IPP (printer-state)" if isinstance(target, IppTarget) else "SNMP (sysDescr)"
            ctx.add(name, Outcome.OK, f"answers {answered}")
        else:
            ctx.add(
                name,
                Outcome.FAIL,
                problem,
                "check that the printer is on and on the network, that SNMP is enabled on it "
                "and that the community in agent.toml matches (a wrong community looks like "
                "silence)",
            )


async def _weakly_identified(
    ctx: _Context, targets: Sequence[PrinterTarget], problems: Sequence[str | None]
) -> dict[int, str]:
    """The SNMP printers (by position) that answered and that only a weak identity names,
    with that identity.

    One full read each, as the agent does (a vendor serial needs its profile), at most
    ``max_concurrent_polls`` at a time; a read that fails here is left to the poll.
    """
    assert ctx.settings is not None
    settings = ctx.settings
    site = UNENROLLED
    if ctx.identity is not None and ctx.paths.privacy_key.exists():
        privacy = Pseudonymizer(load_or_create_key(ctx.paths.privacy_key))
        site = Site(ctx.identity.endpoint_id, privacy.address)
    gate = asyncio.Semaphore(settings.max_concurrent_polls)

    async def serial_of(target: PrinterTarget) -> PrinterReading | None:
        async with gate:
            try:
                return await read_any(target, settings, site)
            except ProbeError:
                return None

    snmp = [
        position
        for position, (target, problem) in enumerate(zip(targets, problems, strict=True))
        if problem is None and not isinstance(target, IppTarget)
    ]
    readings = await asyncio.gather(*(serial_of(targets[position]) for position in snmp))
    return {
        position: reading.serial
        for position, reading in zip(snmp, readings, strict=True)
        if reading is not None and reading.serial_source is SerialSource.WEAK
    }


async def _ask_printer(target: PrinterTarget, settings: AgentSettings) -> str | None:
    if isinstance(target, IppTarget):
        try:
            await get_printer_attributes(
                target, timeout_s=settings.ipp_timeout_seconds, requested=("printer-state",)
            )
        except ProbeError as exc:
            return str(exc)
        return None
    try:
        values = await walk(
            target,
            [_SYS_DESCR],
            timeout_s=settings.snmp_timeout_seconds,
            retries=settings.snmp_retries,
            max_rows=4,
        )
    except ProbeError as exc:
        return str(exc)
    return None if values else "answered, but without sysDescr"


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {_TIMEOUT_S:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    text = getattr(exc, "strerror", None) or str(exc)
    return text or type(exc).__name__


_REENROL: Final = (
    "enrol the agent again: remove the home's identity.json and run `remotecare agent enroll`"
)
_ASK_OPERATOR: Final = "ask the center's service operator; quote this message"
# How the center's refusal starts once the customer's contract has ended (the center's
# ``contracts.rules.SERVICE_TERMINATED``; a test keeps the two equal).
SERVICE_TERMINATED: Final = "service terminated"
_CONTRACT_ENDED: Final = (
    "the customer's contract with the service operator has ended, and with it this "
    "agent's certificate: stop and uninstall the agent; a new contract needs a new "
    "application and a new enrolment token"
)
