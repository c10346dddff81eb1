"""The agent's only connection: outbound mutual-TLS HTTPS to the center's device API,
directly or through the site's HTTP proxy (CONNECT), over :mod:`.http11`.

Every answer of the center is translated here, once: 2xx into values, 429/503 into
:class:`RetryLater` (with its Retry-After), a report the center will never take
(400/413/422) into :class:`ReportRejected`, anything else into :class:`UplinkError`.
"""

from __future__ import annotations

import logging
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from remotecare.agent.config import AgentPaths, AgentSettings
from remotecare.agent.http11 import (
    HttpClient,
    HttpError,
    ProxyRefused,
    ProxyUnreachable,
    Tunnel,
    basic_credentials,
)
from remotecare.agent.outbox import DROP_REFUSED, DROP_REJECTED, Outbox, QueuedReport
from remotecare.agent.schedule import parse_retry_after
from remotecare.errors import ProtocolError, ReportRejected, RetryLater, UplinkError
from remotecare.pki.tls import client_context
from remotecare.protocol.codec import answer_fields, decode, encode, encode_batch
from remotecare.protocol.messages import (
    AgentStatus,
    BundleDeclaration,
    BundleState,
    Command,
    CommandAck,
    CommandList,
    IngestResult,
)

__all__ = [
    "BatchAnswer",
    "DrainResult",
    "ProxySettings",
    "Uplink",
    "agent_tls_context",
    "drain",
    "open_uplink",
]

logger = logging.getLogger(__name__)

_REJECTED = (400, 413, 422)  # the center will never take this body, however often it comes
_BUSY = (429, 503)
_PROXY_PORT = 80  # a proxy URL without a port: http's own, as before


def agent_tls_context(paths: AgentPaths, ca_bundle: str | Path | None = None) -> ssl.SSLContext:
    """Trust the center's CA (plus ``ca_bundle``, for a TLS front with another CA);
    present the agent's own certificate."""
    context = client_context(
        ca_file=paths.ca_certificate, cert_file=paths.certificate, key_file=paths.key
    )
    if ca_bundle:
        context.load_verify_locations(cafile=str(ca_bundle))
    return context


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """An HTTP proxy for CONNECT tunnels; credentials apart from the URL, never logged.

    Usage::

        ProxySettings.from_settings(settings)   # None when no proxy_url is set
    """

    url: str  # http://HOST:PORT, without credentials
    username: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: AgentSettings) -> ProxySettings | None:
        if not settings.proxy_url:
            return None
        parts = urlsplit(settings.proxy_url)
        username = settings.proxy_username or unquote(parts.username or "")
        password = settings.proxy_password or unquote(parts.password or "")
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.port:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, "", "", ""))
        return cls(url, username, password)

    @property
    def tunnel(self) -> Tunnel:
        """The proxy as :class:`~remotecare.agent.http11.HttpClient` takes it: address and
        ``Proxy-Authorization`` for the CONNECT request, if credentials are set."""
        parts = urlsplit(self.url)
        authorization = basic_credentials(self.username, self.password) if self.username else None
        return Tunnel(parts.hostname or "", parts.port or _PROXY_PORT, authorization)


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    accepted: int
    duplicates: int
    refused: dict[str, str]  # report id -> reason
    commands: tuple[Command, ...] = ()


@dataclass(slots=True)
class DrainResult:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    rejected: int = 0
    remaining: int = 0
    retry_after_s: float | None = None
    errors: list[str] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)


class Uplink:
    """HTTPS calls to the device API, one session (kept-alive connections) per use.

    Usage::

        async with Uplink(url, tls, timeout_s=30, proxy=None) as uplink:
            answer = await uplink.send(outbox.peek(200))
    """

    def __init__(
        self,
        device_api_url: str,
        tls: ssl.SSLContext,
        timeout_s: float,
        *,
        proxy: ProxySettings | None = None,
    ) -> None:
        self._base = device_api_url.rstrip("/")
        self._tls = tls
        self._timeout_s = timeout_s
        self._proxy = proxy
        self._http: HttpClient | None = None
        self.send_status = True  # cleared if the center is too old to accept agent_status
        self.bytes_sent = 0  # request bodies on the wire, as sent (compressed)

    async def __aenter__(self) -> Uplink:
        # Only the configured proxy, never one from the environment.
        self._http = HttpClient(
            tls=self._tls,
            timeout_s=self._timeout_s,
            proxy=self._proxy.tunnel if self._proxy else None,
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def send(
        self, queued: Sequence[QueuedReport], status: AgentStatus | None = None
    ) -> BatchAnswer:
        """POST the reports as one gzip-compressed batch."""
        # The bodies are already JSON: join them instead of parsing and re-encoding.
        body = encode_batch(
            [q.body for q in queued], status if self.send_status else None, compress=True
        )
        response_status, payload, _ = await self._request(
            "POST",
            "/api/v1/report-batches",
            data=body,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        answer = answer_fields(payload)
        if response_status in (200, 201):
            return BatchAnswer(
                answer.get("accepted", 0),
                answer.get("duplicates", 0),
                {},
                tuple(_commands_of(payload)),
            )
        if response_status == 403 and "refused" in answer:
            refused = {r["report_id"]: r["reason"] for r in answer["refused"]}
            return BatchAnswer(0, 0, refused)
        reason = str(answer.get("error", f"HTTP {response_status}"))
        if response_status == 422 and reason.startswith("agent_status") and self.send_status:
            logger.warning("the center does not take agent status yet; sending without it")
            self.send_status = False
            return await self.send(queued, status)
        raise _failure(response_status, reason, "batch")

    async def fetch_commands(self) -> list[Command]:
        """``GET /api/v1/commands``: what the center wants done (none from an older center)."""
        status, payload, _ = await self._request("GET", "/api/v1/commands")
        if status == 404:
            return []
        if status != 200:
            raise _failure(status, str(answer_fields(payload).get("error", "")), "command list")
        try:
            return list(decode(CommandList, payload).commands)
        except ProtocolError as exc:
            raise UplinkError(f"the center's command list is not understood: {exc}") from exc

    async def acknowledge(self, command_id: uuid.UUID, ack: CommandAck) -> None:
        """``POST /api/v1/commands/{id}/ack``."""
        status, payload, _ = await self._request(
            "POST",
            f"/api/v1/commands/{command_id}/ack",
            data=encode(ack),
            headers={"Content-Type": "application/json"},
        )
        if status not in (200, 201, 204, 409):  # 409: acknowledged before
            raise _failure(status, str(answer_fields(payload).get("error", "")), "acknowledgement")

    async def declare_bundle(self, declaration: BundleDeclaration) -> BundleState:
        """``POST /api/v1/bundles``: announce a bundle (again: its state as it is)."""
        status, payload, _ = await self._request(
            "POST",
            "/api/v1/bundles",
            data=encode(declaration),
            headers={"Content-Type": "application/json"},
        )
        return _bundle_state(status, payload, "bundle declaration")

    async def bundle_state(self, bundle_id: uuid.UUID) -> BundleState | None:
        """``GET /api/v1/bundles/{id}``: how many bytes arrived; None if unknown."""
        status, payload, _ = await self._request("GET", f"/api/v1/bundles/{bundle_id}")
        if status == 404:
            return None
        return _bundle_state(status, payload, "bundle state")

    async def put_chunk(self, bundle_id: uuid.UUID, offset: int, chunk: bytes) -> BundleState:
        """``PUT /api/v1/bundles/{id}/chunks?offset=N``."""
        status, payload, _ = await self._request(
            "PUT",
            f"/api/v1/bundles/{bundle_id}/chunks?offset={offset}",
            data=chunk,
            headers={"Content-Type": "application/octet-stream"},
        )
        if status == 409:  # the center has another resume point: ask where, go on from there
            state = await self.bundle_state(bundle_id)
            if state is None:
                raise UplinkError(f"the center no longer knows bundle {bundle_id}")
            return state
        return _bundle_state(status, payload, "bundle chunk")

    async def probe(self) -> tuple[int, str, dict[str, str]]:
        """One authenticated GET (the doctor's check): status, error text, headers."""
        status, payload, headers = await self._request("GET", "/api/v1/commands")
        return status, str(answer_fields(payload).get("error", "")), headers

    async def _request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        assert self._http is not None, "use `async with Uplink(...)`"
        proxy = self._proxy
        try:
            response = await self._http.request(
                method, self._base + path, body=data, headers=headers
            )
        except ProxyUnreachable as exc:
            raise UplinkError(
                f"cannot reach the proxy {proxy.url if proxy else ''}: {exc}"
            ) from exc
        except ProxyRefused as exc:
            raise UplinkError(f"the proxy refused the tunnel: {exc.status} {exc.reason}") from exc
        except (HttpError, TimeoutError) as exc:
            raise UplinkError(f"cannot reach the center: {exc or type(exc).__name__}") from exc
        if data is not None:
            self.bytes_sent += len(data)
        status, payload, answer_headers = response.status, response.body, response.headers
        if status in _BUSY:
            retry_after = parse_retry_after(answer_headers.get("Retry-After"), datetime.now(UTC))
            raise RetryLater(f"the center is busy ({status})", retry_after)
        return status, payload, answer_headers


def open_uplink(paths: AgentPaths, settings: AgentSettings, device_api_url: str) -> Uplink:
    """An uplink as the settings say: TLS trust, proxy, timeout."""
    return Uplink(
        device_api_url,
        agent_tls_context(paths, settings.ca_bundle or None),
        settings.http_timeout_seconds,
        proxy=ProxySettings.from_settings(settings),
    )


def _failure(status: int, reason: str, what: str) -> UplinkError:
    if status in _REJECTED:
        return ReportRejected(f"center rejected the {what} ({status}): {reason}", status)
    return UplinkError(f"center answered {status} to the {what}: {reason or 'no reason given'}")


def _bundle_state(status: int, payload: bytes, what: str) -> BundleState:
    if status not in (200, 201):
        raise _failure(status, str(answer_fields(payload).get("error", "")), what)
    try:
        return decode(BundleState, payload)
    except ProtocolError as exc:
        raise UplinkError(f"the center's {what} answer is not understood: {exc}") from exc


def _commands_of(payload: bytes) -> list[Command]:
    try:
        return list(decode(IngestResult, payload).commands)
    except ProtocolError:
        logger.warning("the center's answer carries commands this agent does not understand")
        return []


async def drain(outbox: Outbox, uplink: Uplink, batch_size: int) -> DrainResult:
    """Send everything queued, oldest first; stop at the first failure, losing nothing.

    A batch the center will never take (400/413/422) is split in halves until the bad
    report is alone; that one is dropped and counted, the others go on.
    """
    result = DrainResult()
    while batch := outbox.peek(batch_size):
        try:
            await _deliver(outbox, uplink, batch, result)
        except RetryLater as exc:
            result.errors.append(str(exc))
            result.retry_after_s = exc.retry_after_s
            logger.warning("sending paused: %s", exc)
            break
        except UplinkError as exc:
            result.errors.append(str(exc))
            logger.warning("sending paused: %s", exc)
            break
    result.remaining = outbox.count()
    return result


async def _deliver(
    outbox: Outbox, uplink: Uplink, batch: list[QueuedReport], result: DrainResult
) -> None:
    try:
        answer = await uplink.send(batch, outbox.agent_status())
    except ReportRejected as exc:
        if len(batch) == 1:
            logger.error("center will never take report %s, dropped: %s", batch[0].report_id, exc)
            outbox.drop([batch[0].seq], DROP_REJECTED)
            result.rejected += 1
            return
        middle = len(batch) // 2
        await _deliver(outbox, uplink, batch[:middle], result)
        await _deliver(outbox, uplink, batch[middle:], result)
        return
    if answer.refused:
        refused = [q for q in batch if q.report_id in answer.refused]
        for q in refused:
            logger.error("center refused report %s: %s", q.report_id, answer.refused[q.report_id])
        outbox.drop([q.seq for q in refused], DROP_REFUSED)
        result.refused += len(refused)
        return  # the rest of the batch goes again, without the refused ones
    outbox.remove([q.seq for q in batch])
    result.sent += len(batch)
    result.accepted += answer.accepted
    result.duplicates += answer.duplicates
    result.commands.extend(answer.commands)
