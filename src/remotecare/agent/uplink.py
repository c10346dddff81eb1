"""The agent's only connection: outbound mutual-TLS HTTPS to the center's device API."""

from __future__ import annotations

import gzip
import json
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from remotecare.agent.config import AgentPaths
from remotecare.agent.outbox import Outbox, QueuedReport
from remotecare.errors import ReportRejected, UplinkError
from remotecare.pki.tls import client_context

__all__ = ["DrainResult", "Uplink", "agent_tls_context", "drain"]

logger = logging.getLogger(__name__)


def agent_tls_context(paths: AgentPaths) -> ssl.SSLContext:
    """Trust only the center's CA; present the agent's own certificate."""
    return client_context(
        ca_file=paths.ca_certificate, cert_file=paths.certificate, key_file=paths.key
    )


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    accepted: int
    duplicates: int
    refused: dict[str, str]  # report id -> reason


@dataclass(slots=True)
class DrainResult:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    remaining: int = 0
    errors: list[str] = field(default_factory=list)


class Uplink:
    def __init__(self, device_api_url: str, tls: ssl.SSLContext, timeout_s: float) -> None:
        self._url = device_api_url.rstrip("/") + "/api/v1/report-batches"
        self._tls = tls
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Uplink:
        self._session = aiohttp.ClientSession(
            timeout=self._timeout, connector=aiohttp.TCPConnector(ssl=self._tls, limit=4)
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, queued: list[QueuedReport]) -> BatchAnswer:
        """POST the reports as one gzip-compressed batch."""
        assert self._session is not None, "use `async with Uplink(...)`"
        # The bodies are already JSON: join them instead of parsing and re-encoding.
        body = b'{"schema_version":1,"reports":[' + b",".join(q.body for q in queued) + b"]}"
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        try:
            async with self._session.post(
                self._url, data=gzip.compress(body, 6), headers=headers
            ) as response:
                payload = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UplinkError(f"cannot reach the center: {exc or type(exc).__name__}") from exc
        answer = _json(payload)
        if status in (200, 201):
            return BatchAnswer(answer.get("accepted", 0), answer.get("duplicates", 0), {})
        if status == 403 and "refused" in answer:
            refused = {r["report_id"]: r["reason"] for r in answer["refused"]}
            return BatchAnswer(0, 0, refused)
        reason = answer.get("error", f"HTTP {status}")
        if status in (400, 413, 415, 422):
            raise ReportRejected(f"center rejected the batch ({status}): {reason}")
        raise UplinkError(f"center answered {status}: {reason}")


def _json(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def drain(outbox: Outbox, uplink: Uplink, batch_size: int) -> DrainResult:
    """Send everything queued, oldest first; stop at the first failure, losing nothing."""
    result = DrainResult()
    while batch := outbox.peek(batch_size):
        try:
            answer = await uplink.send(batch)
        except UplinkError as exc:
            result.errors.append(str(exc))
            logger.warning("sending paused: %s", exc)
            break
        if answer.refused:
            refused = [q for q in batch if q.report_id in answer.refused]
            for q in refused:
                logger.error(
                    "center refused report %s: %s", q.report_id, answer.refused[q.report_id]
                )
            outbox.drop([q.seq for q in refused], "refused by center")
            result.refused += len(refused)
            continue  # the rest of the batch goes again, without the refused ones
        outbox.remove([q.seq for q in batch])
        result.sent += len(batch)
        result.accepted += answer.accepted
        result.duplicates += answer.duplicates
    result.remaining = outbox.count()
    return result
