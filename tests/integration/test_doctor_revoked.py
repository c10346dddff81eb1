"""The doctor tells a revoked agent certificate apart from a network problem, and a
terminated contract apart from both."""

from __future__ import annotations

from pathlib import Path

from remotecare.agent.doctor import SERVICE_TERMINATED, Outcome, diagnose
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.contracts import rules as contract_rules
from remotecare.center.contracts.service import customer_by_name
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


async def test_a_terminated_contract_is_explained_not_taken_for_a_revoked_certificate(
    tmp_path: Path,
) -> None:
    info = init_center(tmp_path / "center")
    async with running_center(info) as center:
        paths, _ = await enrolled_agent(center, info, tmp_path / "agent")
        with center.transactions.begin() as conn:
            customer_id = customer_by_name(conn, "Acme Ltd")
            assert customer_id is not None
            center.contracts.terminate(
                conn, ADMINISTRATOR, customer_id, center.clock.now().date(), "contract ended"
            )
        checks = {c.name: c for c in await diagnose(paths, check_printers=False)}
    own = checks["agent certificate"]
    assert own.outcome is Outcome.FAIL
    assert own.detail.startswith(f"the center says: {SERVICE_TERMINATED}")
    assert "uninstall the agent" in own.advice
    answer = checks["center answer"]
    assert answer.outcome is Outcome.FAIL
    assert "new application" in answer.advice


def test_the_agent_and_the_center_agree_on_the_termination_refusal() -> None:
    assert SERVICE_TERMINATED == contract_rules.SERVICE_TERMINATED
    assert (contract_rules.why_not_active("terminated") or "").startswith(SERVICE_TERMINATED)
