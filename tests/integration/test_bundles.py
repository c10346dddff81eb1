"""Diagnostic bundles from an agent to a real mutual-TLS center: chunked, resumable,
verified, capped, and within the agent's monthly budget."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.diagnostics import (
    BundleQueue,
    MonthlyBudget,
    Walk,
    build_bundle,
    upload_bundles,
)
from remotecare.agent.privacy import Pseudonymizer
from remotecare.agent.uplink import open_uplink
from remotecare.center.bootstrap import Center
from remotecare.center.fleet.tables import diagnostic_bundles
from remotecare.protocol.messages import BundleReason
from tests.support.centers import CenterInfo, init_center, running_center, serve_again, stop_serving
from tests.support.reports import enrolled_agent

NOW = datetime(2025, 5, 20, 12, 0, tzinfo=UTC)
CHUNK = 4096


@dataclass
class Site:
    info: CenterInfo
    center: Center
    paths: AgentPaths
    identity: AgentIdentity
    queue: BundleQueue


@pytest.fixture
async def site(tmp_path: Path, database_url: str) -> AsyncIterator[Site]:
    info = init_center(tmp_path / "center", database_url)
    info = dataclasses.replace(
        info, settings=dataclasses.replace(info.settings, max_bundle_bytes=64 * 1024)
    )
    async with running_center(info) as center:
        paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
        yield Site(info, center, paths, identity, BundleQueue(paths.bundles))


def stored_file(site: Site, bundle_id: str) -> Path:
    return site.info.settings.bundles_dir / site.identity.endpoint_id / f"{bundle_id}.tar.gz"


def budget(site: Site, limit: int = 10 * 1024 * 1024) -> MonthlyBudget:
    return MonthlyBudget(site.paths.bundles / "budget.json", limit)


async def test_a_bundle_arrives_in_chunks_verified_and_stored_apart(site: Site) -> None:
    privacy = Pseudonymizer(bytes(32))
    walked = Walk(
        values={
            (1, 3, 6, 1, 2, 1, 1, 1, 0): b"ACME ColorMFP 4500",
            (1, 3, 6, 1, 2, 1, 1, 4, 0): b"Anna Berg, ext. 1234",
            (1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 8, 1, 1): b"Scan failed for anna@example.com",
        }
    )
    data = build_bundle(walked, ["log line 1"] * 2000, {"reason": "test"}, privacy)
    queued = site.queue.add(data, BundleReason.SERVICE_REQUESTED, printer_serial="SER-1")
    async with open_uplink(site.paths, AgentSettings(), site.identity.device_api_url) as uplink:
        result = await upload_bundles(site.queue, uplink, budget(site), chunk_bytes=CHUNK, now=NOW)
    assert (result.uploaded, result.waiting, result.bytes_sent) == (1, 0, len(data))
    bundle_id = str(queued.declaration.bundle_id)
    stored = stored_file(site, bundle_id).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == queued.declaration.sha256
    with tarfile.open(fileobj=io.BytesIO(stored)) as tar:
        walk = json.loads(tar.extractfile("walk.json").read())  # type: ignore[union-attr]
    assert walk["values"]["1.3.6.1.2.1.1.1.0"] == "ACME ColorMFP 4500"
    assert walk["values"]["1.3.6.1.2.1.1.4.0"].startswith("pseud:")  # sysContact
    assert "anna" not in json.dumps(walk)
    with site.info.read_engine().connect() as conn:
        row = conn.execute(select(diagnostic_bundles)).one()
    assert (row.status, row.printer_serial, row.reason) == (
        "complete",
        "SER-1",
        "service_requested",
    )
    assert not site.queue.pending()


async def test_an_upload_interrupted_by_a_center_restart_resumes_where_it_stopped(
    site: Site,
) -> None:
    data = os.urandom(40_000)
    queued = site.queue.add(data, BundleReason.CENTER_REQUEST)
    declaration = queued.declaration
    settings = AgentSettings()
    async with open_uplink(site.paths, settings, site.identity.device_api_url) as uplink:
        await uplink.declare_bundle(declaration)
        state = await uplink.put_chunk(declaration.bundle_id, 0, data[:CHUNK])
        state = await uplink.put_chunk(declaration.bundle_id, CHUNK, data[CHUNK : 2 * CHUNK])
    assert state.received_bytes == 2 * CHUNK
    await stop_serving(site.center)  # the center goes away between two chunks
    await serve_again(site.center)
    spent = budget(site)
    async with open_uplink(site.paths, settings, site.identity.device_api_url) as uplink:
        assert (await uplink.bundle_state(declaration.bundle_id)).received_bytes == 2 * CHUNK  # type: ignore[union-attr]
        result = await upload_bundles(site.queue, uplink, spent, chunk_bytes=CHUNK, now=NOW)
    assert result.uploaded == 1
    assert result.bytes_sent == len(data) - 2 * CHUNK  # nothing sent twice
    assert spent.used(NOW) == len(data) - 2 * CHUNK
    assert stored_file(site, str(declaration.bundle_id)).read_bytes() == data


async def test_a_chunk_at_the_wrong_offset_is_answered_with_the_resume_point(site: Site) -> None:
    data = os.urandom(10_000)
    declaration = site.queue.add(data, BundleReason.CENTER_REQUEST).declaration
    async with open_uplink(site.paths, AgentSettings(), site.identity.device_api_url) as uplink:
        await uplink.declare_bundle(declaration)
        await uplink.put_chunk(declaration.bundle_id, 0, data[:CHUNK])
        state = await uplink.put_chunk(declaration.bundle_id, 2 * CHUNK, data[2 * CHUNK :])
    assert state.received_bytes == CHUNK
    assert not state.complete


async def test_a_bundle_over_the_centers_cap_is_refused_and_not_retried(site: Site) -> None:
    site.queue.add(os.urandom(100_000), BundleReason.CENTER_REQUEST)  # cap is 64 KiB
    async with open_uplink(site.paths, AgentSettings(), site.identity.device_api_url) as uplink:
        result = await upload_bundles(site.queue, uplink, budget(site), chunk_bytes=CHUNK, now=NOW)
    assert (result.refused, result.uploaded, result.bytes_sent) == (1, 0, 0)
    assert not site.queue.pending()
    with site.info.read_engine().connect() as conn:
        assert conn.execute(select(diagnostic_bundles)).first() is None


async def test_a_corrupted_bundle_is_refused_by_its_digest(site: Site) -> None:
    data = os.urandom(6000)
    declaration = site.queue.add(data, BundleReason.CENTER_REQUEST).declaration
    async with open_uplink(site.paths, AgentSettings(), site.identity.device_api_url) as uplink:
        await uplink.declare_bundle(declaration)
        from remotecare.errors import ReportRejected

        with pytest.raises(ReportRejected, match="SHA-256"):
            await uplink.put_chunk(declaration.bundle_id, 0, bytes(6000))
        state = await uplink.bundle_state(declaration.bundle_id)
    assert state is not None
    assert state.received_bytes == 0


async def test_the_monthly_budget_holds_bundles_back_until_next_month(site: Site) -> None:
    site.queue.add(os.urandom(20_000), BundleReason.SERVICE_REQUESTED)
    site.queue.add(os.urandom(20_000), BundleReason.SERVICE_REQUESTED)
    small = budget(site, limit=30_000)  # room for one of the two this month
    async with open_uplink(site.paths, AgentSettings(), site.identity.device_api_url) as uplink:
        first = await upload_bundles(site.queue, uplink, small, chunk_bytes=CHUNK, now=NOW)
        again = await upload_bundles(site.queue, uplink, small, chunk_bytes=CHUNK, now=NOW)
        used_in_may = small.used(NOW)
        later = NOW + timedelta(days=15)
        next_month = await upload_bundles(site.queue, uplink, small, chunk_bytes=CHUNK, now=later)
    assert (first.uploaded, first.waiting, first.over_budget) == (1, 1, True)
    assert (again.uploaded, again.bytes_sent) == (0, 0)
    assert used_in_may == 20_000
    assert (next_month.uploaded, next_month.waiting) == (1, 0)


def test_a_metered_line_lowers_the_budget() -> None:
    settings = AgentSettings(metered_line=True)
    assert settings.bundle_budget_bytes == settings.metered_monthly_budget_bytes
    assert AgentSettings().bundle_budget_bytes == AgentSettings().diagnostics_monthly_budget_bytes
