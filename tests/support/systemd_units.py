"""The systemd units in deploy/: their directives, and systemd's own check of them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["DEPLOY", "directives", "verify_with_systemd"]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def directives(unit: Path) -> dict[str, list[str]]:
    """Each directive of ``unit`` with its values, in order."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def verify_with_systemd(unit: Path, tmp_path: Path) -> str:
    """`systemd-analyze verify` on a copy of ``unit`` whose program exists here; what it
    printed on standard error (it must succeed)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI") == "true":  # `make test` installs systemd
            pytest.fail("systemd-analyze is not installed", pytrace=False)
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace("/usr/local/bin/remotecare", "/bin/true"))
    result = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stderr
