"""Operating the center: its API contract, its metrics, and logs that keep secrets out."""

from __future__ import annotations

import json
import re
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from remotecare.protocol.messages import IngestResult, Report
from tests.support.centers import (
    CenterInfo,
    center_process,
    init_center,
    remotecare,
    running_center,
)
from tests.support.contracts import accept_customer_at, issue_token
from tests.support.ports import free_tcp_port


@dataclass
class Running:
    info: CenterInfo
    agent: ssl.SSLContext


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[Running]:
    info = init_center(tmp_path / "center", database_url, metrics_port=free_tcp_port())
    async with running_center(info) as running:
        issued = issue_token(running, "Acme Ltd")
        paths = AgentPaths(tmp_path / "agent")
        await enrol(paths, info.console_url, issued.token, info.ca_fingerprint)
        yield Running(info, agent_tls_context(paths))


def a_report() -> dict[str, Any]:
    return {
        "report_id": str(uuid.uuid4()),
        "agent_time": datetime.now(UTC).isoformat(),
        "printer_address": "snmp://192.0.2.7:161",
        "reading": {
            "serial": "OPS-1",
            "serial_source": "prtGeneralSerialNumber",
            "model": "Acme Laser 9000",
            "status": {"device_status": "running"},
            "counters": [{"name": "total", "value": 1, "unit": "impressions"}],
        },
    }


async def request(
    method: str, url: str, context: ssl.SSLContext | None = None, body: bytes | None = None
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            url,
            data=body,
            headers={"Content-Type": "application/json"} if body is not None else None,
            ssl=context if context is not None else False,
        ) as response,
    ):
        return response.status, await response.text()


async def test_the_openapi_document_is_built_from_the_wire_models(center: Running) -> None:
    status, text = await request(
        "GET", center.info.device_url + "/api/v1/openapi.json", center.agent
    )
    assert status == 200
    document = json.loads(text)
    assert document["openapi"] == "3.1.0"
    reports = document["paths"]["/api/v1/reports"]["post"]
    assert reports["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Report"
    }
    created = reports["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/IngestResult"}
    assert reports["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    schemas = document["components"]["schemas"]
    assert set(schemas["Report"]["properties"]) == set(Report.model_fields)
    assert set(schemas["IngestResult"]["properties"]) == set(IngestResult.model_fields)
    assert schemas["Report"]["additionalProperties"] is False
    schemathesis.openapi.from_dict(
        document, config=SchemathesisConfig()
    )  # a document schemathesis accepts


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert found is not None, f"{name} not in metrics"
    return float(found.group(1))


async def test_metrics_count_accepted_duplicate_and_refused_reports(center: Running) -> None:
    url = center.info.device_url + "/api/v1/reports"
    body = json.dumps(a_report()).encode()
    assert (await request("POST", url, center.agent, body))[0] == 201
    assert (await request("POST", url, center.agent, body))[0] == 200
    bad = a_report()
    bad["reading"]["owner_email"] = "someone@example.com"
    assert (await request("POST", url, center.agent, json.dumps(bad).encode()))[0] == 422
    assert (await request("POST", url, center.agent, b"{"))[0] == 400

    status, text = await request(
        "GET", f"http://127.0.0.1:{center.info.settings.metrics_port}/metrics"
    )
    assert status == 200
    assert metric(text, "remotecare_reports_accepted_total") == 1
    assert metric(text, "remotecare_reports_duplicates_total") == 1
    assert metric(text, 'remotecare_device_requests_refused_total{reason="invalid"}') == 1
    assert metric(text, 'remotecare_device_requests_refused_total{reason="malformed"}') == 1
    assert metric(text, "remotecare_ingest_duration_seconds_count") == 4
    assert metric(text, 'remotecare_endpoints{state="active"}') == 1
    assert metric(text, 'remotecare_endpoints{state="revoked"}') == 0


def test_metrics_listen_on_loopback_only_by_default(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center", metrics_port=free_tcp_port())
    assert info.settings.metrics_host == "127.0.0.1"
    assert 'metrics_host = "127.0.0.1"' in (info.settings.home / "center.toml").read_text()


async def test_json_logs_of_enrolment_and_ingest_hold_no_token_and_no_key(
    tmp_path: Path, database_url: str
) -> None:
    info = init_center(tmp_path / "center", database_url)
    log = tmp_path / "center.log"
    verbose_json = ["--log-format", "json", "-v"]
    accept_customer_at(info.settings, "Acme Ltd")
    with center_process(info, log, global_args=verbose_json):
        created = remotecare(
            *verbose_json, "center", "token", "create", "--home", str(info.settings.home),
            "--customer", "Acme Ltd", "--json",
        )  # fmt: skip
        token = json.loads(created.stdout)["token"]
        agent = tmp_path / "agent"
        enrolled = remotecare(
            *verbose_json, "agent", "enroll", "--home", str(agent), "--center",
            info.console_url, "--token", token, "--ca-fingerprint", info.ca_fingerprint,
        )  # fmt: skip
        paths = AgentPaths(agent)
        status, _ = await request(
            "POST",
            info.device_url + "/api/v1/reports",
            agent_tls_context(paths),
            json.dumps(a_report()).encode(),
        )
        assert status == 201
    center_log = log.read_text()
    lines = [line for line in center_log.splitlines() if line.strip()]
    assert lines, "the center logged nothing"
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any("enrolled" in entry["message"] for entry in entries)
    key_body = "".join(
        line for line in paths.key.read_text().splitlines() if line and not line.startswith("-----")
    )
    everything = center_log + created.stderr + enrolled.stdout + enrolled.stderr
    assert token not in everything
    assert key_body[:40] not in everything
    assert "PRIVATE KEY" not in everything
