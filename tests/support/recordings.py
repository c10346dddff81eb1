"""Find the printer SNMP recordings (``*.snmprec``) that tests serve with snmpsim.

The folder is ``$REMOTECARE_RECORDINGS`` when set, else ``<repo>/../shared/testdata/snmp``,
else ``/work/shared/testdata/snmp`` (where a clean clone made elsewhere still finds them).
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
_CANDIDATES = (
    _REPO_ROOT.parent / "shared" / "testdata" / "snmp",
    Path("/work/shared/testdata/snmp"),
)


def recordings_dir() -> Path:
    """Return the recordings folder; skip the test (fail it in CI) when there is none."""
    configured = os.environ.get(RECORDINGS_ENV)
    candidates = (Path(configured),) if configured else _CANDIDATES
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.snmprec")):
            return folder
    looked = ", ".join(str(folder) for folder in candidates)
    reason = f"no SNMP recordings (*.snmprec) in {looked}; set {RECORDINGS_ENV} to their folder"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
