"""The doctor tells a revoked agent certificate apart from a network problem."""

from __future__ import annotations

from pathlib import Path

from remotecare.agent.doctor import Outcome, diagnose
from tests.support.centers import init_center, running_center
from tests.support.reports import enrolled_agent


async def test_a_revoked_certificate_fails_the_agent_certificate_step(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        paths, identity = await enrolled_agent(center, info, tmp_path / "agent")
        center.admin.revoke(identity.endpoint_id, "device stolen")
        checks = {c.name: c for c in await diagnose(paths, check_printers=False)}
    assert checks["TCP"].outcome is Outcome.OK
    own = checks["agent certificate"]
    assert own.outcome is Outcome.FAIL
    assert "revoked" in own.detail
    assert "enrolled again" in own.advice
    assert checks["center answer"].outcome is Outcome.FAIL
