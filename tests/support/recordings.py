"""Find the printer SNMP recordings (``*.snmprec``) that tests serve with snmpsim.

The folder is ``$REMOTECARE_RECORDINGS`` when set, else ``<repo>/../shared/testdata/snmp``.
When it is missing the calling test is skipped, except in CI (``CI=true``) where a missing
folder fails the run: there, skipping would hide that nothing was tested.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["RECORDINGS_ENV", "recordings_dir"]

RECORDINGS_ENV = "REMOTECARE_RECORDINGS"
_REPO_ROOT = Path(__file__).resolve().parents[2]
_DEFAULT_DIR = _REPO_ROOT.parent / "shared" / "testdata" / "snmp"


def recordings_dir() -> Path:
    """Return the recordings folder; skip the test (fail it in CI) when there is none."""
    configured = os.environ.get(RECORDINGS_ENV)
    folder = Path(configured) if configured else _DEFAULT_DIR
    if folder.is_dir() and any(folder.glob("*.snmprec")):
        return folder
    reason = f"no SNMP recordings (*.snmprec) in {folder}; set {RECORDINGS_ENV} to their folder"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
