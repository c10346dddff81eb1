"""deploy/remotecare-agent.service: an unprivileged, hardened service that listens nowhere."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[3] / "deploy" / "remotecare-agent.service"


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


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
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI") == "true":  # `make test` installs systemd
            pytest.fail("systemd-analyze is not installed", pytrace=False)
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace("/usr/local/bin/remotecare", "/bin/true"))
    result = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
