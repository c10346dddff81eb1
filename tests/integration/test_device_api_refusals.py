"""The device API refuses what it must, says exactly why, and stores nothing then."""

from __future__ import annotations

import gzip
import json
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.fleet.tables import printers, reports
from remotecare.pki.ca import CertificateAuthority
from remotecare.pki.keys import generate_private_key, write_private_key
from tests.support.centers import CenterInfo, init_center, running_center
from tests.support.contracts import issue_token


@dataclass
class Fixture:
    info: CenterInfo
    agent_a: ssl.SSLContext
    agent_b: ssl.SSLContext


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[Fixture]:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as running:
        contexts = []
        for name in ("a", "b"):
            issued = issue_token(running, "Acme Ltd")
            paths = AgentPaths(tmp_path / f"agent-{name}")
            await enrol(paths, info.console_url, issued.token, info.ca_fingerprint)
            contexts.append(agent_tls_context(paths))
        yield Fixture(info, contexts[0], contexts[1])


def a_report(serial: str = "SER-1") -> dict[str, Any]:
    return {
        "report_id": str(uuid.uuid4()),
        "agent_time": datetime.now(UTC).isoformat(),
        "printer_address": "snmp://192.0.2.7:161",
        "reading": {
            "serial": serial,
            "serial_source": "prtGeneralSerialNumber",
            "model": "Acme Laser 9000",
            "status": {"device_status": "running", "error_conditions": []},
            "counters": [{"name": "total", "value": 1234, "unit": "impressions"}],
            "supplies": [],
        },
    }


def stored_reports(info: CenterInfo) -> int:
    with info.read_engine().connect() as conn:
        return int(conn.execute(select(func.count()).select_from(reports)).scalar_one())


async def post(
    url: str, context: ssl.SSLContext, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", **(headers or {})},
            ssl=context,
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_refuses_the_handshake_without_a_client_certificate(center: Fixture) -> None:
    with pytest.raises(aiohttp.ClientError):
        await post(
            center.info.device_url + "/api/v1/reports", center.info.trusting_context(), b"{}"
        )
    assert stored_reports(center.info) == 0


async def test_refuses_the_handshake_with_a_certificate_from_another_ca(
    center: Fixture, tmp_path: Path
) -> None:
    rogue_ca = CertificateAuthority.create(tmp_path / "rogue", "Rogue CA")
    key = generate_private_key()
    write_private_key(tmp_path / "rogue.key", key)
    issued = rogue_ca.issue_device_certificate(key.public_key(), str(uuid.uuid4()))
    (tmp_path / "rogue.pem").write_text(issued.pem)
    context = center.info.trusting_context()
    context.load_cert_chain(tmp_path / "rogue.pem", tmp_path / "rogue.key")
    body = json.dumps(a_report()).encode()
    with pytest.raises(aiohttp.ClientError):
        await post(center.info.device_url + "/api/v1/reports", context, body)
    assert stored_reports(center.info) == 0


async def test_stores_a_report_once_however_often_it_is_sent(center: Fixture) -> None:
    body = json.dumps(a_report()).encode()
    first = await post(center.info.device_url + "/api/v1/reports", center.agent_a, body)
    again = await post(center.info.device_url + "/api/v1/reports", center.agent_a, body)
    assert first == (201, {"accepted": 1, "duplicates": 0, "commands": []})
    assert again == (200, {"accepted": 0, "duplicates": 1, "commands": []})
    assert stored_reports(center.info) == 1


async def test_refuses_a_report_about_a_printer_bound_to_another_endpoint(
    center: Fixture,
) -> None:
    url = center.info.device_url + "/api/v1/reports"
    owned = json.dumps(a_report("OWNED-BY-A")).encode()
    assert (await post(url, center.agent_a, owned))[0] == 201
    intruding = a_report("OWNED-BY-A")
    status, answer = await post(url, center.agent_b, json.dumps(intruding).encode())
    assert status == 403
    assert answer["error"] == "printer OWNED-BY-A is bound to another endpoint"
    assert answer["refused"] == [{"report_id": intruding["report_id"], "reason": answer["error"]}]
    assert stored_reports(center.info) == 1
    with center.info.read_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(printers)).scalar_one() == 1


async def test_a_batch_with_one_refused_report_stores_nothing(center: Fixture) -> None:
    url = center.info.device_url
    await post(url + "/api/v1/reports", center.agent_a, json.dumps(a_report("P-A")).encode())
    batch: dict[str, Any] = {"schema_version": 1, "reports": [a_report("P-B"), a_report("P-A")]}
    status, answer = await post(
        url + "/api/v1/report-batches", center.agent_b, json.dumps(batch).encode()
    )
    assert status == 403
    assert [r["report_id"] for r in answer["refused"]] == [batch["reports"][1]["report_id"]]
    assert stored_reports(center.info) == 1


async def test_refuses_malformed_json(center: Fixture) -> None:
    status, answer = await post(
        center.info.device_url + "/api/v1/reports", center.agent_a, b'{"report_id": '
    )
    assert (status, answer) == (400, {"error": "body is not valid JSON"})
    assert stored_reports(center.info) == 0


async def test_refuses_an_invalid_report_naming_the_field(center: Fixture) -> None:
    report = a_report()
    report["reading"]["counters"][0]["value"] = -5
    status, answer = await post(
        center.info.device_url + "/api/v1/reports",
        center.agent_a,
        json.dumps(report).encode(),
    )
    assert status == 422
    assert answer["error"].startswith("reading.counters.0.value:")
    assert stored_reports(center.info) == 0


async def test_refuses_unknown_fields(center: Fixture) -> None:
    report = a_report()
    report["reading"]["owner_email"] = "someone@example.com"
    status, answer = await post(
        center.info.device_url + "/api/v1/reports",
        center.agent_a,
        json.dumps(report).encode(),
    )
    assert status == 422
    assert answer["error"].startswith("reading.owner_email:")
    assert stored_reports(center.info) == 0


async def test_refuses_an_oversized_body(center: Fixture) -> None:
    report = a_report()
    body = json.dumps(report).encode()
    oversized = body[:-1] + b"," + b'"padding": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    status, answer = await post(
        center.info.device_url + "/api/v1/reports", center.agent_a, oversized
    )
    assert status == 413
    assert "exceeds" in answer["error"]
    assert stored_reports(center.info) == 0


async def test_refuses_a_compression_bomb(center: Fixture) -> None:
    bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]")
    assert len(bomb) < 1024 * 1024
    status, answer = await post(
        center.info.device_url + "/api/v1/reports",
        center.agent_a,
        bomb,
        headers={"Content-Encoding": "gzip"},
    )
    assert status == 413
    assert answer["error"] == "decompressed body exceeds 8388608 bytes"
    assert stored_reports(center.info) == 0


async def test_accepts_a_gzip_compressed_batch(center: Fixture) -> None:
    batch = {"schema_version": 1, "reports": [a_report("G-1"), a_report("G-2")]}
    status, answer = await post(
        center.info.device_url + "/api/v1/report-batches",
        center.agent_a,
        gzip.compress(json.dumps(batch).encode()),
        headers={"Content-Encoding": "gzip"},
    )
    assert (status, answer["accepted"]) == (201, 2)
    assert stored_reports(center.info) == 2


async def test_refuses_text_with_a_nul_character_on_every_backend(center: Fixture) -> None:
    report = a_report()
    report["reading"]["model"] = "Acme\x00Laser"
    status, answer = await post(
        center.info.device_url + "/api/v1/reports",
        center.agent_a,
        json.dumps(report).encode(),
    )
    assert (status, answer) == (
        422,
        {"error": "reading.model: text must not contain NUL characters"},
    )
    assert stored_reports(center.info) == 0
