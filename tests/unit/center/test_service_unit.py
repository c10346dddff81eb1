"""deploy/remotecare-center.service: an unprivileged, hardened service that writes only
its home and serves on ports that need no privilege."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from remotecare.center.config import CenterSettings

UNIT = Path(__file__).resolve().parents[3] / "deploy" / "remotecare-center.service"


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_center_runs_as_an_unprivileged_user_without_capabilities() -> None:
    unit = directives()
    assert unit["User"] == ["remotecare-center"]
    assert unit["NoNewPrivileges"] == ["yes"]
    assert unit["CapabilityBoundingSet"] == [""]
    assert unit["AmbientCapabilities"] == [""]
    defaults = CenterSettings(home=Path("/"), hostname="x")
    assert min(defaults.console_port, defaults.device_port) > 1024  # no CAP_NET_BIND_SERVICE


def test_the_center_may_write_only_its_home() -> None:
    unit = directives()
    home = unit["Environment"][0].partition("=")[2]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["ReadWritePaths"] == [home]
    assert unit["PrivateTmp"] == ["yes"]
    assert unit["UMask"] == ["0077"]
    assert "center serve --home ${REMOTECARE_CENTER_HOME}" in unit["ExecStart"][0]


def test_the_center_gets_only_the_address_families_it_serves_and_reaches() -> None:
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
    assert result.stderr == "", result.stderr
