"""Prometheus metrics of the device API, served as plain HTTP on a loopback-only port.

What is counted:

- ``remotecare_reports_accepted_total`` and ``remotecare_reports_duplicates_total``;
- ``remotecare_device_requests_refused_total{reason}``, one of a fixed set of reasons
  (never a serial, an address or anything an agent sent, so the label set stays small);
- ``remotecare_ingest_duration_seconds``: from the request reaching the handler to the
  answer, durable storage included (histogram);
- ``remotecare_endpoints{state}``: endpoints by state, counted in the database at scrape.

With ``remotecare center serve --workers N`` every worker counts into files in the directory
named by ``PROMETHEUS_MULTIPROC_DIR`` (the supervisor makes a fresh one), and whichever
worker answers a scrape adds up all of them (prometheus-client's multi-process mode).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from remotecare.center.identity.endpoints import count_by_state
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.server_header import without_server_header

__all__ = ["REFUSAL_REASONS", "Metrics", "create_metrics_app", "refusal_reason"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_BY_STATUS = {
    400: "malformed",
    401: "no_certificate",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}
_BY_ERROR = [  # 403 answers, told apart by the start of their error text
    ("printer ", "printer_bound_elsewhere"),
    ("endpoint certificate revoked", "revoked"),
    ("endpoint certificate expired", "expired"),
    ("certificate superseded", "superseded"),
    ("unknown endpoint", "unknown_endpoint"),
    ("the customer's service", "service_inactive"),
    ("not a trusted proxy", "untrusted_proxy"),
    ("weak identity ", "weak_identity_refused"),
]
REFUSAL_REASONS = (
    *sorted({*_BY_STATUS.values(), *(reason for _, reason in _BY_ERROR)}),
    "server_error",
)


def refusal_reason(status: int, body: bytes | None) -> str:
    """A bounded label for a refused request, from its status and error text."""
    if status >= 500:
        return "server_error"
    if status == 403 and body:
        try:
            error = str(json.loads(body).get("error", ""))
        except (ValueError, AttributeError):
            error = ""
        for prefix, reason in _BY_ERROR:
            if error.startswith(prefix):
                return reason
    return _BY_STATUS.get(status, "other")


class _EndpointStates(Collector):
    """``remotecare_endpoints{state}`` counted in the database when scraped."""

    def __init__(self, transactions: Transactions) -> None:
        self._transactions = transactions

    def collect(self) -> Iterator[Metric]:
        counts = self._transactions.look(count_by_state)
        family = GaugeMetricFamily(
            "remotecare_endpoints", "Enrolled endpoints by state", labels=["state"]
        )
        for name in ("active", "never_seen", "revoked", "service_inactive"):
            family.add_metric([name], float(counts.get(name, 0)))
        yield family


class Metrics:
    """The device API's counters, and the registry a scrape reads.

    Usage::

        metrics = Metrics(transactions)
        app = create_device_app(..., metrics=metrics)
    """

    def __init__(self, transactions: Transactions | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.reports_accepted = Counter(
            "remotecare_reports_accepted", "Reports stored", registry=self.registry
        )
        self.reports_duplicates = Counter(
            "remotecare_reports_duplicates",
            "Reports received again and answered as duplicates",
            registry=self.registry,
        )
        self.requests_refused = Counter(
            "remotecare_device_requests_refused",
            "Device API requests refused, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.ingest_seconds = Histogram(
            "remotecare_ingest_duration_seconds",
            "Time to answer a report request, durable storage included",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._transactions = transactions

    def count(self, accepted: int, duplicates: int) -> None:
        """Count the outcome of one stored request."""
        if accepted:
            self.reports_accepted.inc(accepted)
        if duplicates:
            self.reports_duplicates.inc(duplicates)

    def exposition_registry(self) -> CollectorRegistry:
        """The registry to scrape: this process's, or every worker's in multi-process mode."""
        directory = os.environ.get(_MULTIPROC_ENV)
        if directory:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        else:
            registry = self.registry
        if self._transactions is not None:
            registry = _with(registry, _EndpointStates(self._transactions))
        return registry

    def middleware(self, report_paths: frozenset[str]) -> Middleware:
        """Time report requests and count every refused request by reason."""

        @web.middleware
        async def _measure(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            try:
                response = await handler(request)
            except web.HTTPException:
                raise
            except Exception:
                self.requests_refused.labels("server_error").inc()
                raise
            if request.path in report_paths:
                self.ingest_seconds.observe(time.perf_counter() - started)
            if response.status >= 400:
                body = response.body if isinstance(response, web.Response) else None
                raw = body if isinstance(body, bytes) else None
                self.requests_refused.labels(refusal_reason(response.status, raw)).inc()
            return response

        return _measure


def _with(base: CollectorRegistry, extra: Collector) -> CollectorRegistry:
    combined = CollectorRegistry()
    combined.register(_Everything(base))
    combined.register(extra)
    return combined


class _Everything(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()


def create_metrics_app(metrics: Metrics) -> web.Application:
    """``GET /metrics`` in Prometheus' text format (the database is read off the loop)."""

    async def get_metrics(request: web.Request) -> web.Response:
        text = await asyncio.to_thread(generate_latest, metrics.exposition_registry())
        return web.Response(body=text, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", get_metrics)
    return without_server_header(app)
