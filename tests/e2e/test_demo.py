"""`make demo`'s program, run as the README says (`remotecare demo`): a center, the
simulated fleet over real SNMP on loopback and an enrolled agent, for a short while; its
summary shows every printer read, the orders the low supplies caused and the incidents."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from remotecare.demo.fleet import DEMO_FLEET

pytestmark = pytest.mark.timeout(240)


def test_the_demo_runs_the_whole_system_and_says_what_it_saw() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "remotecare", "demo", "--duration", "25", "--interval", "5"],
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    received = re.search(r"The center received (\d+) reports about (\d+) devices", out)
    assert received is not None, out
    assert int(received.group(2)) == len(DEMO_FLEET)
    assert int(received.group(1)) >= len(DEMO_FLEET)
    for printer in DEMO_FLEET:
        assert (printer.serial or f"mac:{printer.mac}") in out
    # The demo fleet has supplies the printers call low: each is ordered, each an incident.
    orders = re.search(r"Supply orders open: (\d+)", out)
    incidents = re.search(r"Incidents open: (\d+)", out)
    assert orders is not None, out
    assert incidents is not None, out
    assert int(orders.group(1)) >= 1, out
    assert int(incidents.group(1)) >= 1, out
    assert "printer says low" in out
