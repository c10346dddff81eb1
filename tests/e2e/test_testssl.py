"""testssl.sh (Debian's, 3.0.8) finds nothing at LOW or above on either port: no CBC or
other weak suite, no protocol flaw, a certificate chain it can check against the center's
CA, a revocation URI, a lifetime within 825 days, and HTTP answers without a ``Server``
header.

A scan takes about a minute per port, so it is not part of ``make test``: ``make scan``
sets ``REMOTECARE_TLS_SCAN=1`` and runs it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.centers import CenterInfo, init_center, running_center

pytestmark = pytest.mark.skipif(
    os.environ.get("REMOTECARE_TLS_SCAN") != "1", reason="the TLS scan runs in `make scan`"
)

TESTSSL = shutil.which("testssl")
REPORTED = {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
_SCAN_TIMEOUT_S = 240


async def _scan(info: CenterInfo, url: str, report: Path) -> list[dict[str, Any]]:
    """testssl.sh's findings at LOW or above for ``url`` (its JSON output)."""
    assert TESTSSL, "Debian's testssl.sh is missing: `make setup` installs it"
    process = await asyncio.create_subprocess_exec(
        TESTSSL,
        "--quiet",
        "--color",
        "0",
        "--warnings",
        "batch",
        "--nodns",
        "min",  # a loopback center has no DNS records (CAA) to check
        "--ip",
        "127.0.0.1",
        "--add-ca",
        str(info.settings.ca_cert_file),  # the center's own CA, as its agents trust it
        "--severity",
        "LOW",
        "--jsonfile",
        str(report),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), _SCAN_TIMEOUT_S)
    assert report.exists(), output.decode(errors="replace")
    findings: list[dict[str, Any]] = json.loads(report.read_text())
    return [f for f in findings if f.get("severity") in REPORTED]


@pytest.mark.timeout(_SCAN_TIMEOUT_S + 60)
async def test_testssl_finds_nothing_at_low_or_above_on_either_port(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    async with running_center(info):
        console, device = await asyncio.gather(
            _scan(info, info.console_url + "/login", tmp_path / "console.json"),
            _scan(info, info.device_url, tmp_path / "device.json"),
        )
    assert console == []
    assert device == []
