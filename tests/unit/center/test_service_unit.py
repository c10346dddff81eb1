"""deploy/remotecare-center.service: an unprivileged, hardened service that writes only
its home and serves on ports that need no privilege."""

from __future__ import annotations

from pathlib import Path

from remotecare.center.config import CenterSettings
from tests.support.systemd_units import DEPLOY, verify_with_systemd
from tests.support.systemd_units import directives as unit_directives

UNIT = DEPLOY / "remotecare-center.service"


def directives() -> dict[str, list[str]]:
    return unit_directives(UNIT)


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
    stderr = verify_with_systemd(UNIT, tmp_path)
    assert stderr == "", stderr
