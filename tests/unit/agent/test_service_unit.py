"""deploy/remotecare-agent.service: an unprivileged, hardened service that listens nowhere."""

from __future__ import annotations

from pathlib import Path

from tests.support.systemd_units import DEPLOY, verify_with_systemd
from tests.support.systemd_units import directives as unit_directives

UNIT = DEPLOY / "remotecare-agent.service"


def directives() -> dict[str, list[str]]:
    return unit_directives(UNIT)


def test_the_agent_runs_as_an_unprivileged_user() -> None:
    unit = directives()
    assert unit["User"] == ["remotecare"]
    assert unit["NoNewPrivileges"] == ["yes"]
    assert unit["CapabilityBoundingSet"] == [""]


def test_the_agent_may_write_only_its_home() -> None:
    unit = directives()
    home = unit["Environment"][0].partition("=")[2]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["ReadWritePaths"] == [home]
    assert unit["PrivateTmp"] == ["yes"]
    assert "run --home ${REMOTECARE_AGENT_HOME}" in unit["ExecStart"][0]


def test_the_agent_gets_only_the_address_families_of_outbound_clients() -> None:
    assert directives()["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    verify_with_systemd(UNIT, tmp_path)
